CREATE TABLE items (
    id integer GENERATED ALWAYS AS IDENTITY,
    price numeric(10,2) NOT NULL,
    qty integer NOT NULL,
    code integer GENERATED ALWAYS AS IDENTITY,
    total numeric GENERATED ALWAYS AS (price * qty * 2) STORED,
    serial_no integer GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 10),
    doubled integer GENERATED ALWAYS AS (qty * 2) STORED
);
