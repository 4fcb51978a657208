CREATE TYPE size AS ENUM ('s', 'm', 'l');
CREATE TABLE paints (id integer PRIMARY KEY, size size NOT NULL DEFAULT 'm');
