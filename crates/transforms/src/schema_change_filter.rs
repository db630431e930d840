//! Debezium's `SchemaChangeEventFilter`: drops schema change events (values whose schema is
//! named `*.SchemaChangeValue` or `*.SchemaChangeKey`) of the kinds listed in
//! `schema.change.event.exclude.list` (`CREATE`, `ALTER`, `DROP`, `TRUNCATE`, `DATABASE`). The
//! kind is the `type` of the first of the event's `tableChanges`; no table changes is `DATABASE`,
//! and a null `tableChanges` drops the event. Every other record passes unchanged.

use cdc_core::{ConfigErrors, ConfigMap, Value};

use crate::chain::Props;
use crate::debezium_config::{as_struct, required, struct_get};
use crate::{ConnectRecord, Transform};

pub const CLASSES: &[&str] = &["io.debezium.transforms.SchemaChangeEventFilter"];

const KINDS: &[&str] = &["CREATE", "ALTER", "DROP", "TRUNCATE", "DATABASE"];

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
    let name = "schema.change.event.exclude.list";
    let mut excluded = Vec::new();
    if let Some(raw) = required(&mut p, config, name) {
        // `String.split(",")` then `SchemaChangeEventType.valueOf` on each trimmed item: names
        // are case-sensitive, an empty item is an error.
        for item in crate::debezium_config::java_split(&raw) {
            match KINDS.iter().find(|k| **k == item) {
                Some(k) => excluded.push(*k),
                None => p.problem(
                    name,
                    format!(
                        "{item:?} is not a schema change event type (one of {})",
                        KINDS.join(", ")
                    ),
                ),
            }
        }
    }
    Some(
        p.finish()
            .map(|()| Box::new(SchemaChangeEventFilter { excluded }) as Box<dyn Transform>),
    )
}

struct SchemaChangeEventFilter {
    excluded: Vec<&'static str>,
}

impl Transform for SchemaChangeEventFilter {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let Some(value) = &record.value else {
            return Ok(Some(record));
        };
        let is_schema_change = value
            .schema
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .is_some_and(|n| n.ends_with(".SchemaChangeValue") || n.ends_with(".SchemaChangeKey"));
        if !is_schema_change {
            return Ok(Some(record));
        }
        let (schema, values) = as_struct(value).ok_or_else(|| {
            "Only Struct objects supported for [Read schema change event to filter]".to_owned()
        })?;
        let (_, changes) = struct_get(schema, values, "tableChanges")?;
        let kind = match changes {
            Value::Null => return Ok(None),
            Value::Array(changes) => match changes.first() {
                None => "DATABASE",
                Some(Value::Struct(first)) => {
                    let change_schema = schema
                        .fields
                        .iter()
                        .find(|f| f.name == "tableChanges")
                        .and_then(|f| f.schema.items.clone())
                        .ok_or("tableChanges is not an array of structs")?;
                    match struct_get(&change_schema, first, "type")?.1 {
                        Value::String(t) => KINDS
                            .iter()
                            .find(|k| **k == &**t)
                            .ok_or_else(|| format!("{t:?} is not a schema change event type"))?,
                        Value::Null => return Err("the first table change has a null type".into()),
                        other => {
                            return Err(format!(
                                "the first table change's type is a {}, not a string",
                                other.kind()
                            ))
                        }
                    }
                }
                Some(other) => {
                    return Err(format!(
                        "a table change is a {}, not a struct",
                        other.kind()
                    ))
                }
            },
            other => return Err(format!("tableChanges is a {}, not an array", other.kind())),
        };
        Ok(if self.excluded.contains(&kind) {
            None
        } else {
            Some(record)
        })
    }
}
