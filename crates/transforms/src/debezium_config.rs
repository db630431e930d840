//! How Debezium's own transforms read their properties (`io.debezium.config.Configuration` and
//! `Field`'s validators), where that differs from Connect's `ConfigDef`: values are untrimmed,
//! lists are `String.split(",")` with each item trimmed (trailing empty items dropped, others
//! kept), and a required value must not be blank.

use cdc_core::{ConfigMap, Schema, SchemaAndValue, SchemaType};

use crate::chain::Props;

/// `Configuration.getList`: `None` when the property is absent.
pub fn list(p: &mut Props<'_>, config: &ConfigMap, name: &str) -> Option<Vec<String>> {
    p.raw(config, name).map(|raw| java_split(&raw))
}

/// `value.split(",")` with each item trimmed: Java drops trailing empty strings (and an input
/// that is only separators gives nothing), keeps the others.
pub fn java_split(raw: &str) -> Vec<String> {
    let mut items: Vec<String> = raw.split(',').map(|s| s.trim().to_owned()).collect();
    // Java's split drops trailing empty strings before trimming; "a, " keeps " " (trimmed to "").
    let mut untrimmed: Vec<&str> = raw.split(',').collect();
    while untrimmed.last().is_some_and(|s| s.is_empty()) && untrimmed.len() > 1 {
        untrimmed.pop();
        items.pop();
    }
    if raw.is_empty() {
        return vec![String::new()];
    }
    if untrimmed.len() == 1 && untrimmed[0].is_empty() {
        items.clear();
    }
    items
}

/// `Field::isRequired`: the value given and not blank; the problem recorded otherwise.
pub fn required(p: &mut Props<'_>, config: &ConfigMap, name: &str) -> Option<String> {
    match p.raw(config, name) {
        Some(v) if !v.trim().is_empty() => Some(v),
        _ => {
            p.problem(name, "A value is required");
            None
        }
    }
}

/// `Field::notContainEmptyElements` and (with `no_spaces`) `Field::notContainSpaceInAnyElement`
/// on a list that was given.
pub fn check_elements(p: &mut Props<'_>, name: &str, items: &[String], no_spaces: bool) {
    if items.iter().any(String::is_empty) {
        p.problem(name, "Empty string element(s) not permitted");
    }
    if no_spaces && items.iter().any(|i| i.contains(' ')) {
        p.problem(name, "Element(s) containing space not permitted");
    }
}

/// `SmtManager.isValidEnvelope`: a value whose schema is named `*.Envelope`.
pub fn is_envelope(value: &SchemaAndValue) -> bool {
    value
        .schema
        .as_ref()
        .and_then(|s| s.name.as_deref())
        .is_some_and(|n| n.ends_with(".Envelope"))
}

/// The struct field `name` of `schema`/`values`, as `Struct.get(name)` finds it (the field's
/// default for a null value): `Err` with Connect's message when the schema has no such field.
pub fn struct_get<'v>(
    schema: &'v Schema,
    values: &'v [cdc_core::Value],
    name: &str,
) -> Result<(&'v std::sync::Arc<Schema>, &'v cdc_core::Value), String> {
    let i = schema
        .fields
        .iter()
        .position(|f| f.name == name)
        .ok_or_else(|| format!("{name} is not a valid field name"))?;
    let field = &schema.fields[i];
    let value = values.get(i).unwrap_or(&cdc_core::Value::Null);
    match (value, &field.schema.default) {
        (cdc_core::Value::Null, Some(d)) => Ok((&field.schema, d)),
        _ => Ok((&field.schema, value)),
    }
}

/// A value with a struct schema: its schema and field values.
pub fn as_struct(value: &SchemaAndValue) -> Option<(&std::sync::Arc<Schema>, &[cdc_core::Value])> {
    match (&value.schema, &value.value) {
        (Some(s), cdc_core::Value::Struct(v)) if s.kind == SchemaType::Struct => Some((s, v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_as_java_does() {
        assert_eq!(java_split("a, b"), vec!["a", "b"]);
        assert_eq!(java_split("a,,b"), vec!["a", "", "b"]);
        assert_eq!(java_split("a,b,,"), vec!["a", "b"]);
        assert_eq!(java_split("a, "), vec!["a", ""]);
        assert_eq!(java_split(""), vec![""]);
        assert_eq!(java_split(",,"), Vec::<String>::new());
    }
}
