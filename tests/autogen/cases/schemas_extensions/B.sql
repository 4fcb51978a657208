CREATE SCHEMA "Sales Data";
CREATE EXTENSION citext;
CREATE TABLE "Sales Data".leads (id integer PRIMARY KEY, email citext NOT NULL);
