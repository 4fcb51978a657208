CREATE TABLE a (id integer PRIMARY KEY, k integer NOT NULL);
CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a);
