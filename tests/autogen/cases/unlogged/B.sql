CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);
CREATE TABLE scratch (k text);
CREATE UNLOGGED TABLE fresh (k text);
