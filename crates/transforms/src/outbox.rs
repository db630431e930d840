//! Debezium's outbox `EventRouter`: change events of an outbox table become the events they
//! carry, on a topic named by a column (`aggregatetype` → `outbox.event.<aggregatetype>`), keyed
//! by another (`aggregateid`), with the event id as header `id`, the row's `payload` as value
//! (or an envelope with more columns), and the event's timestamp. Inserts and snapshot reads
//! are routed; deletes and tombstones are dropped; updates are dropped (or fail, per
//! `table.op.invalid.behavior`). Other columns may go to headers, the envelope or the record's
//! partition (`table.fields.additional.placement`); a JSON payload may be expanded into a struct
//! (`table.expand.json.payload`, [`crate::json_payload`]); the envelope schema may carry the
//! row's schema version (`table.field.event.schema.version`).

use std::sync::Arc;

use cdc_core::{ConfigErrors, ConfigMap, Field, Schema, SchemaAndValue, SchemaType, Value};
use regex::Regex;

use crate::chain::Props;
use crate::json_payload::{self, Expanded, Nulls};
use crate::structs::{field_index, header_bytes};
use crate::{java_regex, ConnectRecord, Transform};

pub const CLASSES: &[&str] = &["io.debezium.transforms.outbox.EventRouter"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Header,
    Envelope,
    /// The record's partition (an int32 column).
    Partition,
}

struct Additional {
    field: String,
    placement: Placement,
    alias: String,
}

/// What Debezium keys the value envelopes it builds by: the payload's schema, or (with
/// `table.field.event.schema.version`) the row's schema version alone.
#[derive(Debug, Clone, PartialEq)]
enum EnvelopeKey {
    Payload(Option<Arc<Schema>>),
    Version(Option<i32>),
}

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
    /// `table.field.additional.missing=ignore`: additional fields the row lacks are skipped.
    ignore_missing: bool,
    /// `table.field.event.schema.version`.
    schema_version: Option<String>,
    /// `table.expand.json.payload` with its `table.json.payload.null.behavior`.
    expand_json: Option<Nulls>,
    /// Value envelopes (with `additional` envelope fields), kept as Debezium keeps them.
    schemas: std::sync::Mutex<Vec<(EnvelopeKey, Arc<Schema>)>>,
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
            Some("partition") => Some(Placement::Partition),
            _ => None,
        };
        match (parts.len(), placement) {
            (2 | 3, Some(placement)) => additional.push(Additional {
                field: parts[0].trim().to_owned(),
                placement,
                alias: parts.get(2).unwrap_or(&parts[0]).trim().to_string(),
            }),
            _ => p.problem(
                "table.fields.additional.placement",
                format!("{spec:?} is not field:header, field:envelope or field:partition (each with an optional :alias)"),
            ),
        }
    }
    let ignore_missing = p.one_of(
        "table.field.additional.missing",
        "error",
        &["error", "ignore"],
    ) == "ignore";
    // Debezium 3.6 renamed `table.fields.additional.error.on.missing` (3.5) and ignores the old
    // name: refused rather than ignored when it asks for what it no longer does.
    if let Some(v) = p.optional_string("table.fields.additional.error.on.missing") {
        if !v.eq_ignore_ascii_case("true") {
            p.problem(
                "table.fields.additional.error.on.missing",
                "was renamed table.field.additional.missing (error or ignore) in Debezium 3.6, which ignores this name; use table.field.additional.missing=ignore",
            );
        }
    }
    let schema_version = p.optional_string("table.field.event.schema.version");
    let nulls = match p
        .one_of(
            "table.json.payload.null.behavior",
            "ignore",
            &["ignore", "optional_bytes"],
        )
        .as_str()
    {
        "optional_bytes" => Nulls::OptionalBytes,
        _ => Nulls::Ignore,
    };
    let expand_json = p.bool("table.expand.json.payload", false).then_some(nulls);
    if expand_json.is_some() {
        // The expanded fields' names go through this adjuster; only `none` here.
        if let Some(mode) = p.optional_string("field.name.adjustment.mode") {
            if !mode.trim().eq_ignore_ascii_case("none") {
                p.problem(
                    "field.name.adjustment.mode",
                    "only none is implemented by Tributary's outbox EventRouter for expanded JSON payloads",
                );
            }
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
            ignore_missing,
            schema_version,
            expand_json,
            schemas: Default::default(),
        }) as Box<dyn Transform>
    }))
}

impl EventRouter {
    /// The value envelope's schema (`payload` and the envelope-placed fields) for a row of
    /// `row` schema routed by `routed`, named after the row schema with the routed value before
    /// its last part. Debezium builds one per payload schema (per schema version with
    /// `table.field.event.schema.version`) and keeps it, named after the first routed value it
    /// saw: the same here, so the names agree.
    fn envelope_schema(
        &self,
        key: EnvelopeKey,
        payload: Option<&Arc<Schema>>,
        row: &Schema,
        routed: &str,
    ) -> Result<Arc<Schema>, String> {
        let mut cache = self
            .schemas
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, s)) = cache.iter().find(|(k, _)| *k == key) {
            return Ok(s.clone());
        }
        let payload = payload.ok_or(
            "the expanded JSON payload has no schema (an empty array), so no envelope can hold it",
        )?;
        let name = match row.name.as_deref() {
            Some(n) => match n.rfind('.') {
                Some(dot) => format!("{}{routed}.{}", &n[..=dot], &n[dot + 1..]),
                None => format!("{routed}.{n}"),
            },
            None => routed.to_owned(),
        };
        let mut schema = Schema::new(SchemaType::Struct).named(name);
        if let EnvelopeKey::Version(v) = key {
            schema.version = v;
        }
        schema.fields.push(Field {
            name: "payload".into(),
            schema: payload.clone(),
        });
        for a in self
            .additional
            .iter()
            .filter(|a| a.placement == Placement::Envelope)
        {
            match field_index(row, &a.field) {
                Some(i) => schema.fields.push(Field {
                    name: a.alias.clone(),
                    schema: row.fields[i].schema.clone(),
                }),
                None if self.ignore_missing => {}
                None => return Err(format!("Unable to find field {} in event", a.field)),
            }
        }
        let schema = Arc::new(schema);
        if cache.len() >= 64 {
            cache.remove(0);
        }
        cache.push((key, schema.clone()));
        Ok(schema)
    }
}

/// Whether `value` may be put in a field of `schema` (`ConnectSchema.validateValue`, on the
/// values an outbox row holds); a struct's schema is checked by the caller.
fn fits(schema: &Schema, value: &Value) -> bool {
    match value {
        Value::Null => schema.optional || schema.default.is_some(),
        Value::Boolean(_) => schema.kind == SchemaType::Boolean,
        Value::Int8(_) => schema.kind == SchemaType::Int8,
        Value::Int16(_) => schema.kind == SchemaType::Int16,
        Value::Int32(_) => schema.kind == SchemaType::Int32,
        Value::Int64(_) => schema.kind == SchemaType::Int64,
        Value::Float32(_) => schema.kind == SchemaType::Float32,
        Value::Float64(_) => schema.kind == SchemaType::Float64,
        Value::String(_) => schema.kind == SchemaType::String,
        Value::Bytes(_) => schema.kind == SchemaType::Bytes,
        Value::Array(_) => schema.kind == SchemaType::Array,
        Value::Map(_) => schema.kind == SchemaType::Map,
        Value::Struct(_) => schema.kind == SchemaType::Struct,
    }
}

/// `Struct.getInt32`: an int32 field's value (its default when null).
fn int32(schema: &Schema, values: &[Value], name: &str) -> Result<Option<i32>, String> {
    let i = field_index(schema, name).ok_or_else(|| format!("{name} is not a valid field name"))?;
    let field = &schema.fields[i].schema;
    if field.kind != SchemaType::Int32 {
        return Err(format!(
            "Field '{name}' is not of type INT32 but {}",
            field.kind.json_name().to_uppercase()
        ));
    }
    match (&values[i], &field.default) {
        (Value::Int32(n), _) | (Value::Null, Some(Value::Int32(n))) => Ok(Some(*n)),
        _ => Ok(None),
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
        // `Struct.get`: a null read as the field's default.
        let col = |name: &str| {
            field_index(&row_schema, name).map(|i| {
                let s = &row_schema.fields[i].schema;
                match (&row[i], &s.default) {
                    (Value::Null, Some(d)) => (s, d),
                    (v, _) => (s, v),
                }
            })
        };
        let (payload_schema, payload) = col(&self.payload)
            .ok_or_else(|| format!("Unable to find payload field {} in event", self.payload))?;
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
        let (_, event_id) = col(&self.event_id)
            .ok_or_else(|| format!("Unable to find event-id field {} in event", self.event_id))?;
        let mut headers = std::mem::take(&mut record.headers);
        headers.push(("id".into(), header_bytes(event_id)));

        // The payload's schema (`None`: Java's null schema) and value, JSON expanded.
        let mut payload_schema = Some(payload_schema.clone());
        let mut payload = payload.clone();
        // Set when the schema was replaced but the value could not follow it.
        let mut mismatch = None;
        if let (Some(nulls), Value::String(text)) = (self.expand_json, &payload) {
            match json_payload::expand(text, &self.payload, nulls) {
                Expanded::Unchanged(_) => {}
                Expanded::Struct(s, v) => {
                    payload_schema = Some(s);
                    payload = v;
                }
                Expanded::Mismatch(s, why) => {
                    payload_schema = s;
                    mismatch = Some(why);
                }
            }
        }
        let mismatched = |why: &str| {
            format!(
                "the JSON payload of event {} does not fit the schema inferred from it: {why}",
                String::from_utf8_lossy(&header_bytes(event_id).unwrap_or_default())
            )
        };

        let only_headers = self
            .additional
            .iter()
            .all(|a| a.placement != Placement::Envelope);
        let routed = || match col(&self.route_by) {
            Some((_, Value::String(s))) => Ok(s.to_string()),
            _ => Err(format!(
                "the routing field {} is not a string in the event",
                self.route_by
            )),
        };
        let mut envelope = None;
        if !only_headers {
            let key = match &self.schema_version {
                None => EnvelopeKey::Payload(payload_schema.clone()),
                Some(f) => EnvelopeKey::Version(int32(&row_schema, row, f)?),
            };
            let s = self.envelope_schema(key, payload_schema.as_ref(), &row_schema, &routed()?)?;
            // `new Struct(schema).put("payload", payload)`.
            let field = &s.fields[0].schema;
            if let Some(why) = &mismatch {
                return Err(mismatched(why));
            }
            let same_struct = match &payload {
                Value::Struct(_) => payload_schema.as_deref() == Some(&**field),
                _ => true,
            };
            if !fits(field, &payload) || !same_struct {
                return Err(format!(
                    "the payload does not fit the envelope schema Debezium keeps for it (Struct schemas do not match, or a {} payload for a {} field)",
                    crate::structs::java_class(&payload, payload_schema.as_deref()),
                    field.kind.json_name()
                ));
            }
            let mut values = vec![Value::Null; s.fields.len()];
            values[0] = payload.clone();
            envelope = Some((s, values));
        }

        let mut partition = None;
        for a in &self.additional {
            let Some((_, v)) = col(&a.field) else {
                if self.ignore_missing {
                    continue;
                }
                return Err(format!("{} is not a valid field name", a.field));
            };
            match a.placement {
                Placement::Header => headers.push((a.alias.clone(), header_bytes(v))),
                Placement::Envelope => {
                    let Some((s, values)) = &mut envelope else {
                        continue;
                    };
                    let i = field_index(s, &a.alias)
                        .ok_or_else(|| format!("{} is not a valid field name", a.alias))?;
                    if !fits(&s.fields[i].schema, v) {
                        return Err(format!(
                            "the field {} does not fit the envelope schema Debezium keeps for this payload",
                            a.field
                        ));
                    }
                    values[i] = v.clone();
                }
                Placement::Partition => partition = int32(&row_schema, row, &a.field)?,
            }
        }
        let empty = match &payload {
            Value::Null => true,
            // Java's `trim()`: every char up to ' '.
            Value::String(s) => s.trim_matches(|c: char| c <= ' ').is_empty(),
            _ => false,
        };
        let new_value = if empty && self.tombstone_on_empty {
            None
        } else if let Some((s, values)) = envelope {
            Some(SchemaAndValue {
                schema: Some(s),
                value: Value::Struct(values),
            })
        } else {
            if let (Some(why), Some(_)) = (&mismatch, &payload_schema) {
                // Debezium writes the inferred schema with the text, which no converter takes.
                return Err(mismatched(why));
            }
            Some(SchemaAndValue {
                schema: payload_schema,
                value: payload,
            })
        };
        let (key_schema, key) = col(&self.event_key)
            .ok_or_else(|| format!("{} is not a valid field name", self.event_key))?;
        let key = Some(SchemaAndValue {
            schema: Some(key_schema.clone()),
            value: key.clone(),
        });
        let routed = routed()?;
        let topic = if self.route.is_match(&routed) {
            self.route
                .replace(&routed, self.replacement.as_str())
                .into_owned()
        } else {
            routed
        };
        Ok(Some(ConnectRecord {
            topic: topic.into(),
            partition,
            offset: record.offset,
            timestamp_ms: timestamp.or(record.timestamp_ms),
            key,
            value: new_value,
            headers,
        }))
    }
}
