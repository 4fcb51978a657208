CREATE TABLE a (id integer, k integer NOT NULL, CONSTRAINT a_key PRIMARY KEY (id));
CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a);
