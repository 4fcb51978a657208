CREATE SCHEMA legacy;
CREATE TABLE legacy.things (id integer PRIMARY KEY);
