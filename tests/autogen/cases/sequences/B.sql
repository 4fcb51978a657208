CREATE SEQUENCE counter INCREMENT BY 5 MAXVALUE 1000000 CACHE 2;
CREATE SEQUENCE invoice_no AS integer;
CREATE TABLE tickets (id serial PRIMARY KEY, code bigint DEFAULT nextval('invoice_no'));
CREATE TABLE orders (n bigserial PRIMARY KEY);
