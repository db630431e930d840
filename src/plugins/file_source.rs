//! Kafka Connect's `FileStreamSourceConnector`: every line appended to a file becomes a record
//! with a string value (no key) on `topic`, like `tail -f`.
//!
//! Offsets are Connect's: partition `{"filename": <file>}`, offset `{"position": <byte>}`, the
//! position just after the last line made durable. Only complete lines (ending in `\n`) are read.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use cdc_core::{
    Batch, ConfigErrors, ConfigMap, ConfigReader, ConnectorError, Data, Record, Schema,
    SourceContext, SourceOffset, Value,
};
use serde_json::{json, Map, Value as Json};
use tokio::io::{AsyncBufReadExt, AsyncSeekExt, BufReader};

/// How often the end of the file is checked for new lines.
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub struct FileStreamSource {
    file: PathBuf,
    topic: Arc<str>,
    batch_size: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}")]
struct FileError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

impl FileStreamSource {
    /// Reads `file` (required here: reading the worker's standard input is not supported),
    /// `topic` and `batch.size` (2000).
    pub fn from_config(config: &ConfigMap) -> Result<Self, ConfigErrors> {
        let mut r = ConfigReader::new(config);
        let file = r.required_string("file");
        let topic = r.required_string("topic");
        let batch_size = r.int("batch.size", 2000, 1, 1 << 20) as usize;
        r.finish()?;
        Ok(FileStreamSource {
            file: PathBuf::from(file),
            topic: topic.into(),
            batch_size,
        })
    }

    fn partition(&self) -> Map<String, Json> {
        let mut m = Map::new();
        m.insert("filename".into(), json!(self.file.to_string_lossy()));
        m
    }

    fn offset(&self, position: u64) -> SourceOffset {
        let mut m = Map::new();
        m.insert("position".into(), json!(position));
        SourceOffset::new(self.partition(), m)
    }

    fn io(&self, source: std::io::Error) -> ConnectorError {
        // A missing or unreadable file may appear or be fixed: retry with backoff.
        ConnectorError::transient(FileError {
            path: self.file.clone(),
            source,
        })
    }
}

#[async_trait]
impl cdc_core::Source for FileStreamSource {
    async fn run(&mut self, ctx: SourceContext) -> Result<(), ConnectorError> {
        let partition = self.partition();
        let mut position = ctx
            .start_offset
            .as_ref()
            .filter(|o| o.partition == partition)
            .and_then(|o| o.get_i64("position"))
            .map_or(0, |p| p.max(0) as u64);
        let mut file = tokio::fs::File::open(&self.file)
            .await
            .map_err(|e| self.io(e))?;
        file.seek(std::io::SeekFrom::Start(position))
            .await
            .map_err(|e| self.io(e))?;
        let mut reader = BufReader::new(file);
        let schema = Arc::new(Schema::string());
        let batch_size = self.batch_size.min(ctx.output.max_batch_records());
        let mut line = Vec::new();
        loop {
            let mut records = Vec::new();
            while records.len() < batch_size {
                let n = reader
                    .read_until(b'\n', &mut line)
                    .await
                    .map_err(|e| self.io(e))?;
                if n == 0 || line.last() != Some(&b'\n') {
                    break; // end of file, maybe inside a line that is still being written
                }
                position += line.len() as u64;
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches(['\n', '\r']).to_owned();
                line.clear();
                records.push(Record {
                    topic: self.topic.clone(),
                    key: None,
                    value: Some(Data::new(schema.clone(), Value::String(text.into()))),
                    headers: Vec::new(),
                    timestamp_ms: now_ms(),
                });
            }
            if records.is_empty() {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => continue,
                    _ = ctx.shutdown.cancelled() => return Ok(()),
                }
            }
            let batch = Batch::new(records, self.offset(position));
            tokio::select! {
                sent = ctx.output.send(batch) => if sent.is_err() { return Ok(()) },
                _ = ctx.shutdown.cancelled() => return Ok(()),
            }
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
