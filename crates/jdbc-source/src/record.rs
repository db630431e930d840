//! Records as Confluent's source writes them (research §4, `SchemaMapping`): no key, the value a
//! struct named after the bare table (unnamed for a custom query) with one field per mapped
//! column in result-set order, optional when the column may be NULL; columns of unmapped types
//! left out. And what the log says about polling's blind spots.

use std::sync::Arc;

use cdc_core::{Data, Record, Schema, Value};

use crate::config::NumericMapping;
use crate::types::{schema_of, Jdbc};

/// A result set's column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's label.
    pub name: String,
    pub jdbc: Jdbc,
    /// NULL allowed (or unknown, as for an expression in a custom query).
    pub nullable: bool,
}

/// The value schema of a table's (or query's) rows, and which columns it keeps.
#[derive(Debug, Clone)]
pub struct RowSchema {
    pub schema: Arc<Schema>,
    /// Index into the result set of each field.
    pub kept: Vec<usize>,
    /// Columns left out, by name and type, for the log.
    pub dropped: Vec<(String, String)>,
}

/// The struct schema of `columns`, named `name` (the bare table; `None` for a query).
pub fn row_schema(name: Option<&str>, columns: &[Column], mapping: NumericMapping) -> RowSchema {
    let mut schema = match name {
        Some(n) => Schema::structure(n),
        None => Schema::new(cdc_core::SchemaType::Struct),
    };
    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    for (i, c) in columns.iter().enumerate() {
        match schema_of(&c.jdbc, mapping) {
            Some(s) => {
                let s = if c.nullable { s.optional() } else { s };
                schema = schema.field(c.name.clone(), s);
                kept.push(i);
            }
            None => {
                let t = match &c.jdbc {
                    Jdbc::Other(t) => t.clone(),
                    other => format!("{other:?}"),
                };
                dropped.push((c.name.clone(), t));
            }
        }
    }
    RowSchema {
        schema: Arc::new(schema),
        kept,
        dropped,
    }
}

/// One row as a record on `topic`: `fields` are the record's, in field order.
pub fn record(topic: &Arc<str>, row: &RowSchema, fields: Vec<Value>, now_ms: i64) -> Record {
    Record {
        topic: topic.clone(),
        key: None,
        value: Some(Data::new(row.schema.clone(), Value::Struct(fields))),
        headers: Vec::new(),
        timestamp_ms: now_ms,
    }
}

/// What the worker logs at start: polling cannot see deletes, intermediate updates or
/// transactions that commit out of order, and when the database could serve log-based
/// capture (`wal_level`, `binlog_format` as the database reports them), which connector does.
pub fn polling_warning(
    connector: &str,
    wal_level: Option<&str>,
    binlog_format: Option<&str>,
) -> String {
    let mut m = format!(
        "{connector}: the JDBC source polls with queries: it does not see deletes, sees only the latest of several updates between two polls, and can miss rows committed out of order"
    );
    if wal_level.is_some_and(|w| w.eq_ignore_ascii_case("logical")) {
        m.push_str("; this PostgreSQL has wal_level=logical: io.debezium.connector.postgresql.PostgresConnector would capture every change");
    }
    if binlog_format.is_some_and(|f| f.eq_ignore_ascii_case("ROW")) {
        m.push_str("; this server writes a ROW binlog: io.debezium.connector.mysql.MySqlConnector (or MariaDbConnector) would capture every change");
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, jdbc: Jdbc, nullable: bool) -> Column {
        Column {
            name: name.into(),
            jdbc,
            nullable,
        }
    }

    #[test]
    fn rows_become_a_struct_named_after_the_table_without_unmapped_columns() {
        let columns = [
            col("id", Jdbc::Integer { unsigned: false }, false),
            col("tags", Jdbc::Other("_text".into()), true),
            col("name", Jdbc::Text, true),
        ];
        let row = row_schema(Some("products"), &columns, NumericMapping::None);
        assert_eq!(row.schema.name.as_deref(), Some("products"));
        let names: Vec<&str> = row.schema.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "name"]);
        assert!(!row.schema.fields[0].schema.optional);
        assert!(row.schema.fields[1].schema.optional);
        assert_eq!(row.dropped, [("tags".to_owned(), "_text".to_owned())]);
        let topic: Arc<str> = "pg-products".into();
        // The pass reads only the kept columns (`RowPlan`), in field order.
        let values = [Value::Int32(1), Value::Null, Value::String("x".into())];
        let fields = row.kept.iter().map(|&i| values[i].clone()).collect();
        let r = record(&topic, &row, fields, 5);
        assert!(r.key.is_none());
        assert_eq!(
            r.value.unwrap().value,
            Value::Struct(vec![Value::Int32(1), Value::String("x".into())])
        );
        let q = row_schema(None, &columns[..1], NumericMapping::None);
        assert_eq!(q.schema.name, None);
    }

    #[test]
    fn the_log_names_what_polling_misses_and_the_cdc_connector_when_it_would_work() {
        let pg = polling_warning("pg-src", Some("logical"), None);
        assert!(pg.contains("does not see deletes"));
        assert!(pg.contains("PostgresConnector"));
        assert!(!polling_warning("pg-src", Some("replica"), None).contains("PostgresConnector"));
        assert!(polling_warning("my", None, Some("ROW")).contains("MySqlConnector"));
    }
}
