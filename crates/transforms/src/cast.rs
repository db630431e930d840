//! Connect's `Cast$Key`/`$Value`: fields (or the whole key or value) to another primitive type,
//! with Java's conversions: numbers narrowed as `Number.byteValue()` and its siblings do,
//! strings parsed strictly, booleans as 1/0, decimals as `BigDecimal`, dates and timestamps
//! written as `Values.dateFormatFor` writes them, bytes as base64, floats as Java prints them.

use std::sync::Arc;

use base64::Engine as _;
use cdc_core::{ConfigErrors, ConfigMap, Field, Schema, SchemaAndValue, SchemaType, Value};

use crate::chain::Props;
use crate::structs::{
    field_value, map_get, map_put, require_map, require_struct, struct_basics, SchemaMemo, Side,
    DECIMAL,
};
use crate::{ConnectRecord, Transform};

pub const CLASSES: &[&str] = &[
    "org.apache.kafka.connect.transforms.Cast$Key",
    "org.apache.kafka.connect.transforms.Cast$Value",
];

const OUTPUT: &[(&str, SchemaType)] = &[
    ("INT8", SchemaType::Int8),
    ("INT16", SchemaType::Int16),
    ("INT32", SchemaType::Int32),
    ("INT64", SchemaType::Int64),
    ("FLOAT32", SchemaType::Float32),
    ("FLOAT64", SchemaType::Float64),
    ("BOOLEAN", SchemaType::Boolean),
    ("STRING", SchemaType::String),
];

struct Cast {
    side: Side,
    /// The whole value's target type, or the fields' (`None` when it is the fields').
    whole: Option<SchemaType>,
    fields: Vec<(String, SchemaType)>,
    schemas: SchemaMemo,
}

/// The transform `class` configured from `prefix`'s properties; `None` for a class not here.
pub fn build(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Option<Result<Box<dyn Transform>, ConfigErrors>> {
    let side = match Side::split(class)? {
        ("org.apache.kafka.connect.transforms.Cast", side) => side,
        _ => return None,
    };
    let mut p = Props::new(config, prefix);
    let spec = p.list("spec");
    if spec.is_empty() {
        p.problem("spec", "Must specify at least one field to cast.");
    }
    let target = |name: &str| {
        let upper = name.trim().to_ascii_uppercase();
        OUTPUT.iter().find(|(n, _)| *n == upper).map(|(_, t)| *t)
    };
    let (mut whole, mut fields) = (None, Vec::new());
    for mapping in &spec {
        let parts: Vec<&str> = mapping.split(':').collect();
        match parts[..] {
            [ty] => match target(ty) {
                Some(t) => whole = Some(t),
                None => p.problem(
                    "spec",
                    format!("Invalid type found in casting spec: {}", ty.trim()),
                ),
            },
            [field, ty] => match target(ty) {
                Some(t) => fields.push((field.trim().to_owned(), t)),
                None => p.problem(
                    "spec",
                    format!("Invalid type found in casting spec: {}", ty.trim()),
                ),
            },
            _ => p.problem("spec", format!("Invalid rename mapping: {mapping}")),
        }
    }
    if whole.is_some() && spec.len() > 1 {
        p.problem(
            "spec",
            "Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec",
        );
    }
    Some(p.finish().map(|()| {
        Box::new(Cast {
            side,
            whole,
            fields,
            schemas: SchemaMemo::default(),
        }) as Box<dyn Transform>
    }))
}

/// Java's `Double.toString` / `Float.toString`: decimal notation between 10^-3 and 10^7, else
/// `d.dddE±n`, with the shortest digits that read back as the same number.
pub fn java_float(v: f64, single: bool) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Shortest digits and exponent, as Rust's `{:e}` writes them ("1.5e3").
    let sci = if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-3..7).contains(&exp) {
        let point = exp + 1;
        let (int, frac) = if point <= 0 {
            (
                "0".to_owned(),
                format!("{}{digits}", "0".repeat((-point) as usize)),
            )
        } else if (point as usize) >= digits.len() {
            (
                format!("{digits}{}", "0".repeat(point as usize - digits.len())),
                String::new(),
            )
        } else {
            (
                digits[..point as usize].to_owned(),
                digits[point as usize..].to_owned(),
            )
        };
        let frac = if frac.is_empty() {
            "0".to_owned()
        } else {
            frac
        };
        format!("{sign}{int}.{frac}")
    } else {
        let frac = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{frac}E{exp}", &digits[..1])
    }
}

/// `Values.dateFormatFor`: a time of day within the first day, a date at midnight, else a
/// timestamp, in UTC.
fn date_text(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, mo, d) = cdc_core::calendar::civil_from_days(days);
    let time = format!(
        "{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    );
    if (0..86_400_000).contains(&ms) {
        time
    } else if in_day == 0 {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{time}")
    }
}

/// What a value is, as Java sees it for a cast.
enum Input {
    Int(i64),
    Float(f64, bool),
    Bool(bool),
    Str(String),
    /// A Decimal, as its text.
    Decimal(String),
    /// A Date, Time or Timestamp, in milliseconds.
    Date(i64),
    Bytes(Vec<u8>),
}

fn input(v: &Value, schema: Option<&Schema>) -> Result<Input, String> {
    let name = schema.and_then(|s| s.name.as_deref());
    Ok(match (v, name) {
        (Value::Int32(days), Some("org.apache.kafka.connect.data.Date")) => {
            Input::Date(i64::from(*days) * 86_400_000)
        }
        (Value::Int32(ms), Some("org.apache.kafka.connect.data.Time")) => {
            Input::Date(i64::from(*ms))
        }
        (Value::Int64(ms), Some("org.apache.kafka.connect.data.Timestamp")) => Input::Date(*ms),
        (Value::Bytes(b), Some(DECIMAL)) => {
            let scale = schema
                .and_then(|s| s.parameters.iter().find(|(k, _)| k == "scale"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            Input::Decimal(cdc_core::decimal::unscaled_to_string(b, scale))
        }
        (Value::Int8(n), _) => Input::Int(i64::from(*n)),
        (Value::Int16(n), _) => Input::Int(i64::from(*n)),
        (Value::Int32(n), _) => Input::Int(i64::from(*n)),
        (Value::Int64(n), _) => Input::Int(*n),
        (Value::Float32(f), _) => Input::Float(f64::from(*f), true),
        (Value::Float64(f), _) => Input::Float(*f, false),
        (Value::Boolean(b), _) => Input::Bool(*b),
        (Value::String(s), _) => Input::Str(s.to_string()),
        (Value::Bytes(b), _) => Input::Bytes(b.clone()),
        (other, _) => {
            let kind = match other {
                Value::Array(_) => "ARRAY",
                Value::Map(_) => "MAP",
                _ => "STRUCT",
            };
            return Err(format!(
                "Cast transformation does not support casting from {kind}; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
            ));
        }
    })
}

/// A value cast to `target` as Connect's `castValueToType` does.
fn cast(v: &Value, schema: Option<&Schema>, target: SchemaType) -> Result<Value, String> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let input = input(v, schema)?;
    let range = |text: &str| format!("Value ({text}) was out of range for requested data type");
    let unexpected = |what: &str| format!("Unexpected type in Cast transformation: class {what}");
    // A Decimal's integer part, truncated toward zero (BigDecimal.longValue, low bits kept).
    let decimal_int = |text: &str| -> i64 {
        let int = text.split('.').next().unwrap_or("0");
        int.parse::<i128>().map_or(0, |n| n as i64)
    };
    let as_int = |bits: u32| -> Result<i64, String> {
        let wrap = |n: i64| -> i64 {
            match bits {
                8 => n as i8 as i64,
                16 => n as i16 as i64,
                32 => n as i32 as i64,
                _ => n,
            }
        };
        Ok(match &input {
            Input::Int(n) => wrap(*n),
            Input::Float(f, _) => match bits {
                // (byte)/(short) of the int value; int and long saturate.
                8 | 16 | 32 => wrap(*f as i32 as i64),
                _ => *f as i64,
            },
            Input::Bool(b) => i64::from(*b),
            Input::Decimal(text) => wrap(decimal_int(text)),
            Input::Date(ms) => wrap(match schema.and_then(|s| s.name.as_deref()) {
                Some("org.apache.kafka.connect.data.Date") => ms / 86_400_000,
                _ => *ms,
            }),
            Input::Str(s) => {
                let parsed = s.parse::<i64>().map_err(|_| range(s))?;
                let fits = match bits {
                    8 => i8::try_from(parsed).is_ok(),
                    16 => i16::try_from(parsed).is_ok(),
                    32 => i32::try_from(parsed).is_ok(),
                    _ => true,
                };
                if !fits {
                    return Err(range(s));
                }
                parsed
            }
            Input::Bytes(_) => return Err(unexpected("[B")),
        })
    };
    Ok(match target {
        SchemaType::Int8 => Value::Int8(as_int(8)? as i8),
        SchemaType::Int16 => Value::Int16(as_int(16)? as i16),
        SchemaType::Int32 => Value::Int32(as_int(32)? as i32),
        SchemaType::Int64 => Value::Int64(as_int(64)?),
        SchemaType::Float32 | SchemaType::Float64 => {
            let f = match &input {
                Input::Int(n) => *n as f64,
                Input::Float(f, _) => *f,
                Input::Bool(b) => f64::from(u8::from(*b)),
                Input::Decimal(text) => text.parse().unwrap_or(0.0),
                Input::Date(ms) => match schema.and_then(|s| s.name.as_deref()) {
                    Some("org.apache.kafka.connect.data.Date") => (ms / 86_400_000) as f64,
                    _ => *ms as f64,
                },
                Input::Str(s) => s.trim().parse::<f64>().map_err(|_| range(s))?,
                Input::Bytes(_) => return Err(unexpected("[B")),
            };
            if target == SchemaType::Float32 {
                Value::Float32(f as f32)
            } else {
                Value::Float64(f)
            }
        }
        SchemaType::Boolean => Value::Boolean(match &input {
            Input::Int(n) => *n != 0,
            Input::Float(f, _) => (*f as i64) != 0,
            Input::Bool(b) => *b,
            Input::Decimal(text) => decimal_int(text) != 0,
            Input::Date(ms) => *ms != 0,
            Input::Str(s) => s.eq_ignore_ascii_case("true"),
            Input::Bytes(_) => return Err(unexpected("[B")),
        }),
        _ => Value::String(
            match &input {
                Input::Int(n) => n.to_string(),
                Input::Float(f, single) => java_float(*f, *single),
                Input::Bool(b) => b.to_string(),
                Input::Decimal(text) => text.clone(),
                Input::Date(ms) => date_text(*ms),
                Input::Str(s) => s.clone(),
                Input::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
            }
            .into(),
        ),
    })
}

/// A primitive schema of `target` (optional when `like` is), its default cast too.
fn target_schema(like: &Schema, target: SchemaType) -> Result<Schema, String> {
    let mut s = Schema::new(target);
    s.optional = like.optional;
    if let Some(d) = &like.default {
        s.default = Some(cast(d, Some(like), target)?);
    }
    Ok(s)
}

impl Transform for Cast {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        const PURPOSE: &str = "cast types";
        let Some(current) = self.side.get(&record).filter(|v| !v.value.is_null()) else {
            return Ok(Some(record));
        };
        let updated = match (&current.schema, self.whole) {
            (None, Some(t)) => SchemaAndValue {
                schema: None,
                value: cast(&current.value, None, t)?,
            },
            (None, None) => {
                let entries = require_map(&current.value, PURPOSE)?;
                let mut out = entries.to_vec();
                for (field, t) in &self.fields {
                    let v = map_get(entries, field).cloned().unwrap_or(Value::Null);
                    map_put(&mut out, field, cast(&v, None, *t)?);
                }
                SchemaAndValue {
                    schema: None,
                    value: Value::Map(out),
                }
            }
            (Some(schema), Some(t)) => {
                let mut failed = None;
                let updated = self.schemas.get_or(schema, || {
                    let mut s = Schema::new(t);
                    s.name = schema.name.clone();
                    s.version = schema.version;
                    s.doc = schema.doc.clone();
                    s.parameters = schema.parameters.clone();
                    s.optional = schema.optional;
                    if let Some(d) = &schema.default {
                        match cast(d, Some(schema), t) {
                            Ok(d) => s.default = Some(d),
                            Err(e) => failed = Some(e),
                        }
                    }
                    s
                });
                if let Some(e) = failed {
                    return Err(e);
                }
                SchemaAndValue {
                    schema: Some(updated),
                    value: cast(&current.value, Some(schema), t)?,
                }
            }
            (Some(_), None) => {
                let (schema, values) = require_struct(current, PURPOSE)?;
                let target =
                    |name: &str| self.fields.iter().find(|(f, _)| f == name).map(|(_, t)| *t);
                let mut failed = None;
                let updated = self.schemas.get_or(schema, || {
                    let mut out = struct_basics(schema);
                    out.optional = schema.optional;
                    for f in &schema.fields {
                        let field_schema = match target(&f.name) {
                            Some(t) => match target_schema(&f.schema, t) {
                                Ok(s) => Arc::new(s),
                                Err(e) => {
                                    failed = Some(e);
                                    f.schema.clone()
                                }
                            },
                            None => f.schema.clone(),
                        };
                        out.fields.push(Field {
                            name: f.name.clone(),
                            schema: field_schema,
                        });
                    }
                    out
                });
                if let Some(e) = failed {
                    return Err(e);
                }
                let mut out = Vec::with_capacity(values.len());
                for (f, v) in schema.fields.iter().zip(values) {
                    let v = field_value(f, v, true);
                    out.push(match target(&f.name) {
                        Some(t) => cast(&v, Some(&f.schema), t)?,
                        None => v,
                    });
                }
                SchemaAndValue {
                    schema: Some(updated),
                    value: Value::Struct(out),
                }
            }
        };
        self.side.set(&mut record, Some(updated));
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_java_prints_them() {
        assert_eq!(java_float(1.5, false), "1.5");
        assert_eq!(java_float(100.0, false), "100.0");
        assert_eq!(java_float(1e10, false), "1.0E10");
        assert_eq!(java_float(1e-4, false), "1.0E-4");
        assert_eq!(java_float(0.001, false), "0.001");
        assert_eq!(java_float(-1234567.0, false), "-1234567.0");
        assert_eq!(java_float(12345678.0, false), "1.2345678E7");
        assert_eq!(java_float(0.1, true), "0.1");
    }
}
