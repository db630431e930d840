//! Golden tests of the type mapping against the real server: each column is read back in the
//! binary format (RawValue) and as text (simple query protocol), both decodings must give the same value,
//! and schema and payload are asserted as the JSON Debezium documents.

use std::sync::Arc;

use cdc_core::json::{schema_json, JsonConverter};
use cdc_core::record::Data;
use cdc_core::{Schema, Value};
use pg_wal::convert::{
    binary_supported, column_schema, decode_binary, decode_text, BinaryHandling, ConvertError,
    DecimalHandling, HstoreHandling, IntervalHandling, PgTypeKind, RawValue, TimePrecision,
    TypeModes, TypeRegistry,
};
use serde_json::{json, Value as Json};
use tokio_postgres::SimpleQueryMessage;

use crate::support::PgFixture;

/// One column read back both ways.
struct Column {
    name: String,
    schema: Schema,
    values: Vec<Value>,
}

impl Column {
    /// The schema as JsonConverter writes it.
    fn schema(&self) -> Json {
        schema_json(&self.schema)
    }

    /// Each row's payload, as a one-field struct without schemas.
    fn payloads(&self) -> Vec<Json> {
        let record = Arc::new(Schema::structure("v").field(self.name.clone(), self.schema.clone()));
        let converter = JsonConverter {
            schemas_enable: false,
            ..Default::default()
        };
        self.values
            .iter()
            .map(|v| converter.to_json(&Data::new(record.clone(), Value::Struct(vec![v.clone()]))))
            .collect()
    }
}

/// Reads `col` of every row of `table` (ordered by `id`) in binary and in text, decodes both and
/// checks they agree. `None` when the column is skipped (no schema).
async fn read(db: &PgFixture, table: &str, col: &str, modes: &TypeModes) -> Option<Column> {
    let registry = TypeRegistry::load(&db.client).await.expect("load types");
    let meta = db
        .client
        .query_one(
            "SELECT atttypid, atttypmod, NOT attnotnull FROM pg_attribute \
             WHERE attrelid = $1::text::regclass AND attname = $2",
            &[&table, &col],
        )
        .await
        .expect("column metadata");
    let (oid, typmod, nullable): (u32, i32, bool) = (meta.get(0), meta.get(1), meta.get(2));
    let ty = registry.resolve(oid).expect("type in registry");
    let schema = column_schema(ty, typmod, nullable, modes)?;

    // The simple query protocol returns each value in its output function's text form: what
    // pgoutput sends without `binary` (a `::text` cast would trim bpchar's padding).
    let text: Vec<Value> =
        db.client
            .simple_query(&format!("SELECT {col} FROM {table} ORDER BY id"))
            .await
            .expect("text query")
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(match row.get(0) {
                    Some(s) => decode_text(ty, typmod, s, modes)
                        .unwrap_or_else(|e| panic!("{col} text: {e}")),
                    None => Value::Null,
                }),
                _ => None,
            })
            .collect();

    let column = Column {
        name: col.to_owned(),
        schema,
        values: text,
    };
    if binary_supported(ty, typmod, modes) {
        let rows = db
            .client
            .query(&format!("SELECT {col} FROM {table} ORDER BY id"), &[])
            .await
            .expect("binary query");
        let binary = Column {
            values: rows
                .iter()
                .map(|r| match r.get::<_, Option<RawValue>>(0) {
                    Some(raw) => decode_binary(ty, typmod, raw.0, modes)
                        .unwrap_or_else(|e| panic!("{col} binary: {e}")),
                    None => Value::Null,
                })
                .collect(),
            name: column.name.clone(),
            schema: column.schema.clone(),
        };
        // Compared as JSON, where NaN equals NaN.
        assert_eq!(
            binary.payloads(),
            column.payloads(),
            "{col}: binary and text decodings differ"
        );
    }
    Some(column)
}

/// Reads a column and returns (schema JSON, payload JSONs).
async fn golden(db: &PgFixture, table: &str, col: &str, modes: &TypeModes) -> (Json, Vec<Json>) {
    let c = read(db, table, col, modes)
        .await
        .unwrap_or_else(|| panic!("{col} has no schema"));
    (c.schema(), c.payloads())
}

fn modes() -> TypeModes {
    TypeModes::default()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

mod arrays;
mod catalog;
mod geometry;
mod numbers;
mod strings;
mod temporal;
