//! The embedded log: durable topics in the worker's data directory, on redb.
//!
//! * [`store`]: [`EmbeddedLog`], the one writer per data directory (topics, records, source
//!   offsets, all in one redb file, `log.redb`).
//! * [`format`]: the versioned, length-prefixed record format inside a stored chunk.
//! * [`socket`]: the read path other processes use while a worker holds the data directory.
//! * [`reader`]: [`LogReader`], what `tributary topics` reads through — the file when no worker
//!   runs, the worker's socket when one does.
//! * [`retention`]: `retention.ms`/`retention.bytes`/`cleanup.policy` per topic and the worker's
//!   `log.retention.*`, and the background sweep that deletes a topic's oldest chunks.
//! * [`compaction`]: `cleanup.policy=compact`, keeping the latest record per key (run by the same
//!   sweep).
//!
//! Why redb and chunks: `docs/decisions/embedded-log.md`.

pub mod compaction;
pub mod format;
pub mod reader;
pub mod retention;
pub mod socket;
pub mod store;

use std::path::PathBuf;

pub use format::FormatError;
pub use reader::LogReader;
pub use retention::{
    CleanerDefaults, CleanupPolicy, RetentionDefaults, RetentionSweeper, TopicConfig, TopicRules,
};
pub use store::{AppendChain, EmbeddedLog, SinkPositions};

/// A record to append, borrowing its bytes (the runtime's converted batch owns them).
#[derive(Debug, Clone, Copy)]
pub struct StoredRecordRef<'a> {
    pub topic: &'a str,
    pub timestamp_ms: i64,
    /// `None` is a null key.
    pub key: Option<Payload<'a>>,
    /// `None` is a tombstone.
    pub value: Option<Payload<'a>>,
    pub headers: &'a [(String, Vec<u8>)],
    /// Headers every record of the connector carries (Debezium's `__debezium.context.*`),
    /// after `headers`: shared rather than copied into each record.
    pub context: &'a [(String, Vec<u8>)],
    /// `context` in the log's `headers` encoding ([`format::encode_headers`]), made once per
    /// group so that the log stores it once per chunk; empty to store `context` inline.
    pub context_block: &'a [u8],
}

/// A key's or value's bytes in three parts: `prefix`, `rest`, then `suffix`.
///
/// The prefix and suffix are parts many records share, such as JsonConverter's serialized schema
/// in front of every payload of a table (about nine tenths of each message with schemas), and a
/// snapshot row's `source` block and the fields after it. A log stores each distinct shared part
/// once per chunk (recognised by address, so pass the same slice for the same part); a backend
/// that sends whole messages joins the parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Payload<'a> {
    pub prefix: &'a [u8],
    pub rest: &'a [u8],
    pub suffix: &'a [u8],
}

impl<'a> Payload<'a> {
    /// Bytes with no shared prefix.
    pub fn whole(bytes: &'a [u8]) -> Self {
        Payload {
            prefix: &[],
            rest: bytes,
            suffix: &[],
        }
    }

    pub fn len(&self) -> usize {
        self.prefix.len() + self.rest.len() + self.suffix.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record's bytes: borrowed when there is no shared part, joined otherwise.
    pub fn joined(&self) -> std::borrow::Cow<'a, [u8]> {
        if self.prefix.is_empty() && self.suffix.is_empty() {
            std::borrow::Cow::Borrowed(self.rest)
        } else {
            std::borrow::Cow::Owned(self.to_vec())
        }
    }

    /// The record's bytes, joined.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        v.extend_from_slice(self.prefix);
        v.extend_from_slice(self.rest);
        v.extend_from_slice(self.suffix);
        v
    }
}

impl<'a> From<&'a [u8]> for Payload<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Payload::whole(bytes)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Payload<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        Payload::whole(bytes)
    }
}

/// A record read back from a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub offset: u64,
    pub timestamp_ms: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// A topic of the embedded log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    /// Always 1 for now: every topic has partition 0 only.
    pub partitions: u32,
    /// `next_offset` minus the first offset still kept: the records stored, except in a
    /// compacted topic, whose offsets have gaps (what Kafka's end minus start offset counts).
    pub records: u64,
    /// The offset the next appended record will get.
    pub next_offset: u64,
}

/// Why the embedded log failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("data directory {dir} is in use by another tributary process (it holds the lock on {file}); stop that worker or choose another --data-dir")]
    Locked { dir: PathBuf, file: PathBuf },
    #[error(
        "no embedded log in {0} (a worker creates it on its first start with this data directory)"
    )]
    NotFound(PathBuf),
    #[error("cannot create data directory {dir}")]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the embedded log {file}")]
    Open {
        file: PathBuf,
        #[source]
        source: redb::DatabaseError,
    },
    #[error(
        "embedded log {file} has format version {found}; this build supports version {supported}"
    )]
    Version {
        file: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error("embedded log storage failed while {context}")]
    Storage {
        context: &'static str,
        #[source]
        source: redb::Error,
    },
    #[error("record {offset} of topic {topic:?} is unreadable")]
    Corrupt {
        topic: String,
        offset: u64,
        #[source]
        source: FormatError,
    },
    #[error("stored source offset of connector {connector:?} is unreadable")]
    BadSourceOffset {
        connector: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("stored sink offsets of connector {connector:?} are unreadable")]
    BadSinkOffsets {
        connector: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("stored config of topic {topic:?} is unreadable")]
    BadTopicConfig {
        topic: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("records {from}..{last} of topic {topic} partition 0 were deleted by retention before the sink consumed them (the first record kept is {first_kept}); set consumer.override.auto.offset.reset=earliest (or latest) to continue after the loss", last = first_kept - 1)]
    Deleted {
        topic: String,
        /// The position that was to be read next.
        from: u64,
        first_kept: u64,
        /// The topic's next offset then.
        next: u64,
    },
    #[error("topic {0} partition 0 has no committed position and consumer.override.auto.offset.reset is none")]
    NoPosition(String),
    #[error("topic {0:?} does not exist")]
    UnknownTopic(String),
    #[error("the embedded log was opened read-only")]
    ReadOnly,
    #[error("the embedded log stopped writing after a storage I/O error ({0}); it is reopened once the storage works again (free disk space if it is full), then failed tasks can be restarted")]
    Failed(String),
    #[error("cannot read from the worker holding the data directory through {path}")]
    Remote {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the worker holding the data directory answered: {0}")]
    RemoteFailed(String),
    #[error("records not written: topic {0} has cleanup.policy=compact and a record has a null key (a compacted topic keeps the latest record per key, and cannot accept a record without one, as on Kafka); give the records keys (a primary key, message.key.columns) or use cleanup.policy=delete for the topic")]
    NullKeyInCompactedTopic(String),
    #[error("records not written: an earlier append of the same writer failed, and writing these after it would leave a gap")]
    AfterFailedAppend,
    #[error("records not written: the append committed together with them failed ({0})")]
    CommittedWithFailed(String),
}

impl cdc_core::Classify for LogError {
    /// A log that cannot write needs a person (disk full, corruption, a second worker).
    fn retry(&self) -> cdc_core::Retry {
        cdc_core::Retry::Fatal
    }
}

#[cfg(test)]
mod compaction_tests;
#[cfg(test)]
mod retention_tests;
#[cfg(test)]
mod tests;
