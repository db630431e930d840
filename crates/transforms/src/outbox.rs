//! Debezium's outbox `EventRouter`: change events of an outbox table become the events they
//! carry, on a topic named by a column (`aggregatetype` → `outbox.event.<aggregatetype>`), keyed
//! by another (`aggregateid`), with the event id as header `id`, the row's `payload` as value
//! (or an envelope with more columns), and the event's timestamp. Inserts and snapshot reads
//! are routed; deletes and tombstones are dropped; updates are dropped (or fail, per
//! `table.op.invalid.behavior`).

use std::sync::Arc;

use cdc_core::{ConfigErrors, ConfigMap, Field, Schema, SchemaAndValue, SchemaType, Value};
use regex::Regex;

use crate::chain::Props;
use crate::structs::{field_index, header_bytes};
use crate::{java_regex, ConnectRecord, Transform};

pub const CLASSES: &[&str] = &["io.debezium.transforms.outbox.EventRouter"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Header,
    Envelope,
}

struct Additional {
    field: String,
    placement: Placement,
    alias: String,
}

/// A row schema and the value envelope built for it.
type Envelope = (Arc<Schema>, Arc<Schema>);

struct EventRouter {
    event_id: String,
    event_key: String,
    event_timestamp: Option<String>,
    payload: String,
    route_by: String,
    route: Regex,
    replacement: String,
    tombstone_on_empty: bool,
    fail_on_update: bool,
    additional: Vec<Additional>,
    /// Value envelopes (with `additional` envelope fields), per routed topic's row schema.
    schemas: std::sync::Mutex<Vec<Envelope>>,
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
    let event_id = p.string("table.field.event.id", "id");
    let event_key = p.string("table.field.event.key", "aggregateid");
    let event_timestamp = p.optional_string("table.field.event.timestamp");
    let payload = p.string("table.field.event.payload", "payload");
    let route_by = p.string("route.by.field", "aggregatetype");
    let regex = p.string("route.topic.regex", "(?<routedByValue>.*)");
    let replacement = p.string("route.topic.replacement", "outbox.event.${routedByValue}");
    let tombstone_on_empty = p.bool("route.tombstone.on.empty.payload", false);
    let behavior = p.one_of(
        "table.op.invalid.behavior",
        "warn",
        &["warn", "error", "fatal"],
    );
    let route = java_regex::whole(&regex).unwrap_or_else(|e| {
        p.problem("route.topic.regex", e);
        Regex::new("^$").expect("valid")
    });
    let replacement = java_regex::replacement(&replacement).unwrap_or_else(|e| {
        p.problem("route.topic.replacement", e);
        String::new()
    });
    let mut additional = Vec::new();
    for spec in p.list("table.fields.additional.placement") {
        let parts: Vec<&str> = spec.split(':').collect();
        let placement = match parts
            .get(1)
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some("header") => Some(Placement::Header),
            Some("envelope") => Some(Placement::Envelope),
            _ => None,
        };
        match (parts.len(), placement) {
            (2 | 3, Some(placement)) => additional.push(Additional {
                field: parts[0].to_owned(),
                placement,
                alias: parts.get(2).unwrap_or(&parts[0]).to_string(),
            }),
            _ => p.problem(
                "table.fields.additional.placement",
                format!("{spec:?} is not field:header, field:envelope (each with an optional :alias); the partition placement is not implemented by Tributary yet"),
            ),
        }
    }
    // Debezium 1.x's name, which 3.x ignores (writing the `payload` column whatever it says):
    // refused rather than ignored.
    if p.optional_string("table.field.payload").is_some() {
        p.problem(
            "table.field.payload",
            "is Debezium 1.x's name, which Debezium 3 ignores; use table.field.event.payload",
        );
    }
    // Options that change what is written and are not implemented yet: refused.
    for (name, harmless) in [
        ("table.expand.json.payload", "false"),
        ("table.field.event.schema.version", ""),
        ("table.fields.additional.error.on.missing", "true"),
        ("table.json.payload.null.behavior", "ignore"),
    ] {
        if let Some(v) = p.optional_string(name) {
            if !v.eq_ignore_ascii_case(harmless) {
                p.problem(
                    name,
                    "is not implemented by Tributary's outbox EventRouter yet",
                );
            }
        }
    }
    Some(p.finish().map(|()| {
        Box::new(EventRouter {
            event_id,
            event_key,
            event_timestamp,
            payload,
            route_by,
            route,
            replacement,
            tombstone_on_empty,
            fail_on_update: behavior == "fatal",
            additional,
            schemas: Default::default(),
        }) as Box<dyn Transform>
    }))
}

impl EventRouter {
    /// The value envelope's schema for `row` (the outbox row's schema) routed by `routed`:
    /// `payload` and the envelope-placed fields, named after the row schema with the routed
    /// value before its last part.
    fn envelope_schema(&self, row: &Schema, routed: &str) -> Result<Arc<Schema>, String> {
        let mut cache = self
            .schemas
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Debezium builds the envelope schema once and keeps it, named after the first routed
        // value it saw: the same here, so the names agree.
        if let Some((_, s)) = cache.iter().find(|(rs, _)| **rs == *row) {
            return Ok(s.clone());
        }
        let name = match row.name.as_deref() {
            Some(n) => match n.rfind('.') {
                Some(dot) => format!("{}{routed}.{}", &n[..=dot], &n[dot + 1..]),
                None => format!("{routed}.{n}"),
            },
            None => routed.to_owned(),
        };
        let mut schema = Schema::new(SchemaType::Struct).named(name);
        let field = |name: &str| {
            field_index(row, name)
                .map(|i| row.fields[i].schema.clone())
                .ok_or_else(|| format!("Unable to find field {name} in event"))
        };
        schema.fields.push(Field {
            name: "payload".into(),
            schema: field(&self.payload)?,
        });
        for a in self
            .additional
            .iter()
            .filter(|a| a.placement == Placement::Envelope)
        {
            schema.fields.push(Field {
                name: a.alias.clone(),
                schema: field(&a.field)?,
            });
        }
        let schema = Arc::new(schema);
        if cache.len() >= 64 {
            cache.remove(0);
        }
        cache.push((Arc::new(row.clone()), schema.clone()));
        Ok(schema)
    }
}

impl Transform for EventRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let Some(value) = &record.value else {
            return Ok(None);
        };
        let envelope = value
            .schema
            .as_ref()
            .filter(|s| s.kind == SchemaType::Struct)
            .filter(|s| s.name.as_deref().is_some_and(|n| n.ends_with(".Envelope")));
        let (Some(schema), Value::Struct(values)) = (envelope, &value.value) else {
            return Ok(Some(record));
        };
        let get = |name: &str| field_index(schema, name).map(|i| &values[i]);
        match get("op") {
            Some(Value::String(op)) if &**op == "d" => return Ok(None),
            Some(Value::String(op)) if &**op == "u" => {
                if self.fail_on_update {
                    return Err("Unexpected update message received, fail.".into());
                }
                return Ok(None);
            }
            _ => {}
        }
        let i = field_index(schema, "after").ok_or("the change event has no after field")?;
        let row_schema = schema.fields[i].schema.clone();
        let Value::Struct(row) = &values[i] else {
            return Err(
                "Only Struct objects supported for [Read Outbox Event], found: null".into(),
            );
        };
        let col = |name: &str| {
            field_index(&row_schema, name).map(|i| (&row_schema.fields[i].schema, &row[i]))
        };
        let (payload_schema, payload) = col(&self.payload)
            .ok_or_else(|| format!("Unable to find payload field {} in event", self.payload))?;
        let (_, event_id) = col(&self.event_id)
            .ok_or_else(|| format!("Unable to find event-id field {} in event", self.event_id))?;
        let timestamp = match &self.event_timestamp {
            None => None,
            Some(f) => {
                let (s, v) =
                    col(f).ok_or_else(|| format!("Unable to find timestamp field {f} in event"))?;
                match v {
                    Value::Int64(t) => Some(match s.name.as_deref() {
                        Some(
                            "org.apache.kafka.connect.data.Timestamp"
                            | "io.debezium.time.Timestamp",
                        ) => *t,
                        Some("io.debezium.time.MicroTimestamp") => t / 1_000,
                        Some("io.debezium.time.NanoTimestamp") => t / 1_000_000,
                        other => {
                            return Err(format!(
                                "Unsupported field type {} for event timestamp",
                                other.unwrap_or("without logical schema name")
                            ))
                        }
                    }),
                    _ => None,
                }
            }
        };
        let timestamp = timestamp.or_else(|| match get("ts_ms") {
            Some(Value::Int64(t)) => Some(*t),
            _ => None,
        });
        let routed = match col(&self.route_by) {
            Some((_, Value::String(s))) => s.to_string(),
            _ => {
                return Err(format!(
                    "the routing field {} is not a string in the event",
                    self.route_by
                ))
            }
        };
        let mut headers = std::mem::take(&mut record.headers);
        headers.push(("id".into(), header_bytes(event_id)));
        let mut extra = Vec::new();
        for a in &self.additional {
            let (_, v) = col(&a.field)
                .ok_or_else(|| format!("Unable to find field {} in event", a.field))?;
            match a.placement {
                Placement::Header => headers.push((a.alias.clone(), header_bytes(v))),
                Placement::Envelope => extra.push(v.clone()),
            }
        }
        let empty = match payload {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            _ => false,
        };
        let new_value = if empty && self.tombstone_on_empty {
            None
        } else if self
            .additional
            .iter()
            .all(|a| a.placement != Placement::Envelope)
        {
            Some(SchemaAndValue {
                schema: Some(payload_schema.clone()),
                value: payload.clone(),
            })
        } else {
            let mut values = vec![payload.clone()];
            values.extend(extra);
            Some(SchemaAndValue {
                schema: Some(self.envelope_schema(&row_schema, &routed)?),
                value: Value::Struct(values),
            })
        };
        let key = col(&self.event_key).map(|(s, v)| SchemaAndValue {
            schema: Some(s.clone()),
            value: v.clone(),
        });
        let topic = if self.route.is_match(&routed) {
            self.route
                .replace(&routed, self.replacement.as_str())
                .into_owned()
        } else {
            routed
        };
        Ok(Some(ConnectRecord {
            topic: topic.into(),
            partition: None,
            offset: record.offset,
            timestamp_ms: timestamp.or(record.timestamp_ms),
            key,
            value: new_value,
            headers,
        }))
    }
}
