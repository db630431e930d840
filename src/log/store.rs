//! [`EmbeddedLog`]: topics, records and source offsets in one redb file.
//!
//! Tables:
//! * `meta`: `format` → layout version.
//! * `topics`: name → (topic id, first offset kept, next offset).
//! * `chunks`: (topic id, offset of the chunk's first record) → a chunk ([`super::format`]).
//! * `source_offsets`: connector name → version byte + the `SourceOffset` as JSON. The row
//!   `<connector>` holds one source partition, the first one written (the only one of a
//!   single-partition source); any other partition P of a source with several partitions has
//!   the row `<connector>\0<P as compact JSON, keys sorted>`. A partition is in one row only.
//! * `connector_configs`: connector name → the herder's stored connector (raw config map and
//!   target state) as JSON; the herder owns the shape.
//! * `schema_registry`: the embedded Schema Registry's rows (`crate::registry::store` owns the
//!   keys and values).
//! * `sink_offsets`: connector name → version byte + its consumed positions as JSON
//!   ([`SinkPositions`]: topic → partition → the next offset to read).
//! * `chunk_info` (layout 2): (topic id, chunk's first offset) → (the chunk's stored bytes, its
//!   newest record's timestamp): what retention decides on without reading chunks.
//! * `topic_configs` (layout 2): topic name → its retention overrides as JSON
//!   ([`super::retention::TopicConfig`]), stored when the topic is created.
//! * `cleaner_checkpoints`: topic id → the first offset a compaction has not compacted yet
//!   (`super::compaction`; created with the other tables, absent from logs no compaction ran on).
//!
//! Every [`EmbeddedLog::append`] is written in a redb write transaction with
//! `Durability::Immediate`: the records and the connector's source offset become durable
//! together, or not at all, before it returns. Appends that wait while another is being committed
//! are committed together, in the order they were queued, in one transaction (group commit: one
//! fsync for all of them).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};

use cdc_core::SourceOffset;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use super::compaction::CLEANER_CHECKPOINTS;
use super::format;
use super::retention::{
    CleanerDefaults, RetentionDefaults, RetentionSweeper, SweepReport, TopicConfig, TopicRules,
};
use super::{LogError, StoredRecord, StoredRecordRef, TopicInfo};

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(super) const TOPICS: TableDefinition<&str, (u32, u64, u64)> = TableDefinition::new("topics");
pub(super) const CHUNKS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("chunks");
const SOURCE_OFFSETS: TableDefinition<&str, &[u8]> = TableDefinition::new("source_offsets");
const CONNECTOR_CONFIGS: TableDefinition<&str, &[u8]> = TableDefinition::new("connector_configs");
const SCHEMA_REGISTRY: TableDefinition<&str, &[u8]> = TableDefinition::new("schema_registry");
const SINK_OFFSETS: TableDefinition<&str, &[u8]> = TableDefinition::new("sink_offsets");
pub(super) const CHUNK_INFO: TableDefinition<(u32, u64), (u64, i64)> =
    TableDefinition::new("chunk_info");
pub(super) const TOPIC_CONFIGS: TableDefinition<&str, &[u8]> =
    TableDefinition::new("topic_configs");

/// A sink connector's consumed positions: topic → partition → the next offset to read (Connect's
/// committed consumer offset).
pub type SinkPositions = BTreeMap<String, BTreeMap<i32, u64>>;

/// The table layout version (`meta.format`). Version 2 added `chunk_info` and `topic_configs`;
/// a version 1 log is upgraded when a worker opens it (and still read as it is).
const LAYOUT_VERSION: u64 = 2;
/// Chunks one retention transaction deletes at most, so appends wait for it only briefly.
const RETENTION_BATCH: usize = 64;
/// Version byte in front of a stored source offset.
const OFFSET_VERSION: u8 = 1;
/// A chunk is closed before it would exceed this many bytes (a larger single record gets its own
/// chunk). redb stores a large value in a power-of-two run of pages together with its key and
/// page header, so the limit stays a page below 1 MiB: at exactly 1 MiB every chunk would take
/// 2 MiB on disk.
pub(super) const CHUNK_BYTES: usize = (1 << 20) - 4096;
/// The log's file inside the data directory.
pub const FILE_NAME: &str = "log.redb";

/// The embedded log of one data directory. Cheap to clone; `Send + Sync`.
///
/// One process at a time may hold a data directory: a second [`EmbeddedLog::open`] fails with
/// [`LogError::Locked`]. Appends are serialized; reads run concurrently on snapshots.
#[derive(Clone)]
pub struct EmbeddedLog {
    pub(super) inner: Arc<Inner>,
    /// How topics this handle creates are configured (a source connector's `topic.creation.*`).
    topic_rules: Option<Arc<TopicRules>>,
}

pub(super) struct Inner {
    dir: PathBuf,
    /// The database; replaced by a fresh open of the same file after a storage I/O error
    /// ([`EmbeddedLog::recover`]).
    db: RwLock<Arc<Db>>,
    /// Why the log stopped writing (a storage I/O error), until it is reopened.
    failure: Mutex<Option<String>>,
    writer: Mutex<Writer>,
    buffers: Mutex<Buffers>,
    /// Appends waiting to be committed.
    commits: Mutex<CommitQueue>,
    /// Signalled when a group of appends was committed (or failed).
    committed: Condvar,
    /// Counts committed groups of appends: readers at the end of a topic wait on it.
    appended: tokio::sync::watch::Sender<u64>,
    /// Held by a retention sweep (one at a time).
    sweeping: Mutex<()>,
    /// Per compacted topic id, the earliest delete horizon of a tombstone the last compaction
    /// kept (`i64::MAX`: none): a pass with nothing new to compact skips the topic until then.
    pub(super) cleaner_hints: Mutex<HashMap<u32, i64>>,
}

/// Appends queued for the next commit, the results of committed ones, and whether one of the
/// callers is committing (the leader, who takes every queued append into its transaction).
#[derive(Default)]
struct CommitQueue {
    waiting: Vec<(u64, CommitJob)>,
    done: HashMap<u64, Result<Vec<u64>, LogError>>,
    leader: bool,
    next_id: u64,
}

struct CommitJob {
    prepared: PreparedAppend,
    /// The connector's source offset to store with the records.
    offset: Option<JobOffset>,
    chain: Option<Arc<AppendChain>>,
    rules: Option<Arc<TopicRules>>,
}

/// A source offset queued with an append.
struct JobOffset {
    connector: String,
    /// The offset's source partition, which decides its row.
    partition: serde_json::Map<String, serde_json::Value>,
    /// The encoded `SourceOffset`.
    bytes: Vec<u8>,
}

/// One writer's appends, which the log commits in the order they were queued: once one of them
/// fails, the later ones are refused instead of written after the gap it leaves.
#[derive(Debug, Default)]
pub struct AppendChain {
    failed: AtomicBool,
}

impl AppendChain {
    pub(super) fn fail(&self) {
        self.failed.store(true, Ordering::SeqCst);
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }
}

enum Db {
    ReadWrite(redb::Database),
    ReadOnly(redb::ReadOnlyDatabase),
    /// Between closing a failed database and reopening it.
    Closed,
}

/// The writer's view of the topics, updated only after a commit succeeds.
#[derive(Default)]
pub(super) struct Writer {
    topics: HashMap<String, TopicState>,
    next_id: u32,
}

/// Buffers kept between appends: chunk buffers, and lz4's output buffer (lz4 needs an
/// initialised one; reusing it saves zeroing a chunk's worth of memory every time).
#[derive(Default)]
struct Buffers {
    spare: Vec<Vec<u8>>,
    scratch: Vec<u8>,
}

/// Chunk buffers kept (a chunk is about 1 MiB).
const SPARE_BUFFERS: usize = 4;

#[derive(Debug, Clone, Copy)]
struct TopicState {
    id: u32,
    start: u64,
    next: u64,
}

/// The records of one append encoded into chunks (and compressed) by [`EmbeddedLog::prepare`],
/// before the writer assigns them offsets, which the chunks do not depend on. Preparing is the
/// CPU part of an append and needs no lock, so the pipeline prepares the next append while the
/// previous one is being committed (fsynced).
pub struct PreparedAppend {
    /// Each topic's chunks, in order of the topics' first record.
    topics: Vec<PreparedTopic>,
}

struct PreparedTopic {
    name: String,
    /// Each chunk with the position of its first record among the topic's records of the
    /// append, and its newest record's timestamp.
    chunks: Vec<(u64, Vec<u8>, i64)>,
    /// The topic's records in the append.
    count: u64,
    /// Whether one of them has a null key (refused in a compacted topic).
    null_keys: bool,
    /// The buffer the last chunk was built in, to keep.
    spare: Vec<u8>,
}

/// A topic's share of one append, being encoded.
struct Pending<'r> {
    name: &'r str,
    chunks: Vec<(u64, Vec<u8>, i64)>,
    cur: Vec<u8>,
    cur_first: u64,
    cur_count: u32,
    /// The newest timestamp in `cur`.
    cur_max_ts: i64,
    count: u64,
    null_keys: bool,
    /// The shared prefixes of the chunk in `cur`.
    prefixes: format::Prefixes<'r>,
}

impl Pending<'_> {
    fn seal(&mut self, bufs: &mut Buffers) {
        if self.cur_count > 0 {
            format::finish_chunk(&mut self.cur, self.cur_count, &self.prefixes);
            self.prefixes.clear();
            match format::compress_chunk(&self.cur, &mut bufs.scratch) {
                Some(compressed) => {
                    self.cur.clear();
                    self.chunks
                        .push((self.cur_first, compressed, self.cur_max_ts));
                }
                None => {
                    let next_buf = bufs.spare.pop().unwrap_or_default();
                    let full = std::mem::replace(&mut self.cur, next_buf);
                    self.chunks.push((self.cur_first, full, self.cur_max_ts));
                }
            }
            self.cur_count = 0;
        }
    }
}

pub(super) fn storage<E: Into<redb::Error>>(context: &'static str) -> impl FnOnce(E) -> LogError {
    move |e| LogError::Storage {
        context,
        source: e.into(),
    }
}

/// `table` in a read transaction, `None` when it was never created (`context` names a failure).
pub(super) fn open_if_exists<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    table: TableDefinition<'_, K, V>,
    context: &'static str,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, LogError> {
    match txn.open_table(table) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(storage(context)(e)),
    }
}

/// The tables a change to a topic's chunks writes: `topics`, `chunks`, `chunk_info`.
pub(super) type ChunkTables<'t> = (
    redb::Table<'t, &'static str, (u32, u64, u64)>,
    redb::Table<'t, (u32, u64), &'static [u8]>,
    redb::Table<'t, (u32, u64), (u64, i64)>,
);

/// Opens [`ChunkTables`] in `txn`, in that order.
pub(super) fn chunk_tables(txn: &redb::WriteTransaction) -> Result<ChunkTables<'_>, LogError> {
    let topics = txn
        .open_table(TOPICS)
        .map_err(storage("opening the topics table"))?;
    let chunks = txn
        .open_table(CHUNKS)
        .map_err(storage("opening the chunks table"))?;
    let info = txn
        .open_table(CHUNK_INFO)
        .map_err(storage("opening the chunk info table"))?;
    Ok((topics, chunks, info))
}

/// Topic `id`'s chunks as `chunk_info` lists them, oldest first: (first offset, stored bytes,
/// newest record's timestamp).
pub(super) fn chunk_infos(
    info: &impl ReadableTable<(u32, u64), (u64, i64)>,
    id: u32,
) -> Result<Vec<(u64, u64, i64)>, LogError> {
    let mut chunks = Vec::new();
    for entry in info
        .range((id, 0)..=(id, u64::MAX))
        .map_err(storage("reading chunk info"))?
    {
        let (k, v) = entry.map_err(storage("reading chunk info"))?;
        let (len, max_ts) = v.value();
        chunks.push((k.value().1, len, max_ts));
    }
    Ok(chunks)
}

/// Sets `path`'s mode to `mode` when it is not already (owner-only modes for the data directory
/// and its files).
fn private(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions();
    if current.mode() & 0o777 != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// redb's page cache (`Builder::set_cache_size`). 16 MiB: a sink reading a topic once fills
/// the cache with chunk pages it never reads again; at 32 MiB that cost a 1M-row JDBC sink run
/// 117 MB of peak RSS (90 MB now) and a 1M-row snapshot 211 MB (167 MB), with neither slower
/// (docs/performance.md).
const CACHE_BYTES: usize = 16 << 20;

impl EmbeddedLog {
    /// Opens (creating if needed) the log in `dir`, taking the directory's lock.
    pub fn open(dir: &Path) -> Result<Self, LogError> {
        use std::os::unix::fs::DirBuilderExt;
        let create_dir = |source| LogError::CreateDir {
            dir: dir.to_owned(),
            source,
        };
        // The log holds connector configs and every change: readable by its owner only.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(create_dir)?;
        private(dir, 0o700).map_err(create_dir)?;
        let file = dir.join(FILE_NAME);
        // redb caches pages up to 1 GiB by default; a change log is written once and read
        // sequentially, so a small cache bounds the worker's memory without slowing appends.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(&file)
            .map_err(|e| open_error(dir, &file, e))?;
        // redb creates the file under the process's umask (0644 usually); an older data
        // directory is brought to the same modes here.
        private(&file, 0o600).map_err(create_dir)?;
        let writer = init_tables(&db, &file)?;
        Ok(EmbeddedLog {
            inner: Arc::new(Inner {
                dir: dir.to_owned(),
                db: RwLock::new(Arc::new(Db::ReadWrite(db))),
                failure: Mutex::new(None),
                writer: Mutex::new(writer),
                buffers: Mutex::default(),
                commits: Mutex::default(),
                committed: Condvar::new(),
                appended: tokio::sync::watch::Sender::new(0),
                sweeping: Mutex::new(()),
                cleaner_hints: Mutex::default(),
            }),
            topic_rules: None,
        })
    }

    /// Opens an existing log for reading only. Fails with [`LogError::Locked`] while a worker
    /// holds the directory, and with [`LogError::NotFound`] when there is no log.
    ///
    /// A log left by a crashed worker needs recovery, which only a writer can do: that case is
    /// opened read-write (briefly taking the lock).
    pub fn open_read_only(dir: &Path) -> Result<Self, LogError> {
        let file = dir.join(FILE_NAME);
        if !file.exists() {
            return Err(LogError::NotFound(dir.to_owned()));
        }
        match redb::ReadOnlyDatabase::open(&file) {
            Ok(db) => {
                let log = EmbeddedLog {
                    inner: Arc::new(Inner {
                        dir: dir.to_owned(),
                        db: RwLock::new(Arc::new(Db::ReadOnly(db))),
                        failure: Mutex::new(None),
                        writer: Mutex::new(Writer::default()),
                        buffers: Mutex::default(),
                        commits: Mutex::default(),
                        committed: Condvar::new(),
                        appended: tokio::sync::watch::Sender::new(0),
                        sweeping: Mutex::new(()),
                        cleaner_hints: Mutex::default(),
                    }),
                    topic_rules: None,
                };
                log.check_version(&file)?;
                Ok(log)
            }
            Err(redb::DatabaseError::RepairAborted) => Self::open(dir),
            Err(e) => Err(open_error(dir, &file, e)),
        }
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    fn db(&self) -> Arc<Db> {
        self.inner
            .db
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Refuses to write on a read-only log, or while a failed one waits to be reopened.
    pub(super) fn writable(&self) -> Result<(), LogError> {
        match &*self.db() {
            Db::ReadWrite(_) => Ok(()),
            Db::ReadOnly(_) => Err(LogError::ReadOnly),
            Db::Closed => Err(self.failed_error()),
        }
    }

    fn failed_error(&self) -> LogError {
        LogError::Failed(
            self.failure()
                .unwrap_or_else(|| "the embedded log is being reopened".to_owned()),
        )
    }

    pub(super) fn begin_read(&self) -> Result<redb::ReadTransaction, LogError> {
        let db = self.db();
        match &*db {
            Db::ReadWrite(db) => db.begin_read(),
            Db::ReadOnly(db) => db.begin_read(),
            Db::Closed => return Err(self.failed_error()),
        }
        .map_err(storage("starting a read transaction"))
    }

    /// Why the log stopped writing: a storage I/O error (a full disk, a failing device) left
    /// the database needing to be reopened. `None` while it is sound.
    pub fn failure(&self) -> Option<String> {
        self.inner
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records a storage I/O error: after one, redb refuses every write until the database is
    /// closed and opened again ([`Self::recover`]).
    fn note_failure(&self, e: &LogError) {
        let LogError::Storage { context, source } = e else {
            return;
        };
        if !matches!(source, redb::Error::Io(_) | redb::Error::PreviousIo) {
            return;
        }
        let mut failure = self
            .inner
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if failure.is_none() {
            let why = match source {
                redb::Error::Io(io) => format!("{io} while {context}"),
                _ => format!("an earlier I/O error, seen while {context}"),
            };
            tracing::error!(dir = %self.inner.dir.display(), error = %why,
                "the embedded log hit a storage I/O error; it is reopened once the storage works again (free disk space if it is full)");
            *failure = Some(why);
        }
    }

    /// After a storage I/O error ([`Self::failure`]), closes the database and opens it again
    /// (redb repairs it from its last commit), so the worker goes on without a restart once the
    /// cause is gone (space freed). `Ok(false)`: nothing to recover. An error leaves the log
    /// failed, to be tried again.
    pub fn recover(&self) -> Result<bool, LogError> {
        if self.failure().is_none() {
            return Ok(false);
        }
        if matches!(&*self.db(), Db::ReadOnly(_)) {
            return Ok(false);
        }
        // No write transaction runs while the writer lock is held.
        let mut writer = self.lock_writer();
        let old = std::mem::replace(
            &mut *self
                .inner
                .db
                .write()
                .unwrap_or_else(PoisonError::into_inner),
            Arc::new(Db::Closed),
        );
        // Calls that took the old handle before the swap finish (they fail fast).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while Arc::strong_count(&old) > 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        drop(old);
        let file = self.inner.dir.join(FILE_NAME);
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(&file)
            .map_err(|e| open_error(&self.inner.dir, &file, e))?;
        *writer = init_tables(&db, &file)?;
        *self
            .inner
            .db
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(Db::ReadWrite(db));
        *self
            .inner
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        tracing::info!(dir = %self.inner.dir.display(), "the embedded log was reopened after its storage error; it writes again");
        Ok(true)
    }

    /// The writer lock: every write transaction holds it from before it begins until after it
    /// commits, and with it the writer's view of the topics.
    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` in one write transaction under the writer lock, taken for it, and commits the
    /// transaction when `f` returns `Some` (`commit` names a failed commit). With `None` or an
    /// error the transaction is dropped: nothing changes.
    pub(super) fn write_txn<T>(
        &self,
        commit: &'static str,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<Option<T>, LogError>,
    ) -> Result<Option<T>, LogError> {
        self.writable()?;
        let w = self.lock_writer();
        self.write_txn_locked(&w, commit, f)
    }

    /// [`Self::write_txn`] for a caller that holds the writer lock (`_locked`, its guarded
    /// view) until after the commit.
    fn write_txn_locked<T>(
        &self,
        _locked: &Writer,
        commit: &'static str,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<Option<T>, LogError>,
    ) -> Result<Option<T>, LogError> {
        let result = self.write_txn_unchecked(commit, f);
        if let Err(e) = &result {
            self.note_failure(e);
        }
        result
    }

    fn write_txn_unchecked<T>(
        &self,
        commit: &'static str,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<Option<T>, LogError>,
    ) -> Result<Option<T>, LogError> {
        let db = self.db();
        let Db::ReadWrite(db) = &*db else {
            return Err(match &*db {
                Db::ReadOnly(_) => LogError::ReadOnly,
                _ => self.failed_error(),
            });
        };
        let txn = db
            .begin_write()
            .map_err(storage("starting a write transaction"))?;
        let Some(out) = f(&txn)? else {
            return Ok(None);
        };
        txn.commit().map_err(storage(commit))?;
        Ok(Some(out))
    }

    fn check_version(&self, file: &Path) -> Result<(), LogError> {
        let txn = self.begin_read()?;
        let meta = txn
            .open_table(META)
            .map_err(storage("opening the meta table"))?;
        let found = meta
            .get("format")
            .map_err(storage("reading the format version"))?
            .map(|v| v.value())
            .unwrap_or(LAYOUT_VERSION);
        // Layout 1 lacks only what retention and topic configs use: readable as it is.
        if !(1..=LAYOUT_VERSION).contains(&found) {
            return Err(LogError::Version {
                file: file.to_owned(),
                found,
                supported: LAYOUT_VERSION,
            });
        }
        Ok(())
    }

    /// Appends records to their topics (partition 0) and stores the connector's source offset,
    /// atomically and durably (fsynced) before returning. Returns the offset assigned to each
    /// record, in order.
    pub fn append(
        &self,
        records: &[StoredRecordRef<'_>],
        source_offset: Option<(&str, &SourceOffset)>,
    ) -> Result<Vec<u64>, LogError> {
        let prepared = self.prepare(records);
        let firsts = self.commit(prepared, source_offset, None, &mut || {})?;
        // Each topic's records follow its first one, in order; topics in order of appearance.
        let mut topics: Vec<(&str, u64)> = Vec::with_capacity(firsts.len());
        Ok(records
            .iter()
            .map(|r| {
                let i = match topics.iter().position(|(t, _)| *t == r.topic) {
                    Some(i) => i,
                    None => {
                        topics.push((r.topic, firsts.get(topics.len()).copied().unwrap_or(0)));
                        topics.len() - 1
                    }
                };
                topics[i].1 += 1;
                topics[i].1 - 1
            })
            .collect())
    }

    /// Encodes `records` into their topics' chunks, compressed, for [`Self::commit`].
    pub fn prepare(&self, records: &[StoredRecordRef<'_>]) -> PreparedAppend {
        let mut bufs = std::mem::take(
            &mut *self
                .inner
                .buffers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let mut pending: Vec<Pending<'_>> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut last: Option<(&str, usize)> = None;
        // Bytes of the records not yet encoded, to size each chunk buffer once.
        let mut remaining: usize = records.iter().map(format::encoded_len).sum();
        for r in records {
            let i = match last {
                Some((topic, i)) if topic == r.topic => i,
                _ => {
                    let i = *index.entry(r.topic).or_insert_with(|| {
                        pending.push(Pending {
                            name: r.topic,
                            chunks: Vec::new(),
                            cur: bufs.spare.pop().unwrap_or_default(),
                            cur_first: 0,
                            cur_count: 0,
                            cur_max_ts: i64::MIN,
                            count: 0,
                            null_keys: false,
                            prefixes: format::Prefixes::default(),
                        });
                        pending.len() - 1
                    });
                    last = Some((r.topic, i));
                    i
                }
            };
            let p = &mut pending[i];
            let len = format::encoded_len(r);
            if p.cur_count > 0 && p.cur.len() + len > CHUNK_BYTES {
                p.seal(&mut bufs);
            }
            if p.cur_count == 0 {
                p.cur.clear();
                // Sized once (with room for the header and the prefix dictionary): growing a
                // chunk by doubling copied it over and over.
                p.cur.reserve(remaining.min(CHUNK_BYTES) + (16 << 10));
                format::start_chunk(&mut p.cur);
                p.cur_first = p.count;
                p.cur_max_ts = i64::MIN;
            }
            p.cur_max_ts = p.cur_max_ts.max(r.timestamp_ms);
            p.null_keys |= r.key.is_none();
            format::encode_record(&mut p.cur, r, &mut p.prefixes);
            remaining = remaining.saturating_sub(len);
            p.cur_count += 1;
            p.count += 1;
        }
        for p in &mut pending {
            p.seal(&mut bufs);
        }
        self.keep_buffers(bufs, std::iter::empty());
        PreparedAppend {
            topics: pending
                .into_iter()
                .map(|p| PreparedTopic {
                    name: p.name.to_owned(),
                    chunks: p.chunks,
                    count: p.count,
                    null_keys: p.null_keys,
                    spare: p.cur,
                })
                .collect(),
        }
    }

    /// Writes a prepared append and the connector's source offset durably (fsynced) and returns
    /// the offset of each topic's first record, topics in the order of their first record
    /// ([`Self::append`] turns them into each record's offset). `queued` is called once the append has its
    /// place in the commit order (appends queued later are written after it); with a `chain`,
    /// the append is refused once an earlier append of the chain failed.
    ///
    /// Appends queued while another caller commits are committed together by the next caller
    /// to take the lead, in one transaction and one fsync.
    pub fn commit(
        &self,
        prepared: PreparedAppend,
        source_offset: Option<(&str, &SourceOffset)>,
        chain: Option<&Arc<AppendChain>>,
        queued: &mut dyn FnMut(),
    ) -> Result<Vec<u64>, LogError> {
        self.writable()?;
        if let Some(topic) = self.null_keys_refused(&prepared)? {
            // Refused before it has a place in the order: later appends of its chain are too.
            if let Some(chain) = chain {
                chain.fail();
            }
            queued();
            return Err(LogError::NullKeyInCompactedTopic(topic));
        }
        let job = CommitJob {
            prepared,
            offset: source_offset.map(|(c, o)| JobOffset {
                connector: c.to_owned(),
                partition: o.partition.clone(),
                bytes: encode_source_offset(o),
            }),
            chain: chain.cloned(),
            rules: self.topic_rules.clone(),
        };
        let lock = || {
            self.inner
                .commits
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        let mut q = lock();
        let id = q.next_id;
        q.next_id += 1;
        q.waiting.push((id, job));
        queued();
        loop {
            if let Some(result) = q.done.remove(&id) {
                return result;
            }
            if q.leader {
                q = self
                    .inner
                    .committed
                    .wait(q)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            q.leader = true;
            let batch = std::mem::take(&mut q.waiting);
            drop(q);
            let ids: Vec<u64> = batch.iter().map(|(id, _)| *id).collect();
            let results =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.write_batch(batch)))
                    .unwrap_or_else(|_| {
                        ids.iter()
                            .map(|&id| {
                                let failed = "writing the append panicked".to_owned();
                                (id, Err(LogError::CommittedWithFailed(failed)))
                            })
                            .collect()
                    });
            q = lock();
            q.leader = false;
            q.done.extend(results);
            self.inner.committed.notify_all();
            self.inner.appended.send_modify(|n| *n += 1);
        }
    }

    /// The first topic of `prepared` that has a record with a null key and is compacted (or
    /// would be created compacted by this handle's topic rules): Kafka refuses such records
    /// ("Compacted topic cannot accept message without key"), and so does the log.
    fn null_keys_refused(&self, prepared: &PreparedAppend) -> Result<Option<String>, LogError> {
        let mut with_null_keys = prepared.topics.iter().filter(|t| t.null_keys).peekable();
        if with_null_keys.peek().is_none() {
            return Ok(None);
        }
        for t in with_null_keys {
            let config = match self.topic_config(&t.name)? {
                Some(config) => config,
                None => self
                    .topic_rules
                    .as_ref()
                    .map(|r| r.config_for(&t.name))
                    .unwrap_or_default(),
            };
            if config.policy().compacts() {
                return Ok(Some(t.name.clone()));
            }
        }
        Ok(None)
    }

    /// Writes `batch` in one durable transaction, in order; appends of a failed chain are
    /// refused, and when the transaction fails every append in it fails (and its chain).
    fn write_batch(&self, batch: Vec<(u64, CommitJob)>) -> Vec<(u64, Result<Vec<u64>, LogError>)> {
        let mut results = Vec::with_capacity(batch.len());
        let mut live = Vec::with_capacity(batch.len());
        for (id, job) in batch {
            if job.chain.as_ref().is_some_and(|c| c.failed()) {
                results.push((id, Err(LogError::AfterFailedAppend)));
            } else {
                live.push((id, job));
            }
        }
        if live.is_empty() {
            return results;
        }
        let mut w = self.lock_writer();
        match self.write_jobs(&mut w, &live) {
            Ok(offsets) => {
                results.extend(
                    live.iter()
                        .map(|(id, _)| *id)
                        .zip(offsets.into_iter().map(Ok)),
                );
            }
            Err(e) => {
                let text = e.to_string();
                let mut first = Some(e);
                for (id, job) in &live {
                    if let Some(chain) = &job.chain {
                        chain.fail();
                    }
                    let err = first
                        .take()
                        .unwrap_or_else(|| LogError::CommittedWithFailed(text.clone()));
                    results.push((*id, Err(err)));
                }
            }
        }
        drop(w);
        let bufs = live.into_iter().flat_map(|(_, job)| {
            job.prepared
                .topics
                .into_iter()
                .flat_map(|t| t.chunks.into_iter().map(|(_, b, _)| b).chain([t.spare]))
        });
        self.keep_buffers(Buffers::default(), bufs);
        results
    }

    /// One durable transaction with every job's chunks, topic positions and source offset; the
    /// writer's view of the topics moves only once it committed. Returns each job's first
    /// offset per topic.
    fn write_jobs(
        &self,
        w: &mut Writer,
        jobs: &[(u64, CommitJob)],
    ) -> Result<Vec<Vec<u64>>, LogError> {
        let mut next_id = w.next_id;
        // The topics' positions as the jobs before the current one leave them.
        let mut moved: HashMap<&str, TopicState> = HashMap::new();
        let mut all_offsets = Vec::with_capacity(jobs.len());
        // The row each (connector, partition) went to in this transaction: once placed, a
        // partition stays in its row, so later jobs of the same partition skip the lookup.
        let mut placed: Vec<(&str, &serde_json::Map<String, serde_json::Value>, String)> =
            Vec::new();
        self.write_txn_locked(w, "committing an append", |txn| {
            let mut chunks = txn
                .open_table(CHUNKS)
                .map_err(storage("opening the chunks table"))?;
            let mut topics = txn
                .open_table(TOPICS)
                .map_err(storage("opening the topics table"))?;
            let mut source_offsets = txn
                .open_table(SOURCE_OFFSETS)
                .map_err(storage("opening the source offsets table"))?;
            let mut chunk_info = txn
                .open_table(CHUNK_INFO)
                .map_err(storage("opening the chunk info table"))?;
            let mut topic_configs = txn
                .open_table(TOPIC_CONFIGS)
                .map_err(storage("opening the topic configs table"))?;
            for (_, job) in jobs {
                let mut firsts = Vec::with_capacity(job.prepared.topics.len());
                for t in &job.prepared.topics {
                    let name = t.name.as_str();
                    let known = moved.get(name).or_else(|| w.topics.get(name)).copied();
                    let state = match known {
                        Some(state) => state,
                        None => {
                            // A new topic: created with the connector's topic.creation.* overrides.
                            let config = job.rules.as_ref().map(|r| r.config_for(name));
                            if let Some(config) = config.filter(|c| !c.is_empty()) {
                                let json = serde_json::to_vec(&config).unwrap_or_default();
                                topic_configs
                                    .insert(name, json.as_slice())
                                    .map_err(storage("writing a topic config"))?;
                            }
                            next_id += 1;
                            TopicState {
                                id: next_id - 1,
                                start: 0,
                                next: 0,
                            }
                        }
                    };
                    for (first, chunk, max_ts) in &t.chunks {
                        let key = (state.id, state.next + first);
                        chunks
                            .insert(key, chunk.as_slice())
                            .map_err(storage("writing records"))?;
                        chunk_info
                            .insert(key, (chunk.len() as u64, *max_ts))
                            .map_err(storage("writing records"))?;
                    }
                    let after = TopicState {
                        next: state.next + t.count,
                        ..state
                    };
                    topics
                        .insert(name, (after.id, after.start, after.next))
                        .map_err(storage("updating a topic"))?;
                    moved.insert(name, after);
                    firsts.push(state.next);
                }
                if let Some(o) = &job.offset {
                    let known = placed
                        .iter()
                        .find(|(c, p, _)| *c == o.connector && *p == &o.partition);
                    let row = match known {
                        Some((_, _, row)) => row.clone(),
                        None => {
                            let row = place_source_offset(
                                &mut source_offsets,
                                &o.connector,
                                &o.partition,
                            )?;
                            placed.push((&o.connector, &o.partition, row.clone()));
                            row
                        }
                    };
                    source_offsets
                        .insert(row.as_str(), o.bytes.as_slice())
                        .map_err(storage("writing the source offset"))?;
                }
                all_offsets.push(firsts);
            }
            Ok(Some(()))
        })?;

        // Durable: publish the new topic positions.
        w.next_id = next_id;
        for (name, state) in moved {
            match w.topics.get_mut(name) {
                Some(s) => *s = state,
                None => {
                    w.topics.insert(name.to_owned(), state);
                }
            }
        }
        Ok(all_offsets)
    }

    /// Keeps buffers for later appends, up to [`SPARE_BUFFERS`] chunk buffers.
    fn keep_buffers(&self, from: Buffers, more: impl Iterator<Item = Vec<u8>>) {
        let mut kept = self
            .inner
            .buffers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if kept.scratch.capacity() < from.scratch.capacity() {
            kept.scratch = from.scratch;
        }
        for mut buf in from.spare.into_iter().chain(more) {
            if kept.spare.len() >= SPARE_BUFFERS {
                break;
            }
            if buf.capacity() > 0 && buf.capacity() <= 2 * CHUNK_BYTES {
                buf.clear();
                kept.spare.push(buf);
            }
        }
    }

    /// A receiver that changes after every committed group of appends: a reader at the end of
    /// a topic awaits `changed()` and reads again. Appends made through this process only.
    pub fn subscribe_appends(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.appended.subscribe()
    }

    /// A sink connector's stored positions.
    pub fn sink_offsets(&self, connector: &str) -> Result<Option<SinkPositions>, LogError> {
        let Some(v) = self.get_row(SINK_OFFSETS, connector, "reading sink offsets")? else {
            return Ok(None);
        };
        let body = match v.split_first() {
            Some((&OFFSET_VERSION, rest)) => rest,
            _ => &v,
        };
        serde_json::from_slice(body)
            .map(Some)
            .map_err(|source| LogError::BadSinkOffsets {
                connector: connector.to_owned(),
                source,
            })
    }

    /// Stores a sink connector's positions durably, replacing what was stored.
    pub fn set_sink_offsets(
        &self,
        connector: &str,
        positions: &SinkPositions,
    ) -> Result<(), LogError> {
        let mut bytes = vec![OFFSET_VERSION];
        // Serializing maps of strings and numbers cannot fail.
        serde_json::to_writer(&mut bytes, positions).unwrap_or_default();
        self.put_row(SINK_OFFSETS, connector, &bytes, "writing sink offsets")
    }

    /// Deletes a sink connector's positions durably; returns whether some were stored.
    pub fn delete_sink_offsets(&self, connector: &str) -> Result<bool, LogError> {
        self.remove_row(SINK_OFFSETS, connector, "deleting sink offsets")
    }

    /// The stored source offset of a connector's primary partition (the first partition it
    /// stored; a single-partition source's only one).
    pub fn source_offset(&self, connector: &str) -> Result<Option<SourceOffset>, LogError> {
        self.get_row(SOURCE_OFFSETS, connector, "reading a source offset")?
            .map(|v| decode_source_offset(connector, &v))
            .transpose()
    }

    /// Every stored source offset of a connector, one per source partition: the primary
    /// partition's first, then the others by their row key.
    pub fn source_offsets(&self, connector: &str) -> Result<Vec<SourceOffset>, LogError> {
        const CONTEXT: &str = "reading source offsets";
        let txn = self.begin_read()?;
        let Some(table) = open_if_exists(&txn, SOURCE_OFFSETS, CONTEXT)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if let Some(v) = table.get(connector).map_err(storage(CONTEXT))? {
            out.push(decode_source_offset(connector, v.value())?);
        }
        let (from, to) = partition_rows(connector);
        for row in table
            .range(from.as_str()..to.as_str())
            .map_err(storage(CONTEXT))?
        {
            let (_, v) = row.map_err(storage(CONTEXT))?;
            out.push(decode_source_offset(connector, v.value())?);
        }
        Ok(out)
    }

    /// Stores a connector's source offset durably (the REST offsets API), in the row of its
    /// partition.
    pub fn set_source_offset(
        &self,
        connector: &str,
        offset: &SourceOffset,
    ) -> Result<(), LogError> {
        let bytes = encode_source_offset(offset);
        self.write_table(SOURCE_OFFSETS, |t| {
            let row = place_source_offset(t, connector, &offset.partition)?;
            t.insert(row.as_str(), bytes.as_slice())
                .map(drop)
                .map_err(storage("writing a source offset"))
        })
    }

    /// Deletes every source offset of a connector (all its partitions) durably; returns whether
    /// one was stored.
    pub fn delete_source_offset(&self, connector: &str) -> Result<bool, LogError> {
        const CONTEXT: &str = "deleting a source offset";
        let mut existed = false;
        self.write_table(SOURCE_OFFSETS, |t| {
            existed = t.remove(connector).map_err(storage(CONTEXT))?.is_some();
            let (from, to) = partition_rows(connector);
            t.retain_in(from.as_str()..to.as_str(), |_, _| {
                existed = true;
                false
            })
            .map_err(storage(CONTEXT))
        })?;
        Ok(existed)
    }

    /// Deletes the stored offset of one source partition of a connector durably (wherever its
    /// row is); returns whether one was stored.
    pub fn delete_partition_offset(
        &self,
        connector: &str,
        partition: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<bool, LogError> {
        const CONTEXT: &str = "deleting a source offset";
        let mut existed = false;
        self.write_table(SOURCE_OFFSETS, |t| {
            let primary = match t.get(connector).map_err(storage(CONTEXT))? {
                Some(v) => decode_partition(connector, v.value())? == *partition,
                None => false,
            };
            let row = if primary {
                connector.to_owned()
            } else {
                partition_row(connector, partition)
            };
            existed = t.remove(row.as_str()).map_err(storage(CONTEXT))?.is_some();
            Ok(())
        })?;
        Ok(existed)
    }

    /// One row of a key → bytes table (`None` also when the table was never written).
    fn get_row(
        &self,
        table: TableDefinition<'_, &str, &[u8]>,
        key: &str,
        context: &'static str,
    ) -> Result<Option<Vec<u8>>, LogError> {
        let txn = self.begin_read()?;
        let Some(table) = open_if_exists(&txn, table, context)? else {
            return Ok(None);
        };
        let row = table.get(key).map_err(storage(context))?;
        Ok(row.map(|v| v.value().to_vec()))
    }

    /// Writes one row of a key → bytes table durably, replacing what was there.
    fn put_row(
        &self,
        table: TableDefinition<'_, &str, &[u8]>,
        key: &str,
        bytes: &[u8],
        context: &'static str,
    ) -> Result<(), LogError> {
        self.write_table(table, |t| {
            t.insert(key, bytes).map(drop).map_err(storage(context))
        })
    }

    /// Deletes one row of a key → bytes table durably; returns whether it was there.
    fn remove_row(
        &self,
        table: TableDefinition<'_, &str, &[u8]>,
        key: &str,
        context: &'static str,
    ) -> Result<bool, LogError> {
        let mut existed = false;
        self.write_table(table, |t| {
            existed = t.remove(key).map_err(storage(context))?.is_some();
            Ok(())
        })?;
        Ok(existed)
    }

    /// Every stored connector (name, the herder's JSON), by name.
    pub fn connector_configs(&self) -> Result<Vec<(String, Vec<u8>)>, LogError> {
        let txn = self.begin_read()?;
        let context = "opening the connector configs table";
        let Some(table) = open_if_exists(&txn, CONNECTOR_CONFIGS, context)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in table.iter().map_err(storage("listing connector configs"))? {
            let (name, v) = entry.map_err(storage("listing connector configs"))?;
            out.push((name.value().to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// Stores a connector (the herder's JSON) durably, replacing what was stored.
    pub fn set_connector_config(&self, connector: &str, stored: &[u8]) -> Result<(), LogError> {
        self.put_row(
            CONNECTOR_CONFIGS,
            connector,
            stored,
            "writing a connector config",
        )
    }

    /// Deletes a stored connector durably; returns whether one was stored. Its source offset
    /// stays (as Connect keeps offsets after a delete).
    pub fn delete_connector_config(&self, connector: &str) -> Result<bool, LogError> {
        self.remove_row(CONNECTOR_CONFIGS, connector, "deleting a connector config")
    }

    /// Every row of the embedded Schema Registry's table, by key.
    pub fn registry_rows(&self) -> Result<Vec<(String, Vec<u8>)>, LogError> {
        let txn = self.begin_read()?;
        let context = "opening the schema registry table";
        let Some(table) = open_if_exists(&txn, SCHEMA_REGISTRY, context)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in table
            .iter()
            .map_err(storage("reading the schema registry"))?
        {
            let (k, v) = entry.map_err(storage("reading the schema registry"))?;
            out.push((k.value().to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// One row of the embedded Schema Registry's table.
    pub fn registry_row(&self, key: &str) -> Result<Option<Vec<u8>>, LogError> {
        self.get_row(SCHEMA_REGISTRY, key, "reading the schema registry")
    }

    /// Writes and deletes rows of the embedded Schema Registry's table in one durable
    /// transaction.
    pub fn registry_write(
        &self,
        puts: &[(String, Vec<u8>)],
        deletes: &[String],
    ) -> Result<(), LogError> {
        self.write_table(SCHEMA_REGISTRY, |table| {
            for (k, v) in puts {
                table
                    .insert(k.as_str(), v.as_slice())
                    .map_err(storage("writing the schema registry"))?;
            }
            for k in deletes {
                table
                    .remove(k.as_str())
                    .map_err(storage("writing the schema registry"))?;
            }
            Ok(())
        })
    }

    fn write_table(
        &self,
        table: TableDefinition<'_, &str, &[u8]>,
        f: impl FnOnce(&mut redb::Table<'_, &str, &[u8]>) -> Result<(), LogError>,
    ) -> Result<(), LogError> {
        self.write_txn("committing a table write", |txn| {
            let mut table = txn
                .open_table(table)
                .map_err(storage("opening a table for writing"))?;
            f(&mut table).map(Some)
        })?;
        Ok(())
    }

    /// A handle on the same log whose appends create new topics with `rules` (a source
    /// connector's `topic.creation.*` retention overrides).
    pub fn with_topic_rules(&self, rules: TopicRules) -> EmbeddedLog {
        EmbeddedLog {
            inner: self.inner.clone(),
            topic_rules: Some(Arc::new(rules)),
        }
    }

    pub(super) fn from_weak(inner: &std::sync::Weak<Inner>) -> Option<EmbeddedLog> {
        Some(EmbeddedLog {
            inner: inner.upgrade()?,
            topic_rules: None,
        })
    }

    /// The retention overrides `topic` was created with (`None`: the topic does not exist).
    pub fn topic_config(&self, topic: &str) -> Result<Option<TopicConfig>, LogError> {
        let txn = self.begin_read()?;
        let topics = txn
            .open_table(TOPICS)
            .map_err(storage("opening the topics table"))?;
        if topics
            .get(topic)
            .map_err(storage("reading a topic"))?
            .is_none()
        {
            return Ok(None);
        }
        let context = "opening the topic configs table";
        let Some(configs) = open_if_exists(&txn, TOPIC_CONFIGS, context)? else {
            return Ok(Some(TopicConfig::default()));
        };
        let stored = configs
            .get(topic)
            .map_err(storage("reading a topic config"))?;
        match stored {
            None => Ok(Some(TopicConfig::default())),
            Some(v) => serde_json::from_slice(v.value())
                .map(Some)
                .map_err(|source| LogError::BadTopicConfig {
                    topic: topic.to_owned(),
                    source,
                }),
        }
    }

    /// The first offset still kept and the next offset of `topic`.
    pub fn topic_range(&self, topic: &str) -> Result<(u64, u64), LogError> {
        let txn = self.begin_read()?;
        let topics = txn
            .open_table(TOPICS)
            .map_err(storage("opening the topics table"))?;
        let (_, start, next) = topics
            .get(topic)
            .map_err(storage("reading a topic"))?
            .ok_or_else(|| LogError::UnknownTopic(topic.to_owned()))?
            .value();
        Ok((start, next))
    }

    /// The bytes `topic`'s chunks take in the log (compressed, as stored): what
    /// `retention.bytes` limits.
    pub fn topic_bytes(&self, topic: &str) -> Result<u64, LogError> {
        let txn = self.begin_read()?;
        let topics = txn
            .open_table(TOPICS)
            .map_err(storage("opening the topics table"))?;
        let (id, _, _) = topics
            .get(topic)
            .map_err(storage("reading a topic"))?
            .ok_or_else(|| LogError::UnknownTopic(topic.to_owned()))?
            .value();
        let info = txn
            .open_table(CHUNK_INFO)
            .map_err(storage("opening the chunk info table"))?;
        let mut total = 0;
        for entry in info
            .range((id, 0)..=(id, u64::MAX))
            .map_err(storage("reading chunk info"))?
        {
            total += entry.map_err(storage("reading chunk info"))?.1.value().0;
        }
        Ok(total)
    }

    /// Starts the background retention sweep with Kafka's cleaner defaults:
    /// [`Self::start_cleanup`].
    pub fn start_retention(&self, defaults: RetentionDefaults) -> RetentionSweeper {
        self.start_cleanup(defaults, CleanerDefaults::default())
    }

    /// Starts the background sweep: every `defaults.check_interval`, [`Self::apply_cleanup`]
    /// with the current time. It stops when the returned handle is stopped or dropped, or once
    /// every other handle on the log is gone.
    pub fn start_cleanup(
        &self,
        defaults: RetentionDefaults,
        cleaner: CleanerDefaults,
    ) -> RetentionSweeper {
        RetentionSweeper::start(Arc::downgrade(&self.inner), defaults, cleaner)
    }

    /// [`Self::apply_cleanup`] with Kafka's cleaner defaults.
    pub fn apply_retention(
        &self,
        defaults: &RetentionDefaults,
        now_ms: i64,
    ) -> Result<SweepReport, LogError> {
        self.apply_cleanup(defaults, &CleanerDefaults::default(), now_ms)
    }

    /// One sweep: retention ([`Self::delete_expired`]) on topics whose `cleanup.policy`
    /// includes `delete`, then compaction (`super::compaction`) of those whose policy includes
    /// `compact`.
    pub fn apply_cleanup(
        &self,
        defaults: &RetentionDefaults,
        cleaner: &CleanerDefaults,
        now_ms: i64,
    ) -> Result<SweepReport, LogError> {
        self.writable()?;
        let _one = self
            .inner
            .sweeping
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut report = self.delete_expired(defaults, now_ms)?;
        report.compacted = self.compact_topics(cleaner, now_ms)?;
        Ok(report)
    }

    /// Deletes, for each topic with a limit, whole chunks from the oldest while the chunk's
    /// newest record is more than `retention.ms` older than `now_ms`, or while the topic would
    /// still hold at least `retention.bytes` without it (Kafka's rule: a topic keeps at least
    /// `retention.bytes`, at most that plus one chunk). The newest chunk is never deleted.
    ///
    /// The decision is made on a read snapshot (appends since only add newer chunks); chunks
    /// are deleted in transactions of at most [`RETENTION_BATCH`] chunks, each also moving the
    /// topic's first kept offset, so an append waits for one short transaction at most.
    fn delete_expired(
        &self,
        defaults: &RetentionDefaults,
        now_ms: i64,
    ) -> Result<SweepReport, LogError> {
        self.writable()?;
        let mut report = SweepReport::default();
        for (name, id, doomed, new_starts) in self.retention_plan(defaults, now_ms)? {
            let mut deleted_bytes = 0u64;
            let mut first_before = None;
            let mut kept = 0;
            for (batch, starts) in doomed
                .chunks(RETENTION_BATCH)
                .zip(new_starts.chunks(RETENTION_BATCH))
            {
                let new_start = *starts.last().unwrap_or(&0);
                let mut w = self.lock_writer();
                let deleted =
                    self.write_txn_locked(&w, "committing a retention deletion", |txn| {
                        let (mut topics, mut chunks, mut info) = chunk_tables(txn)?;
                        let (tid, start, next) = topics
                            .get(name.as_str())
                            .map_err(storage("reading a topic"))?
                            .ok_or_else(|| LogError::UnknownTopic(name.clone()))?
                            .value();
                        if tid != id || new_start <= start || new_start > next {
                            // Changed since the plan (cannot happen with one sweep at a time).
                            return Ok(None);
                        }
                        for &(first, len) in batch {
                            chunks
                                .remove((id, first))
                                .map_err(storage("deleting records"))?;
                            info.remove((id, first))
                                .map_err(storage("deleting records"))?;
                            deleted_bytes += len;
                        }
                        topics
                            .insert(name.as_str(), (id, new_start, next))
                            .map_err(storage("updating a topic"))?;
                        Ok(Some((start, next)))
                    })?;
                let Some((start, next)) = deleted else {
                    break;
                };
                if let Some(s) = w.topics.get_mut(name.as_str()) {
                    s.start = new_start;
                }
                drop(w);
                first_before.get_or_insert(start);
                kept = new_start;
                debug_assert!(new_start <= next);
            }
            if let Some(first) = first_before {
                report
                    .deleted
                    .push((name, kept - first, deleted_bytes, kept));
            }
        }
        Ok(report)
    }

    /// For each topic with something to delete: its name, id, the chunks to delete (first
    /// offset, bytes) oldest first, and the topic's first kept offset after each of them.
    #[allow(clippy::type_complexity)]
    fn retention_plan(
        &self,
        defaults: &RetentionDefaults,
        now_ms: i64,
    ) -> Result<Vec<(String, u32, Vec<(u64, u64)>, Vec<u64>)>, LogError> {
        let txn = self.begin_read()?;
        let topics = txn
            .open_table(TOPICS)
            .map_err(storage("opening the topics table"))?;
        let configs = txn
            .open_table(TOPIC_CONFIGS)
            .map_err(storage("opening the topic configs table"))?;
        let info = txn
            .open_table(CHUNK_INFO)
            .map_err(storage("opening the chunk info table"))?;
        let mut plans = Vec::new();
        for entry in topics.iter().map_err(storage("listing topics"))? {
            let (name, v) = entry.map_err(storage("listing topics"))?;
            let name = name.value().to_owned();
            let (id, _, _) = v.value();
            let config = match configs
                .get(name.as_str())
                .map_err(storage("reading a topic config"))?
            {
                None => TopicConfig::default(),
                Some(v) => match serde_json::from_slice(v.value()) {
                    Ok(c) => c,
                    Err(error) => {
                        tracing::warn!(topic = %name, %error, "the topic's stored config is unreadable; retention leaves the topic alone");
                        continue;
                    }
                },
            };
            let limits = defaults.limits(&config);
            if limits.unlimited() {
                continue;
            }
            let chunks = chunk_infos(&info, id)?;
            let mut total: u64 = chunks.iter().map(|c| c.1).sum();
            let mut doomed = Vec::new();
            let mut starts = Vec::new();
            // Never the newest chunk: Kafka keeps the active segment.
            for pair in chunks.windows(2) {
                let ((first, len, max_ts), (next_first, _, _)) = (pair[0], pair[1]);
                let by_age = limits
                    .retention_ms
                    .is_some_and(|ms| now_ms.saturating_sub(max_ts) > ms);
                let by_size = limits
                    .retention_bytes
                    .is_some_and(|b| total.saturating_sub(len) >= b);
                if !(by_age || by_size) {
                    break;
                }
                total -= len;
                doomed.push((first, len));
                starts.push(next_first);
            }
            if !doomed.is_empty() {
                plans.push((name, id, doomed, starts));
            }
        }
        Ok(plans)
    }

    /// Like [`Self::read`], but a `from_offset` older than the first record kept is an error
    /// ([`LogError::Deleted`], naming the lost range) rather than a silent skip: what a
    /// consumer with a committed position uses.
    pub fn read_checked(
        &self,
        topic: &str,
        from_offset: u64,
        max: usize,
    ) -> Result<Vec<StoredRecord>, LogError> {
        let records = self.read(topic, from_offset, max)?;
        let first_read = records.first().map(|r| r.offset);
        if first_read.is_some_and(|o| o == from_offset) {
            return Ok(records);
        }
        let (start, next) = self.topic_range(topic)?;
        if from_offset < start {
            return Err(LogError::Deleted {
                topic: topic.to_owned(),
                from: from_offset,
                first_kept: start,
                next,
            });
        }
        Ok(records)
    }

    /// Every topic, by name.
    pub fn topics(&self) -> Result<Vec<TopicInfo>, LogError> {
        let txn = self.begin_read()?;
        let table = txn
            .open_table(TOPICS)
            .map_err(storage("opening the topics table"))?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(storage("listing topics"))? {
            let (name, v) = entry.map_err(storage("listing topics"))?;
            let (_id, start, next) = v.value();
            out.push(TopicInfo {
                name: name.value().to_owned(),
                partitions: 1,
                records: next.saturating_sub(start),
                next_offset: next,
            });
        }
        Ok(out)
    }

    /// Reads up to `max` records of `topic` starting at `from_offset` (or the first record kept,
    /// if later). An empty result means there is nothing at or after `from_offset` yet.
    pub fn read(
        &self,
        topic: &str,
        from_offset: u64,
        max: usize,
    ) -> Result<Vec<StoredRecord>, LogError> {
        let txn = self.begin_read()?;
        let topics = txn
            .open_table(TOPICS)
            .map_err(storage("opening the topics table"))?;
        let (id, start, next) = topics
            .get(topic)
            .map_err(storage("reading a topic"))?
            .ok_or_else(|| LogError::UnknownTopic(topic.to_owned()))?
            .value();
        let from = from_offset.max(start);
        if from >= next || max == 0 {
            return Ok(Vec::new());
        }
        let chunks = txn
            .open_table(CHUNKS)
            .map_err(storage("opening the chunks table"))?;
        // The chunk holding `from` is the last one starting at or before it.
        let begin = chunks
            .range((id, 0)..=(id, from))
            .map_err(storage("locating a record"))?
            .next_back()
            .transpose()
            .map_err(storage("locating a record"))?
            .map_or(0, |(k, _)| k.value().1);
        let mut out = Vec::with_capacity(max.min((next - from) as usize).min(8192));
        for entry in chunks
            .range((id, begin)..=(id, u64::MAX))
            .map_err(storage("reading records"))?
        {
            let (k, v) = entry.map_err(storage("reading records"))?;
            let first = k.value().1;
            format::decode_chunk(v.value(), first, from, max, &mut out).map_err(|source| {
                LogError::Corrupt {
                    topic: topic.to_owned(),
                    offset: first,
                    source,
                }
            })?;
            if out.len() >= max {
                break;
            }
        }
        Ok(out)
    }
}

fn open_error(dir: &Path, file: &Path, e: redb::DatabaseError) -> LogError {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen => LogError::Locked {
            dir: dir.to_owned(),
            file: file.to_owned(),
        },
        source => LogError::Open {
            file: file.to_owned(),
            source,
        },
    }
}

/// Creates the tables, checks the layout version and loads the writer's topic positions.
fn init_tables(db: &redb::Database, file: &Path) -> Result<Writer, LogError> {
    let txn = db
        .begin_write()
        .map_err(storage("starting a write transaction"))?;
    let mut writer = Writer::default();
    {
        let mut meta = txn
            .open_table(META)
            .map_err(storage("opening the meta table"))?;
        let found = meta
            .get("format")
            .map_err(storage("reading the format version"))?
            .map(|v| v.value());
        let mut upgrade = false;
        match found {
            None => {
                meta.insert("format", LAYOUT_VERSION)
                    .map_err(storage("writing the format version"))?;
            }
            Some(LAYOUT_VERSION) => {}
            Some(1) => upgrade = true,
            Some(found) => {
                return Err(LogError::Version {
                    file: file.to_owned(),
                    found,
                    supported: LAYOUT_VERSION,
                })
            }
        }
        let chunks = txn
            .open_table(CHUNKS)
            .map_err(storage("opening the chunks table"))?;
        let mut chunk_info = txn
            .open_table(CHUNK_INFO)
            .map_err(storage("opening the chunk info table"))?;
        txn.open_table(TOPIC_CONFIGS)
            .map_err(storage("opening the topic configs table"))?;
        txn.open_table(CLEANER_CHECKPOINTS)
            .map_err(storage("opening the cleaner checkpoints table"))?;
        if upgrade {
            // Layout 1 → 2: each chunk's size and newest timestamp, read once.
            let started = std::time::Instant::now();
            let mut records = Vec::new();
            let mut n = 0u64;
            for entry in chunks.iter().map_err(storage("upgrading the log"))? {
                let (k, v) = entry.map_err(storage("upgrading the log"))?;
                let (id, first) = k.value();
                records.clear();
                format::decode_chunk(v.value(), first, first, usize::MAX, &mut records).map_err(
                    |source| LogError::Corrupt {
                        topic: format!("(topic id {id})"),
                        offset: first,
                        source,
                    },
                )?;
                let max_ts = records
                    .iter()
                    .map(|r| r.timestamp_ms)
                    .max()
                    .unwrap_or(i64::MIN);
                chunk_info
                    .insert((id, first), (v.value().len() as u64, max_ts))
                    .map_err(storage("upgrading the log"))?;
                n += 1;
            }
            meta.insert("format", LAYOUT_VERSION)
                .map_err(storage("writing the format version"))?;
            tracing::info!(file = %file.display(), chunks = n, elapsed_ms = started.elapsed().as_millis() as u64,
                "upgraded the embedded log to layout 2 (chunk sizes and timestamps for retention)");
        }
        drop(chunks);
        txn.open_table(SOURCE_OFFSETS)
            .map_err(storage("opening the source offsets table"))?;
        txn.open_table(CONNECTOR_CONFIGS)
            .map_err(storage("opening the connector configs table"))?;
        let topics = txn
            .open_table(TOPICS)
            .map_err(storage("opening the topics table"))?;
        for entry in topics.iter().map_err(storage("loading topics"))? {
            let (name, v) = entry.map_err(storage("loading topics"))?;
            let (id, start, next) = v.value();
            writer.next_id = writer.next_id.max(id + 1);
            writer
                .topics
                .insert(name.value().to_owned(), TopicState { id, start, next });
        }
    }
    txn.commit().map_err(storage("initialising the log"))?;
    Ok(writer)
}

fn encode_source_offset(offset: &SourceOffset) -> Vec<u8> {
    let mut out = vec![OFFSET_VERSION];
    // Serializing maps of JSON values cannot fail.
    serde_json::to_writer(&mut out, offset).unwrap_or_default();
    out
}

/// The row of `connector`'s offsets a new offset of `partition` goes to, in the transaction
/// of `table`: the connector's own row when it is free (then a row the partition had beside it
/// is removed) or holds the same partition, else the partition's row.
fn place_source_offset(
    table: &mut redb::Table<'_, &str, &[u8]>,
    connector: &str,
    partition: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, LogError> {
    const CONTEXT: &str = "writing the source offset";
    let primary = match table.get(connector).map_err(storage(CONTEXT))? {
        Some(v) => Some(decode_partition(connector, v.value())? == *partition),
        None => None,
    };
    match primary {
        Some(true) => Ok(connector.to_owned()),
        Some(false) => Ok(partition_row(connector, partition)),
        None => {
            let other = partition_row(connector, partition);
            table.remove(other.as_str()).map_err(storage(CONTEXT))?;
            Ok(connector.to_owned())
        }
    }
}

/// The row of a connector's partition other than its primary one: the connector, a NUL, and
/// the partition as compact JSON with its keys sorted (so that equal partitions share a row
/// whatever their keys' order).
fn partition_row(
    connector: &str,
    partition: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let mut value = serde_json::Value::Object(partition.clone());
    value.sort_all_objects();
    format!("{connector}\0{value}")
}

/// The key range of a connector's rows other than its primary one (`<connector>\0...`).
fn partition_rows(connector: &str) -> (String, String) {
    (format!("{connector}\0"), format!("{connector}\u{1}"))
}

/// Only the partition of a stored source offset.
fn decode_partition(
    connector: &str,
    bytes: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, LogError> {
    #[derive(serde::Deserialize)]
    struct PartitionOf {
        partition: serde_json::Map<String, serde_json::Value>,
    }
    let body = match bytes.split_first() {
        Some((&OFFSET_VERSION, rest)) => rest,
        _ => bytes,
    };
    serde_json::from_slice::<PartitionOf>(body)
        .map(|p| p.partition)
        .map_err(|source| LogError::BadSourceOffset {
            connector: connector.to_owned(),
            source,
        })
}

fn decode_source_offset(connector: &str, bytes: &[u8]) -> Result<SourceOffset, LogError> {
    let body = match bytes.split_first() {
        Some((&OFFSET_VERSION, rest)) => rest,
        _ => bytes,
    };
    serde_json::from_slice(body).map_err(|source| LogError::BadSourceOffset {
        connector: connector.to_owned(),
        source,
    })
}
