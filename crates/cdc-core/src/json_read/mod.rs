//! The reading half of Kafka Connect's JsonConverter (`toConnectData`): JSON bytes from a topic
//! back into Connect data, as a sink task needs them. Pure, and never panics on input.
//!
//! [`JsonReader::to_connect`] follows `org.apache.kafka.connect.json.JsonConverter` (as read in
//! Kafka's source at 4.0.0-SNAPSHOT, October 2024):
//!
//! * null bytes (a tombstone or a null key) are `None`;
//! * with `schemas.enable=true` the document must be an object with exactly `schema` and
//!   `payload` (Connect's own error message otherwise); a `null` schema makes the payload
//!   schemaless. Schemas are parsed as `asConnectSchema` does (`optional` only when `true`,
//!   `name`/`doc` only when strings, parameters only strings, `default` converted by the schema)
//!   and cached by their JSON text, `schemas.cache.size` (1000) of them, least recently used
//!   evicted;
//! * the payload is converted by its schema: a null or missing value takes the schema's
//!   default (`replace.null.with.default`, true by default), else is null if the schema is
//!   optional, else is an error; struct fields are read by name and unknown keys ignored;
//!   string-keyed maps are objects, other maps arrays of `[key, value]` pairs; bytes are base64;
//!   a `org.apache.kafka.connect.data.Decimal` is read from base64 (its unscaled two's
//!   complement bytes) or from a JSON number (`decimal.format=NUMERIC`), whatever the reader's
//!   own `decimal.format`. Every other logical type (Connect's Date/Time/Timestamp, all of
//!   Debezium's) is its underlying type with its name and parameters kept;
//! * without a schema, objects are `Value::Map`s with `Value::String` keys, arrays are arrays,
//!   integral numbers `Int64`, other numbers `Float64` (see [`SchemaAndValue`]).
//!
//! Where Connect is lax, this reader refuses, so that a bad record goes to the dead-letter
//! queue instead of into the target wrong: Connect reads a number out of an int field's range
//! truncated (`(byte) value.intValue()`), a string where a number or boolean belongs as 0 or
//! false, and a number where a string belongs as null; here each is an error naming the path
//! (`payload.after.qty: expected int32, got a string`). Messages name the JSON kind, never the
//! value: they reach logs and task traces, where row data must not. Connect also reads its own
//! `"NaN"`/`"Infinity"`/`"-Infinity"` (how Jackson writes non-finite doubles) back as 0.0; here
//! they are the non-finite values they stand for. A decimal number with more fractional digits
//! than the schema's scale is refused (Connect keeps the wrong scale until the sink trips on it).
//! Content after the JSON value is refused (Jackson ignores it).

mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;

use crate::error::{Classify, Retry};
use crate::json::JsonConverter;
use crate::record::SchemaAndValue;
use crate::schema::{logical, Field, Schema, SchemaType};
use crate::value::Value;
use parse::{Member, Node};

pub use parse::MAX_DEPTH;

/// Connect's `schemas.cache.size` default.
pub const DEFAULT_SCHEMA_CACHE_SIZE: usize = 1000;

/// Most digits a decimal read from a JSON number may have, after scaling (bounds the quadratic
/// conversion to two's complement).
const MAX_DECIMAL_DIGITS: usize = 10_000;

/// Why JSON bytes could not be read as Connect data. Every variant is definite: the record is
/// bad, not the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonReadError {
    #[error("converting byte[] to Kafka Connect data failed: {reason} at byte {offset}")]
    Syntax { offset: usize, reason: &'static str },
    /// Connect's message, word for word, so that users find its many answers.
    #[error("JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.")]
    Envelope,
    #[error("invalid schema at {path}: {reason}")]
    Schema { path: String, reason: String },
    #[error("{path}: {reason}")]
    Value { path: String, reason: String },
}

impl Classify for JsonReadError {
    fn retry(&self) -> Retry {
        Retry::Fatal
    }
}

/// Reads JsonConverter bytes into Connect data: `JsonConverter.toConnectData`.
///
/// Holds the schema cache, so keep one per converter (a task's key or value converter), not one
/// per record. Shareable: the cache sits behind a mutex held only for lookups and inserts.
#[derive(Debug)]
pub struct JsonReader {
    schemas_enable: bool,
    replace_null_with_default: bool,
    cache: Mutex<SchemaCache>,
}

impl JsonConverter {
    /// The reader of what this converter writes (`schemas.enable`; both decimal formats are read
    /// whatever `decimal.format` says, as in Connect).
    pub fn reader(&self) -> JsonReader {
        JsonReader::new(self.schemas_enable)
    }
}

impl JsonReader {
    /// A reader with Connect's defaults besides `schemas.enable`: `replace.null.with.default`
    /// true, `schemas.cache.size` 1000.
    pub fn new(schemas_enable: bool) -> Self {
        JsonReader {
            schemas_enable,
            replace_null_with_default: true,
            cache: Mutex::new(SchemaCache::new(DEFAULT_SCHEMA_CACHE_SIZE)),
        }
    }

    /// `replace.null.with.default`: whether a null value whose schema has a default reads as the
    /// default (true) or as null (false; an error if the schema is required).
    pub fn replace_null_with_default(mut self, replace: bool) -> Self {
        self.replace_null_with_default = replace;
        self
    }

    /// `schemas.cache.size`: how many parsed schemas to keep (0 parses every record's schema).
    pub fn schema_cache_size(self, size: usize) -> Self {
        JsonReader {
            cache: Mutex::new(SchemaCache::new(size)),
            ..self
        }
    }

    /// Reads a key or value. `None` bytes (a tombstone or a null key) are `None`; the topic is
    /// unused, as in Connect.
    pub fn to_connect(
        &self,
        _topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<Option<SchemaAndValue>, JsonReadError> {
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        let text = simdutf8::compat::from_utf8(bytes).map_err(|e| JsonReadError::Syntax {
            offset: e.valid_up_to(),
            reason: "invalid UTF-8",
        })?;
        let known = match self.schemas_enable {
            true => self
                .cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .last_text(),
            false => None,
        };
        let skip = self.schemas_enable.then_some(parse::Skip {
            key: "schema",
            known: known.as_deref(),
        });
        let doc = parse::parse_skipping(text, skip).map_err(|e| JsonReadError::Syntax {
            offset: e.offset,
            reason: e.reason,
        })?;
        let payload_path = Path::Root("payload");
        if !self.schemas_enable {
            let value = self.value(None, doc.as_ref(), &payload_path)?;
            return Ok(Some(SchemaAndValue {
                schema: None,
                value,
            }));
        }
        let Some(Node::Object(members)) = &doc else {
            return Err(JsonReadError::Envelope);
        };
        let member = |key: &str| members.iter().find(|m| m.key == key);
        let (Some(schema), Some(payload), 2) = (member("schema"), member("payload"), members.len())
        else {
            return Err(JsonReadError::Envelope);
        };
        let schema = match &schema.value {
            Node::Null => None,
            node => Some(self.cached_schema(text.get(schema.span.clone()).unwrap_or(""), node)?),
        };
        let value = self.value(schema.as_deref(), Some(&payload.value), &payload_path)?;
        Ok(Some(SchemaAndValue { schema, value }))
    }

    /// The schema whose JSON is `text` (`node` parsed, or [`Node::Skipped`]), from the cache or
    /// parsed into it.
    fn cached_schema(&self, text: &str, node: &Node<'_>) -> Result<Arc<Schema>, JsonReadError> {
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(text);
        if let Some(schema) = cached {
            return Ok(schema);
        }
        let parsed;
        let node = match node {
            Node::Skipped => {
                // Checked by the envelope's parse already: this parse cannot fail.
                parsed = parse::parse(text).map_err(|e| JsonReadError::Syntax {
                    offset: e.offset,
                    reason: e.reason,
                })?;
                parsed.as_ref().unwrap_or(&Node::Null)
            }
            node => node,
        };
        let schema = Arc::new(self.schema(node, &Path::Root("schema"))?);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(text, schema.clone());
        Ok(schema)
    }

    /// `asConnectSchema`: a schema from its JSON.
    fn schema(&self, node: &Node<'_>, path: &Path<'_>) -> Result<Schema, JsonReadError> {
        let Node::Object(members) = node else {
            return Err(schema_error(
                path,
                format!("expected a schema object, got {}", node.kind()),
            ));
        };
        let get = |key: &str| Node::get(members, key);
        let Some(Node::String(type_name)) = get("type") else {
            return Err(schema_error(path, "schema must contain a 'type' field"));
        };
        let mut schema = match type_name.as_ref() {
            "int8" => Schema::int8(),
            "int16" => Schema::int16(),
            "int32" => Schema::int32(),
            "int64" => Schema::int64(),
            "float" => Schema::float32(),
            "double" => Schema::float64(),
            "boolean" => Schema::boolean(),
            "string" => Schema::string(),
            "bytes" => Schema::bytes(),
            "array" => match get("items") {
                None | Some(Node::Null) => {
                    return Err(schema_error(
                        path,
                        "array schema did not specify the element type",
                    ))
                }
                Some(items) => Schema::array(self.schema(items, &path.key("items"))?),
            },
            "map" => {
                let (Some(keys), Some(values)) = (get("keys"), get("values")) else {
                    return Err(schema_error(
                        path,
                        "map schema did not specify the key and value types",
                    ));
                };
                Schema::map(
                    self.schema(keys, &path.key("keys"))?,
                    self.schema(values, &path.key("values"))?,
                )
            }
            "struct" => self.struct_schema(get("fields"), path)?,
            other => return Err(schema_error(path, format!("unknown schema type {other:?}"))),
        };
        schema.optional = matches!(get("optional"), Some(Node::Bool(true)));
        if let Some(Node::String(name)) = get("name") {
            schema.name = Some(name.to_string());
        }
        if let Some(Node::Number(text)) = get("version") {
            if parse::is_integral(text) {
                let version = text.parse().map_err(|_| {
                    schema_error(&path.key("version"), "version out of int32 range")
                })?;
                schema.version = Some(version);
            }
        }
        if let Some(Node::String(doc)) = get("doc") {
            schema.doc = Some(doc.to_string());
        }
        if let Some(Node::Object(params)) = get("parameters") {
            for Member { key, value, .. } in params {
                let Node::String(value) = value else {
                    return Err(schema_error(
                        &path.key("parameters").key(key),
                        "schema parameters must have string values",
                    ));
                };
                schema.parameters.push((key.to_string(), value.to_string()));
            }
        }
        // Last, as in Connect: the default is read by the schema built so far (without one).
        if let Some(default) = get("default") {
            let path = path.key("default");
            schema.default = match self.value(Some(&schema), Some(default), &path)? {
                Value::Null => None,
                value => Some(value),
            };
        }
        Ok(schema)
    }

    fn struct_schema(
        &self,
        fields: Option<&Node<'_>>,
        path: &Path<'_>,
    ) -> Result<Schema, JsonReadError> {
        let Some(Node::Array(fields)) = fields else {
            return Err(schema_error(
                path,
                "struct schema's \"fields\" argument is not an array",
            ));
        };
        let mut schema = Schema::new(SchemaType::Struct);
        let mut names = std::collections::HashSet::with_capacity(fields.len());
        let fields_path = path.key("fields");
        for (i, field) in fields.iter().enumerate() {
            let path = fields_path.index(i);
            let name = match field {
                Node::Object(members) => match Node::get(members, "field") {
                    Some(Node::String(name)) => name,
                    _ => {
                        return Err(schema_error(
                            &path,
                            "struct schema's field name not specified properly",
                        ))
                    }
                },
                other => {
                    return Err(schema_error(
                        &path,
                        format!("expected a field schema object, got {}", other.kind()),
                    ))
                }
            };
            if !names.insert(name.as_ref()) {
                return Err(schema_error(
                    &path,
                    format!("duplicate field name {name:?}"),
                ));
            }
            let field_schema = self.schema(field, &path)?;
            schema.fields.push(Field {
                name: name.to_string(),
                schema: Arc::new(field_schema),
            });
        }
        Ok(schema)
    }

    /// `convertToConnect`: a value by its schema, or by its JSON kind without one. `None` is a
    /// missing struct field, read like null.
    fn value(
        &self,
        schema: Option<&Schema>,
        node: Option<&Node<'_>>,
        path: &Path<'_>,
    ) -> Result<Value, JsonReadError> {
        let Some(schema) = schema else {
            return schemaless(node, path);
        };
        let node = match node {
            None | Some(Node::Null) => {
                if self.replace_null_with_default {
                    if let Some(default) = &schema.default {
                        return Ok(default.clone());
                    }
                }
                if schema.optional {
                    return Ok(Value::Null);
                }
                return Err(value_error(
                    path,
                    format!("null for a required {}", schema.kind.json_name()),
                ));
            }
            Some(node) => node,
        };
        let mismatch = || {
            value_error(
                path,
                format!("expected {}, got {}", schema.kind.json_name(), node.kind()),
            )
        };
        Ok(match (schema.kind, node) {
            (SchemaType::Int8, Node::Number(text)) => Value::Int8(
                int(text, schema.kind, path)?
                    .try_into()
                    .map_err(|_| out_of_range(schema.kind, path))?,
            ),
            (SchemaType::Int16, Node::Number(text)) => Value::Int16(
                int(text, schema.kind, path)?
                    .try_into()
                    .map_err(|_| out_of_range(schema.kind, path))?,
            ),
            (SchemaType::Int32, Node::Number(text)) => Value::Int32(
                int(text, schema.kind, path)?
                    .try_into()
                    .map_err(|_| out_of_range(schema.kind, path))?,
            ),
            (SchemaType::Int64, Node::Number(text)) => Value::Int64(int(text, schema.kind, path)?),
            (SchemaType::Float32, Node::Number(text)) => {
                Value::Float32(text.parse().map_err(|_| mismatch())?)
            }
            (SchemaType::Float64, Node::Number(text)) => {
                Value::Float64(text.parse().map_err(|_| mismatch())?)
            }
            // How Jackson writes non-finite floats (`WRITE_NAN_AS_STRINGS`), and `json.rs` too.
            (SchemaType::Float32, Node::String(s)) => {
                Value::Float32(non_finite(s).ok_or_else(mismatch)? as f32)
            }
            (SchemaType::Float64, Node::String(s)) => {
                Value::Float64(non_finite(s).ok_or_else(mismatch)?)
            }
            (SchemaType::Boolean, Node::Bool(b)) => Value::Boolean(*b),
            (SchemaType::String, Node::String(s)) => Value::String(Arc::from(s.as_ref())),
            (SchemaType::Bytes, _) if schema.name.as_deref() == Some(logical::DECIMAL) => {
                decimal(schema, node, path)?
            }
            (SchemaType::Bytes, Node::String(s)) => Value::Bytes(
                base64::engine::general_purpose::STANDARD
                    .decode(s.as_bytes())
                    .map_err(|_| value_error(path, "invalid base64 for bytes"))?,
            ),
            (SchemaType::Array, Node::Array(items)) => {
                let item_schema = schema.items.as_deref();
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.value(item_schema, Some(item), &path.index(i))?);
                }
                Value::Array(out)
            }
            (SchemaType::Map, _) => self.map(schema, node, path)?,
            (SchemaType::Struct, Node::Object(members)) => self.structure(schema, members, path)?,
            _ => return Err(mismatch()),
        })
    }

    fn map(
        &self,
        schema: &Schema,
        node: &Node<'_>,
        path: &Path<'_>,
    ) -> Result<Value, JsonReadError> {
        let key_schema = schema.keys.as_deref();
        let value_schema = schema.items.as_deref();
        if key_schema.is_none_or(|k| k.kind == SchemaType::String) {
            let Node::Object(members) = node else {
                return Err(value_error(
                    path,
                    format!(
                        "a map with string keys is a JSON object, got {}",
                        node.kind()
                    ),
                ));
            };
            let mut entries = Vec::with_capacity(members.len());
            for Member { key, value, .. } in members {
                let value = self.value(value_schema, Some(value), &path.key(key))?;
                entries.push((Value::String(Arc::from(key.as_ref())), value));
            }
            return Ok(Value::Map(entries));
        }
        let Node::Array(pairs) = node else {
            return Err(value_error(
                path,
                format!(
                    "a map with non-string keys is a JSON array of [key, value] arrays, got {}",
                    node.kind()
                ),
            ));
        };
        let mut entries = Vec::with_capacity(pairs.len());
        for (i, pair) in pairs.iter().enumerate() {
            let path = path.index(i);
            let Node::Array(pair) = pair else {
                return Err(value_error(
                    &path,
                    format!("expected a [key, value] array, got {}", pair.kind()),
                ));
            };
            let [key, value] = pair.as_slice() else {
                return Err(value_error(
                    &path,
                    format!("expected a [key, value] array, got {} items", pair.len()),
                ));
            };
            entries.push((
                self.value(key_schema, Some(key), &path.index(0))?,
                self.value(value_schema, Some(value), &path.index(1))?,
            ));
        }
        Ok(Value::Map(entries))
    }

    /// A struct: each schema field by name (missing ones as null), unknown keys ignored.
    fn structure(
        &self,
        schema: &Schema,
        members: &[Member<'_>],
        path: &Path<'_>,
    ) -> Result<Value, JsonReadError> {
        // Keys are unique (the parser keeps the last of a repeated key); index large objects.
        let index: Option<HashMap<&str, &Node<'_>>> = (members.len() > 16)
            .then(|| members.iter().map(|m| (m.key.as_ref(), &m.value)).collect());
        let mut values = Vec::with_capacity(schema.fields.len());
        for field in &schema.fields {
            let node = match &index {
                Some(index) => index.get(field.name.as_str()).copied(),
                None => Node::get(members, &field.name),
            };
            values.push(self.value(Some(&field.schema), node, &path.key(&field.name))?);
        }
        Ok(Value::Struct(values))
    }
}

/// A value without a schema, typed by its JSON kind as Connect types it.
fn schemaless(node: Option<&Node<'_>>, path: &Path<'_>) -> Result<Value, JsonReadError> {
    Ok(match node {
        None | Some(Node::Null) => Value::Null,
        Some(Node::Bool(b)) => Value::Boolean(*b),
        Some(Node::Number(text)) if parse::is_integral(text) => {
            Value::Int64(int(text, SchemaType::Int64, path)?)
        }
        Some(Node::Number(text)) => Value::Float64(
            text.parse()
                .map_err(|_| value_error(path, "invalid number"))?,
        ),
        Some(Node::String(s)) => Value::String(Arc::from(s.as_ref())),
        Some(Node::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(schemaless(Some(item), &path.index(i))?);
            }
            Value::Array(out)
        }
        Some(Node::Object(members)) => {
            let mut entries = Vec::with_capacity(members.len());
            for Member { key, value, .. } in members {
                let value = schemaless(Some(value), &path.key(key))?;
                entries.push((Value::String(Arc::from(key.as_ref())), value));
            }
            Value::Map(entries)
        }
        // Only the envelope's schema is ever skipped, and it is never read as a value.
        Some(Node::Skipped) => return Err(value_error(path, "a value that was not parsed")),
    })
}

/// An integer for an int field: integral JSON only (Connect truncates `1.5` and reads `"1"` as 0).
fn int(text: &str, kind: SchemaType, path: &Path<'_>) -> Result<i64, JsonReadError> {
    if !parse::is_integral(text) {
        return Err(value_error(
            path,
            format!(
                "expected {}, got a number with a fraction or exponent",
                kind.json_name()
            ),
        ));
    }
    text.parse().map_err(|_| out_of_range(kind, path))
}

fn out_of_range(kind: SchemaType, path: &Path<'_>) -> JsonReadError {
    value_error(path, format!("integer out of {} range", kind.json_name()))
}

fn non_finite(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A Connect Decimal: base64 of its unscaled bytes, or a JSON number (`decimal.format=NUMERIC`).
fn decimal(schema: &Schema, node: &Node<'_>, path: &Path<'_>) -> Result<Value, JsonReadError> {
    let scale: i32 = schema
        .parameter("scale")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| value_error(path, "decimal schema without an int32 scale parameter"))?;
    match node {
        Node::String(s) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|_| value_error(path, "invalid base64 for a decimal"))?;
            if bytes.is_empty() {
                // Java's `new BigInteger(new byte[0])` throws.
                return Err(value_error(path, "empty bytes for a decimal"));
            }
            Ok(Value::Bytes(bytes))
        }
        Node::Number(text) => unscaled(text, scale)
            .map(Value::Bytes)
            .map_err(|reason| value_error(path, reason)),
        other => Err(value_error(
            path,
            format!(
                "expected a decimal as base64 or a number, got {}",
                other.kind()
            ),
        )),
    }
}

/// The unscaled two's complement bytes of a JSON number at `scale`, exactly.
fn unscaled(text: &str, scale: i32) -> Result<Vec<u8>, String> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (
            m,
            e.parse::<i64>()
                .map_err(|_| "decimal exponent out of range".to_owned())?,
        ),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // value = digits × 10^(exponent − fraction digits); unscaled = value × 10^scale.
    let mut digits: String = int_part.chars().chain(frac_part.chars()).collect();
    let shift = i128::from(exponent) - frac_part.len() as i128 + i128::from(scale);
    let significant = digits.trim_start_matches('0').len();
    if significant == 0 {
        return Ok(vec![0]);
    }
    digits.drain(..digits.len() - significant);
    if shift >= 0 {
        if significant as i128 + shift > MAX_DECIMAL_DIGITS as i128 {
            return Err(format!(
                "decimal with more than {MAX_DECIMAL_DIGITS} digits"
            ));
        }
        digits.extend(std::iter::repeat_n('0', shift as usize));
    } else {
        let keep = (significant as i128 + shift).max(0) as usize;
        if digits.bytes().skip(keep).any(|b| b != b'0') {
            return Err(format!(
                "decimal with more fractional digits than the schema's scale {scale}"
            ));
        }
        digits.truncate(keep);
        if digits.is_empty() {
            return Ok(vec![0]);
        }
    }
    if digits.len() > MAX_DECIMAL_DIGITS {
        return Err(format!(
            "decimal with more than {MAX_DECIMAL_DIGITS} digits"
        ));
    }
    if negative {
        digits.insert(0, '-');
    }
    crate::decimal::parse_decimal(&digits)
        .map(|(bytes, _)| bytes)
        .ok_or_else(|| "invalid decimal number".to_owned())
}

/// Where in the document a value is: `payload.after.items[3]`. Lives on the stack; rendered only
/// for an error.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root(&'static str),
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl<'p> Path<'p> {
    fn key(&'p self, key: &'p str) -> Path<'p> {
        Path::Key(self, key)
    }

    fn index(&'p self, i: usize) -> Path<'p> {
        Path::Index(self, i)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn schema_error(path: &Path<'_>, reason: impl Into<String>) -> JsonReadError {
    JsonReadError::Schema {
        path: path.to_string(),
        reason: reason.into(),
    }
}

fn value_error(path: &Path<'_>, reason: impl Into<String>) -> JsonReadError {
    JsonReadError::Value {
        path: path.to_string(),
        reason: reason.into(),
    }
}

/// Parsed schemas by their JSON text, least recently used evicted (Connect's `LRUCache`).
#[derive(Debug)]
struct SchemaCache {
    capacity: usize,
    clock: u64,
    entries: HashMap<Arc<str>, (Arc<Schema>, u64)>,
    /// The schema found last: records of one table repeat it, and comparing it costs less than
    /// hashing it (a Debezium envelope's schema is kilobytes).
    last: Option<(Arc<str>, Arc<Schema>)>,
}

impl SchemaCache {
    fn new(capacity: usize) -> Self {
        SchemaCache {
            capacity,
            clock: 0,
            entries: HashMap::new(),
            last: None,
        }
    }

    /// The text of the schema found last.
    fn last_text(&self) -> Option<Arc<str>> {
        self.last.as_ref().map(|(text, _)| text.clone())
    }

    fn get(&mut self, text: &str) -> Option<Arc<Schema>> {
        if let Some((last, schema)) = &self.last {
            if **last == *text {
                return Some(schema.clone());
            }
        }
        self.clock += 1;
        let clock = self.clock;
        let (key, (schema, _)) = self.entries.get_key_value(text)?;
        let (key, schema) = (key.clone(), schema.clone());
        if let Some((_, used)) = self.entries.get_mut(text) {
            *used = clock;
        }
        self.last = Some((key, schema.clone()));
        Some(schema)
    }

    fn insert(&mut self, text: &str, schema: Arc<Schema>) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() >= self.capacity && !self.entries.contains_key(text) {
            // A linear scan, on a miss with a full cache only.
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.clock += 1;
        let key: Arc<str> = text.into();
        self.last = Some((key.clone(), schema.clone()));
        self.entries.insert(key, (schema, self.clock));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}
