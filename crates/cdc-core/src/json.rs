//! Kafka Connect's `org.apache.kafka.connect.json.JsonConverter`, byte for byte where it matters.

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use crate::record::Data;
use crate::schema::{Schema, SchemaType};
use crate::value::Value;

/// How `org.apache.kafka.connect.data.Decimal` values are written (`decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    #[default]
    Base64,
    Numeric,
}

/// The JSON converter (`schemas.enable`, `decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonConverter {
    pub schemas_enable: bool,
    pub decimal_format: DecimalFormat,
}

impl Default for JsonConverter {
    fn default() -> Self {
        JsonConverter {
            schemas_enable: true,
            decimal_format: DecimalFormat::Base64,
        }
    }
}

impl JsonConverter {
    /// Serializes a key or value; `None` (a null key or a tombstone) stays `None`.
    /// The bytes JsonConverter writes for `data` (`None` for a tombstone). Written by
    /// [`crate::json_write`], so `decimal.format=NUMERIC` decimals keep every digit (a
    /// [`Json`] tree holds numbers as doubles).
    pub fn to_bytes(&self, data: Option<&Data>) -> Option<Vec<u8>> {
        let data = data?;
        let mut out = Vec::with_capacity(256);
        if self.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            let _ = serde_json::to_writer(&mut out, &schema_json(&data.schema));
            out.extend_from_slice(b",\"payload\":");
        }
        crate::json_write::write_payload(&mut out, self.decimal_format, &data.schema, &data.value);
        if self.schemas_enable {
            out.push(b'}');
        }
        Some(out)
    }

    /// `data` as a JSON tree. A `decimal.format=NUMERIC` decimal past a double's 17 digits is
    /// rounded here: write bytes with [`JsonConverter::to_bytes`].
    pub fn to_json(&self, data: &Data) -> Json {
        let payload = self.value_json(&data.schema, &data.value);
        if self.schemas_enable {
            let mut env = Map::with_capacity(2);
            env.insert("schema".into(), schema_json(&data.schema));
            env.insert("payload".into(), payload);
            Json::Object(env)
        } else {
            payload
        }
    }

    fn value_json(&self, schema: &Schema, value: &Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Boolean(b) => Json::Bool(*b),
            Value::Int8(v) => Json::from(*v),
            Value::Int16(v) => Json::from(*v),
            Value::Int32(v) => Json::from(*v),
            Value::Int64(v) => Json::from(*v),
            Value::Float32(v) => float32_json(*v),
            Value::Float64(v) => float_json(*v),
            Value::String(s) => Json::String(s.to_string()),
            Value::Bytes(b) => {
                if self.decimal_format == DecimalFormat::Numeric
                    && schema.name.as_deref() == Some(crate::schema::logical::DECIMAL)
                {
                    let scale = schema
                        .parameter("scale")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    decimal_numeric(b, scale)
                } else {
                    Json::String(base64::engine::general_purpose::STANDARD.encode(b))
                }
            }
            Value::Array(items) => {
                let item_schema = schema.items.as_deref();
                Json::Array(
                    items
                        .iter()
                        .map(|v| match item_schema {
                            Some(s) => self.value_json(s, v),
                            None => self.value_json(schema, v),
                        })
                        .collect(),
                )
            }
            Value::Map(entries) => {
                let key_schema = schema.keys.as_deref();
                let value_schema = schema.items.as_deref().unwrap_or(schema);
                let string_keys = key_schema.is_none_or(|k| k.kind == SchemaType::String);
                if string_keys {
                    let mut obj = Map::with_capacity(entries.len());
                    for (k, v) in entries {
                        let key = match k {
                            Value::String(s) => s.to_string(),
                            other => format!("{other:?}"),
                        };
                        obj.insert(key, self.value_json(value_schema, v));
                    }
                    Json::Object(obj)
                } else {
                    let ks = key_schema.unwrap_or(schema);
                    Json::Array(
                        entries
                            .iter()
                            .map(|(k, v)| {
                                Json::Array(vec![
                                    self.value_json(ks, k),
                                    self.value_json(value_schema, v),
                                ])
                            })
                            .collect(),
                    )
                }
            }
            Value::Struct(values) => {
                let mut obj = Map::with_capacity(schema.fields.len());
                for (field, v) in schema.fields.iter().zip(values) {
                    // `replace.null.with.default` (true by default): Connect's JsonConverter
                    // writes a null field's schema default in its place.
                    let v = match (v, &field.schema.default) {
                        (Value::Null, Some(d)) => d,
                        _ => v,
                    };
                    obj.insert(field.name.clone(), self.value_json(&field.schema, v));
                }
                Json::Object(obj)
            }
        }
    }
}

/// Jackson writes non-finite doubles as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn float_json(v: f64) -> Json {
    if v.is_nan() {
        Json::String("NaN".into())
    } else if v.is_infinite() {
        Json::String(if v > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
    }
}

/// Jackson writes a float with `Float.toString`, the shortest digits that read back as the same
/// float (3.3f is `3.3`, not the double `3.299999952316284`).
fn float32_json(v: f32) -> Json {
    float_json(float32_as_written(v))
}

/// The double a float32 is written as: its shortest decimal digits, as Java's `Float.toString`
/// gives them to Jackson (0.1f is `0.1`, not `0.10000000149011612`).
pub fn float32_as_written(v: f32) -> f64 {
    if !v.is_finite() {
        return f64::from(v);
    }
    v.to_string().parse().unwrap_or(f64::from(v))
}

/// Renders a big-endian two's complement unscaled value with `scale` as a JSON number.
fn decimal_numeric(bytes: &[u8], scale: i32) -> Json {
    let digits = crate::decimal::unscaled_to_string(bytes, scale);
    serde_json::from_str(&digits).unwrap_or(Json::String(digits))
}

/// The `schema` part of a JsonConverter envelope, in Connect's field order.
pub fn schema_json(schema: &Schema) -> Json {
    let mut obj = Map::new();
    obj.insert("type".into(), Json::String(schema.kind.json_name().into()));
    match schema.kind {
        SchemaType::Struct => {
            let fields = schema
                .fields
                .iter()
                .map(|f| {
                    let mut fj = schema_json(&f.schema);
                    if let Json::Object(m) = &mut fj {
                        m.insert("field".into(), Json::String(f.name.clone()));
                    }
                    fj
                })
                .collect();
            obj.insert("fields".into(), Json::Array(fields));
        }
        SchemaType::Array => {
            if let Some(items) = &schema.items {
                obj.insert("items".into(), schema_json(items));
            }
        }
        SchemaType::Map => {
            if let Some(keys) = &schema.keys {
                obj.insert("keys".into(), schema_json(keys));
            }
            if let Some(values) = &schema.items {
                obj.insert("values".into(), schema_json(values));
            }
        }
        _ => {}
    }
    obj.insert("optional".into(), Json::Bool(schema.optional));
    if let Some(name) = &schema.name {
        obj.insert("name".into(), Json::String(name.clone()));
    }
    if let Some(v) = schema.version {
        obj.insert("version".into(), Json::from(v));
    }
    if let Some(doc) = &schema.doc {
        obj.insert("doc".into(), Json::String(doc.clone()));
    }
    if !schema.parameters.is_empty() {
        let params = schema
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect();
        obj.insert("parameters".into(), Json::Object(params));
    }
    if let Some(default) = &schema.default {
        let conv = JsonConverter {
            schemas_enable: false,
            decimal_format: DecimalFormat::Base64,
        };
        obj.insert("default".into(), conv.value_json(schema, default));
    }
    Json::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn struct_schema_puts_field_name_last_like_connect() {
        let s = Arc::new(
            Schema::structure("p.public.t.Value")
                .optional()
                .field("id", Schema::int32()),
        );
        let data = Data::new(s, Value::Struct(vec![Value::Int32(7)]));
        let out =
            String::from_utf8(JsonConverter::default().to_bytes(Some(&data)).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":true,"name":"p.public.t.Value"},"payload":{"id":7}}"#
        );
    }

    #[test]
    fn schemaless_writes_bare_payload_and_special_floats_as_strings() {
        let s = Arc::new(
            Schema::structure("v")
                .field("a", Schema::float64())
                .field("b", Schema::bytes().optional()),
        );
        let data = Data::new(
            s,
            Value::Struct(vec![Value::Float64(f64::NAN), Value::Bytes(vec![0xff])]),
        );
        let conv = JsonConverter {
            schemas_enable: false,
            ..Default::default()
        };
        let out = String::from_utf8(conv.to_bytes(Some(&data)).unwrap()).unwrap();
        assert_eq!(out, r#"{"a":"NaN","b":"/w=="}"#);
    }

    #[test]
    fn float32_keeps_its_shortest_digits() {
        let s = Arc::new(Schema::structure("v").field("f", Schema::float32()));
        let data = Data::new(s, Value::Struct(vec![Value::Float32(3.3)]));
        let conv = JsonConverter {
            schemas_enable: false,
            ..Default::default()
        };
        assert_eq!(conv.to_bytes(Some(&data)).unwrap(), br#"{"f":3.3}"#);
    }

    #[test]
    fn tombstone_is_null_bytes() {
        assert_eq!(JsonConverter::default().to_bytes(None), None);
    }
}
