CREATE SEQUENCE counter;
CREATE SEQUENCE gone;
CREATE TABLE tickets (id serial PRIMARY KEY, code bigint);
