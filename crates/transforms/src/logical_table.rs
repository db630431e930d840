//! Debezium's `ByLogicalTableRouter`: change events of several physical tables (shards) routed
//! to one logical table's topic. A topic matching `topic.regex` (whole) is renamed by
//! `topic.replacement`; the key (a struct) gets the schema name `<new topic>.Key` and, with
//! `key.enforce.uniqueness` (default true), a string field `key.field.name`
//! (`__dbz__physicalTableIdentifier`) holding the old topic, or what `key.field.regex` and
//! `key.field.replacement` make of it. A change event's envelope and row schemas are renamed
//! `<new topic>.Envelope` and `<new topic>.Value`; other values (tombstones, heartbeats, schema
//! changes) pass as they are. Schema names go through `schema.name.adjustment.mode` (`none`,
//! `avro`, `avro_unicode`). A topic that does not match, or whose replacement is empty, passes
//! unchanged.
//!
//! Debezium 3.6.1 ships it under this name only (`ToLogicalTopicRouter` came later).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use cdc_core::{ConfigErrors, ConfigMap, Field, Schema, SchemaAndValue, SchemaType, Value};
use regex::Regex;

use crate::chain::Props;
use crate::debezium_config::{is_envelope, required};
use crate::structs::java_class;
use crate::{java_regex, ConnectRecord, Transform};

pub const CLASSES: &[&str] = &["io.debezium.transforms.ByLogicalTableRouter"];

/// `schema.name.adjustment.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adjustment {
    None,
    /// Invalid characters become `_` (a leading digit is kept after it).
    Avro,
    /// Invalid characters become `_uXXXX`.
    AvroUnicode,
}

/// The transform `class` configured from `prefix`'s properties; `None` for a class not here.
pub fn build(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Option<Result<Box<dyn Transform>, ConfigErrors>> {
    if class != CLASSES[0] {
        return None;
    }
    let mut p = Props::new(config, prefix);
    let topic =
        required(&mut p, config, "topic.regex").and_then(|r| compile(&mut p, "topic.regex", &r));
    let topic_replacement = required(&mut p, config, "topic.replacement")
        .and_then(|r| translate(&mut p, "topic.replacement", &r));
    // Values as given (Debezium's Configuration does not trim them), except where noted.
    let key_regex_raw = p.raw(config, "key.field.regex");
    let key_replacement_raw = p.raw(config, "key.field.replacement");
    let key_regex = match key_regex_raw.as_deref() {
        Some(r) if !r.trim().is_empty() => compile(&mut p, "key.field.regex", r),
        _ => None,
    };
    let key_replacement = match (&key_regex, key_replacement_raw.as_deref()) {
        (Some(_), Some(r)) if !r.trim().is_empty() => translate(&mut p, "key.field.replacement", r),
        (Some(_), _) => {
            p.problem(
                "key.field.replacement",
                "key.field.replacement must be non-empty if key.field.regex is set.",
            );
            None
        }
        (None, _) => None,
    };
    let key_field = p
        .raw(config, "key.field.name")
        .unwrap_or_else(|| "__dbz__physicalTableIdentifier".to_owned());
    // Typed as `ConfigDef` types them (Debezium validates the field's type): a boolean is
    // `true` or `false` in any case, an int a whole number.
    let enforce = match p.raw(config, "key.enforce.uniqueness") {
        None => true,
        Some(v) if v.trim().eq_ignore_ascii_case("true") => true,
        Some(v) if v.trim().eq_ignore_ascii_case("false") => false,
        Some(_) => {
            p.problem(
                "key.enforce.uniqueness",
                "Value must be either true or false",
            );
            true
        }
    };
    let adjustment = match p
        .raw(config, "schema.name.adjustment.mode")
        .map(|m| m.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("none") => Adjustment::None,
        Some("avro") => Adjustment::Avro,
        Some("avro_unicode") => Adjustment::AvroUnicode,
        Some(_) => {
            p.problem(
                "schema.name.adjustment.mode",
                "Value must be one of none, avro, avro_unicode",
            );
            Adjustment::None
        }
    };
    // A size below 1 caches nothing in Java, which only costs time: at least one entry here.
    let cache_size = match p.raw(config, "logical.table.cache.size") {
        None => 16,
        Some(v) => v.trim().parse::<i32>().unwrap_or_else(|_| {
            p.problem("logical.table.cache.size", "Not a number of type INT");
            16
        }),
    }
    .clamp(1, 4096) as usize;
    let result = p.finish();
    Some(result.map(|()| {
        let (Some(topic), Some(topic_replacement)) = (topic, topic_replacement) else {
            unreachable!("a missing or invalid topic.regex or topic.replacement is a problem");
        };
        let missing_group = java_regex::missing_group(&topic, &topic_replacement);
        let key_missing_group = key_regex
            .as_ref()
            .zip(key_replacement.as_ref())
            .and_then(|(re, r)| java_regex::missing_group(re, r));
        Box::new(ByLogicalTableRouter {
            topic,
            topic_replacement,
            missing_group,
            key: key_regex.zip(key_replacement),
            key_missing_group,
            key_field,
            enforce,
            adjustment,
            cache_size,
            topics: Mutex::default(),
            key_schemas: Mutex::default(),
            envelope_schemas: Mutex::default(),
        }) as Box<dyn Transform>
    }))
}

fn compile(p: &mut Props<'_>, name: &str, pattern: &str) -> Option<Regex> {
    java_regex::whole(pattern)
        .map_err(|e| {
            p.problem(
                name,
                format!("A valid regular expressions is expected, but {e}"),
            )
        })
        .ok()
}

fn translate(p: &mut Props<'_>, name: &str, replacement: &str) -> Option<String> {
    java_regex::replacement(replacement)
        .map_err(|e| p.problem(name, e))
        .ok()
}

/// Derived schemas by the schema they came from (its `Arc`) and the new topic.
type SchemaCache = Mutex<Vec<(Arc<Schema>, Arc<str>, Arc<Schema>)>>;

struct ByLogicalTableRouter {
    topic: Regex,
    topic_replacement: String,
    /// A group the replacement names that the regex lacks: each matching record fails, as in Java.
    missing_group: Option<String>,
    key: Option<(Regex, String)>,
    key_missing_group: Option<String>,
    key_field: String,
    enforce: bool,
    adjustment: Adjustment,
    cache_size: usize,
    /// Old topic to new (`None`: it does not match).
    topics: Mutex<HashMap<Arc<str>, Option<Arc<str>>>>,
    key_schemas: SchemaCache,
    envelope_schemas: SchemaCache,
}

impl ByLogicalTableRouter {
    fn new_topic(&self, old: &Arc<str>) -> Result<Option<Arc<str>>, String> {
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = topics.get(old) {
            return Ok(known.clone());
        }
        let new = if self.topic.is_match(old) {
            if let Some(why) = &self.missing_group {
                return Err(why.clone());
            }
            Some(Arc::from(
                &*self.topic.replace(old, self.topic_replacement.as_str()),
            ))
        } else {
            None
        };
        if topics.len() >= self.cache_size {
            topics.clear();
        }
        topics.insert(old.clone(), new.clone());
        Ok(new)
    }

    fn cached(
        &self,
        cache: &SchemaCache,
        old: &Arc<Schema>,
        topic: &Arc<str>,
        make: impl FnOnce() -> Result<Schema, String>,
    ) -> Result<Arc<Schema>, String> {
        let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, s)) = cache
            .iter()
            .find(|(o, t, _)| Arc::ptr_eq(o, old) && t == topic)
        {
            return Ok(s.clone());
        }
        let made = Arc::new(make()?);
        if cache.len() >= self.cache_size {
            cache.remove(0);
        }
        cache.push((old.clone(), topic.clone(), made.clone()));
        Ok(made)
    }

    fn physical_table(&self, old_topic: &str) -> Result<String, String> {
        match &self.key {
            Some((re, replacement)) if re.is_match(old_topic) => {
                if let Some(why) = &self.key_missing_group {
                    return Err(why.clone());
                }
                Ok(re.replace(old_topic, replacement.as_str()).into_owned())
            }
            _ => Ok(old_topic.to_owned()),
        }
    }
}

impl Transform for ByLogicalTableRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let old_topic = record.topic.clone();
        let Some(new_topic) = self.new_topic(&old_topic)? else {
            return Ok(Some(record));
        };
        if new_topic.is_empty() {
            return Ok(Some(record));
        }
        // A null key (a table without a primary key) stays null, its schema dropped as in Java.
        record.key = match record.key.take().filter(|k| !k.value.is_null()) {
            None => None,
            Some(key) => {
                if !matches!((&key.schema, &key.value), (Some(_), Value::Struct(_))) {
                    return Err(format!(
                        "Only Struct objects supported for [Updating schema], found: {}",
                        java_class(&key.value, key.schema.as_deref())
                    ));
                }
                let (Some(schema), Value::Struct(mut values)) = (key.schema, key.value) else {
                    unreachable!("checked above");
                };
                let new_schema = self.cached(&self.key_schemas, &schema, &new_topic, || {
                    let mut s = renamed(&schema, &self.adjust(&format!("{new_topic}.Key")));
                    s.fields = schema.fields.clone();
                    if self.enforce {
                        if s.fields.iter().any(|f| f.name == self.key_field) {
                            return Err(format!(
                                "Cannot create field because of field name duplication {}",
                                self.key_field
                            ));
                        }
                        s.fields.push(Field {
                            name: self.key_field.clone(),
                            schema: Arc::new(Schema::string()),
                        });
                    }
                    Ok(s)
                })?;
                if self.enforce {
                    values.push(Value::String(self.physical_table(&old_topic)?.into()));
                }
                Some(SchemaAndValue {
                    schema: Some(new_schema),
                    value: Value::Struct(values),
                })
            }
        };
        record.topic = new_topic.clone();
        let Some(value) = record.value.take() else {
            return Ok(Some(record));
        };
        if !is_envelope(&value) {
            record.value = Some(value);
            return Ok(Some(record));
        }
        let (Some(schema), Value::Struct(mut values)) = (value.schema, value.value) else {
            return Err("Only Struct objects supported for [Updating schema]".into());
        };
        let new_schema = self.cached(&self.envelope_schemas, &schema, &new_topic, || {
            let before = schema
                .fields
                .iter()
                .find(|f| f.name == "before")
                .ok_or("the change event has no before field")?;
            let mut row = renamed(&before.schema, &self.adjust(&format!("{new_topic}.Value")));
            row.fields = before.schema.fields.clone();
            let row = Arc::new(row);
            let mut envelope = renamed(&schema, &self.adjust(&format!("{new_topic}.Envelope")));
            envelope.fields = schema
                .fields
                .iter()
                .map(|f| Field {
                    name: f.name.clone(),
                    schema: if f.name == "before" || f.name == "after" {
                        row.clone()
                    } else {
                        f.schema.clone()
                    },
                })
                .collect();
            Ok(envelope)
        })?;
        for (i, f) in schema.fields.iter().enumerate() {
            let Some(v) = values.get_mut(i) else { break };
            if v.is_null() {
                if let Some(d) = &f.schema.default {
                    *v = d.clone();
                }
            }
            if (f.name == "before" || f.name == "after") && !v.is_null() {
                // The row's fields by name into the `before` row schema.
                let Value::Struct(row) = std::mem::replace(v, Value::Null) else {
                    return Err("Only Struct objects supported for [Updating schema]".into());
                };
                let row_schema = &new_schema.fields[i].schema;
                let mut out = vec![Value::Null; row_schema.fields.len()];
                for (field, value) in f.schema.fields.iter().zip(row) {
                    let at = row_schema
                        .fields
                        .iter()
                        .position(|g| g.name == field.name)
                        .ok_or_else(|| format!("{} is not a valid field name", field.name))?;
                    out[at] = value;
                }
                *v = Value::Struct(out);
            }
        }
        record.value = Some(SchemaAndValue {
            schema: Some(new_schema),
            value: Value::Struct(values),
        });
        Ok(Some(record))
    }
}

impl ByLogicalTableRouter {
    fn adjust(&self, name: &str) -> String {
        adjust(name, self.adjustment)
    }
}

/// A struct schema with `source`'s version, doc, parameters and optionality, named `name`,
/// without fields (Debezium's `copySchemaExcludingName`; the default is not copied).
fn renamed(source: &Schema, name: &str) -> Schema {
    let mut s = Schema::new(SchemaType::Struct);
    s.name = Some(name.to_owned());
    s.version = source.version;
    s.doc = source.doc.clone();
    s.parameters = source.parameters.clone();
    s.optional = source.optional;
    s
}

/// `SchemaNameAdjuster.adjust` for `mode`, on UTF-16 code units as Java's: a first character
/// must be a letter or `_` (`avro_unicode`: a letter), the others letters, digits, `_` or `.`.
fn adjust(name: &str, mode: Adjustment) -> String {
    if mode == Adjustment::None || name.is_empty() {
        return name.to_owned();
    }
    let valid_first = |c: u16| {
        matches!(c, 0x61..=0x7a | 0x41..=0x5a) || (c == u16::from(b'_') && mode == Adjustment::Avro)
    };
    let valid_rest = |c: u16| {
        valid_first(c) || c == u16::from(b'_') || c == u16::from(b'.') || (0x30..=0x39).contains(&c)
    };
    let units: Vec<u16> = name.encode_utf16().collect();
    let mut out: Vec<u16> = Vec::with_capacity(units.len() + 4);
    for (i, &c) in units.iter().enumerate() {
        let ok = if i == 0 {
            valid_first(c)
        } else {
            valid_rest(c)
        };
        if ok {
            out.push(c);
            continue;
        }
        match mode {
            Adjustment::AvroUnicode => {
                let mut hex = format!("{c:x}");
                if hex.len() <= 2 {
                    hex = format!("00{hex}");
                }
                out.extend(format!("_u{hex}").encode_utf16());
            }
            _ => {
                out.push(u16::from(b'_'));
                // A leading digit is kept after the underscore.
                if i == 0 && (0x30..=0x39).contains(&c) {
                    out.push(c);
                }
            }
        }
    }
    String::from_utf16_lossy(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_adjust_as_debeziums() {
        assert_eq!(adjust("db-1.t.Key", Adjustment::None), "db-1.t.Key");
        assert_eq!(adjust("db-1.t.Key", Adjustment::Avro), "db_1.t.Key");
        assert_eq!(adjust("1db.t", Adjustment::Avro), "_1db.t");
        assert_eq!(adjust("db-1.t", Adjustment::AvroUnicode), "db_u002d1.t");
        assert_eq!(adjust("_x.é", Adjustment::AvroUnicode), "_u005fx._u00e9");
    }
}
