CREATE TYPE mood AS ENUM ('angry', 'sad', 'ok', 'happy');
CREATE TABLE people (id integer PRIMARY KEY, mood mood DEFAULT 'happy', other mood NOT NULL DEFAULT 'angry');
