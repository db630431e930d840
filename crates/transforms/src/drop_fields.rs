//! `ExtractNewRecordState`'s `drop.fields.*`: the fields a header names (typically
//! `ExtractChangedRecordState`'s list of unchanged fields) dropped from the flattened value, and
//! with `drop.fields.from.key` from the key, as Debezium 3.6.1 drops them: through Connect's
//! `ReplaceField` (`exclude`), which rebuilds the struct as a required copy with nulls read as
//! their fields' defaults. With `drop.fields.keep.schema.compatible` (the default) only optional
//! fields are dropped, and nothing is rebuilt when none is.
//!
//! The header is read as Connect's `SimpleHeaderConverter` reads it (`Values.parseString`): a
//! list such as `["a","b"]`; a `null` header or an empty list drops nothing; any other value is
//! not a list and fails the record, as Java's cast does.

use std::sync::Arc;

use cdc_core::{SchemaAndValue, SchemaType, Value};

use crate::header_values;
use crate::structs::{java_class, struct_basics, take_struct};

/// An element of the header's list.
#[derive(Debug, Clone, PartialEq)]
pub enum Name {
    Str(String),
    Null,
    /// A number, boolean or temporal value: never a field's name.
    Other,
}

/// `drop.fields.header.name`, `drop.fields.from.key`, `drop.fields.keep.schema.compatible`.
pub struct DropFields {
    pub header: String,
    pub from_key: bool,
    pub keep_schema_compatible: bool,
}

/// The record's parts the drop changes.
pub struct Parts<'r> {
    pub headers: &'r [(String, Option<Vec<u8>>)],
    pub key: &'r mut Option<SchemaAndValue>,
    pub value: &'r mut Option<SchemaAndValue>,
    /// Only the value's first fields may be dropped (those before `add.fields`' on a rewritten
    /// delete, which Debezium adds after the drop); `usize::MAX`: all.
    pub droppable: usize,
}

impl DropFields {
    /// `ExtractNewRecordState.dropFields` on the flattened record.
    pub fn apply(&self, parts: Parts<'_>) -> Result<(), String> {
        let Some((_, bytes)) = parts.headers.iter().find(|(n, _)| *n == self.header) else {
            return Ok(());
        };
        let Some(names) = header_list(bytes.as_deref())? else {
            return Ok(());
        };
        if names.is_empty() {
            return Ok(());
        }
        if self.from_key {
            if let Some(key) = parts.key.take() {
                *parts.key = Some(self.drop(key, &names, usize::MAX, "key")?);
            }
        }
        // A delete made a tombstone (delete-to-tombstone) has nothing to drop. (Java, keeping
        // schemas compatible, reads the fields of its null schema and fails: docs/compat.md.)
        if let Some(value) = parts.value.take() {
            *parts.value = Some(self.drop(value, &names, parts.droppable, "value")?);
        }
        Ok(())
    }

    fn drop(
        &self,
        data: SchemaAndValue,
        names: &[Name],
        droppable: usize,
        side: &str,
    ) -> Result<SchemaAndValue, String> {
        let excluded: Vec<String> = if self.keep_schema_compatible {
            let Some(schema) = &data.schema else {
                return Err(format!(
                    "the {side} has no schema, whose optional fields drop.fields.keep.schema.compatible reads"
                ));
            };
            if schema.kind != SchemaType::Struct {
                return Err("Cannot list fields on non-struct type".into());
            }
            let optional: Vec<&str> = schema
                .fields
                .iter()
                .take(droppable)
                .filter(|f| f.schema.optional)
                .filter(|f| names.contains(&Name::Str(f.name.clone())))
                .map(|f| f.name.as_str())
                .collect();
            if optional.is_empty() {
                return Ok(data);
            }
            config_list(&optional.join(","))
        } else {
            if names.contains(&Name::Other) {
                return Err(format!(
                    "the header {} lists a value that is not a string, which Tributary does not read as a field name",
                    self.header
                ));
            }
            let joined: Vec<&str> = names
                .iter()
                .filter_map(|n| match n {
                    Name::Str(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            config_list(&joined.join(","))
        };
        replace_field(data, &excluded, droppable)
    }
}

/// Connect's `ReplaceField` with `exclude`: a null value unchanged; a map without the excluded
/// keys; a struct rebuilt (a required copy, nulls read as defaults) without the excluded fields
/// among its first `droppable`.
fn replace_field(
    data: SchemaAndValue,
    excluded: &[String],
    droppable: usize,
) -> Result<SchemaAndValue, String> {
    const PURPOSE: &str = "field replacement";
    if data.value.is_null() {
        return Ok(data);
    }
    let keeps = |i: usize, name: &str| i >= droppable || !excluded.iter().any(|e| e == name);
    if data.schema.is_none() {
        let Value::Map(entries) = data.value else {
            return Err(format!(
                "Only Map objects supported in absence of schema for [{PURPOSE}], found: {}",
                java_class(&data.value, None)
            ));
        };
        let mut kept = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Value::String(name) = &k else {
                return Err(format!(
                    "class {} cannot be cast to class java.lang.String",
                    java_class(&k, None)
                ));
            };
            if !excluded.iter().any(|e| **e == **name) {
                kept.push((k, v));
            }
        }
        return Ok(SchemaAndValue {
            schema: None,
            value: Value::Map(kept),
        });
    }
    let (schema, values) = take_struct(data, PURPOSE, true)?;
    let mut updated = struct_basics(&schema);
    let mut kept = Vec::with_capacity(values.len());
    for (i, (field, value)) in schema.fields.iter().zip(values).enumerate() {
        if keeps(i, &field.name) {
            updated.fields.push(field.clone());
            kept.push(value);
        }
    }
    Ok(SchemaAndValue {
        schema: Some(Arc::new(updated)),
        value: Value::Struct(kept),
    })
}

/// `ConfigDef`'s parse of a `LIST`: trimmed, empty for nothing, split at commas with the blanks
/// around them.
fn config_list(text: &str) -> Vec<String> {
    let trimmed = text.trim_matches(|c: char| c <= ' ');
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed
        .split(',')
        .enumerate()
        .map(|(i, s)| {
            let s = if i == 0 {
                s
            } else {
                s.trim_start_matches(java_space)
            };
            s.trim_end_matches(java_space).to_owned()
        })
        .collect()
}

/// Java's regex `\s`.
fn java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// The header's list as `Values.parseString` reads it; `None` for a null header.
fn header_list(bytes: Option<&[u8]>) -> Result<Option<Vec<Name>>, String> {
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(bytes);
    let tokens = tokenize(&text);
    let first = tokens.iter().position(|t| !t.trim().is_empty());
    if let Some(i) = first.filter(|&i| tokens[i].trim() == "[") {
        if let Some(list) = array(&tokens, i + 1)? {
            return Ok(Some(list));
        }
        return Err(not_a_list("java.lang.String"));
    }
    match header_values::parse(Some(bytes)) {
        Ok((_, Value::Null)) => Ok(None),
        Ok((schema, value)) => Err(not_a_list(java_class(&value, schema.as_deref()))),
        Err(_) => Err(not_a_list("java.util.Map")),
    }
}

fn not_a_list(class: &str) -> String {
    format!("the drop fields header is a {class}, which cannot be cast to java.util.List")
}

/// `Values.Parser`'s tokens: runs between unescaped delimiters, and each delimiter alone.
fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in text.chars() {
        match c {
            ':' | ',' | '{' | '}' | '[' | ']' | '"' if !escaped => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
                tokens.push(c.to_string());
            }
            '\\' => {
                escaped = !escaped;
                current.push(c);
            }
            _ => {
                escaped = false;
                current.push(c);
            }
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// `ValueParser.parseArray` after its `[`: the elements, `None` where Java's parse fails (and
/// the header is then a string). Nested arrays and maps are refused.
fn array(tokens: &[String], mut at: usize) -> Result<Option<Vec<Name>>, String> {
    let skip = |mut i: usize| {
        while i < tokens.len() && tokens[i].trim().is_empty() {
            i += 1;
        }
        i
    };
    let is = |i: usize, s: &str| tokens.get(i).is_some_and(|t| t.trim() == s);
    let mut out = Vec::new();
    loop {
        let j = skip(at);
        if j >= tokens.len() {
            return Ok(None);
        }
        if is(j, "]") {
            break;
        }
        if is(j, ",") {
            return Ok(None);
        }
        let token = tokens[j].trim();
        match token {
            "\"" => {
                // `parseQuotedString`: the tokens up to the next quote, blank ones skipped.
                let mut content = String::new();
                let mut k = j + 1;
                loop {
                    let kk = skip(k);
                    if is(kk, "\"") {
                        k = kk + 1;
                        break;
                    }
                    if kk >= tokens.len() {
                        k = kk;
                        break;
                    }
                    content.push_str(&tokens[kk]);
                    k = kk + 1;
                }
                out.push(if temporal(&content) {
                    Name::Other
                } else {
                    Name::Str(content)
                });
                at = k;
            }
            "null" => {
                out.push(Name::Null);
                at = j + 1;
            }
            "true" | "false" => {
                out.push(Name::Other);
                at = j + 1;
            }
            "[" | "{" => {
                return Err(
                    "the drop fields header nests an array or a map, which Tributary does not read"
                        .into(),
                )
            }
            _ => {
                let first = token.chars().next().unwrap_or(' ');
                if !(first.is_ascii_digit() || first == '+' || first == '-') {
                    return Ok(None);
                }
                match header_values::parse(Some(token.as_bytes())) {
                    Ok((Some(s), _)) if s.kind != SchemaType::String => out.push(Name::Other),
                    _ => return Ok(None),
                }
                at = j + 1;
            }
        }
        let j = skip(at);
        if is(j, "]") {
            at = j;
        } else if is(j, ",") {
            at = j + 1;
        } else {
            return Ok(None);
        }
    }
    // Typed elements with nulls: Java's alignment of the nulls to the common (required) schema
    // fails, and the header is a string.
    let nulls = out.iter().filter(|n| **n == Name::Null).count();
    let typed_in_common = out.iter().all(|n| matches!(n, Name::Str(_) | Name::Null))
        || out.iter().all(|n| matches!(n, Name::Other | Name::Null));
    if nulls > 0 && nulls < out.len() && typed_in_common {
        return Ok(None);
    }
    Ok(Some(out))
}

/// `parseAsTemporal` on a quoted string: a date, time or timestamp text.
fn temporal(content: &str) -> bool {
    if !content.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    matches!(
        header_values::parse(Some(content.as_bytes())),
        Ok((Some(s), _)) if s.name.as_deref().is_some_and(|n| n.starts_with("org.apache.kafka.connect.data."))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> Result<Option<Vec<Name>>, String> {
        header_list(Some(text.as_bytes()))
    }

    fn s(x: &str) -> Name {
        Name::Str(x.into())
    }

    #[test]
    fn headers_are_read_as_connect_reads_lists() {
        assert_eq!(list(r#"["a","b"]"#), Ok(Some(vec![s("a"), s("b")])));
        assert_eq!(
            list(r#" [ "a" , "b" , ] x"#),
            Ok(Some(vec![s("a"), s("b")]))
        );
        assert_eq!(list("[]"), Ok(Some(vec![])));
        assert_eq!(list("null"), Ok(None));
        assert_eq!(header_list(None), Ok(None));
        assert_eq!(list("[null]"), Ok(Some(vec![Name::Null])));
        assert_eq!(list(r#"["a",1]"#), Ok(Some(vec![s("a"), Name::Other])));
        assert_eq!(list(r#"["2023-11-14"]"#), Ok(Some(vec![Name::Other])));
        // Not lists: a string (unquoted names, nulls among strings), a number.
        assert!(list("[a,b]").is_err());
        assert!(list(r#"["a",null]"#).is_err());
        assert!(list("a,b").is_err());
        assert!(list("42").is_err());
        assert!(list(r#"["a""#).is_err());
    }

    #[test]
    fn config_lists_split_as_connect_splits_them() {
        assert_eq!(config_list(" a , b,c "), vec!["a", "b", "c"]);
        assert_eq!(config_list(""), Vec::<String>::new());
        assert_eq!(config_list("a,"), vec!["a", ""]);
    }

    #[test]
    fn truncated_headers_never_panic() {
        let header = r#" [ "a\"b" , null, 1, true, 12:30:00.000Z, [x], {"k":1}, "2024-01-02" ] "#;
        for end in 0..=header.len() {
            let _ = list(&header[..end]);
        }
    }
}
