//! MySQL's binary JSON in row events: a value to JSON text, and a partial update (the JSON diffs
//! of a `PARTIAL_UPDATE_ROWS_EVENT`, MySQL 8 with `binlog_row_value_options=PARTIAL_JSON`)
//! applied to the document of the row's before image.
//!
//! Pure: bytes in, text out, no I/O; malformed input is an error, never a panic and never a NULL.
//!
//! The diff format and its semantics follow MySQL's `sql/json_diff.cc` (mysql-server 8.0):
//! `Json_diff::write_binary` writes, per diff, the operation (1 byte: 0 REPLACE, 1 INSERT,
//! 2 REMOVE), the path as `net_field_length` + text (`Json_path::to_string`, `sql/json_path.cc`:
//! `$`, then `.member` or `."quoted member"` and `[n]` / `[last-n]` legs), and, except for
//! REMOVE, the value as `net_field_length` + binary JSON; `apply_json_diffs` applies them in
//! order: REPLACE needs the path to exist, INSERT needs its parent to exist (an object member
//! must not exist yet; an array position past the end appends), REMOVE needs the path to
//! exist, and a diff on the root (`$`) or through a scalar is rejected. `mysql_common` reads
//! the diffs ([`JsonDiff`]); what they mean is applied here.

use std::fmt::Write as _;

use mysql_common::binlog::decimal::Decimal;
use mysql_common::binlog::jsonb;
use mysql_common::binlog::jsondiff::{JsonDiff, JsonDiffOperation};
use mysql_common::binlog::time::MysqlTime;
use mysql_common::constants::ColumnType;

/// A JSON document as MySQL holds it: object members in MySQL's order (by key length, then
/// bytes), numbers as their text so DECIMALs keep their digits.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number's JSON text.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Why a JSON value or a partial update could not be read or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("invalid binary JSON: {0}")]
    Invalid(String),
    #[error("invalid JSON path {path:?} in a partial update: {reason}")]
    Path { path: String, reason: String },
    #[error("the partial update {op} at {path} does not apply to the before image: {reason}")]
    Rejected {
        op: &'static str,
        path: String,
        reason: String,
    },
}

fn invalid(e: impl std::fmt::Display) -> JsonError {
    JsonError::Invalid(e.to_string())
}

impl Json {
    /// The document of a binary JSON value.
    pub fn from_binary(v: &jsonb::Value<'_>) -> Result<Json, JsonError> {
        Ok(match v {
            jsonb::Value::Null => Json::Null,
            jsonb::Value::Bool(b) => Json::Bool(*b),
            jsonb::Value::I16(x) => Json::Number(x.to_string()),
            jsonb::Value::U16(x) => Json::Number(x.to_string()),
            jsonb::Value::I32(x) => Json::Number(x.to_string()),
            jsonb::Value::U32(x) => Json::Number(x.to_string()),
            jsonb::Value::I64(x) => Json::Number(x.to_string()),
            jsonb::Value::U64(x) => Json::Number(x.to_string()),
            jsonb::Value::F64(x) => {
                if !x.is_finite() {
                    return Err(invalid(format!("the number {x} is not finite")));
                }
                Json::Number(serde_json::Value::from(*x).to_string())
            }
            jsonb::Value::String(s) => Json::String(utf8(s.str_raw())?),
            jsonb::Value::SmallArray(a) => Json::Array(array(a.iter())?),
            jsonb::Value::LargeArray(a) => Json::Array(array(a.iter())?),
            jsonb::Value::SmallObject(o) => Json::Object(object(o.iter())?),
            jsonb::Value::LargeObject(o) => Json::Object(object(o.iter())?),
            jsonb::Value::Opaque(o) => opaque(o.value_type(), o.data_raw())?,
        })
    }

    /// The JSON text: compact, members in document order (what the connector has always
    /// written for MySQL's JSON columns).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Applies a partial update's diffs, in order, as MySQL's `apply_json_diffs` does.
    pub fn apply(&mut self, diffs: &[JsonDiff<'_>]) -> Result<(), JsonError> {
        for d in diffs {
            let path_text = String::from_utf8_lossy(d.path()).into_owned();
            let legs = parse_path(&path_text)?;
            let op = d.operation();
            let value = match (op, d.value()) {
                (JsonDiffOperation::REMOVE, _) => None,
                (_, Some(v)) => Some(Json::from_binary(v)?),
                (_, None) => return Err(invalid(format!("the diff at {path_text} has no value"))),
            };
            self.apply_one(op, &legs, value)
                .map_err(|reason| JsonError::Rejected {
                    op: op_name(op),
                    path: path_text.clone(),
                    reason,
                })?;
        }
        Ok(())
    }

    fn apply_one(
        &mut self,
        op: JsonDiffOperation,
        legs: &[Leg],
        value: Option<Json>,
    ) -> Result<(), String> {
        let Some((last, parents)) = legs.split_last() else {
            return Err("a partial update cannot change the whole document ($)".into());
        };
        let parent = self.seek(parents)?;
        match (parent, last) {
            (Json::Object(members), Leg::Member(name)) => {
                let at = members.iter().position(|(k, _)| k == name);
                match (op, at, value) {
                    (JsonDiffOperation::REPLACE, Some(i), Some(v)) => members[i].1 = v,
                    (JsonDiffOperation::INSERT, None, Some(v)) => {
                        // Json_object keeps its members ordered by key length, then bytes.
                        let key = (name.len(), name.as_bytes());
                        let i = members
                            .iter()
                            .position(|(k, _)| (k.len(), k.as_bytes()) > key)
                            .unwrap_or(members.len());
                        members.insert(i, (name.clone(), v));
                    }
                    (JsonDiffOperation::REMOVE, Some(i), _) => {
                        members.remove(i);
                    }
                    (JsonDiffOperation::INSERT, Some(_), _) => {
                        return Err(format!("the member {name:?} exists already"))
                    }
                    _ => return Err(format!("the member {name:?} does not exist")),
                }
            }
            (Json::Array(items), Leg::Cell(cell)) => {
                let (pos, within) = cell.resolve(items.len());
                match (op, value) {
                    (JsonDiffOperation::REPLACE, Some(v)) if within => items[pos] = v,
                    (JsonDiffOperation::INSERT, Some(v)) => items.insert(pos, v),
                    (JsonDiffOperation::REMOVE, _) if within => {
                        items.remove(pos);
                    }
                    _ => {
                        return Err(format!(
                            "the array has {} elements; {cell} is not one of them",
                            items.len()
                        ))
                    }
                }
            }
            (Json::Object(_), Leg::Cell(cell)) => {
                return Err(format!("{cell} addresses an array, the value is an object"))
            }
            (Json::Array(_), Leg::Member(name)) => {
                return Err(format!(
                    "the member {name:?} addresses an object, the value is an array"
                ))
            }
            _ => return Err("the parent of the path is not an object or an array".into()),
        }
        Ok(())
    }

    /// The value at `legs`, which must exist (MySQL's `seek_exact_path`: no auto-wrapping).
    fn seek(&mut self, legs: &[Leg]) -> Result<&mut Json, String> {
        let mut at = self;
        for leg in legs {
            at = match (at, leg) {
                (Json::Object(members), Leg::Member(name)) => members
                    .iter_mut()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v)
                    .ok_or_else(|| format!("the member {name:?} does not exist"))?,
                (Json::Array(items), Leg::Cell(cell)) => {
                    let len = items.len();
                    let (pos, within) = cell.resolve(len);
                    if !within {
                        return Err(format!(
                            "the array has {len} elements; {cell} is not one of them"
                        ));
                    }
                    &mut items[pos]
                }
                _ => return Err(format!("{leg} does not address a value of the document")),
            };
        }
        Ok(at)
    }
}

fn op_name(op: JsonDiffOperation) -> &'static str {
    match op {
        JsonDiffOperation::REPLACE => "REPLACE",
        JsonDiffOperation::INSERT => "INSERT",
        JsonDiffOperation::REMOVE => "REMOVE",
    }
}

fn utf8(bytes: &[u8]) -> Result<String, JsonError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| invalid(format!("a string is not UTF-8: {e}")))
}

fn array<'a>(
    items: impl Iterator<Item = std::io::Result<jsonb::Value<'a>>>,
) -> Result<Vec<Json>, JsonError> {
    items
        .map(|v| Json::from_binary(&v.map_err(invalid)?))
        .collect()
}

fn object<'a>(
    members: impl Iterator<Item = std::io::Result<(jsonb::ObjectKey<'a>, jsonb::Value<'a>)>>,
) -> Result<Vec<(String, Json)>, JsonError> {
    members
        .map(|m| {
            let (k, v) = m.map_err(invalid)?;
            Ok((utf8(k.value_raw())?, Json::from_binary(&v)?))
        })
        .collect()
}

/// An opaque value (a MySQL type inside a JSON document), as Debezium's binlog client renders
/// it: DECIMAL as a plain number, DATE/TIME/DATETIME/TIMESTAMP as quoted text with the
/// fraction's trailing zeros cut, anything else as its bytes in base64.
fn opaque(t: ColumnType, data: &[u8]) -> Result<Json, JsonError> {
    use ColumnType::*;
    let packed = || -> Result<i64, JsonError> {
        data.first_chunk::<8>()
            .map(|b| i64::from_le_bytes(*b))
            .ok_or_else(|| {
                invalid(format!(
                    "a {t:?} value needs 8 bytes, it has {}",
                    data.len()
                ))
            })
    };
    Ok(match t {
        MYSQL_TYPE_NEWDECIMAL | MYSQL_TYPE_DECIMAL => {
            // `Decimal::read_bin` assumes a precision MySQL can have (at most 65 digits) and a
            // scale within it; anything else is damage, refused before it is read.
            match data {
                [p, s, ..] if *p <= 65 && s <= p => {}
                _ => {
                    return Err(invalid(
                        "a DECIMAL inside the document has no valid precision",
                    ))
                }
            }
            let d = Decimal::read_packed(data, false).map_err(invalid)?;
            Json::Number(d.to_string())
        }
        MYSQL_TYPE_DATE => {
            let v = MysqlTime::from_int64_date_packed(packed()?);
            Json::String(format!("{:04}-{:02}-{:02}", v.year, v.month, v.day))
        }
        MYSQL_TYPE_TIME => {
            let v = MysqlTime::from_int64_time_packed(packed()?);
            let sign = if v.neg { "-" } else { "" };
            Json::String(format!("{sign}{}", clock(&v)))
        }
        MYSQL_TYPE_DATETIME | MYSQL_TYPE_TIMESTAMP => {
            let v = MysqlTime::from_int64_datetime_packed(packed()?);
            Json::String(format!(
                "{:04}-{:02}-{:02} {}",
                v.year,
                v.month,
                v.day,
                clock(&v)
            ))
        }
        _ => {
            use base64::Engine;
            Json::String(base64::engine::general_purpose::STANDARD.encode(data))
        }
    })
}

/// `hh:mm:ss` and, when there is one, the fraction without trailing zeros.
fn clock(v: &MysqlTime) -> String {
    let mut s = format!("{:02}:{:02}:{:02}", v.hour, v.minute, v.second);
    if v.second_part != 0 {
        let frac = format!("{:06}", v.second_part);
        let _ = write!(s, ".{}", frac.trim_end_matches('0'));
    }
    s
}

fn write_string(s: &str, out: &mut String) {
    // serde_json's escaping, as the connector has always written.
    out.push_str(&serde_json::Value::from(s).to_string());
}

/// One leg of a diff's path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Leg {
    Member(String),
    Cell(Cell),
}

impl std::fmt::Display for Leg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Leg::Member(name) => write!(f, ".{name:?}"),
            Leg::Cell(c) => write!(f, "{c}"),
        }
    }
}

/// An array cell: `[n]`, or `[last-n]` counted from the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    index: usize,
    from_end: bool,
}

impl Cell {
    /// The position in an array of `len` elements (clamped to `len`, where INSERT appends) and
    /// whether an element is there (MySQL's `Json_array_index`).
    fn resolve(self, len: usize) -> (usize, bool) {
        if self.from_end {
            match len.checked_sub(1).and_then(|l| l.checked_sub(self.index)) {
                Some(p) => (p, true),
                None => (0, false),
            }
        } else {
            (self.index.min(len), self.index < len)
        }
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.from_end, self.index) {
            (false, i) => write!(f, "[{i}]"),
            (true, 0) => write!(f, "[last]"),
            (true, i) => write!(f, "[last-{i}]"),
        }
    }
}

/// Parses the path text `Json_path::to_string` writes: `$`, then `.name`, `."quoted name"`,
/// `[n]`, `[last]` or `[last-n]`. Wildcards and ranges cannot be in a diff and are refused.
fn parse_path(text: &str) -> Result<Vec<Leg>, JsonError> {
    let err = |reason: &str| JsonError::Path {
        path: text.to_owned(),
        reason: reason.to_owned(),
    };
    let mut rest = text
        .trim()
        .strip_prefix('$')
        .ok_or_else(|| err("does not start with $"))?;
    let mut legs = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(legs);
        }
        if let Some(r) = rest.strip_prefix('.') {
            let r = r.trim_start();
            if r.starts_with('"') {
                // A JSON string literal: find its closing quote, skipping escapes.
                let bytes = r.as_bytes();
                let mut i = 1;
                let end = loop {
                    match bytes.get(i) {
                        None => return Err(err("a quoted member name is not closed")),
                        Some(b'\\') => i += 2,
                        Some(b'"') => break i + 1,
                        Some(_) => i += 1,
                    }
                };
                let quoted = r
                    .get(..end)
                    .ok_or_else(|| err("a quoted member name is cut"))?;
                let name: String = serde_json::from_str(quoted)
                    .map_err(|_| err("a quoted member name is not a JSON string"))?;
                legs.push(Leg::Member(name));
                rest = &r[end..];
            } else {
                let end = r
                    .find(|c: char| c == '.' || c == '[' || c.is_whitespace())
                    .unwrap_or(r.len());
                let name = &r[..end];
                if name.is_empty() || name.contains('*') {
                    return Err(err("a member leg has no name, or a wildcard"));
                }
                legs.push(Leg::Member(name.to_owned()));
                rest = &r[end..];
            }
        } else if let Some(r) = rest.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| err("an array leg is not closed"))?;
            let inner = r[..close].trim();
            let cell = if let Some(back) = inner.strip_prefix("last") {
                let back = back.trim();
                let index = if back.is_empty() {
                    0
                } else {
                    back.strip_prefix('-')
                        .and_then(|n| n.trim().parse().ok())
                        .ok_or_else(|| err("an array leg is not [last-n]"))?
                };
                Cell {
                    index,
                    from_end: true,
                }
            } else {
                Cell {
                    index: inner
                        .parse()
                        .map_err(|_| err("an array leg is not an index (wildcards and ranges cannot be in a partial update)"))?,
                    from_end: false,
                }
            };
            legs.push(Leg::Cell(cell));
            rest = &r[close + 1..];
        } else {
            return Err(err("expected . or [ after a leg"));
        }
    }
}

#[cfg(test)]
mod tests {
    use mysql_common::io::ParseBuf;

    use super::*;

    /// Binary JSON as MySQL's `json_binary::serialize` writes it (`sql/json_binary.cc`): a
    /// small object `{"a": 1, "bb": [true, "x"]}`: type 0x00, count 2, size, key entries
    /// (offset, length), value entries (type, inlined value or offset), keys, then values.
    fn small_object() -> Vec<u8> {
        let mut b = vec![0x00];
        // Header: count, size; 2 key entries (4 bytes each), 2 value entries (3 bytes each).
        let header = 4 + 2 * 4 + 2 * 3;
        let keys_at = header;
        let array_at = keys_at + 3;
        // The array [true, "x"]: count 2, size, 2 value entries, then the string.
        let array = {
            let mut a = Vec::new();
            a.extend_from_slice(&2u16.to_le_bytes());
            let size = 4 + 2 * 3 + 2;
            a.extend_from_slice(&(size as u16).to_le_bytes());
            a.extend_from_slice(&[0x04, 0x01, 0x00]); // literal true, inlined
            a.extend_from_slice(&[0x0c]); // string, at offset 10
            a.extend_from_slice(&10u16.to_le_bytes());
            a.extend_from_slice(&[1, b'x']);
            a
        };
        let size = array_at + array.len();
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&(size as u16).to_le_bytes());
        b.extend_from_slice(&(keys_at as u16).to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&((keys_at + 1) as u16).to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&[0x05, 0x01, 0x00]); // int16 1, inlined
        b.push(0x02); // small array at
        b.extend_from_slice(&(array_at as u16).to_le_bytes());
        b.extend_from_slice(b"abb");
        b.extend_from_slice(&array);
        b
    }

    fn doc(bytes: &[u8]) -> Result<Json, JsonError> {
        let v: jsonb::Value<'_> = ParseBuf(bytes).parse(()).map_err(invalid)?;
        Json::from_binary(&v)
    }

    #[test]
    fn binary_json_becomes_text_in_document_order() {
        let j = doc(&small_object()).unwrap();
        assert_eq!(j.to_text(), r#"{"a":1,"bb":[true,"x"]}"#);
    }

    #[test]
    fn damaged_binary_json_is_an_error_never_a_panic() {
        let whole = small_object();
        for cut in 1..whole.len() {
            let _ = doc(&whole[..cut]);
        }
        let mut bad_key = whole.clone();
        bad_key[5] = 0xff; // first key's offset beyond the document
        assert!(doc(&bad_key).is_err());
        let mut bad_type = whole;
        bad_type[13] = 0x7f; // a value type MySQL does not have
        assert!(matches!(doc(&bad_type), Err(JsonError::Invalid(_))));
    }

    #[test]
    fn opaque_values_are_rendered_as_debezium_does() {
        // DECIMAL 12.50 (precision 4, scale 2), packed as MySQL's my_decimal2binary.
        let dec = Decimal::parse_str_bytes(b"12.50").unwrap();
        let mut bytes = vec![4u8, 2];
        dec.write_bin(&mut bytes).unwrap();
        assert_eq!(
            opaque(ColumnType::MYSQL_TYPE_NEWDECIMAL, &bytes).unwrap(),
            Json::Number("12.50".into())
        );
        // DATETIME 2024-02-29 13:14:15.5 packed as TIME_to_longlong_datetime_packed.
        let ymd = ((2024i64 * 13 + 2) << 5) | 29;
        let hms = (13i64 << 12) | (14 << 6) | 15;
        let packed = (((ymd << 17) | hms) << 24) + 500_000;
        assert_eq!(
            opaque(ColumnType::MYSQL_TYPE_DATETIME, &packed.to_le_bytes()).unwrap(),
            Json::String("2024-02-29 13:14:15.5".into())
        );
        assert!(opaque(ColumnType::MYSQL_TYPE_DATE, &[1, 2]).is_err());
    }

    fn apply(
        doc: &str,
        ops: &[(JsonDiffOperation, &str, Option<&str>)],
    ) -> Result<String, JsonError> {
        let mut j = from_text(doc);
        for (op, path, value) in ops {
            let legs = parse_path(path)?;
            j.apply_one(*op, &legs, value.map(from_text))
                .map_err(|reason| JsonError::Rejected {
                    op: op_name(*op),
                    path: (*path).to_owned(),
                    reason,
                })?;
        }
        Ok(j.to_text())
    }

    fn from_text(s: &str) -> Json {
        fn conv(v: serde_json::Value) -> Json {
            match v {
                serde_json::Value::Null => Json::Null,
                serde_json::Value::Bool(b) => Json::Bool(b),
                serde_json::Value::Number(n) => Json::Number(n.to_string()),
                serde_json::Value::String(s) => Json::String(s),
                serde_json::Value::Array(a) => Json::Array(a.into_iter().map(conv).collect()),
                serde_json::Value::Object(o) => {
                    Json::Object(o.into_iter().map(|(k, v)| (k, conv(v))).collect())
                }
            }
        }
        conv(serde_json::from_str(s).unwrap())
    }

    use JsonDiffOperation::{INSERT, REMOVE, REPLACE};

    #[test]
    fn diffs_apply_as_mysql_applies_them() {
        let d = r#"{"a":1,"tags":["x","y"],"deep":{"k":"v"}}"#;
        assert_eq!(
            apply(d, &[(REPLACE, "$.a", Some("2"))]).unwrap(),
            r#"{"a":2,"tags":["x","y"],"deep":{"k":"v"}}"#
        );
        // A new member takes its place by key length, then bytes (Json_object's order).
        assert_eq!(
            apply(d, &[(INSERT, "$.zz", Some("true"))]).unwrap(),
            r#"{"a":1,"zz":true,"tags":["x","y"],"deep":{"k":"v"}}"#
        );
        assert_eq!(
            apply(
                d,
                &[
                    (INSERT, "$.tags[1]", Some(r#""m""#)),
                    (INSERT, "$.tags[9]", Some(r#""end""#))
                ]
            )
            .unwrap(),
            r#"{"a":1,"tags":["x","m","y","end"],"deep":{"k":"v"}}"#
        );
        assert_eq!(
            apply(
                d,
                &[(REMOVE, "$.tags[last]", None), (REMOVE, "$.deep.k", None)]
            )
            .unwrap(),
            r#"{"a":1,"tags":["x"],"deep":{}}"#
        );
        assert_eq!(
            apply(
                r#"{"a b":{"c":[1,2,3]}}"#,
                &[(REPLACE, r#"$."a b".c[last-1]"#, Some("null"))]
            )
            .unwrap(),
            r#"{"a b":{"c":[1,null,3]}}"#
        );
    }

    #[test]
    fn diffs_that_do_not_fit_the_before_image_are_rejected() {
        let d = r#"{"a":1,"tags":["x"]}"#;
        for (op, path, value) in [
            (REPLACE, "$.missing", Some("1")),
            (INSERT, "$.a", Some("1")),
            (REMOVE, "$.tags[3]", None),
            (REPLACE, "$.a.b", Some("1")),
            (INSERT, "$.nope.x", Some("1")),
            (REPLACE, "$", Some("1")),
            (REPLACE, "$.tags.x", Some("1")),
        ] {
            let e = apply(d, &[(op, path, value)]).unwrap_err();
            assert!(matches!(e, JsonError::Rejected { .. }), "{path}: {e}");
            assert!(e.to_string().contains(path), "{e}");
        }
        for path in ["a", "$[*]", "$.*", "$[1 to 2]", "$.\"open", "$[1"] {
            assert!(
                matches!(parse_path(path), Err(JsonError::Path { .. })),
                "{path}"
            );
        }
    }

    use proptest::prelude::*;

    proptest! {
        /// Any bytes, read as binary JSON (whole, or mutated from a valid document), and any
        /// diff applied to the result: an error or a document, never a panic.
        #[test]
        fn never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..96),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
            path in "[$.\\[\\]a-c0-9\"last-]{0,12}",
            op in 0u8..3,
        ) {
            let mut mutated = small_object();
            for (at, b) in flips {
                let n = mutated.len();
                mutated[at % n] = b;
            }
            for input in [&bytes[..], &mutated[..]] {
                if let Ok(mut j) = doc(input) {
                    let _ = j.to_text();
                    if let Ok(legs) = parse_path(&path) {
                        let op = match op {
                            0 => REPLACE,
                            1 => INSERT,
                            _ => REMOVE,
                        };
                        let _ = j.apply_one(op, &legs, Some(Json::Null));
                    }
                }
            }
        }
    }
}
