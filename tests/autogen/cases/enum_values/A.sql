CREATE TYPE mood_of_the_customer_when_the_order_was_paid AS ENUM ('sad', 'ok');
CREATE TABLE people (id integer PRIMARY KEY, mood mood_of_the_customer_when_the_order_was_paid);
