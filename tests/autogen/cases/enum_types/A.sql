CREATE TYPE color AS ENUM ('red', 'green');
CREATE TABLE paints (id integer PRIMARY KEY, color color);
