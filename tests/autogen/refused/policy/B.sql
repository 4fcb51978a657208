CREATE TABLE t (id int);
CREATE POLICY p ON t USING (id > 0);
