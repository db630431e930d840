//! Tributary's sink connectors (`docs/decisions/sink-runtime.md`): what a sink task does with
//! the records the runtime hands it.
//!
//! * [`jdbc`]: the JDBC sink under Debezium's (`io.debezium.connector.jdbc.JdbcSinkConnector`)
//!   and Confluent's (`io.confluent.connect.jdbc.JdbcSinkConnector`) class names, into
//!   PostgreSQL, MySQL and MariaDB. So far its pure parts: the JDBC URL, the config, dialects
//!   (identifier quoting), column types, SQL text, records to row operations and bound values.
//!   The writer (connections, transactions, batching, exactly-once bookkeeping) comes next.
//! * [`s3`]: Confluent's S3 sink (`io.confluent.connect.s3.S3SinkConnector`): objects named as
//!   Confluent names them, JSON and byte-array formats, exactly once by construction.
//! * [`search`]: Confluent's Elasticsearch sink
//!   (`io.confluent.connect.elasticsearch.ElasticsearchSinkConnector`) for Elasticsearch 7/8 and
//!   OpenSearch 2 over `_bulk`: document ids from keys or offsets, external versions from
//!   offsets, mappings from Connect schemas, retries of what may pass.

#[cfg(feature = "jdbc")]
pub mod jdbc;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "search")]
pub mod search;
