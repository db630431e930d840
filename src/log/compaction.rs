//! Log compaction on the embedded log (`cleanup.policy=compact`): Kafka's log cleaner, run by
//! the retention sweep every `log.retention.check.interval.ms`.
//!
//! What is kept, as on Kafka:
//! * Of the records older than the topic's newest chunk (Kafka's active segment, never
//!   compacted), only the latest per key. A record with a null key is kept (appends refuse them
//!   in a compacted topic, so they only exist from before the topic was compacted).
//! * A tombstone (null value) is kept `delete.retention.ms` after the first compaction that kept
//!   it as its key's latest record (its delete horizon, stored with it: KIP-534), then dropped.
//! * Chunks with a record younger than `min.compaction.lag.ms` are not compacted yet, nor any
//!   after them.
//! * Offsets never change: a compacted topic has gaps, and a read from an offset that was
//!   compacted away starts at the next record kept. The topic's first offset stays where
//!   retention put it, so a position in a gap is not a loss ([`LogError::Deleted`] is only for
//!   records retention deleted).
//!
//! How: the topic's cleaner checkpoint (`cleaner_checkpoints`) is the first offset not yet
//! compacted. A pass maps key → latest offset over the dirty chunks (from the checkpoint to the
//! newest chunk, up to [`MAP_KEYS`] keys, hashed to 128 bits as Kafka's cleaner hashes them),
//! then reads every chunk before the end of the mapped part and keeps a record when no later
//! offset of its key is mapped. Chunks that lose records, and runs of small chunks, are rewritten
//! as version 9 chunks ([`format::VERSION_SPARSE`], records with their own offsets), keyed by
//! their first record's offset.
//!
//! Crash safety: each rewrite is one redb write transaction (durable on commit, like every
//! append) that deletes the old chunks and inserts their replacement, after checking the old ones
//! are still there unchanged; the checkpoint moves in a transaction after the last of them. A
//! kill at any point leaves the old chunks or the new ones, never both and never neither, and an
//! old checkpoint only makes the next pass compact again what is already compacted.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::PoisonError;

use redb::{ReadableTable, TableDefinition};

use super::format;
use super::retention::{CleanerDefaults, Compaction, TopicConfig};
use super::store::{
    chunk_infos, chunk_tables, open_if_exists, storage, CHUNKS, CHUNK_BYTES, CHUNK_INFO, TOPICS,
    TOPIC_CONFIGS,
};
use super::{EmbeddedLog, LogError, Payload, StoredRecord, StoredRecordRef};

/// Topic id → the first offset not compacted yet.
pub(super) const CLEANER_CHECKPOINTS: TableDefinition<u32, u64> =
    TableDefinition::new("cleaner_checkpoints");

/// Keys one pass maps at most (about 40 MB); the dirty chunks after them wait for the next pass.
const MAP_KEYS: usize = 1 << 20;

/// Chunks whose kept records take fewer bytes than this are merged with their neighbours.
const SMALL_CHUNK: usize = CHUNK_BYTES / 2;

/// Bytes of kept records one rewrite transaction writes at most (so an append waits briefly).
const REWRITE_BYTES: usize = 8 * CHUNK_BYTES;

/// A chunk as `chunk_info` describes it: its key, its stored bytes, its newest timestamp.
#[derive(Debug, Clone, Copy)]
struct ChunkRef {
    key: u64,
    len: u64,
    max_ts: i64,
}

/// Chunks being rewritten together, with the records they keep.
#[derive(Default)]
struct Run {
    sources: Vec<ChunkRef>,
    kept: Vec<(StoredRecord, i64)>,
    kept_bytes: usize,
    /// A source chunk loses a record or gains a delete horizon.
    changed: bool,
}

/// What the compaction of one topic did.
#[derive(Debug, Default)]
struct Outcome {
    removed: u64,
    bytes_before: u64,
    bytes_after: u64,
    rewrote: bool,
}

/// The 128-bit hash a pass maps a key to (two SipHashes with this pass's random keys).
struct KeyHasher(
    std::collections::hash_map::RandomState,
    std::collections::hash_map::RandomState,
);

impl KeyHasher {
    fn new() -> Self {
        KeyHasher(Default::default(), Default::default())
    }

    fn hash(&self, key: &[u8]) -> u128 {
        let mut a = self.0.build_hasher();
        a.write(key);
        let mut b = self.1.build_hasher();
        b.write(key);
        (u128::from(a.finish()) << 64) | u128::from(b.finish())
    }
}

impl EmbeddedLog {
    /// Compacts every topic whose `cleanup.policy` includes `compact`; returns (topic, records
    /// removed, chunk bytes before, after) for each one rewritten. The caller holds the sweep
    /// lock.
    pub(super) fn compact_topics(
        &self,
        cleaner: &CleanerDefaults,
        now_ms: i64,
    ) -> Result<Vec<(String, u64, u64, u64)>, LogError> {
        let mut compacted = Vec::new();
        for (name, id, config) in self.topic_configs()? {
            let Some(rules) = cleaner.compaction(&config) else {
                continue;
            };
            let outcome = self.compact_topic(&name, id, &rules, now_ms)?;
            if outcome.rewrote {
                compacted.push((
                    name,
                    outcome.removed,
                    outcome.bytes_before,
                    outcome.bytes_after,
                ));
            }
        }
        Ok(compacted)
    }

    /// Every topic with a stored config: name, id, config (unreadable ones are skipped: the
    /// sweep leaves them alone, as retention does).
    fn topic_configs(&self) -> Result<Vec<(String, u32, TopicConfig)>, LogError> {
        let txn = self.begin_read()?;
        let topics = txn
            .open_table(TOPICS)
            .map_err(storage("opening the topics table"))?;
        let context = "opening the topic configs table";
        let Some(configs) = open_if_exists(&txn, TOPIC_CONFIGS, context)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in configs.iter().map_err(storage("listing topic configs"))? {
            let (name, v) = entry.map_err(storage("listing topic configs"))?;
            let name = name.value().to_owned();
            let config: TopicConfig = match serde_json::from_slice(v.value()) {
                Ok(c) => c,
                Err(error) => {
                    tracing::warn!(topic = %name, %error, "the topic's stored config is unreadable; compaction leaves the topic alone");
                    continue;
                }
            };
            if let Some(t) = topics
                .get(name.as_str())
                .map_err(storage("reading a topic"))?
            {
                out.push((name, t.value().0, config));
            }
        }
        Ok(out)
    }

    fn compact_topic(
        &self,
        name: &str,
        id: u32,
        rules: &Compaction,
        now_ms: i64,
    ) -> Result<Outcome, LogError> {
        let txn = self.begin_read()?;
        let info = txn
            .open_table(CHUNK_INFO)
            .map_err(storage("opening the chunk info table"))?;
        let chunks_table = txn
            .open_table(CHUNKS)
            .map_err(storage("opening the chunks table"))?;
        let context = "opening the cleaner checkpoints table";
        let checkpoint = match open_if_exists(&txn, CLEANER_CHECKPOINTS, context)? {
            Some(t) => t
                .get(id)
                .map_err(storage("reading a cleaner checkpoint"))?
                .map_or(0, |v| v.value()),
            None => 0,
        };
        let chunks: Vec<ChunkRef> = chunk_infos(&info, id)?
            .into_iter()
            .map(|(key, len, max_ts)| ChunkRef { key, len, max_ts })
            .collect();
        // Never the newest chunk (Kafka's active segment); nor, from the first chunk with a
        // record younger than min.compaction.lag.ms, any later one.
        let Some((active, old)) = chunks.split_last() else {
            return Ok(Outcome::default());
        };
        let lag_edge = now_ms.saturating_sub(rules.min_compaction_lag_ms);
        let cleanable = old
            .iter()
            .position(|c| rules.min_compaction_lag_ms > 0 && c.max_ts > lag_edge)
            .unwrap_or(old.len());
        let read_chunk = |c: &ChunkRef, out: &mut Vec<(StoredRecord, i64)>| {
            out.clear();
            let stored = chunks_table
                .get((id, c.key))
                .map_err(storage("reading records"))?;
            let Some(stored) = stored else {
                return Ok(());
            };
            format::decode_chunk_horizons(stored.value(), c.key, out).map_err(|source| {
                LogError::Corrupt {
                    topic: name.to_owned(),
                    offset: c.key,
                    source,
                }
            })
        };

        // The dirty part: key → latest offset, as far as the map holds.
        let hasher = KeyHasher::new();
        let mut latest: HashMap<u128, u64> = HashMap::new();
        let mut mapped_end = checkpoint;
        let mut records = Vec::new();
        for (i, c) in old[..cleanable].iter().enumerate() {
            if c.key < checkpoint {
                continue;
            }
            read_chunk(c, &mut records)?;
            if !latest.is_empty() && latest.len() + records.len() > MAP_KEYS {
                break;
            }
            for (r, _) in &records {
                if let Some(k) = &r.key {
                    latest.insert(hasher.hash(k), r.offset);
                }
            }
            mapped_end = old.get(i + 1).map_or(active.key, |next| next.key);
        }
        let hinted = *self
            .inner
            .cleaner_hints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .unwrap_or(&i64::MIN);
        if latest.is_empty() && hinted > now_ms {
            // Nothing new since the last pass, and no tombstone due yet.
            return Ok(Outcome::default());
        }

        // Everything before the end of the mapped part: keep the latest record per key.
        let mut outcome = Outcome::default();
        let mut run = Run::default();
        let mut next_horizon = i64::MAX;
        for c in old.iter().take_while(|c| c.key < mapped_end) {
            read_chunk(c, &mut records)?;
            let count = records.len();
            let mut changed = false;
            let mut kept_bytes = 0;
            let mut kept = Vec::with_capacity(count);
            for (r, horizon) in records.drain(..) {
                let superseded = r
                    .key
                    .as_ref()
                    .and_then(|k| latest.get(&hasher.hash(k)))
                    .is_some_and(|&o| o != r.offset);
                if superseded {
                    continue;
                }
                let horizon = match (&r.key, &r.value) {
                    (Some(_), None) if horizon == format::NO_HORIZON => {
                        changed = true;
                        now_ms.saturating_add(rules.delete_retention_ms)
                    }
                    (Some(_), None) if horizon <= now_ms => continue,
                    _ => horizon,
                };
                if r.value.is_none() && r.key.is_some() {
                    next_horizon = next_horizon.min(horizon);
                }
                kept_bytes += record_bytes(&r);
                kept.push((r, horizon));
            }
            changed |= kept.len() < count;
            outcome.removed += (count - kept.len()) as u64;
            if changed || kept_bytes < SMALL_CHUNK {
                run.sources.push(*c);
                run.kept.extend(kept);
                run.kept_bytes += kept_bytes;
                run.changed |= changed;
                if run.kept_bytes >= REWRITE_BYTES {
                    self.rewrite(name, id, std::mem::take(&mut run), &mut outcome)?;
                }
            } else {
                self.rewrite(name, id, std::mem::take(&mut run), &mut outcome)?;
            }
        }
        self.rewrite(name, id, run, &mut outcome)?;
        drop((chunks_table, info, txn));
        if mapped_end > checkpoint {
            self.set_checkpoint(id, mapped_end)?;
        }
        self.inner
            .cleaner_hints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, next_horizon);
        Ok(outcome)
    }

    /// Replaces a run's chunks by chunks of its kept records, in one transaction, when that
    /// changes something (a record or a horizon, or two chunks or more become fewer).
    fn rewrite(
        &self,
        name: &str,
        id: u32,
        run: Run,
        outcome: &mut Outcome,
    ) -> Result<(), LogError> {
        if run.sources.is_empty() || (!run.changed && run.sources.len() < 2) {
            return Ok(());
        }
        let replacement = encode_chunks(&run.kept);
        let committed = self.write_txn("committing a compaction", |txn| {
            let (topics, mut chunks, mut info) = chunk_tables(txn)?;
            let same_topic = topics
                .get(name)
                .map_err(storage("reading a topic"))?
                .is_some_and(|t| t.value().0 == id);
            if !same_topic {
                return Ok(None); // Changed since the plan (cannot happen with one sweep at a time).
            }
            for c in &run.sources {
                let now = info
                    .get((id, c.key))
                    .map_err(storage("reading chunk info"))?
                    .map(|v| v.value());
                if now != Some((c.len, c.max_ts)) {
                    return Ok(None); // The transaction is dropped, so nothing changes.
                }
            }
            for c in &run.sources {
                chunks
                    .remove((id, c.key))
                    .map_err(storage("compacting records"))?;
                info.remove((id, c.key))
                    .map_err(storage("compacting records"))?;
            }
            #[cfg(test)]
            crash_point::reached(self.dir(), "removed");
            for (key, chunk, max_ts) in &replacement {
                chunks
                    .insert((id, *key), chunk.as_slice())
                    .map_err(storage("compacting records"))?;
                info.insert((id, *key), (chunk.len() as u64, *max_ts))
                    .map_err(storage("compacting records"))?;
            }
            #[cfg(test)]
            crash_point::reached(self.dir(), "inserted");
            Ok(Some(()))
        })?;
        if committed.is_none() {
            return Ok(());
        }
        outcome.rewrote = true;
        outcome.bytes_before += run.sources.iter().map(|c| c.len).sum::<u64>();
        outcome.bytes_after += replacement.iter().map(|c| c.1.len() as u64).sum::<u64>();
        Ok(())
    }

    fn set_checkpoint(&self, id: u32, offset: u64) -> Result<(), LogError> {
        self.write_txn("committing a cleaner checkpoint", |txn| {
            let mut t = txn
                .open_table(CLEANER_CHECKPOINTS)
                .map_err(storage("opening the cleaner checkpoints table"))?;
            t.insert(id, offset)
                .map_err(storage("writing a cleaner checkpoint"))?;
            Ok(Some(()))
        })?;
        Ok(())
    }
}

/// A record's bytes in a version 9 chunk (without shared parts: a rewritten chunk stores each
/// record whole, and lz4 folds what they repeat).
fn record_bytes(r: &StoredRecord) -> usize {
    format::encoded_len(&as_ref(r)) + format::SPARSE_OVERHEAD
}

fn as_ref(r: &StoredRecord) -> StoredRecordRef<'_> {
    StoredRecordRef {
        topic: "",
        timestamp_ms: r.timestamp_ms,
        key: r.key.as_deref().map(Payload::whole),
        value: r.value.as_deref().map(Payload::whole),
        headers: &r.headers,
        context: &[],
        context_block: &[],
    }
}

/// Version 9 chunks of `records` (in offset order) of at most [`CHUNK_BYTES`] each (a larger
/// record gets its own), each keyed by its first record's offset, compressed when worth it:
/// (key, stored chunk, newest timestamp).
fn encode_chunks(records: &[(StoredRecord, i64)]) -> Vec<(u64, Vec<u8>, i64)> {
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    let mut i = 0;
    while i < records.len() {
        let key = records[i].0.offset;
        let mut buf = Vec::new();
        let mut prefixes = format::Prefixes::default();
        let mut count = 0u32;
        let mut max_ts = i64::MIN;
        format::start_sparse_chunk(&mut buf);
        while let Some((r, horizon)) = records.get(i) {
            let Ok(delta) = u32::try_from(r.offset - key) else {
                break;
            };
            if count > 0 && buf.len() + record_bytes(r) > CHUNK_BYTES {
                break;
            }
            format::encode_sparse_record(&mut buf, delta, *horizon, &as_ref(r), &mut prefixes);
            max_ts = max_ts.max(r.timestamp_ms);
            count += 1;
            i += 1;
        }
        format::finish_chunk(&mut buf, count, &prefixes);
        let stored = format::compress_chunk(&buf, &mut scratch).unwrap_or(buf);
        out.push((key, stored, max_ts));
    }
    out
}

/// Test hooks: a test arms a point by name for one data directory, and a rewrite in that
/// directory reaching it panics (or aborts the process), as a crash there would stop it.
#[cfg(test)]
pub(super) mod crash_point {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    type Armed = Vec<(PathBuf, &'static str, bool)>;

    static ARMED: Mutex<Armed> = Mutex::new(Vec::new());

    /// Arms `point` for `dir`; with `abort`, the process aborts there (no unwinding, no
    /// cleanup: what a kill -9 leaves), else the rewrite panics.
    pub fn arm(dir: &Path, point: &'static str, abort: bool) {
        let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
        armed.retain(|(d, _, _)| d != dir);
        armed.push((dir.to_owned(), point, abort));
    }

    pub fn disarm(dir: &Path) {
        let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
        armed.retain(|(d, _, _)| d != dir);
    }

    pub(in crate::log) fn reached(dir: &Path, point: &'static str) {
        let hit = ARMED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(d, p, _)| d == dir && *p == point)
            .map(|a| a.2);
        match hit {
            Some(true) => std::process::abort(),
            Some(false) => panic!("crash point {point}"),
            None => {}
        }
    }
}
