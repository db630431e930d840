//! The JDBC sink's pure parts (see `CONTEXT.md` beside this file): everything between a
//! [`cdc_core::SinkRecord`] and the SQL text plus bound values a writer sends, with no
//! connection and no driver.
//!
//! * [`url`]: `jdbc:postgresql:`/`jdbc:mysql:`/`jdbc:mariadb:` URLs, every parameter mapped or refused.
//! * [`config`]: [`JdbcSinkConfig`] from Debezium's or Confluent's property names.
//! * [`dialect`]: identifier quoting (always), naming, placeholders.
//! * [`column_type`]: the column type for a Connect schema, per dialect.
//! * [`statement`]: SQL text: DDL, multi-row INSERT/UPSERT, UPDATE, DELETE, TRUNCATE;
//!   [`offsets_table`]: the exactly-once bookkeeping table.
//! * [`record`]: a sink record to a row operation (Debezium's envelope or a flat record);
//!   [`key`] the primary key per mode; [`collection`] the table name from its format.
//! * [`bind`]: [`SqlValue`], the values a writer binds.

pub mod bind;
pub mod collection;
pub mod column_type;
pub mod config;
pub mod ddl;
pub mod dialect;
pub mod key;
pub mod my_value;
pub mod my_writer;
pub mod offsets_table;
pub mod pg_array;
pub mod pg_text;
pub mod pg_writer;
pub mod record;
pub mod statement;
pub mod task;
mod temporal;
pub mod url;

pub use bind::SqlValue;
pub use config::JdbcSinkConfig;
pub use dialect::{Dialect, Ident, TableName};
pub use task::JdbcSinkTask;
