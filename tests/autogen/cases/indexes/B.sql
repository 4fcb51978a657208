CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id varchar(255) NOT NULL,
    connected_at timestamptz NOT NULL DEFAULT now(),
    last_active_at timestamptz NOT NULL DEFAULT now(),
    metadata_ jsonb
);
CREATE UNIQUE INDEX ix_users_session_id ON users (session_id);

CREATE TABLE notes (id integer PRIMARY KEY, body text, author text, old text);
CREATE INDEX notes_author_idx ON notes USING hash (author);
CREATE INDEX notes_body_lower ON notes (lower(body)) WHERE body <> '';
CREATE UNIQUE INDEX notes_author_body ON notes (author, body);
CREATE INDEX users_connected_idx ON users (connected_at DESC);
