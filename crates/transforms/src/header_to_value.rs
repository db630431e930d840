//! Debezium's `HeaderToValue`: the headers named in `headers` copied (`operation=copy`) or moved
//! (`move`: removed from the headers) into the value as the fields named at the same position
//! in `fields`; a dotted field name (`source.trace`) goes into that nested struct, which is
//! created when the value lacks it. The value must be a struct; tombstones, and records with
//! none of the headers, pass unchanged.
//!
//! A header's type is what Connect's default header converter makes of its text
//! ([`crate::header_values`]): a header a Debezium transform earlier in the chain added with a
//! schema (an `int64` timestamp, an array) is typed from its text here.

use std::sync::{Arc, Mutex, PoisonError};

use cdc_core::{ConfigErrors, ConfigMap, Field, Schema, SchemaAndValue, SchemaType, Value};

use crate::chain::Props;
use crate::debezium_config::{check_elements, list, required};
use crate::structs::{java_class, struct_basics};
use crate::{header_values, ConnectRecord, Transform};

pub const CLASSES: &[&str] = &["io.debezium.transforms.HeaderToValue"];

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
    let mut lists = Vec::new();
    for name in ["fields", "headers"] {
        let _ = required(&mut p, config, name);
        let items = list(&mut p, config, name).unwrap_or_default();
        check_elements(&mut p, name, &items, true);
        lists.push(items);
    }
    let headers = lists.pop().unwrap_or_default();
    let fields = lists.pop().unwrap_or_default();
    let operation = required(&mut p, config, "operation").map(|o| o.trim().to_ascii_lowercase());
    let mv = match operation.as_deref() {
        Some("move") => true,
        Some("copy") | None => false,
        Some(_) => {
            p.problem("operation", "Value must be one of move, copy");
            false
        }
    };
    if headers.len() != fields.len() {
        p.problem(
            "fields",
            "'fields' config must have the same number of elements as 'headers' config.",
        );
    }
    Some(p.finish().map(|()| {
        Box::new(HeaderToValue {
            pairs: headers.into_iter().zip(fields).collect(),
            mv,
            schemas: Mutex::default(),
        }) as Box<dyn Transform>
    }))
}

/// One header going into the value: the field's (dotted) name, its schema and value.
struct Entry {
    name: String,
    schema: Arc<Schema>,
    value: Value,
}

/// New value schemas by the value schema they extend and the entries' names and schemas.
type SchemaCache = Mutex<Vec<(Arc<Schema>, Vec<(String, Arc<Schema>)>, Arc<Schema>)>>;

struct HeaderToValue {
    /// (header, field).
    pairs: Vec<(String, String)>,
    mv: bool,
    schemas: SchemaCache,
}

const ROOT: &str = "payload";

impl Transform for HeaderToValue {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let Some(value) = record.value.take() else {
            return Ok(Some(record));
        };
        let (Some(schema), Value::Struct(values)) = (&value.schema, &value.value) else {
            return Err(format!(
                "Only Struct objects supported for [Header field insertion], found: {}",
                java_class(&value.value, value.schema.as_deref())
            ));
        };
        if schema.kind != SchemaType::Struct {
            return Err(format!(
                "Only Struct objects supported for [Header field insertion], found: {}",
                java_class(&value.value, Some(schema))
            ));
        }
        // In the headers' order, each header named in `headers` (a repeated header each time).
        let mut entries = Vec::new();
        for (name, bytes) in &record.headers {
            let Some((_, field)) = self.pairs.iter().find(|(h, _)| h == name) else {
                continue;
            };
            let (header_schema, header_value) = header_values::parse(bytes.as_deref())?;
            let header_schema = header_schema
                .ok_or_else(|| format!("fieldSchema for field {field} cannot be null."))?;
            entries.push(Entry {
                name: field.clone(),
                schema: header_schema,
                value: header_value,
            });
        }
        if entries.is_empty() {
            record.value = Some(value);
            return Ok(Some(record));
        }
        let key: Vec<(String, Arc<Schema>)> = entries
            .iter()
            .map(|e| (e.name.clone(), e.schema.clone()))
            .collect();
        let nested: Vec<&str> = entries
            .iter()
            .map(|e| e.name.as_str())
            .filter(|n| n.contains('.'))
            .collect();
        let new_schema = {
            let mut cache = self.schemas.lock().unwrap_or_else(PoisonError::into_inner);
            match cache
                .iter()
                .find(|(s, k, _)| Arc::ptr_eq(s, schema) && *k == key)
            {
                Some((_, _, made)) => made.clone(),
                None => {
                    check_nested_parents(schema, &nested)?;
                    let made = Arc::new(new_schema(ROOT, schema, &entries, &nested, 0)?);
                    if cache.len() >= 64 {
                        cache.remove(0);
                    }
                    cache.push((schema.clone(), key, made.clone()));
                    made
                }
            }
        };
        let new_value = updated_value(ROOT, schema, values, &entries, &new_schema, &nested, 0)?;
        record.value = Some(SchemaAndValue {
            schema: Some(new_schema),
            value: Value::Struct(new_value),
        });
        if self.mv {
            record
                .headers
                .retain(|(n, _)| !self.pairs.iter().any(|(h, _)| h == n));
        }
        Ok(Some(record))
    }
}

/// A nested field's parents that exist must not be primitives.
fn check_nested_parents(schema: &Schema, nested: &[&str]) -> Result<(), String> {
    for name in nested {
        let parts: Vec<&str> = name.split('.').collect();
        let mut current = schema;
        for parent in &parts[..parts.len() - 1] {
            let Some(f) = current.fields.iter().find(|f| f.name == *parent) else {
                break;
            };
            if !matches!(
                f.schema.kind,
                SchemaType::Struct | SchemaType::Array | SchemaType::Map
            ) {
                return Err(format!(
                    "Field '{parent}' is a primitive type, not a struct. Cannot add nested field '{name}'."
                ));
            }
            current = &f.schema;
        }
    }
    Ok(())
}

/// Some nested entry passes through field `name` (Debezium tests `contains(name + ".")`).
fn passes_through(name: &str, nested: &[&str]) -> bool {
    let with_dot = format!("{name}.");
    nested.iter().any(|n| n.contains(&with_dot))
}

/// The name an entry takes in the struct of field `current` at `level`, if it goes there.
fn name_at<'e>(entry: &'e str, current: &str, level: usize) -> Option<&'e str> {
    let parts: Vec<&'e str> = entry.split('.').collect();
    if parts.len() == 1 && current == ROOT {
        return Some(parts[0]);
    }
    let parent = if level == 0 { 0 } else { level - 1 };
    (parts.len() == level + 1 && parts[parent] == current).then(|| parts[level])
}

/// Parents of nested entries the struct of `current` at `level` lacks: created.
fn new_parents<'e>(
    current: &str,
    schema: &Schema,
    nested: &[&'e str],
    level: usize,
) -> Vec<&'e str> {
    let mut out = Vec::new();
    for name in nested {
        let parts: Vec<&'e str> = name.split('.').collect();
        let here = (level == 0 && current == ROOT)
            || (level > 0 && level < parts.len() && parts[level - 1] == current);
        if here && level + 1 < parts.len() {
            let field = parts[level];
            if !schema.fields.iter().any(|f| f.name == field) && !out.contains(&field) {
                out.push(field);
            }
        }
    }
    out
}

/// The name an entry takes in the new parent struct `parent` created at `level`.
fn name_in_new_parent<'e>(
    entry: &'e str,
    parent: &str,
    current: &str,
    level: usize,
) -> Option<&'e str> {
    let parts: Vec<&'e str> = entry.split('.').collect();
    if level == 0 && current == ROOT {
        return (parts.len() > 1 && parts[0] == parent).then(|| parts[1]);
    }
    if level > 0 {
        let so_far = parts[..(level + 1).min(parts.len())].join(".");
        return (so_far == parent && level + 1 < parts.len()).then(|| parts[level + 1]);
    }
    None
}

fn new_schema(
    current: &str,
    old: &Arc<Schema>,
    entries: &[Entry],
    nested: &[&str],
    level: usize,
) -> Result<Schema, String> {
    match old.kind {
        SchemaType::Struct => {}
        SchemaType::Array | SchemaType::Map => {
            return Err("Cannot list fields on non-struct type".into())
        }
        _ => return Ok((**old).clone()),
    }
    // `SchemaUtil.copySchemaBasics`: a required struct with the name, version, doc, parameters.
    let mut out = struct_basics(old);
    for f in &old.fields {
        let schema = if passes_through(&f.name, nested) {
            Arc::new(new_schema(&f.name, &f.schema, entries, nested, level + 1)?)
        } else {
            f.schema.clone()
        };
        out.fields.push(Field {
            name: f.name.clone(),
            schema,
        });
    }
    for e in entries {
        if let Some(name) = name_at(&e.name, current, level) {
            if !out.fields.iter().any(|f| f.name == name) {
                out.fields.push(Field {
                    name: name.to_owned(),
                    schema: e.schema.clone(),
                });
            }
        }
    }
    for parent in new_parents(current, old, nested, level) {
        let mut p = Schema::new(SchemaType::Struct).optional();
        for e in entries {
            if let Some(name) = name_in_new_parent(&e.name, parent, current, level) {
                if p.fields.iter().any(|f| f.name == name) {
                    return Err(format!(
                        "Cannot create field because of field name duplication {name}"
                    ));
                }
                p.fields.push(Field {
                    name: name.to_owned(),
                    schema: e.schema.clone(),
                });
            }
        }
        if out.fields.iter().any(|f| f.name == parent) {
            return Err(format!(
                "Cannot create field because of field name duplication {parent}"
            ));
        }
        out.fields.push(Field {
            name: parent.to_owned(),
            schema: Arc::new(p),
        });
    }
    Ok(out)
}

/// Puts `value` into field `name` of a struct being built under `schema`, checking its type as
/// `Struct.put` does.
fn put(schema: &Schema, out: &mut [Value], name: &str, value: Value) -> Result<(), String> {
    let i = schema
        .fields
        .iter()
        .position(|f| f.name == name)
        .ok_or_else(|| format!("{name} is not a valid field name"))?;
    let expected = schema.fields[i].schema.kind;
    let fits = matches!(
        (&value, expected),
        (Value::Null, _)
            | (Value::Boolean(_), SchemaType::Boolean)
            | (Value::Int8(_), SchemaType::Int8)
            | (Value::Int16(_), SchemaType::Int16)
            | (Value::Int32(_), SchemaType::Int32)
            | (Value::Int64(_), SchemaType::Int64)
            | (Value::Float32(_), SchemaType::Float32)
            | (Value::Float64(_), SchemaType::Float64)
            | (Value::String(_), SchemaType::String)
            | (Value::Bytes(_), SchemaType::Bytes)
            | (Value::Array(_), SchemaType::Array)
            | (Value::Map(_), SchemaType::Map)
            | (Value::Struct(_), SchemaType::Struct)
    );
    if !fits {
        return Err(format!(
            "Invalid Java object for schema with type {}: {} for field: \"{name}\"",
            expected.json_name().to_ascii_uppercase(),
            java_class(&value, None)
        ));
    }
    out[i] = value;
    Ok(())
}

fn updated_value(
    current: &str,
    old_schema: &Schema,
    old: &[Value],
    entries: &[Entry],
    new_schema: &Schema,
    nested: &[&str],
    level: usize,
) -> Result<Vec<Value>, String> {
    let mut out = vec![Value::Null; new_schema.fields.len()];
    for (i, f) in old_schema.fields.iter().enumerate() {
        // `Struct.get(field)`: the default for a null.
        let v = match (old.get(i).unwrap_or(&Value::Null), &f.schema.default) {
            (Value::Null, Some(d)) => d.clone(),
            (v, _) => v.clone(),
        };
        if v.is_null() {
            continue;
        }
        if passes_through(&f.name, nested) {
            let Value::Struct(inner) = v else {
                return Err(format!(
                    "Only Struct objects supported for [Nested field], found: {}",
                    java_class(&v, Some(&f.schema))
                ));
            };
            let inner_new = new_schema
                .fields
                .iter()
                .find(|g| g.name == f.name)
                .map(|g| g.schema.clone())
                .ok_or_else(|| format!("{} is not a valid field name", f.name))?;
            let built = updated_value(
                &f.name,
                &f.schema,
                &inner,
                entries,
                &inner_new,
                nested,
                level + 1,
            )?;
            put(new_schema, &mut out, &f.name, Value::Struct(built))?;
        } else {
            put(new_schema, &mut out, &f.name, v)?;
        }
    }
    for e in entries {
        if let Some(name) = name_at(&e.name, current, level) {
            put(new_schema, &mut out, name, e.value.clone())?;
        }
    }
    for parent in new_parents(current, old_schema, nested, level) {
        let Some(pf) = new_schema.fields.iter().find(|f| f.name == parent) else {
            continue;
        };
        let mut inner = vec![Value::Null; pf.schema.fields.len()];
        for e in entries {
            if let Some(name) = name_in_new_parent(&e.name, parent, current, level) {
                put(&pf.schema, &mut inner, name, e.value.clone())?;
            }
        }
        put(new_schema, &mut out, parent, Value::Struct(inner))?;
    }
    Ok(out)
}
