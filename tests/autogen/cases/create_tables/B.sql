CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id varchar(255) NOT NULL,
    connected_at timestamptz NOT NULL DEFAULT now(),
    last_active_at timestamptz NOT NULL DEFAULT now(),
    metadata_ jsonb
);
CREATE UNIQUE INDEX ix_users_session_id ON users (session_id);

CREATE TABLE portfolios (
    id bigserial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    name text NOT NULL,
    UNIQUE (user_id, name)
);
CREATE INDEX portfolios_name_idx ON portfolios (lower(name));
