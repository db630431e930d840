//! A streaming writer of JsonConverter payloads: the bytes of
//! `cdc_core::JsonConverter::to_json(..)` serialized, written directly without building a
//! `serde_json::Value` tree (4–5× fewer allocations per record on the hot path).
//!
//! `cdc_core::json` stays the definition of the format; the tests here compare this writer
//! with it on every kind of value, so a change there that is not mirrored here fails them.

use std::cell::RefCell;

use crate::json::DecimalFormat;
use crate::schema::logical::DECIMAL;
use crate::{Schema, SchemaType, Value};
use base64::Engine as _;

/// Appends the JSON of `value` (schema `schema`) to `out`, as JsonConverter's payload.
pub fn write_payload(out: &mut Vec<u8>, decimal: DecimalFormat, schema: &Schema, value: &Value) {
    match value {
        Value::Null
        | Value::Boolean(_)
        | Value::Int8(_)
        | Value::Int16(_)
        | Value::Int32(_)
        | Value::Int64(_)
        | Value::Float32(_)
        | Value::Float64(_)
        | Value::String(_) => scalar(out, value),
        Value::Bytes(b) => {
            if decimal == DecimalFormat::Numeric && schema.name.as_deref() == Some(DECIMAL) {
                let scale = schema
                    .parameter("scale")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                numeric_decimal(out, b, scale);
            } else {
                bytes(out, b);
            }
        }
        Value::Array(items) => {
            let item_schema = schema.items.as_deref().unwrap_or(schema);
            array(out, items, |out, v| {
                write_payload(out, decimal, item_schema, v)
            });
        }
        Value::Map(entries) => {
            let key_schema = schema.keys.as_deref();
            let value_schema = schema.items.as_deref().unwrap_or(schema);
            let ks = key_schema.unwrap_or(schema);
            map(
                out,
                entries,
                key_schema.is_none_or(|k| k.kind == SchemaType::String),
                |out, k| write_payload(out, decimal, ks, k),
                |out, v| write_payload(out, decimal, value_schema, v),
            );
        }
        Value::Struct(values) => {
            out.push(b'{');
            for (i, (field, v)) in schema.fields.iter().zip(values).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(out, &field.name);
                out.push(b':');
                // JsonConverter's `replace.null.with.default` (on by default).
                let v = match (v, &field.schema.default) {
                    (Value::Null, Some(d)) => d,
                    _ => v,
                };
                write_payload(out, decimal, &field.schema, v);
            }
            out.push(b'}');
        }
    }
}

/// What [`write_planned`] needs of a schema, worked out once per schema instead of once per
/// record: each struct field's `"name":` already escaped (with its leading comma), each decimal's
/// scale already parsed.
#[derive(Debug)]
pub struct Plan {
    kind: PlanKind,
}

#[derive(Debug)]
enum PlanKind {
    /// Values whose JSON does not depend on the schema.
    Plain,
    /// A Connect Decimal written as a number (`decimal.format=NUMERIC`).
    NumericDecimal {
        scale: i32,
    },
    Array(Box<Plan>),
    /// A map with string keys (an object) or other keys (an array of pairs).
    Map {
        object: bool,
        key: Box<Plan>,
        value: Box<Plan>,
    },
    Struct {
        keys: Vec<Box<[u8]>>,
        fields: Vec<Plan>,
        /// Each field's schema default, written in place of a null (JsonConverter's
        /// `replace.null.with.default`, on by default).
        defaults: Vec<Option<Value>>,
        /// For a nested struct of scalars: its last JSON, reused while the values repeat.
        memo: Option<RefCell<Memo>>,
    },
    /// A container without its element schema: written by the schema walk.
    Unplanned(Box<Schema>),
}

impl Plan {
    /// The plan of a message's schema.
    pub fn new(schema: &Schema, decimal: DecimalFormat) -> Plan {
        Plan::node(schema, decimal, false)
    }

    fn node(schema: &Schema, decimal: DecimalFormat, nested: bool) -> Plan {
        let kind = match schema.kind {
            SchemaType::Bytes
                if decimal == DecimalFormat::Numeric && schema.name.as_deref() == Some(DECIMAL) =>
            {
                PlanKind::NumericDecimal {
                    scale: schema
                        .parameter("scale")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0),
                }
            }
            SchemaType::Array => match &schema.items {
                Some(items) => PlanKind::Array(Box::new(Plan::node(items, decimal, true))),
                None => PlanKind::Unplanned(Box::new(schema.clone())),
            },
            SchemaType::Map => match &schema.items {
                Some(values) => PlanKind::Map {
                    object: schema
                        .keys
                        .as_deref()
                        .is_none_or(|k| k.kind == SchemaType::String),
                    key: Box::new(match &schema.keys {
                        Some(k) => Plan::node(k, decimal, true),
                        None => Plan::node(schema, decimal, true),
                    }),
                    value: Box::new(Plan::node(values, decimal, true)),
                },
                None => PlanKind::Unplanned(Box::new(schema.clone())),
            },
            SchemaType::Struct => PlanKind::Struct {
                keys: schema
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let mut key = Vec::with_capacity(f.name.len() + 4);
                        if i > 0 {
                            key.push(b',');
                        }
                        string(&mut key, &f.name);
                        key.push(b':');
                        key.into_boxed_slice()
                    })
                    .collect(),
                fields: schema
                    .fields
                    .iter()
                    .map(|f| Plan::node(&f.schema, decimal, true))
                    .collect(),
                defaults: schema
                    .fields
                    .iter()
                    .map(|f| f.schema.default.clone())
                    .collect(),
                memo: (nested && schema.fields.iter().all(|f| is_scalar(&f.schema, decimal)))
                    .then(|| RefCell::new(Memo::default())),
            },
            _ => PlanKind::Plain,
        };
        Plan { kind }
    }
}

/// Appends the JSON of `value` to `out` as [`write_payload`] does, following a [`Plan`] of its
/// schema made with the same decimal format.
pub fn write_planned(out: &mut Vec<u8>, decimal: DecimalFormat, plan: &Plan, value: &Value) {
    match (value, &plan.kind) {
        (_, PlanKind::Unplanned(schema)) => write_payload(out, decimal, schema, value),
        (
            Value::Struct(values),
            PlanKind::Struct {
                keys,
                fields,
                defaults,
                memo,
            },
        ) => {
            let mut memo = memo.as_ref().map(RefCell::borrow_mut);
            if let Some(m) = memo.as_deref_mut() {
                if m.reuse(out, values) {
                    return;
                }
            }
            let start = out.len();
            out.push(b'{');
            for (((key, field), default), v) in keys.iter().zip(fields).zip(defaults).zip(values) {
                out.extend_from_slice(key);
                let v = match (v, default) {
                    (Value::Null, Some(d)) => d,
                    _ => v,
                };
                write_planned(out, decimal, field, v);
            }
            out.push(b'}');
            if let Some(m) = memo.as_deref_mut() {
                m.remember(&out[start..], values);
            }
        }
        (Value::Bytes(b), PlanKind::NumericDecimal { scale }) => numeric_decimal(out, b, *scale),
        (Value::Array(items), PlanKind::Array(item)) => {
            array(out, items, |out, v| write_planned(out, decimal, item, v))
        }
        (Value::Map(entries), PlanKind::Map { object, key, value }) => map(
            out,
            entries,
            *object,
            |out, k| write_planned(out, decimal, key, k),
            |out, v| write_planned(out, decimal, value, v),
        ),
        (Value::Bytes(b), _) => bytes(out, b),
        // A container that does not match its schema's shape: as the schema walk writes it.
        (Value::Struct(_) | Value::Array(_) | Value::Map(_), _) => {
            write_payload(out, decimal, &Schema::new(SchemaType::Struct), value)
        }
        _ => scalar(out, value),
    }
}

/// Whether a field of this schema is written as a scalar (so a struct of them can be memoized).
fn is_scalar(schema: &Schema, decimal: DecimalFormat) -> bool {
    match schema.kind {
        SchemaType::Struct | SchemaType::Array | SchemaType::Map => false,
        SchemaType::Bytes => {
            !(decimal == DecimalFormat::Numeric && schema.name.as_deref() == Some(DECIMAL))
        }
        _ => true,
    }
}

/// The last JSON of a nested struct of scalars and the values it was written from. Debezium's
/// `source` block repeats from event to event within a snapshot, so its JSON is written once and
/// copied while the values stay the same. Where they keep changing (streaming positions, rows),
/// remembering is paused after a few misses, so it costs next to nothing there.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    values: Vec<Value>,
    json: Vec<u8>,
    misses: u32,
    paused: u32,
}

/// Consecutive misses after which remembering pauses, and for how many writes.
const MEMO_MISSES: u32 = 4;
const MEMO_PAUSE: u32 = 256;

impl Memo {
    /// Appends the remembered JSON when `values` are those it was written from.
    fn reuse(&mut self, out: &mut Vec<u8>, values: &[Value]) -> bool {
        if self.paused > 0 {
            self.paused -= 1;
            return false;
        }
        let same = !self.json.is_empty()
            && self.values.len() == values.len()
            && self
                .values
                .iter()
                .zip(values)
                .all(|(a, b)| same_scalar(a, b));
        if same {
            self.misses = 0;
            out.extend_from_slice(&self.json);
        }
        same
    }

    fn remember(&mut self, json: &[u8], values: &[Value]) {
        if self.paused > 0 {
            return;
        }
        self.misses += 1;
        if self.misses > MEMO_MISSES {
            self.misses = 0;
            self.paused = MEMO_PAUSE;
            self.json.clear();
            self.values.clear();
            return;
        }
        self.json.clear();
        self.json.extend_from_slice(json);
        self.values.clear();
        self.values.extend_from_slice(values);
    }
}

/// Scalars whose JSON is the same: floats by their bits (`0.0` and `-0.0` are written apart),
/// shared strings by address first. Containers never count as the same.
fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Boolean(x), Value::Boolean(y)) => x == y,
        (Value::Int8(x), Value::Int8(y)) => x == y,
        (Value::Int16(x), Value::Int16(y)) => x == y,
        (Value::Int32(x), Value::Int32(y)) => x == y,
        (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float32(x), Value::Float32(y)) => x.to_bits() == y.to_bits(),
        (Value::Float64(x), Value::Float64(y)) => x.to_bits() == y.to_bits(),
        (Value::String(x), Value::String(y)) => std::sync::Arc::ptr_eq(x, y) || x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        _ => false,
    }
}

/// Writes a value whose JSON does not depend on its schema (containers and bytes excepted).
fn scalar(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int8(v) => int(out, i64::from(*v)),
        Value::Int16(v) => int(out, i64::from(*v)),
        Value::Int32(v) => int(out, i64::from(*v)),
        Value::Int64(v) => int(out, *v),
        Value::Float32(v) => float(out, crate::json::float32_as_written(*v)),
        Value::Float64(v) => float(out, *v),
        Value::String(s) => string(out, s),
        _ => out.extend_from_slice(b"null"),
    }
}

/// A Connect Decimal as a JSON number (`decimal.format=NUMERIC`).
/// A Decimal as a JSON number (`decimal.format=NUMERIC`): its digits exactly, in plain notation
/// (a JSON number has no precision limit; going through a double lost every digit past the
/// 17th).
fn numeric_decimal(out: &mut Vec<u8>, unscaled: &[u8], scale: i32) {
    let digits = crate::decimal::unscaled_to_string(unscaled, scale);
    out.extend_from_slice(digits.as_bytes());
}

/// Bytes as JsonConverter writes them: a base64 string.
pub fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'"');
    base64_into(out, b);
    out.push(b'"');
}

fn array(out: &mut Vec<u8>, items: &[Value], mut item: impl FnMut(&mut Vec<u8>, &Value)) {
    out.push(b'[');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, v);
    }
    out.push(b']');
}

/// A map as JsonConverter writes it: an object when its keys are strings (other keys of such a
/// map by their debug text), else an array of `[key, value]` pairs.
fn map(
    out: &mut Vec<u8>,
    entries: &[(Value, Value)],
    object: bool,
    mut key: impl FnMut(&mut Vec<u8>, &Value),
    mut value: impl FnMut(&mut Vec<u8>, &Value),
) {
    out.push(if object { b'{' } else { b'[' });
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if object {
            match k {
                Value::String(s) => string(out, s),
                other => string(out, &format!("{other:?}")),
            }
            out.push(b':');
            value(out, v);
        } else {
            out.push(b'[');
            key(out, k);
            out.push(b',');
            value(out, v);
            out.push(b']');
        }
    }
    out.push(if object { b'}' } else { b']' });
}

fn base64_into(out: &mut Vec<u8>, input: &[u8]) {
    let start = out.len();
    out.resize(start + input.len().div_ceil(3) * 4, 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(input, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + written);
}

pub fn int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Jackson's spelling of non-finite doubles, as `cdc_core::json` writes them.
fn float(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else {
        let _ = serde_json::to_writer(&mut *out, &v);
    }
}

pub fn string(out: &mut Vec<u8>, s: &str) {
    // Most strings (identifiers, names, dates) need no escaping: copy them whole.
    if needs_no_escape(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// `bytes`, which must be UTF-8, as a JSON string. Printable ASCII that needs no escape (most
/// text) is copied after one pass over it, without a separate UTF-8 validation.
pub fn utf8_string(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), std::str::Utf8Error> {
    if no_escape::<true>(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        string(out, std::str::from_utf8(bytes)?);
    }
    Ok(())
}

/// No control character, quote or backslash (JSON's escapes), checked eight bytes at a time.
fn needs_no_escape(bytes: &[u8]) -> bool {
    no_escape::<false>(bytes)
}

/// [`needs_no_escape`], and with `ASCII` no byte above 127 either.
fn no_escape<const ASCII: bool>(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero: the classic SWAR test (no false negatives; a false positive only
    // sends the string to the exact, slower path).
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS != 0;
    let has_less_than_0x20 = |x: u64| x.wrapping_sub(ONES * 0x20) & !x & HIGHS != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        if (ASCII && x & HIGHS != 0)
            || has_less_than_0x20(x)
            || has_zero(x ^ (ONES * 0x22))
            || has_zero(x ^ (ONES * 0x5c))
        {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\' && !(ASCII && b >= 0x80))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{Data, JsonConverter};

    use super::*;

    fn same_as_json_converter(schema: Schema, value: Value) {
        let data = Data::new(Arc::new(schema), value);
        for decimal_format in [DecimalFormat::Base64, DecimalFormat::Numeric] {
            let conv = JsonConverter {
                schemas_enable: false,
                decimal_format,
            };
            let mut out = Vec::new();
            write_payload(&mut out, decimal_format, &data.schema, &data.value);
            // The tree writer is the reference; it holds NUMERIC decimals as doubles, so those
            // compare as parsed JSON (the writer keeps every digit: see
            // `numeric_decimals_keep_every_digit`).
            let expected = serde_json::to_vec(&conv.to_json(&data)).unwrap();
            let same = |got: &[u8]| match decimal_format {
                DecimalFormat::Numeric => {
                    serde_json::from_slice::<serde_json::Value>(got).ok()
                        == serde_json::from_slice::<serde_json::Value>(&expected).ok()
                }
                DecimalFormat::Base64 => got == expected.as_slice(),
            };
            assert!(
                same(&out),
                "{:?}: {} vs {}",
                data.value,
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected)
            );
            let plan = Plan::new(&data.schema, decimal_format);
            let mut planned = Vec::new();
            write_planned(&mut planned, decimal_format, &plan, &data.value);
            assert_eq!(
                String::from_utf8_lossy(&planned),
                String::from_utf8_lossy(&out),
                "planned: {:?}",
                data.value
            );
        }
    }

    #[test]
    fn primitives_match_the_json_converter() {
        same_as_json_converter(Schema::int8(), Value::Int8(-8));
        same_as_json_converter(Schema::int16(), Value::Int16(i16::MIN));
        same_as_json_converter(Schema::int32(), Value::Int32(42));
        same_as_json_converter(Schema::int64(), Value::Int64(i64::MAX));
        same_as_json_converter(Schema::boolean(), Value::Boolean(true));
        for f in [
            0.0,
            -0.0,
            1.5,
            1e300,
            1e-7,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            same_as_json_converter(Schema::float64(), Value::Float64(f));
        }
        same_as_json_converter(Schema::float32(), Value::Float32(0.1));
        same_as_json_converter(Schema::float32(), Value::Float32(f32::NAN));
        same_as_json_converter(
            Schema::string(),
            Value::String("quote \" backslash \\ newline \n tab \t nul \u{0} é 🎉".into()),
        );
        same_as_json_converter(Schema::bytes(), Value::Bytes(vec![]));
        same_as_json_converter(Schema::bytes(), Value::Bytes(vec![0, 0xff, 0x10, 7, 8]));
        same_as_json_converter(Schema::string().optional(), Value::Null);
    }

    #[test]
    fn the_escape_check_finds_every_escaped_byte_in_any_position() {
        for len in 0..20 {
            let plain = "a".repeat(len);
            assert!(needs_no_escape(plain.as_bytes()));
            for pos in 0..len {
                for special in [0u8, 0x1f, b'"', b'\\', b'\n'] {
                    let mut b = plain.clone().into_bytes();
                    b[pos] = special;
                    assert!(!needs_no_escape(&b), "{special:#x} at {pos} of {len}");
                }
                for fine in [b' ', b'~', 0x7f, 0x80, 0xff, b'!', b'#', b']', b'^'] {
                    let mut b = plain.clone().into_bytes();
                    b[pos] = fine;
                    assert!(needs_no_escape(&b), "{fine:#x} at {pos} of {len}");
                }
            }
        }
    }

    #[test]
    fn utf8_bytes_are_written_like_strings_and_invalid_utf8_is_refused() {
        for text in [
            "",
            "name-123",
            "a longer plain ascii text",
            "quote \" here",
            "tab\there",
            "back\\slash",
            "caf\u{e9} au lait, more than eight bytes",
            "\u{1F600} emoji",
            "\u{7f} delete",
        ] {
            let mut direct = Vec::new();
            utf8_string(&mut direct, text.as_bytes()).unwrap();
            assert_eq!(direct, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
        for bad in [&b"\xff"[..], b"abcdefgh\xc3", b"\xc3\x28 and more text"] {
            assert!(utf8_string(&mut Vec::new(), bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decimals_match_in_both_formats() {
        let decimal = |scale: &str| Schema::bytes().named(DECIMAL).param("scale", scale);
        same_as_json_converter(decimal("2"), Value::Bytes(vec![0x30, 0x39]));
        same_as_json_converter(decimal("0"), Value::Bytes(vec![0xff, 0x00]));
        same_as_json_converter(decimal("5"), Value::Bytes(vec![0x01]));
        same_as_json_converter(decimal("3"), Value::Bytes(vec![0x7f; 20]));
    }

    #[test]
    fn nested_structs_arrays_and_maps_match() {
        let row = Schema::structure("p.s.t.Value")
            .optional()
            .field("id", Schema::int32())
            .field("tags", Schema::array(Schema::string()))
            .field("attrs", Schema::map(Schema::string(), Schema::int64()))
            .field("by_id", Schema::map(Schema::int32(), Schema::string()))
            .field(
                "inner",
                Schema::structure("inner")
                    .optional()
                    .field("x", Schema::float64()),
            )
            .field("none", Schema::string().optional());
        same_as_json_converter(
            row,
            Value::Struct(vec![
                Value::Int32(1),
                Value::Array(vec![Value::String("a".into()), Value::String("b".into())]),
                Value::Map(vec![
                    (Value::String("k1".into()), Value::Int64(1)),
                    (Value::String("k\"2".into()), Value::Int64(2)),
                ]),
                Value::Map(vec![(Value::Int32(7), Value::String("seven".into()))]),
                Value::Struct(vec![Value::Float64(2.5)]),
                Value::Null,
            ]),
        );
        same_as_json_converter(
            Schema::array(Schema::array(Schema::int32())),
            Value::Array(vec![
                Value::Array(vec![]),
                Value::Array(vec![Value::Int32(3)]),
            ]),
        );
        same_as_json_converter(
            Schema::map(Schema::string(), Schema::string()),
            Value::Map(vec![]),
        );
    }

    /// A planned writer used for a sequence of values: every message is still the
    /// JsonConverter's, whether the nested struct repeats (written once, then copied), changes,
    /// or differs only where equality would not see it (`0.0` and `-0.0`).
    #[test]
    fn repeated_nested_structs_are_written_as_the_json_converter_writes_them() {
        let schema = Arc::new(
            Schema::structure("p.s.t.Envelope")
                .field("n", Schema::int64())
                .field(
                    "source",
                    Schema::structure("p.Source")
                        .field("name", Schema::string())
                        .field("x", Schema::float64())
                        .field("seq", Schema::int64().optional()),
                ),
        );
        let conv = JsonConverter {
            schemas_enable: false,
            decimal_format: DecimalFormat::Base64,
        };
        let plan = Plan::new(&schema, DecimalFormat::Base64);
        let name: Arc<str> = "db\"1".into();
        let mut values = Vec::new();
        for i in 0..700i64 {
            // Runs of repeats, a zero that changes sign, then a long run of changes.
            let x = if i % 50 == 7 { -0.0 } else { 0.0 };
            let seq = if i > 300 {
                Value::Int64(i)
            } else {
                Value::Null
            };
            values.push(Value::Struct(vec![
                Value::Int64(i),
                Value::Struct(vec![Value::String(name.clone()), Value::Float64(x), seq]),
            ]));
        }
        for value in values {
            let data = Data::new(schema.clone(), value);
            let mut planned = Vec::new();
            write_planned(&mut planned, DecimalFormat::Base64, &plan, &data.value);
            assert_eq!(
                String::from_utf8_lossy(&planned),
                String::from_utf8_lossy(&serde_json::to_vec(&conv.to_json(&data)).unwrap())
            );
        }
    }

    #[test]
    fn numeric_decimals_keep_every_digit() {
        use crate::schema::logical::DECIMAL;
        let mut schema = Schema::bytes();
        schema.name = Some(DECIMAL.into());
        schema.parameters = vec![("scale".to_string(), "5".to_string())];
        // 123456789012345678901234567890.12345: 35 digits.
        let unscaled = "12345678901234567890123456789012345"
            .parse::<i128>()
            .unwrap()
            .to_be_bytes()
            .to_vec();
        let data = Data::new(Arc::new(schema), Value::Bytes(unscaled));
        let conv = JsonConverter {
            schemas_enable: false,
            decimal_format: DecimalFormat::Numeric,
        };
        assert_eq!(
            String::from_utf8(conv.to_bytes(Some(&data)).unwrap()).unwrap(),
            "123456789012345678901234567890.12345"
        );
    }
}
