CREATE TABLE keeper (id integer PRIMARY KEY, parent_id integer);
CREATE TABLE new_name (id integer PRIMARY KEY, v text);
