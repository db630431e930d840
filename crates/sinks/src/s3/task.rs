//! [`S3SinkTask`]: records → [`PartitionWriter`]s → objects uploaded; positions committed only
//! up to the first record of a file not uploaded yet (Connect's `preCommit` of Confluent's
//! `S3SinkTask`).

use std::collections::{BTreeMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use cdc_core::{
    ConfigErrors, ConfigMap, ConnectorError, Positions, Refused, Retry, SinkRecord, SinkTask,
    TopicPartition,
};
use tracing::{debug, info};

use super::config::{NullValues, S3SinkConfig};
use super::storage::Storage;
use super::view::View;
use super::writer::{ClosedFile, Layout, PartitionWriter, WriteError};

/// A record the sink cannot write (the task fails naming it).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the record at offset {offset} of {topic} partition {partition}")]
struct RecordError {
    topic: String,
    partition: i32,
    offset: u64,
    #[source]
    cause: RecordCause,
}

#[derive(Debug, thiserror::Error)]
enum RecordCause {
    #[error("its value is null and behavior.on.null.values is fail")]
    NullValue,
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The S3 sink's task.
pub struct S3SinkTask {
    config: S3SinkConfig,
    layout: Layout,
    storage: Option<Storage>,
    writers: BTreeMap<TopicPartition, PartitionWriter>,
    /// Closed files not uploaded yet, oldest first.
    uploads: VecDeque<ClosedFile>,
    /// Per partition read from, the offset after the last record taken by `put`: a batch put
    /// again after a transient failure skips what was taken before it failed.
    taken: BTreeMap<TopicPartition, u64>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl S3SinkTask {
    /// Validates the config; nothing is opened until the task runs.
    pub fn from_config(map: &ConfigMap) -> Result<Self, ConfigErrors> {
        let config = S3SinkConfig::from_map(map)?;
        let layout = Layout {
            format: config.format.build(),
            key_format: config.keys_format.as_ref().map(|f| f.build_view(View::Key)),
            header_format: config
                .headers_format
                .as_ref()
                .map(|f| f.build_view(View::Headers)),
            compatibility: config.compatibility,
            tombstone_partition: match config.null_values {
                NullValues::Write => Some(config.tombstone_partition.clone()),
                _ => None,
            },
            partitioner: config.partitioner.clone(),
            flush_size: config.flush_size,
            rotate_interval_ms: config.rotate_interval_ms,
            rotate_schedule: config
                .rotate_schedule_interval_ms
                .zip(config.schedule_zone.clone()),
            topics_dir: config.topics_dir.clone(),
            directory_delim: config.directory_delim.clone(),
            file_delim: config.file_delim.clone(),
            zero_pad_width: config.zero_pad_width,
        };
        Ok(S3SinkTask {
            config,
            layout,
            storage: None,
            writers: BTreeMap::new(),
            uploads: VecDeque::new(),
            taken: BTreeMap::new(),
        })
    }

    fn storage(&self) -> Result<&Storage, ConnectorError> {
        self.storage
            .as_ref()
            .ok_or_else(|| ConnectorError::fatal_msg("the S3 sink task was not opened"))
    }

    /// Uploads the closed files in order; on failure the rest stay queued.
    async fn upload_closed(&mut self) -> Result<(), ConnectorError> {
        while let Some(file) = self.uploads.front() {
            let storage = self.storage()?;
            storage
                .upload(&file.key, &file.bytes)
                .await
                .map_err(|e| e.into_connector_error())?;
            debug!(key = %file.key, bytes = file.bytes.len(), "object uploaded");
            self.uploads.pop_front();
        }
        Ok(())
    }

    fn closed(&mut self, files: Vec<ClosedFile>) {
        self.uploads.extend(files);
    }

    /// Confluent's scheduled rotation, checked after each batch and at each commit.
    fn on_time(&mut self) -> Result<(), ConnectorError> {
        let now = now_ms();
        let mut closed = Vec::new();
        for writer in self.writers.values_mut() {
            closed.extend(
                writer
                    .on_time(&self.layout, now)
                    .map_err(ConnectorError::fatal)?,
            );
        }
        self.closed(closed);
        Ok(())
    }
}

#[async_trait]
impl SinkTask for S3SinkTask {
    async fn open(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Result<Option<Positions>, ConnectorError> {
        let storage = Storage::new(&self.config.store).map_err(|e| e.into_connector_error())?;
        storage
            .check_bucket()
            .await
            .map_err(|e| e.into_connector_error())?;
        info!(
            bucket = %self.config.store.bucket,
            partitions = partitions.len(),
            "S3 sink task opened"
        );
        self.storage = Some(storage);
        Ok(None)
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<Vec<Refused>, ConnectorError> {
        // Files closed by an earlier batch that could not be uploaded go first.
        self.upload_closed().await?;
        let now = now_ms();
        for record in records {
            let from = record.original_topic_partition();
            if self
                .taken
                .get(&from)
                .is_some_and(|&next| record.offset < next)
            {
                continue; // taken by an earlier attempt of this batch
            }
            let fail = |cause: RecordCause| {
                ConnectorError::new(
                    Retry::Fatal,
                    RecordError {
                        topic: record.topic.to_string(),
                        partition: record.partition,
                        offset: record.offset,
                        cause,
                    },
                )
            };
            if record.value.is_none() {
                match self.config.null_values {
                    NullValues::Ignore => {
                        self.taken.insert(from, record.offset + 1);
                        continue;
                    }
                    NullValues::Fail => return Err(fail(RecordCause::NullValue)),
                    // Into the tombstone partition: its key (and headers) only.
                    NullValues::Write => {}
                }
            }
            let tp = record.topic_partition();
            let writer = self
                .writers
                .entry(tp.clone())
                .or_insert_with(|| PartitionWriter::new(tp.topic, tp.partition, &self.layout, now));
            let closed = writer
                .write(&self.layout, record, now)
                .map_err(|e| fail(RecordCause::Write(e)))?;
            self.taken.insert(from, record.offset + 1);
            if !closed.is_empty() {
                self.closed(closed);
                self.upload_closed().await?;
            }
        }
        self.on_time()?;
        self.upload_closed().await?;
        Ok(Vec::new())
    }

    async fn flush(&mut self) -> Result<(), ConnectorError> {
        self.upload_closed().await
    }

    async fn pre_commit(&mut self, delivered: &Positions) -> Result<Positions, ConnectorError> {
        self.on_time()?;
        self.upload_closed().await?;
        let mut out = delivered.clone();
        for writer in self.writers.values() {
            for (tp, &start) in writer.open_from() {
                if let Some(p) = out.get_mut(tp) {
                    *p = (*p).min(start);
                }
            }
        }
        Ok(out)
    }

    async fn close(&mut self) {
        // Open files are dropped: their records are read again from the committed positions.
        let open: usize = self.writers.values().map(|w| w.open_from().len()).sum();
        if open > 0 {
            info!(
                partitions = open,
                "S3 sink task stopped with files not yet complete; they are written again on restart"
            );
        }
        self.writers.clear();
    }
}
