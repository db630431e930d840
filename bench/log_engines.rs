//! Embedded log engines compared: fjall 3 (LSM tree) against redb 4 (copy-on-write B-tree).
//!
//! Appends `RECORDS` records of about 200 bytes in batches of `BATCH`; each batch is one atomic
//! write that also updates the connector's source offset, made durable (fsync) before the next
//! one starts — the embedded log's exact contract. Then reopens the store and reads every record
//! back in offset order.
//!
//! ```text
//! cargo bench --bench log_engines                 # both engines, 1,000,000 records
//! cargo bench --bench log_engines -- redb 200000  # one engine, fewer records
//! cargo bench --bench log_engines -- embedded chunk batch=2048,16384  # Tributary's EmbeddedLog
//! ```
//!
//! Data lives under `target/bench-log-engines/` (the disk a data directory would be on) and is
//! removed afterwards.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const RECORDS: usize = 1_000_000;
const BATCH: usize = 2048;
const TOPIC_ID: u32 = 1;

/// How records map onto the engine's keys.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// One entry per record, keyed by (topic, offset).
    Record,
    /// One entry per appended chunk of records (at most `CHUNK_BYTES`), keyed by
    /// (topic, first offset), the records length-prefixed inside: Kafka's record batches.
    Chunk,
}

const CHUNK_BYTES: usize = 1 << 20;

/// Concatenates records into length-prefixed chunks of at most `CHUNK_BYTES`;
/// yields (first offset, chunk bytes).
fn chunks(first_offset: u64, records: &[Vec<u8>]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut cur = Vec::with_capacity(CHUNK_BYTES);
    let mut cur_first = first_offset;
    for (i, r) in records.iter().enumerate() {
        if !cur.is_empty() && cur.len() + 4 + r.len() > CHUNK_BYTES {
            out.push((cur_first, std::mem::take(&mut cur)));
            cur_first = first_offset + i as u64;
        }
        cur.extend_from_slice(&(r.len() as u32).to_be_bytes());
        cur.extend_from_slice(r);
    }
    if !cur.is_empty() {
        out.push((cur_first, cur));
    }
    out
}

/// Counts the records and record bytes in a chunk.
fn count_chunk(chunk: &[u8]) -> (usize, usize) {
    let (mut n, mut bytes, mut pos) = (0, 0, 0);
    while pos + 4 <= chunk.len() {
        let len = u32::from_be_bytes(chunk[pos..pos + 4].try_into().unwrap()) as usize;
        pos += 4 + len;
        n += 1;
        bytes += len;
    }
    (n, bytes)
}

/// One engine under test: an atomic, durable batch append and a full read.
trait Engine {
    fn name(&self) -> &'static str;
    /// Writes `records` at `first_offset..` plus the source offset, durably and atomically.
    fn append(&mut self, first_offset: u64, records: &[Vec<u8>], source_offset: &[u8]);
    /// Reads every record back in offset order; returns (records, bytes).
    fn read_all(&self) -> (usize, usize);
}

fn record_key(topic: u32, offset: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&topic.to_be_bytes());
    k[4..].copy_from_slice(&offset.to_be_bytes());
    k
}

mod fjall_engine {
    use super::*;
    use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

    pub struct Fjall {
        layout: Layout,
        db: Database,
        records: Keyspace,
        offsets: Keyspace,
    }

    impl Fjall {
        pub fn open(dir: &Path, layout: Layout) -> Fjall {
            let db = Database::builder(dir).open().expect("open fjall");
            let records = db
                .keyspace("records", KeyspaceCreateOptions::default)
                .expect("records keyspace");
            let offsets = db
                .keyspace("offsets", KeyspaceCreateOptions::default)
                .expect("offsets keyspace");
            Fjall {
                layout,
                db,
                records,
                offsets,
            }
        }
    }

    impl Engine for Fjall {
        fn name(&self) -> &'static str {
            "fjall 3"
        }

        fn append(&mut self, first_offset: u64, records: &[Vec<u8>], source_offset: &[u8]) {
            let mut batch =
                fjall::OwnedWriteBatch::with_capacity(self.db.clone(), records.len() + 1)
                    .durability(Some(PersistMode::SyncData));
            if self.layout == Layout::Record {
                for (i, r) in records.iter().enumerate() {
                    batch.insert(
                        &self.records,
                        record_key(TOPIC_ID, first_offset + i as u64).to_vec(),
                        r.as_slice(),
                    );
                }
            } else {
                for (first, chunk) in chunks(first_offset, records) {
                    batch.insert(&self.records, record_key(TOPIC_ID, first).to_vec(), chunk);
                }
            }
            batch.insert(&self.offsets, "bench-connector", source_offset);
            batch.commit().expect("fjall commit");
        }

        fn read_all(&self) -> (usize, usize) {
            let (mut n, mut bytes) = (0, 0);
            for kv in self.records.prefix(TOPIC_ID.to_be_bytes()) {
                let (_k, v) = kv.into_inner().expect("fjall read");
                if self.layout == Layout::Record {
                    n += 1;
                    bytes += v.len();
                } else {
                    let (cn, cb) = count_chunk(&v);
                    n += cn;
                    bytes += cb;
                }
            }
            (n, bytes)
        }
    }
}

mod redb_engine {
    use super::*;
    use redb::{Database, ReadableDatabase, TableDefinition};

    const RECORDS_TABLE: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("records");
    const OFFSETS_TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("offsets");

    pub struct Redb {
        layout: Layout,
        db: Database,
    }

    impl Redb {
        pub fn open(dir: &Path, layout: Layout) -> Redb {
            std::fs::create_dir_all(dir).expect("mkdir");
            let db = Database::create(dir.join("log.redb")).expect("open redb");
            Redb { layout, db }
        }
    }

    impl Engine for Redb {
        fn name(&self) -> &'static str {
            "redb 4"
        }

        fn append(&mut self, first_offset: u64, records: &[Vec<u8>], source_offset: &[u8]) {
            // Durability::Immediate is redb's default: commit returns after fsync.
            let txn = self.db.begin_write().expect("begin_write");
            {
                let mut table = txn.open_table(RECORDS_TABLE).expect("records table");
                if self.layout == Layout::Record {
                    for (i, r) in records.iter().enumerate() {
                        table
                            .insert((TOPIC_ID, first_offset + i as u64), r.as_slice())
                            .expect("insert");
                    }
                } else {
                    for (first, chunk) in chunks(first_offset, records) {
                        table
                            .insert((TOPIC_ID, first), chunk.as_slice())
                            .expect("insert");
                    }
                }
                let mut offsets = txn.open_table(OFFSETS_TABLE).expect("offsets table");
                offsets
                    .insert("bench-connector", source_offset)
                    .expect("insert offset");
            }
            txn.commit().expect("redb commit");
        }

        fn read_all(&self) -> (usize, usize) {
            let txn = self.db.begin_read().expect("begin_read");
            let table = txn.open_table(RECORDS_TABLE).expect("records table");
            let (mut n, mut bytes) = (0, 0);
            for kv in table
                .range((TOPIC_ID, 0)..=(TOPIC_ID, u64::MAX))
                .expect("range")
            {
                let (_k, v) = kv.expect("redb read");
                if self.layout == Layout::Record {
                    n += 1;
                    bytes += v.value().len();
                } else {
                    let (cn, cb) = count_chunk(v.value());
                    n += cn;
                    bytes += cb;
                }
            }
            (n, bytes)
        }
    }
}

/// Tributary's own `EmbeddedLog` (redb, chunk layout) with its real record encoding: the
/// benchmark records are split back into key and value and appended through the public API.
mod embedded_engine {
    use super::*;
    use tributary::log::{EmbeddedLog, StoredRecordRef};

    pub struct Embedded {
        log: EmbeddedLog,
        offset: cdc_core::SourceOffset,
    }

    impl Embedded {
        pub fn open(dir: &Path) -> Embedded {
            let m = |s: &str| serde_json::from_str(s).expect("json");
            Embedded {
                log: EmbeddedLog::open(dir).expect("open log"),
                offset: cdc_core::SourceOffset::new(
                    m(r#"{"server":"bench"}"#),
                    m(r#"{"lsn_proc":1,"lsn_commit":1,"txId":1,"ts_usec":1}"#),
                ),
            }
        }
    }

    /// Splits a benchmark record (framing of `make_record`) into key and value.
    fn parts(r: &[u8]) -> (i64, &[u8], &[u8]) {
        let ts = i64::from_be_bytes(r[1..9].try_into().unwrap());
        let klen = u32::from_be_bytes(r[9..13].try_into().unwrap()) as usize;
        let key = &r[13..13 + klen];
        let vstart = 13 + klen + 4;
        let vlen = u32::from_be_bytes(r[13 + klen..vstart].try_into().unwrap()) as usize;
        (ts, key, &r[vstart..vstart + vlen])
    }

    impl Engine for Embedded {
        fn name(&self) -> &'static str {
            "Embedded"
        }

        fn append(&mut self, _first_offset: u64, records: &[Vec<u8>], _source_offset: &[u8]) {
            let refs: Vec<StoredRecordRef<'_>> = records
                .iter()
                .map(|r| {
                    let (timestamp_ms, key, value) = parts(r);
                    StoredRecordRef {
                        topic: "bench.public.customers",
                        timestamp_ms,
                        key: Some(key.into()),
                        value: Some(value.into()),
                        headers: &[],
                        context: &[],
                        context_block: &[],
                    }
                })
                .collect();
            self.log
                .append(&refs, Some(("bench-connector", &self.offset)))
                .expect("append");
        }

        fn read_all(&self) -> (usize, usize) {
            let (mut n, mut bytes, mut from) = (0, 0, 0);
            loop {
                let got = self
                    .log
                    .read("bench.public.customers", from, 65536)
                    .expect("read");
                let Some(last) = got.last() else { break };
                from = last.offset + 1;
                for r in &got {
                    n += 1;
                    // The benchmark's framing: version, timestamp, two lengths, headers count.
                    bytes += 1
                        + 8
                        + 4
                        + r.key.as_ref().map_or(0, Vec::len)
                        + 4
                        + r.value.as_ref().map_or(0, Vec::len)
                        + 2;
                }
            }
            (n, bytes)
        }
    }
}

/// A Debezium-like JSON change event of about 200 bytes, in the log's record framing
/// (timestamp, key, value, no headers), varied enough that compression is realistic.
fn make_record(i: usize) -> Vec<u8> {
    let key = format!("{{\"id\":{i}}}");
    let value = format!(
        "{{\"before\":null,\"after\":{{\"id\":{i},\"name\":\"customer {}\",\"email\":\"c{}@example.com\",\"balance\":\"{}.{:02}\"}},\"source\":{{\"db\":\"shop\",\"table\":\"customers\"}},\"op\":\"c\",\"ts_ms\":{}}}",
        i.wrapping_mul(2_654_435_761) % 1_000_003,
        i ^ 0x5a5a,
        i.wrapping_mul(7919) % 100_000,
        i % 100,
        1_700_000_000_000u64 + i as u64
    );
    let mut out = Vec::with_capacity(1 + 8 + 4 + key.len() + 4 + value.len() + 2);
    out.push(1u8);
    out.extend_from_slice(&(1_700_000_000_000i64 + i as i64).to_be_bytes());
    out.extend_from_slice(&(key.len() as u32).to_be_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out
}

fn dir_size(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                total += dir_size(&e.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

struct Figures {
    engine: &'static str,
    layout: &'static str,
    write_secs: f64,
    records: usize,
    bytes: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    disk: u64,
    reopen: Duration,
    read_secs: f64,
}

fn run(
    engine_name: &str,
    layout: Layout,
    batch: usize,
    dir: &Path,
    records: &[Vec<u8>],
) -> Figures {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("mkdir");
    let open = |dir: &Path| -> Box<dyn Engine> {
        match engine_name {
            "fjall" => Box::new(fjall_engine::Fjall::open(dir, layout)),
            "embedded" => Box::new(embedded_engine::Embedded::open(dir)),
            _ => Box::new(redb_engine::Redb::open(dir, layout)),
        }
    };
    let mut engine = open(dir);
    let name = engine.name();
    let bytes: usize = records.iter().map(Vec::len).sum();
    let mut latencies = Vec::with_capacity(records.len() / batch + 1);
    let started = Instant::now();
    for (n, chunk) in records.chunks(batch).enumerate() {
        let first = (n * batch) as u64;
        let offset = format!(
            "{{\"lsn_proc\":{},\"lsn_commit\":{},\"txId\":{},\"ts_usec\":{}}}",
            first + chunk.len() as u64,
            first,
            n,
            1_700_000_000_000_000u64 + first
        );
        let t = Instant::now();
        engine.append(first, chunk, offset.as_bytes());
        latencies.push(t.elapsed());
    }
    let write_secs = started.elapsed().as_secs_f64();
    drop(engine);
    let disk = dir_size(dir);

    let t = Instant::now();
    let engine = open(dir);
    let reopen = t.elapsed();
    let t = Instant::now();
    let (n, read_bytes) = engine.read_all();
    let read_secs = t.elapsed().as_secs_f64();
    assert_eq!(n, records.len(), "{name}: every record reads back");
    assert_eq!(read_bytes, bytes, "{name}: every byte reads back");
    drop(engine);
    let _ = std::fs::remove_dir_all(dir);

    latencies.sort();
    Figures {
        engine: name,
        layout: match layout {
            Layout::Record => "record",
            Layout::Chunk => "chunk",
        },
        write_secs,
        records: records.len(),
        bytes,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: *latencies.last().unwrap_or(&Duration::ZERO),
        disk,
        reopen,
        read_secs,
    }
}

fn main() {
    let mut engines: Vec<String> = Vec::new();
    let mut layouts: Vec<Layout> = Vec::new();
    let mut count = RECORDS;
    let mut batches = vec![BATCH];
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "fjall" | "redb" | "embedded" => engines.push(arg),
            "record" => layouts.push(Layout::Record),
            "chunk" => layouts.push(Layout::Chunk),
            "--bench" => {}
            other => match other.strip_prefix("batch=") {
                Some(list) => {
                    batches = list
                        .split(',')
                        .map(|b| b.parse().expect("batch=N[,N...]"))
                        .collect()
                }
                None => match other.parse() {
                    Ok(n) => count = n,
                    Err(_) => eprintln!("ignoring argument {other:?}"),
                },
            },
        }
    }
    if engines.is_empty() {
        engines = vec!["fjall".into(), "redb".into()];
    }
    if layouts.is_empty() {
        layouts = vec![Layout::Record, Layout::Chunk];
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-log-engines");
    let records: Vec<Vec<u8>> = (0..count).map(make_record).collect();
    let avg = records.iter().map(Vec::len).sum::<usize>() as f64 / count as f64;
    println!(
        "{count} records of {avg:.0} bytes on average; each batch + source offset is one durable (fsynced) atomic write\n"
    );
    println!(
        "{:<8} {:<7} {:>6} {:>12} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9} {:>11}",
        "engine",
        "layout",
        "batch",
        "write rec/s",
        "MB/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "disk MB",
        "reopen ms",
        "read rec/s"
    );
    for &batch in &batches {
        for &layout in &layouts {
            for name in &engines {
                let f = run(name, layout, batch, &root.join(name), &records);
                println!(
                    "{:<8} {:<7} {:>6} {:>12.0} {:>7.1} {:>8.2} {:>8.2} {:>8.2} {:>8.1} {:>9.1} {:>11.0}",
                    f.engine,
                    f.layout,
                    batch,
                    f.records as f64 / f.write_secs,
                    f.bytes as f64 / f.write_secs / 1e6,
                    f.p50.as_secs_f64() * 1e3,
                    f.p99.as_secs_f64() * 1e3,
                    f.max.as_secs_f64() * 1e3,
                    f.disk as f64 / 1e6,
                    f.reopen.as_secs_f64() * 1e3,
                    f.records as f64 / f.read_secs,
                );
            }
        }
    }
}
