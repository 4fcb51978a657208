CREATE TABLE accounts (
    id integer PRIMARY KEY,
    email text CONSTRAINT accounts_email_key UNIQUE,
    balance numeric CHECK (balance >= 0)
);
CREATE TABLE transfers (
    id integer PRIMARY KEY,
    account_id integer REFERENCES accounts,
    amount numeric CONSTRAINT positive CHECK (amount > 0),
    during tstzrange,
    EXCLUDE USING gist (during WITH &&)
);
