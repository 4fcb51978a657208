CREATE TYPE mood_of_the_customer_when_the_order_was_paid AS ENUM ('angry', 'sad', 'ok', 'happy');
CREATE TABLE people (id integer PRIMARY KEY, mood mood_of_the_customer_when_the_order_was_paid DEFAULT 'happy', other mood_of_the_customer_when_the_order_was_paid NOT NULL DEFAULT 'angry');
