CREATE TABLE cache (k text PRIMARY KEY, v text);
CREATE UNLOGGED TABLE scratch (k text);
