//! Key and value converters configured with Kafka Connect's property names, and the conversion of
//! a group of batches into the bytes the log stores.

use std::collections::HashMap;
use std::sync::Arc;

use cdc_core::json::{schema_json, DecimalFormat};
use cdc_core::json_write::{write_planned, Plan};
use cdc_core::{
    Batch, ConfigErrors, ConfigMap, ConfigReader, ConnectorError, Data, DeferredRows,
    JsonConverter, QueueBounds, Record, RowDecoder, Schema, StructField, Value,
};

use super::avro::{self, AvroConvertError, AvroSettings, AvroSide, AVRO_CONVERTER};
use super::retry::TransientRetry;
use crate::log::Payload;
use crate::registry::Registry;

/// Connect's JSON converter class.
pub const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";

/// One converter (`key.converter` or `value.converter`) with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Converter {
    Json(JsonConverter),
    Avro(AvroSettings),
}

impl Default for Converter {
    fn default() -> Self {
        Converter::Json(JsonConverter::default())
    }
}

impl From<JsonConverter> for Converter {
    fn from(c: JsonConverter) -> Self {
        Converter::Json(c)
    }
}

/// The key and value converters of a connector task, and the worker's embedded schema
/// registry for AvroConverters without `schema.registry.url`.
#[derive(Clone, Default)]
pub struct Converters {
    pub key: Converter,
    pub value: Converter,
    embedded: Option<Registry>,
    /// Headers added to every record (Debezium's `__debezium.context.*`).
    context_headers: Arc<[(String, Vec<u8>)]>,
    /// The connector's transforms (`None` without any: no cost).
    transforms: Option<Arc<transforms::Chain>>,
    /// `errors.tolerance=all`: a record a transform fails is skipped (logged with
    /// `errors.log.enable`) instead of failing the task.
    tolerate: Option<SourceTolerance>,
    /// How transient converter failures (a registry outage) are retried.
    retry: TransientRetry,
}

/// A source connector's `errors.tolerance=all`: a record a transform or a converter fails is
/// skipped instead of failing the task, logged with `errors.log.enable`, and, beyond Connect
/// (which has no dead-letter queue for sources), kept on `errors.deadletterqueue.topic.name`.
#[derive(Debug, Clone)]
pub struct SourceTolerance {
    pub log: bool,
    pub dead_letters: Option<SourceDeadLetters>,
}

/// Where a source connector's failed records go: the record as the source made it (before any
/// transform), in JsonConverter's form with schemas, so that nothing of it is lost whatever the
/// connector's converters are; with `errors.deadletterqueue.context.headers.enable`, Connect's
/// `__connect.errors.*` headers say where it was going and why it failed. It is written in the
/// same append as the records around it, with the same offset.
#[derive(Debug, Clone)]
pub struct SourceDeadLetters {
    pub topic: Arc<str>,
    pub connector: String,
    pub context_headers: bool,
}

impl SourceTolerance {
    /// `errors.tolerance`, `errors.log.enable` and the dead-letter queue of source connector
    /// `connector`'s config (`None` for `errors.tolerance=none`, Connect's default). A
    /// dead-letter queue without `errors.tolerance=all` is an error, as it is for sinks: every
    /// failure would fail the task first.
    pub fn from_config(
        connector: &str,
        config: &ConfigMap,
    ) -> Result<Option<SourceTolerance>, ConfigErrors> {
        let mut r = ConfigReader::new(config);
        let all = r.one_of("errors.tolerance", "none", &["none", "all"]) == "all";
        let log = r.bool("errors.log.enable", false);
        let topic = r
            .optional_string("errors.deadletterqueue.topic.name")
            .filter(|t| !t.trim().is_empty());
        let context_headers = r.bool("errors.deadletterqueue.context.headers.enable", false);
        if topic.is_some() && !all {
            r.problem(
                "errors.deadletterqueue.topic.name",
                "a dead-letter queue needs errors.tolerance=all (with none, the first failed record fails the task)",
            );
        }
        r.finish()?;
        Ok(all.then(|| SourceTolerance {
            log,
            dead_letters: topic.map(|t| SourceDeadLetters {
                topic: Arc::from(t.trim()),
                connector: connector.to_owned(),
                context_headers,
            }),
        }))
    }
}

/// A header list shared by every record of a connector.
pub type SharedHeaders = Arc<[(String, Vec<u8>)]>;

impl std::fmt::Debug for Converters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converters")
            .field("key", &self.key)
            .field("value", &self.value)
            .field("embedded_registry", &self.embedded.is_some())
            .finish()
    }
}

impl Converters {
    pub fn new(key: impl Into<Converter>, value: impl Into<Converter>) -> Self {
        Converters {
            key: key.into(),
            value: value.into(),
            embedded: None,
            context_headers: Arc::new([]),
            transforms: None,
            tolerate: None,
            retry: TransientRetry::default(),
        }
    }

    /// Retries transient converter failures as `retry` says.
    pub fn with_retry(mut self, retry: TransientRetry) -> Self {
        self.retry = retry;
        self
    }

    /// Skips (rather than fails on) records a transform fails.
    pub fn with_tolerance(mut self, tolerate: Option<SourceTolerance>) -> Self {
        self.tolerate = tolerate;
        self
    }

    /// Applies `chain` to every record before it is converted.
    pub fn with_transforms(mut self, chain: transforms::Chain) -> Self {
        self.transforms = (!chain.is_empty()).then(|| Arc::new(chain));
        self
    }

    /// Adds `headers` to every record, after the record's own headers.
    pub fn with_context_headers(mut self, headers: Vec<(String, Vec<u8>)>) -> Self {
        self.context_headers = headers.into();
        self
    }

    /// Whether a converter needs the embedded registry (AvroConverter without a URL).
    pub fn needs_embedded_registry(&self) -> bool {
        [&self.key, &self.value]
            .iter()
            .any(|c| matches!(c, Converter::Avro(a) if a.registry_urls.is_empty()))
    }

    /// Gives AvroConverters without `schema.registry.url` the worker's embedded registry.
    pub fn with_embedded_registry(mut self, registry: Registry) -> Self {
        self.embedded = Some(registry);
        self
    }

    /// Reads `key.converter`, `value.converter` and their settings the way Kafka Connect does:
    /// a connector that sets `key.converter` configures that converter entirely from its own
    /// config; otherwise the worker's converter applies, with the worker's `key.converter.*`
    /// settings (and JsonConverter with its defaults when neither names one). Every problem of
    /// both configs is reported at once.
    pub fn from_config(connector: &ConfigMap, worker: &ConfigMap) -> Result<Self, ConfigErrors> {
        let mut problems = Vec::new();
        let mut read = |prefix: &str| {
            let class = format!("{prefix}.converter");
            let map = if connector.contains_key(&class) {
                connector
            } else {
                worker
            };
            let mut r = ConfigReader::new(map);
            let conv = converter(&mut r, prefix);
            if let Err(ConfigErrors(mut p)) = r.finish() {
                problems.append(&mut p);
            }
            conv
        };
        let converters = Converters::new(read("key"), read("value"));
        if problems.is_empty() {
            Ok(converters)
        } else {
            Err(ConfigErrors(problems))
        }
    }
}

fn converter(r: &mut ConfigReader<'_>, prefix: &str) -> Converter {
    let class = format!("{prefix}.converter");
    let name = r.string(&class, JSON_CONVERTER);
    match name.as_str() {
        JSON_CONVERTER => Converter::Json(json_converter(r, &class)),
        AVRO_CONVERTER => Converter::Avro(avro::settings(r, prefix)),
        _ => {
            r.problem(
                &class,
                format!(
                    "converter class is not supported; supported: {JSON_CONVERTER}, {AVRO_CONVERTER}"
                ),
            );
            Converter::default()
        }
    }
}

fn json_converter(r: &mut ConfigReader<'_>, class: &str) -> JsonConverter {
    let schemas_enable = r.bool(&format!("{class}.schemas.enable"), true);
    let decimal_format = match r
        .one_of(
            &format!("{class}.decimal.format"),
            "BASE64",
            &["BASE64", "NUMERIC"],
        )
        .as_str()
    {
        "NUMERIC" => DecimalFormat::Numeric,
        _ => DecimalFormat::Base64,
    };
    // Connect's JsonConverter writes a null field's schema default in its place unless this
    // is false (KIP-1032); we always do, so `false` would be ignored: refuse it.
    let replace = format!("{class}.replace.null.with.default");
    if !r.bool(&replace, true) {
        r.problem(
            &replace,
            "false is not supported: a null field is always written as its schema default, as with Connect's default (true)".to_owned(),
        );
    }
    JsonConverter {
        schemas_enable,
        decimal_format,
    }
}

/// Reads Debezium's queue settings: `max.queue.size` (8192), `max.batch.size` (2048),
/// `max.queue.size.in.bytes` (0, records only).
pub fn queue_bounds(config: &ConfigMap) -> Result<QueueBounds, ConfigErrors> {
    let mut r = ConfigReader::new(config);
    let d = QueueBounds::default();
    let max_batch = r.int("max.batch.size", d.max_batch_records as i64, 1, 1 << 24);
    let max_queue = r.int("max.queue.size", d.max_queue_records as i64, 1, 1 << 26);
    let max_bytes = r.int("max.queue.size.in.bytes", 0, 0, i64::MAX);
    if max_queue <= max_batch {
        r.problem("max.queue.size", "must be larger than max.batch.size");
    }
    r.finish()?;
    Ok(QueueBounds {
        max_queue_records: max_queue as usize,
        max_batch_records: max_batch as usize,
        max_queue_bytes: max_bytes as usize,
    })
}

/// Converts keys and values with [`Converters`]. JsonConverter output is byte for byte
/// `JsonConverter::to_bytes`, but each schema is serialized once (with `schemas.enable=true` the
/// `schema` half of every message of a table is the same, and usually the larger half) and
/// payloads are written without an intermediate JSON tree. AvroConverter output is Confluent's
/// wire format: the header (magic byte, schema id) is the shared prefix, the Avro datum follows;
/// schema ids are cached per schema and topic.
pub struct RecordConverter {
    key: Side,
    value: Side,
    context_headers: SharedHeaders,
    /// `context_headers` encoded for the log, once.
    context_block: Arc<[u8]>,
    /// Arena bytes per record in the last group, to size the next group's arena once.
    bytes_per_record: usize,
    /// Arenas of written groups, handed back for the next groups.
    arenas: ArenaPool,
    transforms: Option<Arc<transforms::Chain>>,
    tolerate: Option<SourceTolerance>,
    /// What the chain makes of each table's snapshot rows, by decoder (`None`: record by record).
    row_plans: HashMap<usize, PlanOf>,
}

/// A table's plan (`None`: record by record), with its decoder kept so the address that keys
/// it cannot be reused.
type PlanOf = (Arc<dyn RowDecoder>, Option<Arc<RowPlan>>);

/// What the connector's chain makes of every snapshot row of one table, worked out once
/// (`transforms::row_plan`) and checked against the chain's real output on the table's first
/// row: rows are then written straight from their bytes, as without transforms.
struct RowPlan {
    topic: Arc<str>,
    value: PlannedValue,
}

enum PlannedValue {
    /// The envelope as the source writes it (the chain only routed the records).
    Envelope,
    /// A struct with this schema, each field's key (`"name":`, comma first but for the first)
    /// and where its value comes from.
    Struct {
        schema: Arc<Schema>,
        fields: Vec<(Vec<u8>, PlannedField)>,
    },
}

enum PlannedField {
    Row(usize),
    Json(Vec<u8>),
    Timestamp,
}

/// The plan of `rows`' table under `chain`, if the chain has one that matches its real output
/// on the first row; `None` sends the rows through the chain record by record.
fn probe_row_plan(
    chain: &transforms::Chain,
    rows: &DeferredRows,
    decimal: DecimalFormat,
) -> Option<RowPlan> {
    use transforms::row_plan::{FieldFrom, RowShape, RowValue};
    let decoder = &*rows.decoder;
    let first = rows.rows.first()?;
    let envelope = decoder.envelope_schema();
    let after_index = envelope.fields.iter().position(|f| f.name == "after")?;
    let row_schema = &envelope.fields[after_index].schema;
    let shape = chain.row_plan(RowShape {
        topic: decoder.topic().clone(),
        value: RowValue::Envelope {
            row_fields: row_schema.fields.iter().map(|f| f.name.clone()).collect(),
        },
    })?;
    // The chain's real output on the first row, to check the plan against.
    let record = decoder.record(first).ok()?;
    let mut probe = record.clone();
    let actual = transformed(chain, &mut probe).ok()??;
    if actual.topic != shape.topic || actual.key != record.key || !actual.headers.is_empty() {
        return None;
    }
    let value = match shape.value {
        RowValue::Envelope { .. } => {
            (actual.value == record.value).then_some(PlannedValue::Envelope)?
        }
        RowValue::Struct(fields) => {
            let Some(Value::Struct(envelope_values)) = record.value.as_ref().map(|d| &d.value)
            else {
                return None;
            };
            let Value::Struct(row) = envelope_values.get(after_index)? else {
                return None;
            };
            let expected: Option<Vec<Value>> = fields
                .iter()
                .map(|(_, from)| match from {
                    FieldFrom::Row(i) => row.get(*i).cloned(),
                    FieldFrom::Constant(v) => Some(v.clone()),
                    FieldFrom::Timestamp => Some(Value::Int64(record.timestamp_ms)),
                })
                .collect();
            let actual_value = actual.value?;
            if actual_value.value != Value::Struct(expected?)
                || actual_value.schema.fields.len() != fields.len()
            {
                return None;
            }
            let schema = actual_value.schema;
            let planned = fields
                .into_iter()
                .zip(&schema.fields)
                .enumerate()
                .map(|(i, ((name, from), field))| {
                    let mut key = Vec::new();
                    if i > 0 {
                        key.push(b',');
                    }
                    cdc_core::json_write::string(&mut key, &name);
                    key.push(b':');
                    let from = match from {
                        FieldFrom::Row(i) => PlannedField::Row(i),
                        FieldFrom::Timestamp => PlannedField::Timestamp,
                        FieldFrom::Constant(v) => {
                            let mut json = Vec::new();
                            match (&v, &field.schema.default) {
                                (Value::Null, Some(d)) => cdc_core::json_write::write_payload(
                                    &mut json,
                                    decimal,
                                    &field.schema,
                                    d,
                                ),
                                (Value::Null, None) => json.extend_from_slice(b"null"),
                                _ => cdc_core::json_write::write_payload(
                                    &mut json,
                                    decimal,
                                    &field.schema,
                                    &v,
                                ),
                            }
                            PlannedField::Json(json)
                        }
                    };
                    (key, from)
                })
                .collect();
            PlannedValue::Struct {
                schema,
                fields: planned,
            }
        }
    };
    let plan = RowPlan {
        topic: shape.topic,
        value,
    };
    // The decoder must be able to write the planned struct.
    if let PlannedValue::Struct { fields, .. } = &plan.value {
        let specs = struct_specs(fields);
        decoder
            .write_json_struct(first, &specs, decimal, &mut Vec::new())
            .ok()
            .filter(|written| *written)?;
    }
    Some(plan)
}

/// A planned struct's fields as the decoder takes them.
fn struct_specs(fields: &[(Vec<u8>, PlannedField)]) -> Vec<(&[u8], StructField<'_>)> {
    fields
        .iter()
        .map(|(key, from)| {
            (
                key.as_slice(),
                match from {
                    PlannedField::Row(i) => StructField::Row(*i),
                    PlannedField::Json(bytes) => StructField::Json(bytes),
                    PlannedField::Timestamp => StructField::TimestampMs,
                },
            )
        })
        .collect()
}

/// The arenas of groups that were written, kept for the next groups: an arena is megabytes,
/// and a fresh one costs page faults and the kernel's zeroing of every page, group after group.
#[derive(Clone, Default)]
pub(crate) struct ArenaPool(Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

impl ArenaPool {
    /// Arenas kept: one being filled, one being written, one spare.
    const KEEP: usize = 3;
    /// Larger arenas (groups of large records) are freed, not kept.
    const MAX_KEPT_BYTES: usize = 16 << 20;

    fn take(&self, capacity: usize) -> Vec<u8> {
        let spare = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut arena = spare.unwrap_or_default();
        arena.reserve(capacity);
        arena
    }

    fn give(&self, mut arena: Vec<u8>) {
        if arena.capacity() == 0 || arena.capacity() > Self::MAX_KEPT_BYTES {
            return;
        }
        arena.clear();
        let mut spare = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if spare.len() < Self::KEEP {
            spare.push(arena);
        }
    }
}

enum Side {
    Json(JsonConverter, SchemaCache),
    Avro(Box<AvroSide>),
}

impl Side {
    fn new(c: Converter, is_key: bool, embedded: Option<Registry>, retry: TransientRetry) -> Side {
        match c {
            Converter::Json(j) => Side::Json(j, SchemaCache::default()),
            Converter::Avro(a) => Side::Avro(Box::new(
                AvroSide::new(a, is_key, embedded).with_retry(retry),
            )),
        }
    }
}

/// A record that could not be converted.
#[derive(Debug, thiserror::Error)]
#[error("converting a record for topic {topic:?} failed")]
pub struct ConvertError {
    pub topic: String,
    #[source]
    pub source: Box<ConvertFailure>,
}

impl ConvertError {
    /// Connect's stage of the failure (`__connect.errors.stage`) and the class that failed.
    fn stage(&self, key: bool) -> (&'static str, String) {
        match &*self.source {
            ConvertFailure::Transform(_) => ("TRANSFORMATION", String::new()),
            ConvertFailure::Decode(_) => ("TASK_POLL", String::new()),
            ConvertFailure::Avro(_) if key => ("KEY_CONVERTER", AVRO_CONVERTER.to_owned()),
            ConvertFailure::Avro(_) => ("VALUE_CONVERTER", AVRO_CONVERTER.to_owned()),
        }
    }
}

/// Why a record could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertFailure {
    #[error(transparent)]
    Avro(#[from] AvroConvertError),
    /// A deferred row the source's decoder could not decode.
    #[error("{0}")]
    Decode(ConnectorError),
    /// A transform failed the record, or left it in a shape the converters cannot write.
    #[error("{0}")]
    Transform(String),
}

impl From<ConvertError> for ConnectorError {
    /// A registry that refuses a schema, or data that does not fit it, needs a person (as in
    /// Kafka Connect, a converter error fails the task).
    fn from(e: ConvertError) -> Self {
        ConnectorError::fatal(e)
    }
}

/// What converting a schema's messages needs, by the schema's `Arc` address: the JSON in front
/// of every payload (`{"schema":…,"payload":`) and the payload writer's [`Plan`]. Each entry
/// holds its `Arc`, so an address cannot be reused by another schema while it is cached.
#[derive(Default)]
struct SchemaCache {
    entries: HashMap<usize, Cached>,
}

struct Cached {
    _schema: Arc<Schema>,
    prefix: Arc<[u8]>,
    plan: Plan,
}

/// Schemas kept per cache before it starts over (tables × schema versions seen).
const SCHEMA_CACHE_ENTRIES: usize = 1024;

impl SchemaCache {
    fn get(&mut self, schema: &Arc<Schema>, decimal: DecimalFormat) -> &Cached {
        let key = Arc::as_ptr(schema) as usize;
        if self.entries.len() >= SCHEMA_CACHE_ENTRIES && !self.entries.contains_key(&key) {
            self.entries.clear();
        }
        self.entries.entry(key).or_insert_with(|| {
            let json = serde_json::to_vec(&schema_json(schema)).unwrap_or_default();
            let mut prefix = Vec::with_capacity(json.len() + 22);
            prefix.extend_from_slice(br#"{"schema":"#);
            prefix.extend_from_slice(&json);
            prefix.extend_from_slice(br#","payload":"#);
            Cached {
                _schema: schema.clone(),
                prefix: prefix.into(),
                plan: Plan::new(schema, decimal),
            }
        })
    }
}

impl RecordConverter {
    pub fn new(converters: Converters) -> Self {
        RecordConverter {
            key: Side::new(
                converters.key,
                true,
                converters.embedded.clone(),
                converters.retry,
            ),
            value: Side::new(
                converters.value,
                false,
                converters.embedded,
                converters.retry,
            ),
            context_block: if converters.context_headers.is_empty() {
                Arc::new([])
            } else {
                crate::log::format::encode_headers(&converters.context_headers).into()
            },
            context_headers: converters.context_headers,
            bytes_per_record: 256,
            arenas: ArenaPool::default(),
            transforms: converters.transforms,
            tolerate: converters.tolerate,
            row_plans: HashMap::new(),
        }
    }

    /// The chain's plan for `rows`' table (worked out on its first batch), when both sides are
    /// JsonConverters.
    fn row_plan(&mut self, chain: &transforms::Chain, rows: &DeferredRows) -> Option<Arc<RowPlan>> {
        let (Side::Json(_, _), Side::Json(value, _)) = (&self.key, &self.value) else {
            return None;
        };
        let decimal = value.decimal_format;
        let id = Arc::as_ptr(&rows.decoder) as *const () as usize;
        if let Some((_, plan)) = self.row_plans.get(&id) {
            return plan.clone();
        }
        if rows.rows.is_empty() {
            return None;
        }
        let plan = probe_row_plan(chain, rows, decimal).map(Arc::new);
        match &plan {
            Some(p) => {
                tracing::info!(table_topic = %rows.decoder.topic(), topic = %p.topic, "snapshot rows written by the transform chain's plan")
            }
            None => {
                tracing::info!(table_topic = %rows.decoder.topic(), "snapshot rows go through the transform chain record by record")
            }
        }
        if self.row_plans.len() >= 1024 {
            self.row_plans.clear();
        }
        self.row_plans
            .insert(id, (rows.decoder.clone(), plan.clone()));
        plan
    }

    /// The key's bytes; `None` for a null key.
    pub fn key(
        &mut self,
        topic: &Arc<str>,
        data: Option<&Data>,
    ) -> Result<Option<Vec<u8>>, ConvertError> {
        let mut group = ConvertedGroup::default();
        let part = write(&mut self.key, topic, data, &mut group)?;
        Ok(part.map(|p| group.payload(&p).to_vec()))
    }

    /// The value's bytes; `None` for a tombstone.
    pub fn value(
        &mut self,
        topic: &Arc<str>,
        data: Option<&Data>,
    ) -> Result<Option<Vec<u8>>, ConvertError> {
        let mut group = ConvertedGroup::default();
        let part = write(&mut self.value, topic, data, &mut group)?;
        Ok(part.map(|p| group.payload(&p).to_vec()))
    }
}

/// Converts `data` into `group`: the payload goes to the arena; with JSON schemas or Avro, the
/// message's first part is a prefix shared by every message of that schema.
fn write(
    side: &mut Side,
    topic: &Arc<str>,
    data: Option<&Data>,
    group: &mut ConvertedGroup,
) -> Result<Option<Part>, ConvertError> {
    let Some(data) = data else {
        return Ok(None);
    };
    let (conv, cache) = match side {
        Side::Json(conv, cache) => (conv, cache),
        Side::Avro(avro) => {
            let start = group.arena.len();
            let header = avro
                .encode_into(topic, data, &mut group.arena)
                .map_err(|source| ConvertError {
                    topic: topic.to_string(),
                    source: Box::new(source.into()),
                })?;
            let end = group.arena.len();
            let prefix = group.prefix_index(&header);
            return Ok(Some(Part {
                prefix: Some(prefix),
                start,
                end,
                suffix: None,
            }));
        }
    };
    let (frame, plan) = JsonFrame::new(conv, cache, &data.schema, group);
    let part = frame.write(group, |out| {
        write_planned(out, frame.decimal, plan, &data.value);
        Ok::<_, std::convert::Infallible>(())
    });
    match part {
        Ok(p) => Ok(Some(p)),
        Err(never) => match never {},
    }
}

/// Converts one record (its headers move out) into `group`; a failure says whether the key
/// (`true`) or the value failed, and leaves the record as it was.
fn push_record(
    c: &mut RecordConverter,
    r: &mut Record,
    group: &mut ConvertedGroup,
) -> Result<(), (ConvertError, bool)> {
    let key = write(&mut c.key, &r.topic, r.key.as_ref(), group).map_err(|e| (e, true))?;
    let value = write(&mut c.value, &r.topic, r.value.as_ref(), group).map_err(|e| (e, false))?;
    group.records.push(Converted {
        key,
        value,
        topic: r.topic.clone(),
        timestamp_ms: r.timestamp_ms,
        headers: std::mem::take(&mut r.headers),
        context: carries_context(r),
    });
    Ok(())
}

/// A record a transform or a converter failed: the task fails (`errors.tolerance=none`), or the
/// record is skipped, as Connect skips it, and kept on the dead-letter topic when there is one.
/// Its values are never logged.
fn tolerate(
    c: &RecordConverter,
    original: Option<&Record>,
    e: ConvertError,
    key_failed: bool,
    group: &mut ConvertedGroup,
) -> Result<(), ConvertError> {
    let Some(t) = &c.tolerate else {
        return Err(e);
    };
    let (stage, class) = e.stage(key_failed);
    if t.log {
        tracing::warn!(topic = %e.topic, stage, error = %e.source, "record skipped under errors.tolerance=all");
    }
    if let (Some(dlq), Some(r)) = (&t.dead_letters, original) {
        push_dead_letter(dlq, r, &e, stage, &class, group);
    }
    Ok(())
}

/// `r` on the dead-letter topic: key and value in JsonConverter's form with schemas, its own
/// headers, and Connect's error context headers when asked for.
fn push_dead_letter(
    dlq: &SourceDeadLetters,
    r: &Record,
    e: &ConvertError,
    stage: &str,
    class: &str,
    group: &mut ConvertedGroup,
) {
    let json = JsonConverter {
        schemas_enable: true,
        decimal_format: DecimalFormat::Base64,
    };
    let key = json.to_bytes(r.key.as_ref()).map(|b| group.push_bytes(&b));
    let value = json
        .to_bytes(r.value.as_ref())
        .map(|b| group.push_bytes(&b));
    let mut headers = r.headers.clone();
    if dlq.context_headers {
        let h = |k: &str, v: &str| (format!("__connect.errors.{k}"), v.as_bytes().to_vec());
        let exception = match &*e.source {
            ConvertFailure::Transform(_) => "org.apache.kafka.connect.errors.ConnectException",
            _ => "org.apache.kafka.connect.errors.DataException",
        };
        headers.extend([
            h("topic", &r.topic),
            h("connector.name", &dlq.connector),
            h("task.id", "0"),
            h("stage", stage),
            h("class.name", class),
            h("exception.class.name", exception),
            h("exception.message", &e.source.to_string()),
        ]);
    }
    group.records.push(Converted {
        topic: dlq.topic.clone(),
        timestamp_ms: r.timestamp_ms,
        key,
        value,
        headers,
        context: false,
    });
}

/// `r` through the connector's transforms (its key, value and headers move out): the record to
/// convert, or `None` when a transform dropped it. A source record has no partition and no
/// offset (as Connect's `SourceRecord` from Debezium).
fn transformed(chain: &transforms::Chain, r: &mut Record) -> Result<Option<Record>, ConvertError> {
    let failed = |topic: &str, why: String| ConvertError {
        topic: topic.to_owned(),
        source: Box::new(ConvertFailure::Transform(why)),
    };
    let input = transforms::ConnectRecord {
        topic: r.topic.clone(),
        partition: None,
        offset: None,
        timestamp_ms: Some(r.timestamp_ms),
        key: r.key.take().map(Into::into),
        value: r.value.take().map(Into::into),
        headers: std::mem::take(&mut r.headers)
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect(),
    };
    let Some(out) = chain
        .apply(input)
        .map_err(|e| failed(&r.topic, e.to_string()))?
    else {
        return Ok(None);
    };
    let transforms::ConnectRecord {
        topic,
        timestamp_ms,
        key,
        value,
        headers,
        ..
    } = out;
    // Moved, not copied: a source record's key and value have a schema to be written.
    let data = |side: &str, v: Option<cdc_core::SchemaAndValue>| {
        match v {
        None => Ok(None),
        Some(cdc_core::SchemaAndValue {
            schema: Some(schema),
            value,
        }) => Ok(Some(Data { schema, value })),
        Some(cdc_core::SchemaAndValue { schema: None, value }) if value.is_null() => Ok(None),
        Some(_) => Err(failed(
            &topic,
            format!("the transforms left the record's {side} without a schema, which the source's converters cannot write"),
        )),
    }
    };
    Ok(Some(Record {
        key: data("key", key)?,
        value: data("value", value)?,
        topic,
        timestamp_ms: timestamp_ms.unwrap_or(r.timestamp_ms),
        headers: headers
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect(),
    }))
}

/// Converts deferred rows: with JsonConverters on both sides, written straight from the raw
/// rows; otherwise decoded into records first.
fn convert_deferred(
    c: &mut RecordConverter,
    rows: &DeferredRows,
    plan: Option<&RowPlan>,
    group: &mut ConvertedGroup,
) -> Result<(), ConvertError> {
    let decoder = &*rows.decoder;
    let topic = plan.map_or(decoder.topic(), |p| &p.topic);
    let failed = |e: ConnectorError| ConvertError {
        topic: topic.to_string(),
        source: Box::new(ConvertFailure::Decode(e)),
    };
    let (Side::Json(kconv, kcache), Side::Json(vconv, vcache)) = (&mut c.key, &mut c.value) else {
        for row in &rows.rows {
            let mut r = decoder.record(row).map_err(failed)?;
            if let Err((e, key)) = push_record(c, &mut r, group) {
                tolerate(c, Some(&r), e, key, group)?;
            }
        }
        return Ok(());
    };
    // The schema halves are looked up once for the whole batch: every row shares them.
    let key_frame = decoder
        .key_schema()
        .map(|schema| JsonFrame::new(kconv, kcache, schema, group).0);
    // A planned struct (the chain's plan for this table), or the envelope as the source writes
    // it, whose tail (for a snapshot row: its source block and the fields after it) is the
    // same for rows with the same tag and read time: it becomes a shared suffix.
    let planned = match plan {
        Some(RowPlan {
            value: PlannedValue::Struct { schema, fields },
            ..
        }) => Some((schema, struct_specs(fields))),
        _ => None,
    };
    let value_schema = planned
        .as_ref()
        .map_or(decoder.envelope_schema(), |(schema, _)| schema);
    let value_frame = JsonFrame::new(vconv, vcache, value_schema, group).0;
    let mut tail = None;
    for row in &rows.rows {
        let key = match &key_frame {
            Some(frame) => Some(
                frame
                    .write(group, |out| decoder.write_json_key(row, frame.decimal, out))
                    .map_err(failed)?,
            ),
            None => None,
        };
        let decimal = value_frame.decimal;
        let value = match &planned {
            Some((_, specs)) => value_frame.write(group, |out| {
                match decoder.write_json_struct(row, specs, decimal, out) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(ConnectorError::fatal_msg(
                        "the snapshot rows' decoder stopped writing planned structs",
                    )),
                    Err(e) => Err(e),
                }
            }),
            None => value_frame.write_split(
                group,
                |out| decoder.write_json_value_head(row, decimal, out),
                &mut tail,
                (row.tag, row.ts.nanos),
                |out| decoder.write_json_value_tail(row, out),
            ),
        }
        .map_err(failed)?;
        group.records.push(Converted {
            key,
            value: Some(value),
            topic: topic.clone(),
            timestamp_ms: row.ts.nanos / 1_000_000,
            headers: Vec::new(),
            context: true,
        });
    }
    Ok(())
}

/// The shape of one schema's JsonConverter messages within a group: the index of its shared
/// `{"schema":…,"payload":` prefix (with `schemas.enable`) and the decimal format.
struct JsonFrame {
    prefix: Option<u32>,
    decimal: DecimalFormat,
}

impl JsonFrame {
    /// The frame of `schema`'s messages, and the plan its payloads are written by.
    fn new<'c>(
        conv: &JsonConverter,
        cache: &'c mut SchemaCache,
        schema: &Arc<Schema>,
        group: &mut ConvertedGroup,
    ) -> (JsonFrame, &'c Plan) {
        let cached = cache.get(schema, conv.decimal_format);
        let prefix = conv
            .schemas_enable
            .then(|| group.prefix_index(&cached.prefix));
        let frame = JsonFrame {
            prefix,
            decimal: conv.decimal_format,
        };
        (frame, &cached.plan)
    }

    /// A message whose payload `payload` appends to the group's arena.
    fn write<E>(
        &self,
        group: &mut ConvertedGroup,
        payload: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<Part, E> {
        let start = group.arena.len();
        payload(&mut group.arena)?;
        if self.prefix.is_some() {
            group.arena.push(b'}');
        }
        Ok(Part {
            prefix: self.prefix,
            start,
            end: group.arena.len(),
            suffix: None,
        })
    }

    /// A message of a deferred row whose rest after `head` is shared with the rows before it
    /// that have the same tag and read time (`tail` keeps that suffix from row to row).
    fn write_split<E>(
        &self,
        group: &mut ConvertedGroup,
        head: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
        tail: &mut Option<((u8, i64), u32)>,
        tail_key: (u8, i64),
        write_tail: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<Part, E> {
        let start = group.arena.len();
        head(&mut group.arena)?;
        let end = group.arena.len();
        let suffix = match *tail {
            Some((key, i)) if key == tail_key => i,
            _ => {
                let mut bytes = Vec::with_capacity(512);
                write_tail(&mut bytes)?;
                if self.prefix.is_some() {
                    bytes.push(b'}');
                }
                let i = group.push_shared(bytes.into());
                *tail = Some((tail_key, i));
                i
            }
        };
        Ok(Part {
            prefix: self.prefix,
            start,
            end,
            suffix: Some(suffix),
        })
    }
}

/// A converted key or value: `shared[prefix]` (when some), `arena[start..end]`, then
/// `shared[suffix]` (when some), of its [`ConvertedGroup`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part {
    prefix: Option<u32>,
    start: usize,
    end: usize,
    suffix: Option<u32>,
}

/// One record converted; its bytes live in the group.
pub(crate) struct Converted {
    pub topic: Arc<str>,
    pub timestamp_ms: i64,
    pub key: Option<Part>,
    pub value: Option<Part>,
    pub headers: Vec<(String, Vec<u8>)>,
    /// Whether the connector's context headers follow `headers`: change events (and their
    /// tombstones) yes; transaction metadata and heartbeat records no, as in Debezium.
    pub context: bool,
}

/// Debezium adds its context headers to change events only: not to the records of the
/// transaction topic or the heartbeat topic, known by their key schemas.
fn carries_context(r: &Record) -> bool {
    !matches!(
        r.key.as_ref().and_then(|k| k.schema.name.as_deref()),
        Some(
            "io.debezium.connector.common.TransactionMetadataKey"
                | "io.debezium.connector.common.ServerNameKey"
        )
    )
}

/// The records of a group of batches, converted, with their bytes in one arena (one allocation
/// for the group instead of two per record) and the shared parts they refer to.
#[derive(Default)]
pub(crate) struct ConvertedGroup {
    arena: Vec<u8>,
    /// Prefixes and suffixes that records share.
    shared: Vec<Arc<[u8]>>,
    pub records: Vec<Converted>,
    /// Headers every record of the group carries after its own.
    pub context: SharedHeaders,
    /// `context` in the log's encoding (stored once per chunk).
    pub context_block: Arc<[u8]>,
    /// Where the arena goes back once the group is written.
    arenas: ArenaPool,
}

impl ConvertedGroup {
    /// `bytes` as a part of its own.
    fn push_bytes(&mut self, bytes: &[u8]) -> Part {
        let start = self.arena.len();
        self.arena.extend_from_slice(bytes);
        Part {
            prefix: None,
            start,
            end: self.arena.len(),
            suffix: None,
        }
    }
}

impl Drop for ConvertedGroup {
    fn drop(&mut self) {
        self.arenas.give(std::mem::take(&mut self.arena));
    }
}

impl ConvertedGroup {
    /// The bytes of a part of one of this group's records.
    pub fn payload(&self, part: &Part) -> Payload<'_> {
        let shared = |i: Option<u32>| {
            i.and_then(|i| self.shared.get(i as usize))
                .map_or(&[][..], |p| &p[..])
        };
        Payload {
            prefix: shared(part.prefix),
            rest: self.arena.get(part.start..part.end).unwrap_or_default(),
            suffix: shared(part.suffix),
        }
    }

    /// Adds a shared part no record refers to yet.
    fn push_shared(&mut self, bytes: Arc<[u8]>) -> u32 {
        self.shared.push(bytes);
        (self.shared.len() - 1) as u32
    }

    fn prefix_index(&mut self, prefix: &Arc<[u8]>) -> u32 {
        if let Some(i) = self.shared.iter().rposition(|p| Arc::ptr_eq(p, prefix)) {
            return i as u32;
        }
        self.push_shared(prefix.clone())
    }
}

/// Converts every record of `batches` in order. The headers move out, they are not copied; the
/// records stay in the batches, so that freeing them can happen off the conversion path.
pub(crate) fn convert(
    converter: &mut RecordConverter,
    batches: &mut [Batch],
) -> Result<ConvertedGroup, ConvertError> {
    let n: usize = batches.iter().map(Batch::len).sum();
    let mut group = ConvertedGroup {
        arena: converter.arenas.take(n * converter.bytes_per_record),
        shared: Vec::new(),
        records: Vec::with_capacity(n),
        context: converter.context_headers.clone(),
        context_block: converter.context_block.clone(),
        arenas: converter.arenas.clone(),
    };
    let c = converter;
    for batch in batches {
        if let Some(chain) = c.transforms.clone() {
            // Transforms work on records: deferred rows are decoded into records first, unless
            // the chain's plan for their table writes them as they are.
            let planned = batch
                .deferred_rows()
                .and_then(|rows| c.row_plan(&chain, rows));
            let mut decoded = Vec::new();
            if let Some(rows) = batch.deferred_rows().filter(|_| planned.is_none()) {
                let decoder = &*rows.decoder;
                for row in &rows.rows {
                    decoded.push(decoder.record(row).map_err(|e| ConvertError {
                        topic: decoder.topic().to_string(),
                        source: Box::new(ConvertFailure::Decode(e)),
                    })?);
                }
            }
            // The record as the source made it, for the dead-letter queue: only kept when
            // there is one.
            let keep = c
                .tolerate
                .as_ref()
                .is_some_and(|t| t.dead_letters.is_some());
            for r in batch.records.iter_mut().chain(&mut decoded) {
                let original = keep.then(|| r.clone());
                match transformed(&chain, r) {
                    Ok(Some(mut t)) => {
                        if let Err((e, key)) = push_record(c, &mut t, &mut group) {
                            tolerate(c, original.as_ref(), e, key, &mut group)?;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => tolerate(c, original.as_ref(), e, false, &mut group)?,
                }
            }
            if let (Some(rows), Some(plan)) = (batch.deferred_rows(), planned) {
                convert_deferred(c, rows, Some(&plan), &mut group)?;
            }
            continue;
        }
        for r in &mut batch.records {
            if let Err((e, key)) = push_record(c, r, &mut group) {
                tolerate(c, Some(r), e, key, &mut group)?;
            }
        }
        if let Some(rows) = batch.deferred_rows() {
            convert_deferred(c, rows, None, &mut group)?;
        }
    }
    if let Some(average) = group.arena.len().checked_div(n) {
        // A little over the average, so a similar group fits without growing.
        c.bytes_per_record = (average + 32).clamp(64, 64 << 10);
    }
    Ok(group)
}

#[cfg(test)]
mod tests {
    use super::*;

    use cdc_core::config_map as map;

    #[test]
    fn defaults_are_json_with_schemas_and_base64_decimals() {
        let c = Converters::from_config(&ConfigMap::new(), &ConfigMap::new()).unwrap();
        assert_eq!(c.key, Converter::Json(JsonConverter::default()));
        assert_eq!(c.value, Converter::Json(JsonConverter::default()));
    }

    #[test]
    fn the_connector_overrides_the_worker_converter_with_its_own_settings() {
        let worker = map(&[
            ("key.converter", JSON_CONVERTER),
            ("key.converter.schemas.enable", "false"),
            ("value.converter", JSON_CONVERTER),
            ("value.converter.schemas.enable", "false"),
        ]);
        let connector = map(&[
            ("value.converter", JSON_CONVERTER),
            ("value.converter.decimal.format", "NUMERIC"),
        ]);
        let c = Converters::from_config(&connector, &worker).unwrap();
        let (Converter::Json(key), Converter::Json(value)) = (c.key, c.value) else {
            panic!("JSON converters expected");
        };
        assert!(!key.schemas_enable, "the worker's key converter applies");
        assert!(
            value.schemas_enable,
            "the connector's converter has its own defaults"
        );
        assert_eq!(value.decimal_format, DecimalFormat::Numeric);
    }

    #[test]
    fn an_unsupported_converter_is_an_error_naming_the_property() {
        let connector = map(&[
            (
                "key.converter",
                "io.confluent.connect.protobuf.ProtobufConverter",
            ),
            ("value.converter.schemas.enable", "maybe"),
            ("value.converter", JSON_CONVERTER),
        ]);
        let err = Converters::from_config(&connector, &ConfigMap::new()).unwrap_err();
        let props: Vec<&str> = err.0.iter().map(|p| p.property.as_str()).collect();
        assert_eq!(
            props,
            vec!["key.converter", "value.converter.schemas.enable"]
        );
        assert!(err.to_string().contains(JSON_CONVERTER));
    }

    #[test]
    fn cached_schemas_give_exactly_the_json_converters_bytes() {
        let row = Arc::new(
            Schema::structure("p.public.t.Value")
                .optional()
                .field("id", Schema::int32())
                .field(
                    "price",
                    Schema::bytes()
                        .named("org.apache.kafka.connect.data.Decimal")
                        .param("scale", "2"),
                )
                .field("note", Schema::string().optional()),
        );
        let values = [
            cdc_core::Value::Struct(vec![
                cdc_core::Value::Int32(1),
                cdc_core::Value::Bytes(vec![0x30, 0x39]),
                cdc_core::Value::Null,
            ]),
            cdc_core::Value::Struct(vec![
                cdc_core::Value::Int32(2),
                cdc_core::Value::Bytes(vec![0xff]),
                cdc_core::Value::String("é \"q\"".into()),
            ]),
        ];
        for decimal_format in [DecimalFormat::Base64, DecimalFormat::Numeric] {
            for schemas_enable in [true, false] {
                let json = JsonConverter {
                    schemas_enable,
                    decimal_format,
                };
                let mut rc = RecordConverter::new(Converters::new(json, json));
                let topic: Arc<str> = "p.public.t".into();
                for v in &values {
                    let data = Data::new(row.clone(), v.clone());
                    assert_eq!(
                        rc.value(&topic, Some(&data)).unwrap(),
                        json.to_bytes(Some(&data))
                    );
                    assert_eq!(
                        rc.key(&topic, Some(&data)).unwrap(),
                        json.to_bytes(Some(&data))
                    );
                }
                assert_eq!(rc.value(&topic, None).unwrap(), None);
            }
        }
    }

    #[test]
    fn queue_bounds_use_debezium_names() {
        let b = queue_bounds(&map(&[("max.batch.size", "10"), ("max.queue.size", "40")])).unwrap();
        assert_eq!((b.max_batch_records, b.max_queue_records), (10, 40));
        let err = queue_bounds(&map(&[("max.batch.size", "100"), ("max.queue.size", "50")]));
        assert_eq!(err.unwrap_err().0[0].property, "max.queue.size");
    }
}
