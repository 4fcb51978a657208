CREATE TABLE "order" (
    id integer PRIMARY KEY,
    "User" text,
    "select" integer DEFAULT 1 CHECK ("select" > 0),
    "it's ""quoted""" text DEFAULT 'it''s',
    "back\slash" text DEFAULT E'a\\b',
    "trigraph??/" text DEFAULT '??=',
    "café" text
);
CREATE INDEX "Mixed Index" ON "order" ("User", "it's ""quoted""");
CREATE TABLE "My Table" (id integer PRIMARY KEY, "order id" integer REFERENCES "order");
