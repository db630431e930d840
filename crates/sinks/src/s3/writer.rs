//! [`PartitionWriter`]: the files of one topic partition, cut as Confluent's
//! `TopicPartitionWriter` cuts them. Pure: it encodes records and hands back the objects to
//! upload; the task uploads them.
//!
//! All open files of a topic partition (one per encoded partition) are closed together, when:
//! * `flush.size` records have been written since the last close (counted across them all);
//! * with a time-based partitioner and `rotate.interval.ms`, a record's time is that far past
//!   the first record's since the last close, or the record goes to another encoded partition
//!   than the one before it (the record then starts the next files);
//! * the record's value schema differs from the one its encoded partition's file was opened
//!   with (`schema.compatibility=NONE`);
//! * with `rotate.schedule.interval.ms`, the wall clock passed the next scheduled time.
//!
//! Each object is named by the offset of its first record, so as long as nothing depends on the
//! wall clock, records read again from the start of the open files are cut into the same
//! objects with the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use cdc_core::{Schema, SinkRecord, TopicPartition};
use jiff::tz::TimeZone;

use super::compatibility::{project, CompatError, Compatibility, Decision};
use super::format::{FileEncoder, Format, FormatError};
use super::partitioner::{PartitionError, Partitioner};
use super::spool::Object;

/// What every writer of a task shares.
pub struct Layout {
    pub format: Box<dyn Format>,
    /// `store.kafka.keys`: the format of the `.keys` file beside each data file.
    pub key_format: Option<Box<dyn Format>>,
    /// `store.kafka.headers`: the format of the `.headers` file beside each data file.
    pub header_format: Option<Box<dyn Format>>,
    /// `behavior.on.null.values=write`: the encoded partition tombstones go to
    /// (`tombstone.encoded.partition`), where only their keys (and headers) are written.
    pub tombstone_partition: Option<String>,
    /// `schema.compatibility`: when a value schema change closes the files, else how a record
    /// is projected onto the open file's schema.
    pub compatibility: Compatibility,
    pub partitioner: Partitioner,
    pub flush_size: u64,
    pub rotate_interval_ms: Option<i64>,
    /// `rotate.schedule.interval.ms` and the zone whose days it counts in.
    pub rotate_schedule: Option<(i64, TimeZone)>,
    pub topics_dir: String,
    pub directory_delim: String,
    pub file_delim: String,
    pub zero_pad_width: usize,
}

impl Layout {
    /// `<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start offset><ext>`, with
    /// the data format's extension (`ext` names another: `.keys.avro`, `.headers.json`).
    pub fn object_key(&self, topic: &str, partition: i32, encoded: &str, start: u64) -> String {
        self.object_key_with(topic, partition, encoded, start, self.format.extension())
    }

    fn object_key_with(
        &self,
        topic: &str,
        partition: i32,
        encoded: &str,
        start: u64,
        ext: &str,
    ) -> String {
        let d = &self.directory_delim;
        let f = &self.file_delim;
        format!(
            "{dir}{d}{topic}{d}{encoded}{d}{topic}{f}{partition}{f}{start:0width$}{ext}",
            dir = self.topics_dir,
            width = self.zero_pad_width,
        )
    }
}

/// An object ready to upload. Its bytes (in memory or a scratch file) are shared, so an upload
/// attempt that is retried does not copy the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedFile {
    pub key: String,
    pub bytes: Object,
}

/// Why a record cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Partition(#[from] PartitionError),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error("switch between schema-based and schema-less data is not supported")]
    SchemaSwitch,
    #[error(transparent)]
    Compatibility(#[from] CompatError),
}

/// The files of one encoded partition: the data file (none in the tombstone partition) and
/// the `.keys` and `.headers` files beside it when configured. A record goes into each, so
/// they stay aligned line by line (Confluent checks the key and headers first for the same
/// reason).
struct OpenFile {
    start: u64,
    value: Option<Box<dyn FileEncoder>>,
    key: Option<Box<dyn FileEncoder>>,
    headers: Option<Box<dyn FileEncoder>>,
}

impl OpenFile {
    fn new(layout: &Layout, start: u64, tombstones: bool) -> Self {
        OpenFile {
            start,
            value: (!tombstones).then(|| layout.format.encoder()),
            key: layout.key_format.as_ref().map(|f| f.encoder()),
            headers: layout.header_format.as_ref().map(|f| f.encoder()),
        }
    }

    fn write(&mut self, record: &SinkRecord) -> Result<(), FormatError> {
        // The key and headers first: a record they refuse leaves no value behind.
        if let Some(k) = &mut self.key {
            k.write(record)?;
        }
        if let Some(h) = &mut self.headers {
            h.write(record)?;
        }
        if let Some(v) = &mut self.value {
            v.write(record)?;
        }
        Ok(())
    }
}

/// The open files of one topic partition.
pub struct PartitionWriter {
    topic: Arc<str>,
    partition: i32,
    files: BTreeMap<String, OpenFile>,
    schemas: BTreeMap<String, Option<Arc<Schema>>>,
    record_count: u64,
    base_timestamp: Option<i64>,
    current_timestamp: Option<i64>,
    current_encoded: Option<String>,
    next_scheduled: Option<i64>,
    /// Per partition read from (after routing transforms, it may differ from this writer's),
    /// the offset of the first record in the open files.
    open_from: BTreeMap<TopicPartition, u64>,
}

impl PartitionWriter {
    pub fn new(topic: Arc<str>, partition: i32, layout: &Layout, now_ms: i64) -> Self {
        PartitionWriter {
            topic,
            partition,
            files: BTreeMap::new(),
            schemas: BTreeMap::new(),
            record_count: 0,
            base_timestamp: None,
            current_timestamp: None,
            current_encoded: None,
            next_scheduled: next_scheduled(layout, now_ms),
            open_from: BTreeMap::new(),
        }
    }

    /// Where the open files begin, per partition read from; empty when none is open.
    pub fn open_from(&self) -> &BTreeMap<TopicPartition, u64> {
        &self.open_from
    }

    /// Writes `record` (its value is not null), closing files before or after it as the
    /// rotation rules say; the closed files, in the order to upload them.
    pub fn write(
        &mut self,
        layout: &Layout,
        record: &SinkRecord,
        now_ms: i64,
    ) -> Result<Vec<ClosedFile>, WriteError> {
        let mut closed = Vec::new();
        // At most twice: a record that closes the open files starts the next ones.
        loop {
            let timestamp = layout.partitioner.timestamp(record, now_ms)?;
            if let Some(t) = timestamp {
                self.base_timestamp.get_or_insert(t);
            }
            self.current_timestamp = timestamp;
            let tombstone = record.value.is_none();
            let encoded = match (&layout.tombstone_partition, tombstone) {
                (Some(partition), true) => partition.clone(),
                _ => layout.partitioner.encode(record, timestamp)?,
            };
            let schema = record.value.as_ref().and_then(|d| d.schema.clone());
            let current = self
                .schemas
                .entry(encoded.clone())
                .or_insert_with(|| schema.clone())
                .clone();
            let decision = match (&schema, &current) {
                // The tombstone partition holds only tombstones (no value schema).
                _ if tombstone => Decision::Same,
                (None, None) => Decision::Same,
                (Some(a), Some(b)) => layout.compatibility.decide(a, b)?,
                _ => return Err(WriteError::SchemaSwitch),
            };
            if decision == Decision::Rotate && self.record_count > 0 {
                closed.extend(self.close_all(layout)?);
                continue;
            }
            if self.rotate_on_time(layout, &encoded, timestamp, now_ms) {
                self.next_scheduled = next_scheduled(layout, now_ms);
                closed.extend(self.close_all(layout)?);
                continue;
            }
            // BACKWARD, FORWARD, FULL: a record of another compatible schema is projected onto
            // the file's.
            let projected;
            let record = match (&schema, &current, &record.value) {
                (Some(a), Some(b), Some(value)) if decision == Decision::Project => {
                    projected = SinkRecord {
                        value: Some(cdc_core::SchemaAndValue {
                            schema: Some(b.clone()),
                            value: project(a, &value.value, b)?,
                        }),
                        ..record.clone()
                    };
                    &projected
                }
                _ => record,
            };
            self.current_encoded = Some(encoded.clone());
            let file = self
                .files
                .entry(encoded)
                .or_insert_with(|| OpenFile::new(layout, record.offset, tombstone));
            file.write(record)?;
            self.open_from
                .entry(record.original_topic_partition())
                .or_insert(record.offset);
            self.record_count += 1;
            if self.record_count >= layout.flush_size {
                closed.extend(self.close_all(layout)?);
            }
            return Ok(closed);
        }
    }

    /// Confluent's check after each batch: closes the open files when the schedule says so.
    pub fn on_time(&mut self, layout: &Layout, now_ms: i64) -> Result<Vec<ClosedFile>, WriteError> {
        let Some(encoded) = self.current_encoded.clone() else {
            return Ok(Vec::new());
        };
        if self.record_count > 0
            && self.rotate_on_time(layout, &encoded, self.current_timestamp, now_ms)
        {
            self.next_scheduled = next_scheduled(layout, now_ms);
            return self.close_all(layout);
        }
        Ok(Vec::new())
    }

    fn rotate_on_time(
        &self,
        layout: &Layout,
        encoded: &str,
        timestamp: Option<i64>,
        now_ms: i64,
    ) -> bool {
        if self.record_count == 0 {
            return false;
        }
        let periodic = match (layout.rotate_interval_ms, timestamp, self.base_timestamp) {
            (Some(interval), Some(ts), Some(base)) if layout.partitioner.is_time_based() => {
                ts - base >= interval || self.current_encoded.as_deref() != Some(encoded)
            }
            _ => false,
        };
        let scheduled = self.next_scheduled.is_some_and(|next| now_ms >= next);
        periodic || scheduled
    }

    fn close_all(&mut self, layout: &Layout) -> Result<Vec<ClosedFile>, WriteError> {
        let mut out = Vec::with_capacity(self.files.len());
        for (encoded, file) in std::mem::take(&mut self.files) {
            // Confluent commits the value file, then the keys, then the headers.
            let parts = [
                (file.value, layout.format.extension()),
                (
                    file.key,
                    layout.key_format.as_ref().map_or("", |f| f.extension()),
                ),
                (
                    file.headers,
                    layout.header_format.as_ref().map_or("", |f| f.extension()),
                ),
            ];
            for (encoder, ext) in parts {
                if let Some(encoder) = encoder {
                    out.push(ClosedFile {
                        key: layout.object_key_with(
                            &self.topic,
                            self.partition,
                            &encoded,
                            file.start,
                            ext,
                        ),
                        bytes: encoder.finish()?,
                    });
                }
            }
        }
        self.schemas.clear();
        self.record_count = 0;
        self.base_timestamp = None;
        self.current_encoded = None;
        self.open_from.clear();
        Ok(out)
    }
}

/// storage-common's `DateTimeUtils.getNextTimeAdjustedByDay`: the next multiple of the interval
/// counted from the start of the day (in the zone), never past the next day's start.
fn next_scheduled(layout: &Layout, now_ms: i64) -> Option<i64> {
    let (interval, zone) = layout.rotate_schedule.as_ref()?;
    let now = jiff::Timestamp::from_millisecond(now_ms).ok()?;
    let zoned = now.to_zoned_datetime(zone.clone());
    let start = zoned.start_of_day().ok()?;
    let start_ms = start.timestamp().as_millisecond();
    let next_day = start
        .checked_add(jiff::Span::new().days(1))
        .ok()
        .map(|z| z.timestamp().as_millisecond());
    let next = start_ms + ((now_ms - start_ms) / interval + 1) * interval;
    Some(next_day.map_or(next, |d| next.min(d)))
}

#[cfg(test)]
mod tests;
