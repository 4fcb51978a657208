CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id varchar(255) NOT NULL,
    connected_at timestamptz NOT NULL DEFAULT now(),
    last_active_at timestamptz NOT NULL DEFAULT now(),
    metadata_ jsonb
);
CREATE UNIQUE INDEX ix_users_session_id ON users (session_id);

CREATE TABLE events (
    id integer PRIMARY KEY,
    kind text NOT NULL DEFAULT 'other',
    amount bigint DEFAULT 1,
    label varchar(20),
    note text,
    happened timestamptz,
    payload integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    new_flag boolean
);
