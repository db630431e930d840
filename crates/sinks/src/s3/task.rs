//! [`S3SinkTask`]: records → [`PartitionWriter`]s → objects uploaded; positions committed only
//! up to the first record of a file not uploaded yet (Connect's `preCommit` of Confluent's
//! `S3SinkTask`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use cdc_core::{
    ConfigErrors, ConfigMap, ConnectorError, Positions, Refused, Retry, SinkRecord, SinkTask,
    TopicPartition,
};
use tokio::task::JoinSet;
use tracing::{debug, info};

use super::config::{NullValues, S3SinkConfig};
use super::storage::{Storage, StorageError};
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
    storage: Option<Arc<Storage>>,
    writers: BTreeMap<TopicPartition, PartitionWriter>,
    /// Closed files whose upload has not started (or failed and is to be tried again), oldest
    /// first.
    uploads: VecDeque<ClosedFile>,
    /// Uploads under way, at most [`MAX_UPLOADS`]: they run while `put` encodes the next
    /// records; `flush` and `pre_commit` wait for them all.
    uploading: JoinSet<(ClosedFile, Result<(), StorageError>)>,
    /// Per partition read from, the offset after the last record taken by `put`: a batch put
    /// again after a transient failure skips what was taken before it failed.
    taken: BTreeMap<TopicPartition, u64>,
}

/// How many closed files are uploaded at once. Encoding and uploading overlap; more uploads in
/// flight hold more finished files (each at most `flush.size` records, or spooled to disk).
const MAX_UPLOADS: usize = 4;

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
            uploading: JoinSet::new(),
            taken: BTreeMap::new(),
        })
    }

    fn storage(&self) -> Result<Arc<Storage>, ConnectorError> {
        self.storage
            .clone()
            .ok_or_else(|| ConnectorError::fatal_msg("the S3 sink task was not opened"))
    }

    /// Starts uploading queued files, oldest first, while fewer than [`MAX_UPLOADS`] run.
    fn start_uploads(&mut self) -> Result<(), ConnectorError> {
        while self.uploading.len() < MAX_UPLOADS {
            let Some(file) = self.uploads.pop_front() else {
                break;
            };
            let storage = self.storage()?;
            self.uploading.spawn(async move {
                let result = storage.upload(&file.key, &file.bytes).await;
                (file, result)
            });
        }
        Ok(())
    }

    /// One finished upload: a failed file goes back to the front of the queue (it is tried
    /// again by the next call) and its error is returned.
    fn finished(
        &mut self,
        done: Result<(ClosedFile, Result<(), StorageError>), tokio::task::JoinError>,
    ) -> Result<(), ConnectorError> {
        match done {
            Ok((file, Ok(()))) => {
                debug!(key = %file.key, bytes = file.bytes.len(), "object uploaded");
                Ok(())
            }
            Ok((file, Err(e))) => {
                self.uploads.push_front(file);
                Err(e.into_connector_error())
            }
            Err(e) => Err(ConnectorError::fatal_msg(format!(
                "an S3 upload task ended abnormally: {e}"
            ))),
        }
    }

    /// Reaps the uploads that finished, starts queued ones, and waits while [`MAX_UPLOADS`] are
    /// under way (so encoding never runs further ahead than that).
    async fn pump_uploads(&mut self) -> Result<(), ConnectorError> {
        while let Some(done) = self.uploading.try_join_next() {
            self.finished(done)?;
        }
        self.start_uploads()?;
        while self.uploading.len() >= MAX_UPLOADS && !self.uploads.is_empty() {
            if let Some(done) = self.uploading.join_next().await {
                self.finished(done)?;
            }
            self.start_uploads()?;
        }
        Ok(())
    }

    /// Uploads every closed file and waits for all of them; on failure the failed files stay
    /// queued (the others that finished are done).
    async fn upload_closed(&mut self) -> Result<(), ConnectorError> {
        let mut first_error = None;
        loop {
            if first_error.is_none() {
                self.start_uploads()?;
            }
            let Some(done) = self.uploading.join_next().await else {
                break;
            };
            if let Err(e) = self.finished(done) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
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
        self.storage = Some(Arc::new(storage));
        Ok(None)
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<Vec<Refused>, ConnectorError> {
        // Files closed by an earlier batch that could not be uploaded go first.
        self.pump_uploads().await?;
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
                self.pump_uploads().await?;
            }
        }
        self.on_time()?;
        self.pump_uploads().await?;
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
        // Uploads under way are abandoned: their records were not committed and are read again.
        self.uploading.abort_all();
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
