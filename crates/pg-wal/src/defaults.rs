//! Column defaults as Debezium's PostgreSQL connector puts them into Connect schemas, and the
//! values it gives a NOT NULL column that has no value (a DELETE's old tuple under REPLICA
//! IDENTITY DEFAULT carries only the key).
//!
//! Debezium (`PostgresDefaultValueConverter`): only types with a default-value mapper get a
//! default. A function call (`nextval(...)`, `now()`, ...) or a current-time keyword gives the
//! type's placeholder (0, "", the epoch, ...); otherwise the text inside the first pair of
//! quotes, or the bare text, is parsed as the column's text output; `NULL::...` and anything
//! that does not parse give no default. Checked against Debezium 3.6.1 by the differential
//! tests (`tests/differential/pg.rs`).

use cdc_core::schema::logical;
use cdc_core::{Schema, SchemaType, Value};

use crate::convert::{ColumnCodec, PgType};

/// The placeholder Debezium parses for a function or current-time default, by type name; `None`
/// for types without a default-value mapper (they never get a default).
fn placeholder(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "int2" | "int4" | "int8" | "smallserial" | "serial" | "bigserial" | "oid" => "0",
        "numeric" | "float4" | "float8" => "0.0",
        "bool" => "false",
        "bpchar" | "varchar" | "text" | "xml" => "",
        "json" | "jsonb" => "{}",
        "uuid" => "00000000-0000-0000-0000-000000000000",
        "date" | "timestamp" | "timestamptz" => "1970-01-01",
        "time" => "00:00",
        "interval" => "00:00:00",
        "bit" => "00",
        "varbit" => "0",
        _ => return None,
    })
}

fn is_function(expr: &str) -> bool {
    let s = expr.strip_prefix('(').unwrap_or(expr);
    let name_len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        .count();
    name_len > 0 && s[name_len..].starts_with('(') && expr.trim_end().ends_with(')')
}

fn is_current_time(expr: &str) -> bool {
    [
        "current_timestamp",
        "current_time",
        "current_date",
        "localtime",
        "localtimestamp",
    ]
    .iter()
    .any(|k| expr.eq_ignore_ascii_case(k))
}

/// The schema default of a column with DEFAULT `expr` (`pg_get_expr` text), as Debezium gives
/// it; `None` when Debezium gives none.
pub fn column_default(ty: &PgType, codec: &ColumnCodec, expr: &str) -> Option<Value> {
    let expr = expr.trim();
    let is_enum = matches!(ty.kind, crate::convert::PgTypeKind::Enum { .. });
    let placeholder = placeholder(&ty.name);
    if placeholder.is_none() && !is_enum {
        return None;
    }
    let text: &str = if is_function(expr) || is_current_time(expr) {
        placeholder?
    } else if let Some(start) = expr.find('\'') {
        let rest = &expr[start + 1..];
        &rest[..rest.find('\'')?]
    } else if expr.len() >= 4 && expr[..4].eq_ignore_ascii_case("null") {
        return None;
    } else {
        expr
    };
    match codec.decode_text(text) {
        // Connect cannot hold a struct default (KAFKA-12694): Debezium drops it.
        Ok(Value::Struct(_)) | Ok(Value::Null) | Err(_) => None,
        Ok(v) => Some(v),
    }
}

/// What Debezium's value converters give a NOT NULL column without a value: the field's
/// default, else the type's zero.
pub fn missing_value(schema: &Schema) -> Value {
    if let Some(d) = &schema.default {
        return d.clone();
    }
    match schema.name.as_deref() {
        Some(logical::ZONED_TIMESTAMP) => return Value::String("1970-01-01T00:00:00Z".into()),
        Some(logical::DECIMAL) => return Value::Bytes(vec![0]),
        _ => {}
    }
    match schema.kind {
        SchemaType::Int8 => Value::Int8(0),
        SchemaType::Int16 => Value::Int16(0),
        SchemaType::Int32 => Value::Int32(0),
        SchemaType::Int64 => Value::Int64(0),
        SchemaType::Float32 => Value::Float32(0.0),
        SchemaType::Float64 => Value::Float64(0.0),
        SchemaType::Boolean => Value::Boolean(false),
        SchemaType::String => Value::String("".into()),
        SchemaType::Bytes => Value::Bytes(Vec::new()),
        SchemaType::Array => Value::Array(Vec::new()),
        SchemaType::Map => Value::Map(Vec::new()),
        SchemaType::Struct => Value::Null,
    }
}

/// Gives every null in a row of a non-optional field [`missing_value`].
pub fn fill_missing(schema: &Schema, row: &mut [Value]) {
    for (field, v) in schema.fields.iter().zip(row.iter_mut()) {
        if v.is_null() && !field.schema.optional {
            *v = missing_value(&field.schema);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_defaults_are_recognised() {
        assert!(is_function("nextval('t_id_seq'::regclass)"));
        assert!(is_function("now()"));
        assert!(is_function("(now() + '1 day'::interval)"));
        assert!(!is_function("'abc'::character varying"));
        assert!(!is_function("42"));
        assert!(is_current_time("CURRENT_TIMESTAMP"));
    }

    #[test]
    fn missing_values_are_zeroes_or_the_default() {
        assert_eq!(missing_value(&Schema::int32()), Value::Int32(0));
        assert_eq!(missing_value(&Schema::string()), Value::String("".into()));
        let with_default = Schema::int64().default_value(Value::Int64(7));
        assert_eq!(missing_value(&with_default), Value::Int64(7));
    }
}
