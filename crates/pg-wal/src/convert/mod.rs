//! Mapping PostgreSQL column types and values to Connect schemas and values, as Debezium does.
