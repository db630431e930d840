//! The outbox `EventRouter`'s `table.expand.json.payload`: a payload column's JSON text made a
//! Connect struct with a schema inferred from the document, as Debezium 3.6.1's `JsonSchemaData`
//! infers it from the tree Jackson (2.21, default features) reads:
//!
//! * the text must start with `{` or `[` (no leading blank); what follows the first complete value
//!   is ignored, as `ObjectMapper.readTree` ignores it; Jackson's strict grammar otherwise
//!   (no comments, no single quotes, no leading zeros, no `NaN`; at most 1000 levels);
//! * an object is an optional struct named after its path (`payload`, `payload.address`), its
//!   fields in document order (a repeated key keeps its first place and its last value); a field
//!   whose value is `null` is left out (`table.json.payload.null.behavior=ignore`) or optional
//!   bytes (`optional_bytes`); an empty array is left out;
//! * numbers: an integer is int32 when it fits, else int64, else (Jackson's `BigInteger`) a
//!   float64 field that cannot hold it; a number with a fraction or exponent is float64;
//! * an array takes its element schema from its first non-null element, and every element must be
//!   of that kind (and integers of the same width); an array of objects merges the objects'
//!   distinct schemas (fields of the first, then new fields of the others; a bytes field, from a
//!   `null`, gives way to another type), the merge of two or more being a required struct.
//!
//! What Debezium does with the outcome is the caller's ([`crate::outbox`]): unchanged text when
//! the text is not JSON or no schema can be inferred; the inferred schema with the text left
//! unchanged when the value does not fit it (a top-level array; a number past int64; objects of
//! an array that disagree), which then fails, as it does in Debezium.

use std::sync::Arc;

use cdc_core::{Field, Schema, SchemaType, Value};

/// `table.json.payload.null.behavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    Ignore,
    OptionalBytes,
}

/// What expanding a payload text gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Expanded {
    /// Not JSON, or no schema could be inferred: the payload stays as it was (why).
    Unchanged(String),
    /// The payload as a struct, with its schema.
    Struct(Arc<Schema>, Value),
    /// A schema was inferred (`None`: Java's null schema) but the document does not fit it: Debezium
    /// goes on with this schema and the unchanged text (why).
    Mismatch(Option<Arc<Schema>>, String),
}

/// Jackson's `StreamReadConstraints` default nesting limit.
const MAX_DEPTH: usize = 1000;

/// `EventRouterDelegate`'s expansion of `text`, the payload column `key`.
pub fn expand(text: &str, key: &str, nulls: Nulls) -> Expanded {
    if !text.starts_with('{') && !text.starts_with('[') {
        return Expanded::Unchanged("the payload does not start with '{' or '['".into());
    }
    let node = match (Reader {
        text: text.as_bytes(),
        at: 0,
    })
    .document()
    {
        Ok(node) => node,
        Err(e) => return Expanded::Unchanged(e),
    };
    let infer = Infer { nulls };
    let schema = match infer.schema(Some(key), &node, 0) {
        Ok(s) => s.map(Arc::new),
        Err(e) => return Expanded::Unchanged(e),
    };
    let Some(struct_schema) = schema.clone().filter(|s| s.kind == SchemaType::Struct) else {
        return Expanded::Mismatch(schema, "a JSON array is not a struct".into());
    };
    match to_struct(&node, &struct_schema) {
        Ok(value) => Expanded::Struct(struct_schema, value),
        Err(e) => Expanded::Mismatch(schema, e),
    }
}

/// A JSON value as Jackson's tree holds it.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    /// `IntNode`.
    Int(i32),
    /// `LongNode`.
    Long(i64),
    /// `BigIntegerNode`: an integer past int64.
    BigInt,
    /// `DoubleNode`.
    Double(f64),
    Str(String),
    Array(Vec<Node>),
    /// Fields in first-seen order, a repeated key's last value in its first place.
    Object(Vec<(String, Node)>),
}

impl Node {
    fn kind(&self) -> &'static str {
        match self {
            Node::Null => "NULL",
            Node::Bool(_) => "BOOLEAN",
            Node::Int(_) | Node::Long(_) | Node::BigInt | Node::Double(_) => "NUMBER",
            Node::Str(_) => "STRING",
            Node::Array(_) => "ARRAY",
            Node::Object(_) => "OBJECT",
        }
    }
}

/// A strict JSON reader over the payload's bytes (Jackson's defaults).
struct Reader<'t> {
    text: &'t [u8],
    at: usize,
}

impl Reader<'_> {
    fn document(&mut self) -> Result<Node, String> {
        self.value(0)
    }

    fn error<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at offset {} of the JSON payload", self.at))
    }

    fn blanks(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn literal(&mut self, word: &str, node: Node) -> Result<Node, String> {
        if self.text[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            // Jackson reads a literal's whole token: `truex` is not `true`.
            if self
                .peek()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return self.error("unrecognized token");
            }
            Ok(node)
        } else {
            self.error("unrecognized token")
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, String> {
        self.blanks();
        match self.peek() {
            None => self.error("unexpected end of input"),
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return self.error("nesting deeper than 1000 levels");
                }
                self.at += 1;
                let mut fields: Vec<(String, Node)> = Vec::new();
                self.blanks();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Ok(Node::Object(fields));
                }
                loop {
                    self.blanks();
                    if self.peek() != Some(b'"') {
                        return self.error("expected a field name");
                    }
                    self.at += 1;
                    let name = self.string()?;
                    self.blanks();
                    if self.peek() != Some(b':') {
                        return self.error("expected ':'");
                    }
                    self.at += 1;
                    let value = self.value(depth + 1)?;
                    match fields.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, v)) => *v = value,
                        None => fields.push((name, value)),
                    }
                    self.blanks();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Node::Object(fields));
                        }
                        _ => return self.error("expected ',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return self.error("nesting deeper than 1000 levels");
                }
                self.at += 1;
                let mut items = Vec::new();
                self.blanks();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(Node::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.blanks();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Node::Array(items));
                        }
                        _ => return self.error("expected ',' or ']'"),
                    }
                }
            }
            Some(b'"') => {
                self.at += 1;
                Ok(Node::Str(self.string()?))
            }
            Some(b't') => self.literal("true", Node::Bool(true)),
            Some(b'f') => self.literal("false", Node::Bool(false)),
            Some(b'n') => self.literal("null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.error("unexpected character"),
        }
    }

    /// A string's contents, after its opening quote.
    fn string(&mut self) -> Result<String, String> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return self.error("unterminated string");
            };
            self.at += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return self.error("unterminated string");
                    };
                    self.at += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let high = self.hex4()?;
                            if (0xD800..0xDC00).contains(&high) {
                                // A surrogate pair, as two escapes.
                                if self.text[self.at..].starts_with(b"\\u") {
                                    self.at += 2;
                                    let low = self.hex4()?;
                                    if !(0xDC00..0xE000).contains(&low) {
                                        return self.error("an unpaired surrogate escape");
                                    }
                                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                                    char::from_u32(code).unwrap_or('\u{fffd}')
                                } else {
                                    return self.error("an unpaired surrogate escape");
                                }
                            } else {
                                match char::from_u32(high) {
                                    Some(c) => c,
                                    None => return self.error("an unpaired surrogate escape"),
                                }
                            }
                        }
                        _ => return self.error("an unrecognized character escape"),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return self.error("an unescaped control character in a string"),
                _ => out.push(b),
            }
        }
        // The input is a `str` and escapes were written as UTF-8: always valid.
        String::from_utf8(out).or_else(|_| self.error("invalid UTF-8 in a string"))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let Some(digits) = self.text.get(self.at..self.at + 4) else {
            return self.error("a short unicode escape");
        };
        let mut n = 0;
        for d in digits {
            n = n * 16
                + match (*d as char).to_digit(16) {
                    Some(v) => v,
                    None => return self.error("a bad unicode escape"),
                };
        }
        self.at += 4;
        Ok(n)
    }

    fn number(&mut self) -> Result<Node, String> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.at += 1;
            }
            r.at - from
        };
        let int_start = self.at;
        let int_len = digits(self);
        if int_len == 0 {
            return self.error("a number without digits");
        }
        if int_len > 1 && self.text[int_start] == b'0' {
            return self.error("a number with a leading zero");
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return self.error("a decimal point not followed by a digit");
            }
            integral = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if digits(self) == 0 {
                return self.error("an exponent without digits");
            }
            integral = false;
        }
        if self.at - start > 1000 {
            return self.error("a number longer than 1000 characters");
        }
        let text = std::str::from_utf8(&self.text[start..self.at]).unwrap_or("0");
        if integral {
            if let Ok(n) = text.parse::<i32>() {
                return Ok(Node::Int(n));
            }
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Node::Long(n));
            }
            return Ok(Node::BigInt);
        }
        match text.parse::<f64>() {
            Ok(f) => Ok(Node::Double(f)),
            Err(_) => self.error("a malformed number"),
        }
    }
}

/// `JsonSchemaData.toConnectSchema` and its helpers.
struct Infer {
    nulls: Nulls,
}

impl Infer {
    /// The schema of `node` at `key` (`None`: Java's null, the field left out).
    fn schema(
        &self,
        key: Option<&str>,
        node: &Node,
        depth: usize,
    ) -> Result<Option<Schema>, String> {
        Ok(match node {
            Node::Str(_) => Some(Schema::string().optional()),
            Node::Bool(_) => Some(Schema::boolean().optional()),
            Node::Int(_) => Some(Schema::int32().optional()),
            Node::Long(_) => Some(Schema::int64().optional()),
            Node::BigInt | Node::Double(_) => Some(Schema::float64().optional()),
            Node::Array(items) if items.is_empty() => None,
            Node::Array(items) => {
                Some(Schema::array(self.element_schema(key, items, depth)?).optional())
            }
            Node::Object(fields) => {
                let mut schema = Schema::new(SchemaType::Struct).optional();
                schema.name = key.map(str::to_owned);
                let prefix = match key {
                    Some(k) if !k.trim().is_empty() => format!("{k}."),
                    _ => String::new(),
                };
                for (name, value) in fields {
                    let field_key = format!("{prefix}{name}");
                    let field_schema = self.schema(Some(&field_key), value, depth + 1)?;
                    if let Some(s) = field_schema {
                        if schema.field_index(name).is_none() {
                            schema.fields.push(Field {
                                name: name.clone(),
                                schema: Arc::new(s),
                            });
                        }
                    }
                }
                Some(schema)
            }
            Node::Null => match self.nulls {
                Nulls::OptionalBytes => Some(Schema::bytes().optional()),
                Nulls::Ignore => None,
            },
        })
    }

    /// `toConnectSchemaWithCycles`: the element schema of a non-empty array.
    fn element_schema(
        &self,
        key: Option<&str>,
        items: &[Node],
        depth: usize,
    ) -> Result<Schema, String> {
        let sample = first_element(items)?;
        if let Node::Object(_) = sample {
            // Java collects the objects' distinct schemas in a HashSet and merges them in its
            // iteration order; here in the order first seen (the same whenever the merge does
            // not depend on the order).
            let mut distinct: Vec<Schema> = Vec::new();
            for item in items {
                if let Node::Object(_) = item {
                    if let Some(s) = self.schema(key, item, depth + 1)? {
                        if !distinct.contains(&s) {
                            distinct.push(s);
                        }
                    }
                }
            }
            let mut merged: Option<Schema> = None;
            for s in distinct {
                merged = Some(match merged {
                    None => s,
                    Some(left) => merge(&left, &s),
                });
            }
            merged.ok_or_else(|| "an array of objects without a schema".into())
        } else {
            self.schema(None, sample, depth + 1)?.ok_or_else(|| {
                "an array has unrecognized member schema (its elements are null or empty arrays)"
                    .into()
            })
        }
    }
}

/// `getFirstArrayElement`: the first non-null element (null when all are), every other non-null
/// element of its kind, numbers of the same schema.
fn first_element(items: &[Node]) -> Result<&Node, String> {
    static NULL: Node = Node::Null;
    let mut first: &Node = &NULL;
    for item in items {
        if *item == Node::Null {
            continue;
        }
        if *first == Node::Null {
            first = item;
        }
        if item.kind() != first.kind() {
            return Err(format!(
                "Field is not a homogenous array ({} x {})",
                first.kind(),
                item.kind()
            ));
        }
        let width = |n: &Node| match n {
            Node::Int(_) => 0,
            Node::Long(_) => 1,
            _ => 2,
        };
        if first.kind() == "NUMBER" && width(first) != width(item) {
            return Err("Field is not a homogenous array, different number types".into());
        }
    }
    Ok(first)
}

/// `mergeSchema`: `left`'s fields, then `right`'s new ones; a bytes field (from a null) gives way
/// to another type. The merge is a required struct (`SchemaUtil.copySchemaBasics`).
fn merge(left: &Schema, right: &Schema) -> Schema {
    let mut fields = left.fields.clone();
    for f in &right.fields {
        match fields.iter_mut().find(|old| old.name == f.name) {
            None => fields.push(f.clone()),
            Some(old) => {
                if old.schema != f.schema
                    && old.schema.kind == SchemaType::Bytes
                    && f.schema.kind != SchemaType::Bytes
                {
                    old.schema = f.schema.clone();
                }
            }
        }
    }
    let mut merged = crate::structs::struct_basics(left);
    merged.fields = fields;
    merged
}

/// `jsonNodeToStructInternal`: the object `node` as a struct of `schema`, each field checked as
/// `Struct.put` checks it.
fn to_struct(node: &Node, schema: &Schema) -> Result<Value, String> {
    if schema.kind != SchemaType::Struct {
        return Err("Not a struct schema".into());
    }
    let fields = match node {
        Node::Object(fields) => &fields[..],
        _ => &[],
    };
    let mut values = Vec::with_capacity(schema.fields.len());
    for f in &schema.fields {
        values.push(match fields.iter().find(|(n, _)| *n == f.name) {
            Some((_, v)) => field_value(v, &f.schema)?,
            None => Value::Null,
        });
    }
    Ok(Value::Struct(values))
}

/// `getStructFieldValue`, checked against the field's schema as `ConnectSchema.validateValue`
/// checks it.
fn field_value(node: &Node, schema: &Schema) -> Result<Value, String> {
    let fits = |value: Value| -> Result<Value, String> { Ok(value) };
    let mismatch = || {
        Err(format!(
            "Invalid Java object for schema type {}: a JSON {}",
            schema.kind.json_name().to_uppercase(),
            node.kind().to_lowercase()
        ))
    };
    match (node, schema.kind) {
        (Node::Null, _) if schema.optional => Ok(Value::Null),
        (Node::Null, _) => Err("Invalid value: null used for required field".into()),
        (Node::Str(s), SchemaType::String) => fits(Value::String(s.as_str().into())),
        (Node::Bool(b), SchemaType::Boolean) => fits(Value::Boolean(*b)),
        (Node::Int(n), SchemaType::Int32) => fits(Value::Int32(*n)),
        (Node::Long(n), SchemaType::Int64) => fits(Value::Int64(*n)),
        (Node::Double(f), SchemaType::Float64) => fits(Value::Float64(*f)),
        (Node::Array(items), SchemaType::Array) => {
            let Some(element) = &schema.items else {
                return mismatch();
            };
            items
                .iter()
                .map(|i| field_value(i, element))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        (Node::Object(_), SchemaType::Struct) => to_struct(node, schema),
        // Jackson's BigInteger as a BigDecimal, which no inferred schema holds.
        _ => mismatch(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(text: &str) -> (Arc<Schema>, Value) {
        match expand(text, "payload", Nulls::Ignore) {
            Expanded::Struct(s, v) => (s, v),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn objects_become_optional_structs_named_by_path() {
        let (s, v) = expanded(r#"{"b":1,"a":{"x":"y"},"n":null,"e":[],"l":5000000000,"d":1.0}"#);
        assert_eq!(s.name.as_deref(), Some("payload"));
        assert!(s.optional);
        let names: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "l", "d"]);
        assert_eq!(s.fields[1].schema.name.as_deref(), Some("payload.a"));
        assert_eq!(s.fields[2].schema.kind, SchemaType::Int64);
        assert_eq!(s.fields[3].schema.kind, SchemaType::Float64);
        let Value::Struct(values) = v else {
            panic!("a struct")
        };
        assert_eq!(values[0], Value::Int32(1));
        assert_eq!(values[3], Value::Float64(1.0));
    }

    #[test]
    fn nulls_may_be_optional_bytes() {
        let Expanded::Struct(s, _) = expand(r#"{"n":null}"#, "p", Nulls::OptionalBytes) else {
            panic!("a struct")
        };
        assert_eq!(s.fields[0].schema.kind, SchemaType::Bytes);
    }

    #[test]
    fn repeated_keys_keep_their_first_place_and_last_value() {
        let (s, v) = expanded(r#"{"a":1,"b":2,"a":"x"}"#);
        assert_eq!(s.fields[0].name, "a");
        assert_eq!(s.fields[0].schema.kind, SchemaType::String);
        assert_eq!(
            v,
            Value::Struct(vec![Value::String("x".into()), Value::Int32(2)])
        );
    }

    #[test]
    fn what_is_not_json_or_has_no_schema_stays_unchanged() {
        for text in [
            " {}",
            "abc",
            "",
            "{\"a\":}",
            "{\"a\":01}",
            "{'a':1}",
            "{\"a\":[1,\"x\"]}",
            "{\"a\":[1,5000000000]}",
            "{\"a\":[null]}",
            "{\"a\":[[]]}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":NaN}",
        ] {
            assert!(
                matches!(expand(text, "p", Nulls::Ignore), Expanded::Unchanged(_)),
                "{text}"
            );
        }
    }

    #[test]
    fn values_that_do_not_fit_the_inferred_schema_are_mismatches() {
        for text in [
            "[1,2]",
            "[]",
            "{\"a\":12345678901234567890}",
            "{\"a\":[{\"b\":1},{\"b\":\"x\"}]}",
        ] {
            assert!(
                matches!(expand(text, "p", Nulls::Ignore), Expanded::Mismatch(..)),
                "{text}"
            );
        }
    }

    #[test]
    fn trailing_text_is_ignored_and_depth_is_bounded() {
        assert!(matches!(
            expand("{\"a\":1} trailing", "p", Nulls::Ignore),
            Expanded::Struct(..)
        ));
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(matches!(
            expand(&deep, "p", Nulls::Ignore),
            Expanded::Unchanged(_)
        ));
    }

    #[test]
    fn arrays_of_objects_merge_their_schemas() {
        let (s, _) = expanded(r#"{"l":[{"a":1},{"a":2,"b":"x"}]}"#);
        let element = s.fields[0].schema.items.clone().unwrap();
        assert_eq!(element.fields.len(), 2);
        assert!(!element.optional);
        // A null element does not fit the merge, a required struct.
        assert!(matches!(
            expand(r#"{"l":[{"a":1},{"b":"x"},null]}"#, "p", Nulls::Ignore),
            Expanded::Mismatch(..)
        ));
        // One distinct schema stays optional.
        let (s, _) = expanded(r#"{"l":[{"a":1},null,{"a":2}]}"#);
        assert!(s.fields[0].schema.items.as_ref().unwrap().optional);
    }

    #[test]
    fn truncated_and_altered_documents_never_panic() {
        let doc = r#"{"a":[1,-2.5e3,{"b":null,"c":"\u00e9\ud83d\ude00\n"}],"d":true,"e":[[1],[2]],"f":{}}"#;
        for end in 0..=doc.len() {
            let _ = expand(&doc[..end], "p", Nulls::Ignore);
            let _ = expand(&doc[..end], "p", Nulls::OptionalBytes);
        }
        for (i, _) in doc.char_indices() {
            for c in [
                '"', '\\', '[', '{', ']', '}', ',', ':', '-', '0', 'e', 'u', ' ',
            ] {
                let mut altered = doc.to_owned();
                altered.replace_range(i..i + 1, &c.to_string());
                let _ = expand(&altered, "p", Nulls::Ignore);
            }
        }
    }
}
