//! The mapping created from a record's Connect schema when `schema.ignore=false`
//! (Confluent's `Mapping.buildMapping`): structs as `properties`, arrays as their items, maps as
//! `key`/`value` properties, primitives by type (strings as `text` with a `keyword` sub-field),
//! Connect's `Date`/`Time`/`Timestamp` as `date` and `Decimal` as `double`; defaults as
//! `null_value` where the engine accepts one.
//!
//! Beyond Confluent: Debezium's `ZonedTimestamp` (ISO-8601 text) and `Timestamp` (milliseconds)
//! are mapped as `date`, which the engine reads as they are; other Debezium temporal types are
//! numbers whose unit `date` would misread (days, microseconds, nanoseconds), so they keep their
//! numeric type, as in Confluent.

use cdc_core::schema::logical;
use cdc_core::{Schema, SchemaType, Value};
use serde_json::{json, Map, Value as Json};

/// The mapping body for `PUT /<index>/_mapping`, or why the schema cannot be mapped.
pub fn mapping(schema: &Schema) -> Result<Json, String> {
    let mut out = Map::new();
    build(schema, &mut out)?;
    Ok(Json::Object(out))
}

fn build(schema: &Schema, out: &mut Map<String, Json>) -> Result<(), String> {
    match schema.name.as_deref() {
        Some(logical::CONNECT_DATE | logical::CONNECT_TIME | logical::CONNECT_TIMESTAMP) => {
            return primitive(out, "date", schema.default.as_ref());
        }
        Some(logical::DECIMAL) => {
            let default = schema
                .default
                .as_ref()
                .and_then(|d| decimal_f64(schema, d))
                .map(Value::Float64);
            return primitive(out, "double", default.as_ref());
        }
        // Text the engine parses, and milliseconds since the epoch (its default format).
        Some(logical::ZONED_TIMESTAMP | logical::TIMESTAMP) => return primitive(out, "date", None),
        _ => {}
    }
    match schema.kind {
        SchemaType::Array => {
            let items = schema
                .items
                .as_deref()
                .ok_or("an array schema without items")?;
            build(items, out)
        }
        SchemaType::Map => {
            let keys = schema.keys.as_deref().ok_or("a map schema without keys")?;
            let values = schema
                .items
                .as_deref()
                .ok_or("a map schema without values")?;
            let mut k = Map::new();
            build(keys, &mut k)?;
            let mut v = Map::new();
            build(values, &mut v)?;
            out.insert("properties".into(), json!({"key": k, "value": v}));
            Ok(())
        }
        SchemaType::Struct => {
            let mut props = Map::new();
            for f in &schema.fields {
                let mut m = Map::new();
                build(&f.schema, &mut m)?;
                props.insert(f.name.clone(), Json::Object(m));
            }
            out.insert("properties".into(), Json::Object(props));
            Ok(())
        }
        kind => {
            let t = match kind {
                SchemaType::Boolean => "boolean",
                SchemaType::Int8 => "byte",
                SchemaType::Int16 => "short",
                SchemaType::Int32 => "integer",
                SchemaType::Int64 => "long",
                SchemaType::Float32 => "float",
                SchemaType::Float64 => "double",
                SchemaType::String => "text",
                _ => "binary",
            };
            primitive(out, t, schema.default.as_ref())
        }
    }
}

fn primitive(out: &mut Map<String, Json>, t: &str, default: Option<&Value>) -> Result<(), String> {
    out.insert("type".into(), json!(t));
    if t == "text" {
        out.insert(
            "fields".into(),
            json!({"keyword": {"type": "keyword", "ignore_above": 256}}),
        );
    }
    // No null_value for text and binary: the engine has none for them.
    let null_value = match default {
        Some(Value::Boolean(b)) => json!(b),
        Some(Value::Int8(v)) => json!(v),
        Some(Value::Int16(v)) => json!(v),
        Some(Value::Int32(v)) => json!(v),
        Some(Value::Int64(v)) => json!(v),
        Some(Value::Float32(v)) => json!(v),
        Some(Value::Float64(v)) => json!(v),
        _ => Json::Null,
    };
    if !null_value.is_null() && !matches!(t, "text" | "binary") {
        out.insert("null_value".into(), null_value);
    }
    Ok(())
}

/// A Connect `Decimal` (big-endian two's-complement unscaled bytes) as the nearest double.
pub(super) fn decimal_f64(schema: &Schema, value: &Value) -> Option<f64> {
    let Value::Bytes(b) = value else { return None };
    let scale = schema
        .parameter("scale")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    cdc_core::decimal::unscaled_to_string(b, scale).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_struct_maps_field_by_field_as_confluent_does() {
        let schema = Schema::structure("v")
            .field("id", Schema::int32())
            .field("name", Schema::string().optional())
            .field(
                "price",
                Schema::bytes().named(logical::DECIMAL).param("scale", "2"),
            )
            .field("at", Schema::int64().named(logical::CONNECT_TIMESTAMP))
            .field("n", Schema::int64().default_value(Value::Int64(7)))
            .field("tags", Schema::array(Schema::string()))
            .field("ts", Schema::int64().named(logical::TIMESTAMP))
            .field("us", Schema::int64().named(logical::MICRO_TIMESTAMP));
        assert_eq!(
            mapping(&schema).unwrap(),
            json!({"properties": {
                "id": {"type": "integer"},
                "name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
                "price": {"type": "double"},
                "at": {"type": "date"},
                "n": {"type": "long", "null_value": 7},
                "tags": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
                "ts": {"type": "date"},
                "us": {"type": "long"},
            }})
        );
    }
}
