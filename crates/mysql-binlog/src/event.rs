//! Builds records: change events (key, envelope, tombstone) and schema change events
//! (`io.debezium.connector.mysql.SchemaChangeKey` / `SchemaChangeValue` on `<topic.prefix>`).

use std::sync::{Arc, LazyLock};

use cdc_core::envelope::envelope_value;
use cdc_core::{Data, Op, ProcessingTime, Record, Schema, Value};

use crate::catalog::{Column, Table};
use crate::config::Flavor;
use crate::table::TableSchema;

/// Appends the records of one change: the event, and a tombstone after a delete when enabled.
#[allow(clippy::too_many_arguments)]
pub fn push_change(
    out: &mut Vec<Record>,
    table: &TableSchema,
    op: Op,
    before: Option<Vec<Value>>,
    after: Option<Vec<Value>>,
    source: Value,
    transaction: Option<&cdc_core::TransactionBlock>,
    tombstone: bool,
) {
    let ts = ProcessingTime::now();
    let key = after
        .as_deref()
        .or(before.as_deref())
        .and_then(|row| table.key_of(row))
        .zip(table.key_schema.clone())
        .map(|(v, s)| Data::new(s, v));
    let (mut before, mut after) = (before, after);
    if !table.value_maps.is_empty() {
        for row in [&mut before, &mut after].into_iter().flatten() {
            table.map_values(row);
        }
    }
    let value = envelope_value(
        op,
        before.map(Value::Struct),
        after.map(Value::Struct),
        source,
        transaction,
        ts,
    );
    let timestamp_ms = ts.nanos / 1_000_000;
    out.push(Record {
        topic: table.topic.clone(),
        key: key.clone(),
        value: Some(Data::new(table.envelope_schema.clone(), value)),
        headers: Vec::new(),
        timestamp_ms,
    });
    if op == Op::Delete && tombstone && key.is_some() {
        out.push(Record {
            topic: table.topic.clone(),
            key,
            value: None,
            headers: Vec::new(),
            timestamp_ms,
        });
    }
}

pub use cdc_core::envelope::key_header;

/// A truncate event: null key, no before/after.
pub fn push_truncate(out: &mut Vec<Record>, table: &TableSchema, source: Value) {
    let ts = ProcessingTime::now();
    let value = envelope_value(Op::Truncate, None, None, source, None, ts);
    out.push(Record {
        topic: table.topic.clone(),
        key: None,
        value: Some(Data::new(table.envelope_schema.clone(), value)),
        headers: Vec::new(),
        timestamp_ms: ts.nanos / 1_000_000,
    });
}

static KEY_SCHEMA: LazyLock<Arc<Schema>> = LazyLock::new(|| {
    Arc::new(
        Schema::structure("io.debezium.connector.mysql.SchemaChangeKey")
            .version(1)
            .field("databaseName", Schema::string()),
    )
});

fn column_schema() -> Schema {
    Schema::structure("io.debezium.connector.schema.Column")
        .version(1)
        .field("name", Schema::string())
        .field("jdbcType", Schema::int32())
        .field("nativeType", Schema::int32().optional())
        .field("typeName", Schema::string())
        .field("typeExpression", Schema::string().optional())
        .field("charsetName", Schema::string().optional())
        .field("length", Schema::int32().optional())
        .field("scale", Schema::int32().optional())
        .field("position", Schema::int32())
        .field("optional", Schema::boolean().optional())
        .field("autoIncremented", Schema::boolean().optional())
        .field("generated", Schema::boolean().optional())
        .field("comment", Schema::string().optional())
        .field("defaultValueExpression", Schema::string().optional())
        .field("enumValues", Schema::array(Schema::string()).optional())
}

fn table_schema() -> Schema {
    Schema::structure("io.debezium.connector.schema.Table")
        .version(1)
        .optional()
        .field("defaultCharsetName", Schema::string().optional())
        .field(
            "primaryKeyColumnNames",
            Schema::array(Schema::string()).optional(),
        )
        .field("columns", Schema::array(column_schema()))
        .field("comment", Schema::string().optional())
}

fn value_schema(flavor: Flavor) -> Arc<Schema> {
    Arc::new(
        Schema::structure("io.debezium.connector.mysql.SchemaChangeValue")
            .version(1)
            .field("source", crate::source_info::schema(flavor))
            .field("ts_ms", Schema::int64())
            .field("databaseName", Schema::string().optional())
            .field("schemaName", Schema::string().optional())
            .field("ddl", Schema::string().optional())
            .field(
                "tableChanges",
                Schema::array(
                    Schema::structure("io.debezium.connector.schema.Change")
                        .version(1)
                        .field("type", Schema::string())
                        .field("id", Schema::string())
                        .field("table", table_schema()),
                ),
            ),
    )
}

static MYSQL_VALUE: LazyLock<Arc<Schema>> = LazyLock::new(|| value_schema(Flavor::MySql));
static MARIADB_VALUE: LazyLock<Arc<Schema>> = LazyLock::new(|| value_schema(Flavor::MariaDb));

/// `java.sql.Types` of a column, as Debezium's MySQL DDL parser assigns them.
fn jdbc_type(c: &Column) -> i32 {
    match c.type_name.as_str() {
        "BIT" if c.length.unwrap_or(1) <= 1 => -7,
        "BIT" => -7,
        "BOOLEAN" | "BOOL" => 16,
        "TINYINT" => -6,
        "SMALLINT" => 5,
        "MEDIUMINT" | "INT" | "YEAR" => 4,
        "BIGINT" => -5,
        "FLOAT" => 6,
        "DOUBLE" => 8,
        "DECIMAL" => 3,
        "CHAR" | "ENUM" | "SET" => 1,
        "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" => 12,
        "BINARY" => -2,
        "VARBINARY" => -3,
        "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => 2004,
        "DATE" => 91,
        "TIME" => 92,
        "DATETIME" => 93,
        "TIMESTAMP" => 2014,
        _ => 1111,
    }
}

fn table_value(t: &Table) -> Value {
    let columns = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Value::Struct(vec![
                Value::String(c.name.as_str().into()),
                Value::Int32(jdbc_type(c)),
                Value::Null,
                Value::String(c.type_name.as_str().into()),
                Value::String(c.type_expression().into()),
                c.charset
                    .as_deref()
                    .or(t.charset.as_deref())
                    .filter(|_| matches!(jdbc_type(c), 1 | 12))
                    .map_or(Value::Null, |s| Value::String(s.into())),
                c.length.map_or(Value::Null, |l| Value::Int32(l as i32)),
                c.scale.map_or(Value::Null, |s| Value::Int32(s as i32)),
                Value::Int32(i as i32 + 1),
                Value::Boolean(c.nullable),
                Value::Boolean(c.auto_increment),
                Value::Boolean(c.auto_increment),
                // `include.schema.comments` (refused when true) leaves comments out.
                Value::Null,
                c.default
                    .as_deref()
                    .map_or(Value::Null, |s| Value::String(s.into())),
                if c.enum_values.is_empty() {
                    Value::Null
                } else {
                    Value::Array(
                        c.enum_values
                            .iter()
                            .map(|v| Value::String(v.as_str().into()))
                            .collect(),
                    )
                },
            ])
        })
        .collect();
    Value::Struct(vec![
        t.charset
            .as_deref()
            .map_or(Value::Null, |s| Value::String(s.into())),
        Value::Array(
            t.primary_key
                .iter()
                .map(|k| Value::String(k.as_str().into()))
                .collect(),
        ),
        Value::Array(columns),
        Value::Null,
    ])
}

/// One entry of `tableChanges`.
pub struct TableChange<'a> {
    /// `CREATE`, `ALTER` or `DROP`.
    pub kind: &'static str,
    /// `"db"."table"`, or `"old","new"`-style for renames as Debezium writes them.
    pub id: String,
    pub table: Option<&'a Table>,
}

/// A schema change record on the `<topic.prefix>` topic.
pub fn schema_change(
    flavor: Flavor,
    topic: &Arc<str>,
    database: &str,
    ddl: &str,
    source: Value,
    ts_ms: i64,
    changes: &[TableChange<'_>],
) -> Record {
    let value_schema = match flavor {
        Flavor::MySql => MYSQL_VALUE.clone(),
        Flavor::MariaDb => MARIADB_VALUE.clone(),
    };
    let changes = changes
        .iter()
        .map(|c| {
            Value::Struct(vec![
                Value::String(c.kind.into()),
                Value::String(c.id.as_str().into()),
                c.table.map_or(Value::Null, table_value),
            ])
        })
        .collect();
    let value = Value::Struct(vec![
        source,
        Value::Int64(ts_ms),
        Value::String(database.into()),
        Value::Null,
        Value::String(ddl.into()),
        Value::Array(changes),
    ]);
    let now = ProcessingTime::now().nanos / 1_000_000;
    Record {
        topic: topic.clone(),
        key: Some(Data::new(
            KEY_SCHEMA.clone(),
            Value::Struct(vec![Value::String(database.into())]),
        )),
        value: Some(Data::new(value_schema, value)),
        headers: Vec::new(),
        timestamp_ms: now,
    }
}

/// Debezium's table id in schema changes: `"db"."table"`.
pub fn quoted_id(db: &str, table: &str) -> String {
    format!("\"{db}\".\"{table}\"")
}
