//! Debezium's `ExtractNewRecordState` ("unwrap"): a change event's envelope replaced by its
//! row state (`after`; `before` for a rewritten delete), with optional metadata fields and
//! headers, deletes and tombstones handled per `delete.tombstone.handling.mode` (or the
//! deprecated `drop.tombstones` + `delete.handling.mode`), and fields a header lists dropped
//! (`drop.fields.*`, [`crate::drop_fields`]). Records that are not change events
//! (schema changes, heartbeats, transaction metadata, schemaless values) pass unchanged, as do
//! truncate and message events.

use std::sync::Arc;

use cdc_core::{ConfigErrors, ConfigMap, Field, Schema, SchemaAndValue, SchemaType, Value};

use crate::chain::Props;
use crate::drop_fields::{DropFields, Parts};
use crate::row_plan::{FieldFrom, RowShape, RowValue};
use crate::structs::{field_index, header_bytes, struct_basics, SchemaMemo};
use crate::{ConnectRecord, Transform};

pub const CLASSES: &[&str] = &["io.debezium.transforms.ExtractNewRecordState"];

/// What happens to deletes and tombstones (`delete.tombstone.handling.mode`), as Debezium 3.6
/// does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Deletes and tombstones dropped.
    Drop,
    /// (The default.) A delete becomes a record whose value is null with the row's schema; the
    /// tombstones that follow deletes are dropped.
    Tombstone,
    /// Deletes become `before` with `__deleted=true`; tombstones dropped.
    Rewrite,
    /// As `Rewrite`, tombstones kept.
    RewriteWithTombstone,
    /// Deletes become tombstones (a null value, no schema); the original tombstones dropped.
    DeleteToTombstone,
}

/// A metadata field (`add.fields`/`add.headers`): `op`, `ts_ms`, `ts_us` and `ts_ns` are the
/// envelope's, a plain name is `source`'s, `struct.field` names its struct.
#[derive(Debug, Clone)]
struct FieldRef {
    /// The envelope's struct holding it, `None` for the envelope itself.
    parent: Option<String>,
    field: String,
    /// The added field's or header's name, with its prefix.
    name: String,
}

impl FieldRef {
    fn parse(spec: &str, prefix: &str) -> FieldRef {
        match spec.split_once('.') {
            Some((parent, field)) => FieldRef {
                parent: Some(parent.to_owned()),
                field: field.to_owned(),
                name: format!("{prefix}{parent}_{field}"),
            },
            None => FieldRef {
                parent: (!matches!(spec, "op" | "ts_ms" | "ts_us" | "ts_ns"))
                    .then(|| "source".to_owned()),
                field: spec.to_owned(),
                name: format!("{prefix}{spec}"),
            },
        }
    }

    /// The field's schema and value in `envelope`.
    fn read(&self, schema: &Schema, values: &[Value]) -> Option<(Arc<Schema>, Value)> {
        let (schema, values) = match &self.parent {
            None => (schema, values),
            Some(parent) => {
                let i = field_index(schema, parent)?;
                let inner = &schema.fields[i].schema;
                match &values[i] {
                    Value::Struct(v) => (&**inner, &v[..]),
                    _ => {
                        let j = field_index(inner, &self.field)?;
                        return Some((inner.fields[j].schema.clone(), Value::Null));
                    }
                }
            }
        };
        let i = field_index(schema, &self.field)?;
        Some((schema.fields[i].schema.clone(), values[i].clone()))
    }
}

struct ExtractNewRecordState {
    mode: Mode,
    /// Row schemas with the added fields, for rows as they are, kept (`__deleted=false`) and
    /// deleted (`__deleted=true`).
    schemas: [SchemaMemo; 3],
    fields: Vec<FieldRef>,
    headers: Vec<FieldRef>,
    route_by_field: Option<String>,
    /// `drop.fields.header.name` (not blank) and its options.
    drop_fields: Option<DropFields>,
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
    let mode = match p
        .one_of(
            "delete.tombstone.handling.mode",
            "tombstone",
            &[
                "drop",
                "tombstone",
                "rewrite",
                "rewrite-with-tombstone",
                "delete-to-tombstone",
            ],
        )
        .as_str()
    {
        "drop" => Mode::Drop,
        "rewrite" => Mode::Rewrite,
        "rewrite-with-tombstone" => Mode::RewriteWithTombstone,
        "delete-to-tombstone" => Mode::DeleteToTombstone,
        _ => Mode::Tombstone,
    };
    // `drop.tombstones` and `delete.handling.mode` were removed in Debezium 3, whose
    // ExtractNewRecordState accepts and does not apply them (docs/compat.md): the same here, so
    // configs such as the Debezium tutorial's run as they do on Debezium 3.6.
    let _ = (
        p.optional_string("drop.tombstones"),
        p.optional_string("delete.handling.mode"),
    );
    let field_prefix = p.string("add.fields.prefix", "__");
    let header_prefix = p.string("add.headers.prefix", "__");
    let fields = p
        .list("add.fields")
        .iter()
        .map(|f| FieldRef::parse(f, &field_prefix))
        .collect();
    let headers = p
        .list("add.headers")
        .iter()
        .map(|f| FieldRef::parse(f, &header_prefix))
        .collect();
    let route_by_field = p.optional_string("route.by.field");
    let drop_header = p.raw(config, "drop.fields.header.name");
    let from_key = p.bool("drop.fields.from.key", false);
    let keep_schema_compatible = p.bool("drop.fields.keep.schema.compatible", true);
    let drop_fields = drop_header
        .filter(|h| !h.trim().is_empty())
        .map(|header| DropFields {
            header,
            from_key,
            keep_schema_compatible,
        });
    if p.optional_string("replace.null.with.default").is_some() {
        p.bool("replace.null.with.default", true);
    }
    Some(p.finish().map(|()| {
        Box::new(ExtractNewRecordState {
            mode,
            schemas: Default::default(),
            fields,
            headers,
            route_by_field,
            drop_fields,
        }) as Box<dyn Transform>
    }))
}

const DELETED: &str = "__deleted";

impl ExtractNewRecordState {
    /// `state` (a row struct of `envelope`) under a required copy of its schema, with
    /// `__deleted` and the added fields (optional; a name the event lacks is left out, as
    /// Debezium does). The schema is derived once per row schema.
    fn with_fields(
        &self,
        state_schema: &Arc<Schema>,
        mut values: Vec<Value>,
        envelope: (&Schema, &[Value]),
        deleted: Option<bool>,
    ) -> SchemaAndValue {
        let memo = match deleted {
            None => &self.schemas[0],
            Some(false) => &self.schemas[1],
            Some(true) => &self.schemas[2],
        };
        let schema = memo.get_or(state_schema, || {
            let mut schema = struct_basics(state_schema);
            schema.fields = state_schema.fields.clone();
            if deleted.is_some() {
                schema.fields.push(Field {
                    name: DELETED.into(),
                    schema: Arc::new(Schema::string().optional()),
                });
            }
            for f in &self.fields {
                if let Some((field_schema, _)) = f.read(envelope.0, envelope.1) {
                    let mut optional = (*field_schema).clone();
                    optional.optional = true;
                    optional.default = None;
                    schema.fields.push(Field {
                        name: f.name.clone(),
                        schema: Arc::new(optional),
                    });
                }
            }
            schema
        });
        if let Some(d) = deleted {
            values.push(Value::String(if d { "true" } else { "false" }.into()));
        }
        for f in &self.fields {
            if let Some((_, value)) = f.read(envelope.0, envelope.1) {
                values.push(value);
            }
        }
        SchemaAndValue {
            schema: Some(schema),
            value: Value::Struct(values),
        }
    }
}

impl Transform for ExtractNewRecordState {
    /// A read event becomes its row as it is: without added fields or headers, routing by a
    /// field, dropped fields, or `__deleted` (rewrite modes).
    fn row_plan(&self, mut shape: RowShape) -> Option<RowShape> {
        if !self.fields.is_empty()
            || !self.headers.is_empty()
            || self.route_by_field.is_some()
            || self.drop_fields.is_some()
            || matches!(self.mode, Mode::Rewrite | Mode::RewriteWithTombstone)
        {
            return None;
        }
        let RowValue::Envelope { row_fields } = &shape.value else {
            return None;
        };
        shape.value = RowValue::Struct(
            row_fields
                .iter()
                .enumerate()
                .map(|(i, name)| (name.clone(), FieldFrom::Row(i)))
                .collect(),
        );
        Some(shape)
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let Some(value) = record.value.take() else {
            // A tombstone.
            return Ok(match self.mode {
                Mode::RewriteWithTombstone => Some(record),
                Mode::Drop | Mode::Tombstone | Mode::Rewrite | Mode::DeleteToTombstone => None,
            });
        };
        let envelope_schema = value
            .schema
            .clone()
            .filter(|s| s.kind == SchemaType::Struct)
            .filter(|s| s.name.as_deref().is_some_and(|n| n.ends_with(".Envelope")));
        let (schema, mut values) = match (envelope_schema, value.value) {
            (Some(schema), Value::Struct(values)) => (schema, values),
            (_, other) => {
                // Not a change event: unchanged.
                record.value = Some(SchemaAndValue {
                    schema: value.schema,
                    value: other,
                });
                return Ok(Some(record));
            }
        };
        let op = field_index(&schema, "op").and_then(|i| match &values[i] {
            Value::String(s) => Some(s.clone()),
            _ => None,
        });
        if matches!(op.as_deref(), Some("t" | "m")) {
            record.value = Some(SchemaAndValue {
                schema: Some(schema),
                value: Value::Struct(values),
            });
            return Ok(Some(record));
        }
        for h in &self.headers {
            let v = h.read(&schema, &values).map_or(Value::Null, |(_, v)| v);
            record.headers.push((h.name.clone(), header_bytes(&v)));
        }
        // A row state (`after` or `before`) taken out of the envelope: its schema and values.
        let mut take = |name: &str| -> Option<(Arc<Schema>, Option<Vec<Value>>)> {
            let i = field_index(&schema, name)?;
            let s = schema.fields[i].schema.clone();
            match std::mem::replace(&mut values[i], Value::Null) {
                Value::Struct(v) => Some((s, Some(v))),
                _ => Some((s, None)),
            }
        };
        let (after_schema, after) = take("after").ok_or("the change event has no after field")?;
        let before = match after {
            Some(_) => None,
            None => take("before"),
        };
        // The topic named by a field of the row: `after`, or `before` for a delete.
        if let Some(field) = &self.route_by_field {
            let row = match (&after, &before) {
                (Some(a), _) => Some((&after_schema, a)),
                (None, Some((s, Some(b)))) => Some((s, b)),
                _ => None,
            };
            if let Some((s, v)) = row {
                if let Some(Value::String(topic)) = field_index(s, field).map(|i| &v[i]) {
                    record.topic = topic.to_string().into();
                }
            }
        }
        let envelope = (&*schema, &values[..]);
        let rewrite = matches!(self.mode, Mode::Rewrite | Mode::RewriteWithTombstone);
        // The value's fields that `drop.fields.*` may drop: all of them, but on a delete only
        // those before the added fields, which Debezium adds after dropping.
        let mut droppable = usize::MAX;
        record.value = match after {
            Some(after) => {
                Some(self.with_fields(&after_schema, after, envelope, rewrite.then_some(false)))
            }
            None => match self.mode {
                Mode::Drop => return Ok(None),
                Mode::DeleteToTombstone => None,
                Mode::Tombstone => Some(SchemaAndValue {
                    schema: Some(after_schema),
                    value: Value::Null,
                }),
                Mode::Rewrite | Mode::RewriteWithTombstone => {
                    let (before_schema, before) =
                        before.ok_or("the change event has no before field")?;
                    match before {
                        Some(before) => {
                            // The row's fields and `__deleted`.
                            droppable = before.len() + 1;
                            Some(self.with_fields(&before_schema, before, envelope, Some(true)))
                        }
                        None => Some(SchemaAndValue {
                            schema: Some(before_schema),
                            value: Value::Null,
                        }),
                    }
                }
            },
        };
        if let Some(drop) = &self.drop_fields {
            drop.apply(Parts {
                headers: &record.headers,
                key: &mut record.key,
                value: &mut record.value,
                droppable,
            })?;
        }
        Ok(Some(record))
    }
}
