CREATE TABLE parent (id integer PRIMARY KEY, name text);
CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent);
CREATE TABLE keeper (id integer PRIMARY KEY, parent_id integer REFERENCES parent);
CREATE TABLE old_name (id integer PRIMARY KEY, v text);
