-- The declared schema: the database as the revisions in versions/ leave it
-- at head.  Change it, then let `retort revision --autogenerate -m MSG`
-- write the revision that gets the database there (see README.md).
-- Plain SQL, loaded into an empty scratch database: no psql commands.

-- One row per client session, looked up by session_id.
CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id varchar(255) NOT NULL,
    connected_at timestamptz NOT NULL DEFAULT now(),
    last_active_at timestamptz NOT NULL DEFAULT now(),
    metadata_ jsonb
);

CREATE UNIQUE INDEX ix_users_session_id ON users (session_id);
