-- A small sample database in the spirit of Debezium's tutorial `inventory`.
CREATE SCHEMA inventory;
SET search_path TO inventory;

CREATE TABLE customers (
  id serial PRIMARY KEY,
  first_name varchar(255) NOT NULL,
  last_name varchar(255) NOT NULL,
  email varchar(255) NOT NULL UNIQUE
);
CREATE TABLE products (
  id serial PRIMARY KEY,
  name varchar(255) NOT NULL,
  description varchar(512),
  weight real,
  price numeric(10, 2)
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  order_date date NOT NULL,
  purchaser int NOT NULL REFERENCES customers (id),
  quantity int NOT NULL,
  product_id int NOT NULL REFERENCES products (id),
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO customers (first_name, last_name, email) VALUES
  ('Sally', 'Thomas', 'sally.thomas@acme.com'),
  ('George', 'Bailey', 'gbailey@foobar.com'),
  ('Edward', 'Walker', 'ed@walker.com'),
  ('Anne', 'Kretchmar', 'annek@noanswer.org');
INSERT INTO products (name, description, weight, price) VALUES
  ('scooter', 'Small 2-wheel scooter', 3.14, 129.99),
  ('car battery', '12V car battery', 8.1, 89.50),
  ('12-pack drill bits', '12-pack of drill bits with sizes ranging from #40 to #3', 0.8, 14.25),
  ('hammer', '12oz carpenter''s hammer', 0.75, 19.00);
INSERT INTO orders (order_date, purchaser, quantity, product_id) VALUES
  ('2016-01-16', 1, 1, 1),
  ('2016-01-17', 2, 2, 2),
  ('2016-02-19', 2, 2, 3);
