CREATE TABLE accounts (id integer PRIMARY KEY, email text, balance numeric);
CREATE TABLE transfers (
    id integer,
    account_id integer,
    amount numeric,
    during tstzrange
);
