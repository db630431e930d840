//! The values an expression works on: what Debezium binds (Connect's Java objects, or GraalJS's
//! views of them), borrowed from the record, and what literals and operators make.

use std::borrow::Cow;

use cdc_core::{Schema, SchemaType, Value};

pub use super::num::Dec;
use super::num::{java_double, java_float, js_number};
use super::Language;

/// A header as Debezium binds it (`RecordHeader`): what `SimpleHeaderConverter` read from its
/// bytes, and the schema it inferred.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub name: String,
    pub schema: Option<Schema>,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Null,
    /// JavaScript's `undefined`.
    Undefined,
    Bool(bool),
    /// Java's `Byte`, `Short` and `Integer` (Groovy only).
    Int(i32),
    /// Java's `Long` (Groovy only).
    Long(i64),
    /// Java's `Float` (Groovy only).
    Float(f32),
    /// Java's `Double`; every JavaScript number.
    Double(f64),
    /// Java's `BigDecimal` (Groovy only).
    Decimal(Dec),
    Str(Cow<'a, str>),
    /// A Connect `Struct` (in JavaScript, Debezium's proxy of one).
    Struct(&'a Schema, &'a [Value]),
    /// Debezium's GraalJS proxy of a null key or value: an object whose members fail.
    NullProxy,
    /// A Connect array (a `java.util.List`), with its items' schema.
    Array(&'a [Value], Option<&'a Schema>),
    /// A list literal.
    List(Vec<Val<'a>>),
    /// A Connect map, with its schema.
    Map(&'a [(Value, Value)], Option<&'a Schema>),
    Schema(&'a Schema),
    /// The `header` binding: name → `RecordHeader` (the last header of a name wins).
    Headers(&'a [Header]),
    Header(&'a Header),
    /// A Java object the interpreter does not model (its class), e.g. `java.util.Date`.
    Opaque(&'static str),
}

pub const DATE: &str = "org.apache.kafka.connect.data.Date";
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";

impl<'a> Val<'a> {
    /// A Connect value as the language sees it (`schema` is the value's own, if any).
    pub fn from_connect(v: &'a Value, schema: Option<&'a Schema>, lang: Language) -> Val<'a> {
        let logical = schema.and_then(|s| s.name.as_deref());
        let js = lang == Language::JavaScript;
        match v {
            Value::Null => Val::Null,
            Value::Boolean(b) => Val::Bool(*b),
            Value::Int32(_) | Value::Int64(_)
                if matches!(logical, Some(DATE | TIME | TIMESTAMP)) =>
            {
                Val::Opaque("java.util.Date")
            }
            Value::Int8(n) if js => Val::Double(f64::from(*n)),
            Value::Int16(n) if js => Val::Double(f64::from(*n)),
            Value::Int32(n) if js => Val::Double(f64::from(*n)),
            Value::Int64(n) if js => Val::Double(*n as f64),
            Value::Float32(n) if js => Val::Double(f64::from(*n)),
            Value::Int8(n) => Val::Int(i32::from(*n)),
            Value::Int16(n) => Val::Int(i32::from(*n)),
            Value::Int32(n) => Val::Int(*n),
            Value::Int64(n) => Val::Long(*n),
            Value::Float32(n) => Val::Float(*n),
            Value::Float64(n) => Val::Double(*n),
            Value::String(s) => Val::Str(Cow::Borrowed(s)),
            Value::Bytes(b) if logical == Some(DECIMAL) && !js => {
                let scale = schema
                    .and_then(|s| s.parameters.iter().find(|(k, _)| k == "scale"))
                    .and_then(|(_, v)| v.parse::<i32>().ok())
                    .unwrap_or(0);
                Dec::from_bytes(b, scale).map_or(Val::Opaque("java.math.BigDecimal"), Val::Decimal)
            }
            Value::Bytes(_) if logical == Some(DECIMAL) => Val::Opaque("java.math.BigDecimal"),
            Value::Bytes(_) => Val::Opaque("[B"),
            Value::Array(items) if js => {
                let _ = items;
                Val::Opaque("java.util.ArrayList")
            }
            Value::Map(_) if js => Val::Opaque("java.util.HashMap"),
            Value::Array(items) => Val::Array(items, schema.and_then(|s| s.items.as_deref())),
            Value::Map(entries) => Val::Map(entries, schema),
            Value::Struct(values) => match schema {
                Some(s) if s.kind == SchemaType::Struct => Val::Struct(s, values),
                _ => Val::Opaque("org.apache.kafka.connect.data.Struct"),
            },
        }
    }

    pub fn is_nullish(&self) -> bool {
        matches!(self, Val::Null | Val::Undefined)
    }

    /// The Java class Groovy would name in a message.
    pub fn class(&self) -> &'static str {
        match self {
            Val::Null | Val::Undefined => "null",
            Val::Bool(_) => "java.lang.Boolean",
            Val::Int(_) => "java.lang.Integer",
            Val::Long(_) => "java.lang.Long",
            Val::Float(_) => "java.lang.Float",
            Val::Double(_) => "java.lang.Double",
            Val::Decimal(_) => "java.math.BigDecimal",
            Val::Str(_) => "java.lang.String",
            Val::Struct(..) | Val::NullProxy => "org.apache.kafka.connect.data.Struct",
            Val::Array(..) | Val::List(_) => "java.util.ArrayList",
            Val::Map(..) | Val::Headers(_) => "java.util.HashMap",
            Val::Schema(_) => "org.apache.kafka.connect.data.ConnectSchema",
            Val::Header(_) => "io.debezium.transforms.scripting.RecordHeader",
            Val::Opaque(c) => c,
        }
    }

    /// The text Java's `toString()` gives (Groovy's `+` on a string, `toString()`).
    pub fn java_string(&self) -> Result<Cow<'a, str>, String> {
        Ok(Cow::Owned(match self {
            Val::Str(s) => return Ok(s.clone()),
            Val::Null | Val::Undefined => "null".to_owned(),
            Val::Bool(b) => b.to_string(),
            Val::Int(n) => n.to_string(),
            Val::Long(n) => n.to_string(),
            Val::Float(x) => java_float(*x),
            Val::Double(x) => java_double(*x),
            Val::Decimal(d) => d.to_java_string(),
            Val::Struct(schema, values) => {
                let mut out = String::from("Struct{");
                let mut first = true;
                for (f, v) in schema.fields.iter().zip(values.iter()) {
                    if v.is_null() {
                        continue;
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(&f.name);
                    out.push('=');
                    out.push_str(
                        &Val::from_connect(v, Some(&f.schema), Language::Groovy).java_string()?,
                    );
                }
                out.push('}');
                out
            }
            Val::Array(items, schema) => {
                let mut parts = Vec::with_capacity(items.len());
                for v in *items {
                    parts.push(
                        Val::from_connect(v, *schema, Language::Groovy)
                            .java_string()?
                            .into_owned(),
                    );
                }
                format!("[{}]", parts.join(", "))
            }
            Val::List(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for v in items {
                    parts.push(v.java_string()?.into_owned());
                }
                format!("[{}]", parts.join(", "))
            }
            Val::Schema(s) => schema_string(s),
            Val::Map(entries, schema) => {
                let Some(ordered) = hash_map_order(entries) else {
                    return Err(
                        "the text of a map whose keys are not strings is not supported by this \
                         interpreter"
                            .to_owned(),
                    );
                };
                let values = schema.and_then(|s| s.items.as_deref());
                let mut parts = Vec::with_capacity(ordered.len());
                for (k, v) in ordered {
                    let v = Val::from_connect(v, values, Language::Groovy).java_string()?;
                    parts.push(format!("{k}={v}"));
                }
                format!("{{{}}}", parts.join(", "))
            }
            Val::Headers(_) | Val::Header(_) | Val::NullProxy | Val::Opaque(_) => {
                return Err(format!(
                    "the text of a {} is not supported by this interpreter",
                    self.class()
                ))
            }
        }))
    }

    /// The text Groovy gives a value (`'a' + v`, `v.toString()`): Java's, except that lists
    /// print as `[a, b]` and maps as `[k:v]` (`[:]` empty), their items the same way.
    pub fn groovy_string(&self) -> Result<Cow<'a, str>, String> {
        let items = |vals: Vec<Val<'a>>| -> Result<String, String> {
            let mut parts = Vec::with_capacity(vals.len());
            for v in vals {
                parts.push(v.groovy_string()?.into_owned());
            }
            Ok(format!("[{}]", parts.join(", ")))
        };
        Ok(Cow::Owned(match self {
            Val::List(vals) => items(vals.clone())?,
            Val::Array(vals, schema) => items(
                vals.iter()
                    .map(|v| Val::from_connect(v, *schema, Language::Groovy))
                    .collect(),
            )?,
            Val::Map(entries, schema) => {
                let Some(ordered) = hash_map_order(entries) else {
                    return Err(
                        "the text of a map whose keys are not strings is not supported by this \
                         interpreter"
                            .to_owned(),
                    );
                };
                if ordered.is_empty() {
                    return Ok("[:]".into());
                }
                let values = schema.and_then(|s| s.items.as_deref());
                let mut parts = Vec::with_capacity(ordered.len());
                for (k, v) in ordered {
                    let v = Val::from_connect(v, values, Language::Groovy).groovy_string()?;
                    parts.push(format!("{k}:{v}"));
                }
                format!("[{}]", parts.join(", "))
            }
            _ => return self.java_string(),
        }))
    }

    /// JavaScript's `ToString` (objects other than a schema are not supported).
    pub fn js_string(&self) -> Result<Cow<'a, str>, String> {
        Ok(Cow::Owned(match self {
            Val::Str(s) => return Ok(s.clone()),
            Val::Null => "null".to_owned(),
            Val::Undefined => "undefined".to_owned(),
            Val::Bool(b) => b.to_string(),
            Val::Double(x) => js_number(*x),
            Val::Schema(s) => schema_string(s),
            Val::List(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for v in items {
                    parts.push(if v.is_nullish() {
                        String::new()
                    } else {
                        v.js_string()?.into_owned()
                    });
                }
                parts.join(",")
            }
            _ => {
                return Err(format!(
                    "converting a {} to a string is not supported by this interpreter",
                    self.js_type()
                ))
            }
        }))
    }

    /// JavaScript's `ToNumber` for primitives.
    pub fn js_number(&self) -> Result<f64, String> {
        Ok(match self {
            Val::Null => 0.0,
            Val::Undefined => f64::NAN,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Double(x) => *x,
            Val::Str(s) => {
                let t = s.trim();
                if t.is_empty() {
                    0.0
                } else if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                    u64::from_str_radix(h, 16).map_or(f64::NAN, |n| n as f64)
                } else if t == "Infinity" || t == "+Infinity" {
                    f64::INFINITY
                } else if t == "-Infinity" {
                    f64::NEG_INFINITY
                } else if t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
                    t.parse::<f64>().unwrap_or(f64::NAN)
                } else {
                    f64::NAN
                }
            }
            _ => {
                return Err(format!(
                    "converting a {} to a number is not supported by this interpreter",
                    self.js_type()
                ))
            }
        })
    }

    pub fn js_type(&self) -> &'static str {
        match self {
            Val::Undefined => "undefined",
            Val::Bool(_) => "boolean",
            Val::Double(_) | Val::Int(_) | Val::Long(_) | Val::Float(_) | Val::Decimal(_) => {
                "number"
            }
            Val::Str(_) => "string",
            Val::Null => "null",
            Val::List(_) => "array",
            _ => "object",
        }
    }

    /// Groovy truth.
    pub fn groovy_truth(&self) -> bool {
        match self {
            Val::Null | Val::Undefined => false,
            Val::Bool(b) => *b,
            Val::Int(n) => *n != 0,
            Val::Long(n) => *n != 0,
            Val::Float(x) => *x != 0.0,
            Val::Double(x) => *x != 0.0,
            Val::Decimal(d) => d.unscaled != 0,
            Val::Str(s) => !s.is_empty(),
            Val::Array(items, _) => !items.is_empty(),
            Val::List(items) => !items.is_empty(),
            Val::Map(entries, _) => !entries.is_empty(),
            Val::Headers(h) => !h.is_empty(),
            _ => true,
        }
    }

    /// JavaScript truthiness.
    pub fn js_truth(&self) -> bool {
        match self {
            Val::Null | Val::Undefined => false,
            Val::Bool(b) => *b,
            Val::Double(x) => *x != 0.0 && !x.is_nan(),
            Val::Str(s) => !s.is_empty(),
            _ => true,
        }
    }
}

/// A `java.util.HashMap`'s entries in its iteration order (as Connect's converters fill one):
/// by bucket of the key's `String.hashCode()` in the smallest table (16 and up, doubled past
/// three quarters full) that holds them, ties in insertion order. `None` unless every key is a
/// string.
fn hash_map_order(entries: &[(Value, Value)]) -> Option<Vec<(&str, &Value)>> {
    let mut keyed = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let Value::String(k) = k else { return None };
        keyed.push((k.as_ref(), v));
    }
    // A later put of the same key replaces the value in place.
    let mut unique: Vec<(&str, &Value)> = Vec::with_capacity(keyed.len());
    for (k, v) in keyed {
        match unique.iter_mut().find(|(u, _)| *u == k) {
            Some(slot) => slot.1 = v,
            None => unique.push((k, v)),
        }
    }
    let mut capacity: usize = 16;
    while unique.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |k: &str| {
        let h = k
            .encode_utf16()
            .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)));
        let spread = (h ^ ((h as u32) >> 16) as i32) as u32;
        spread as usize & (capacity - 1)
    };
    unique.sort_by_key(|(k, _)| bucket(k));
    Some(unique)
}

/// `ConnectSchema.toString()`.
fn schema_string(s: &Schema) -> String {
    let kind = format!("{:?}", s.kind).to_ascii_uppercase();
    match &s.name {
        Some(n) => format!("Schema{{{n}:{kind}}}"),
        None => format!("Schema{{{kind}}}"),
    }
}

/// What `SimpleHeaderConverter.toConnectHeader` makes of a header's bytes (Connect's
/// `Values.parseString`): booleans, integers in the smallest type that holds them, floating
/// numbers, else the text. Lists, maps and dates it would also recognise are kept as text.
pub fn parse_header(name: &str, bytes: Option<&[u8]>) -> Header {
    let Some(bytes) = bytes else {
        return Header {
            name: name.to_owned(),
            schema: None,
            value: Value::Null,
        };
    };
    let text = String::from_utf8_lossy(bytes);
    let t = text.trim();
    let (kind, value) = if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        (
            SchemaType::Boolean,
            Value::Boolean(t.eq_ignore_ascii_case("true")),
        )
    } else if let Ok(n) = t.parse::<i64>() {
        if let Ok(b) = i8::try_from(n) {
            (SchemaType::Int8, Value::Int8(b))
        } else if let Ok(s) = i16::try_from(n) {
            (SchemaType::Int16, Value::Int16(s))
        } else if let Ok(i) = i32::try_from(n) {
            (SchemaType::Int32, Value::Int32(i))
        } else {
            (SchemaType::Int64, Value::Int64(n))
        }
    } else if !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && t.parse::<f64>().is_ok_and(f64::is_finite)
    {
        let x = t.parse::<f64>().unwrap_or_default();
        if f64::from(x as f32) == x {
            (SchemaType::Float32, Value::Float32(x as f32))
        } else {
            (SchemaType::Float64, Value::Float64(x))
        }
    } else {
        (SchemaType::String, Value::String(text.as_ref().into()))
    };
    Header {
        name: name.to_owned(),
        schema: Some(Schema::new(kind)),
        value,
    }
}
