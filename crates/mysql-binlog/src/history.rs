//! The schema history (Debezium's `schema.history.internal`): every DDL statement the
//! connector applied, with the binlog position after it, in a JSON-lines file in the worker's
//! data directory. Each entry is fsynced before any event that depends on it is emitted.
//!
//! Recovery replays the entries whose position is at or before the resume position, so the
//! catalog is the one current at that position, whatever DDL ran later. A snapshot starts with
//! a `reset` entry and writes every captured table's `SHOW CREATE TABLE`. An entry is never
//! written twice for one position (a restart re-reads DDL it already recorded).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::ddl;
use crate::offset::BinlogPos;

/// One history entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub file: String,
    pub pos: u64,
    /// The default database the statement ran in.
    #[serde(default)]
    pub db: String,
    /// The statement; empty for a reset.
    #[serde(default)]
    pub ddl: String,
    /// The catalog starts empty here (a snapshot follows).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
}

impl Entry {
    pub fn position(&self) -> BinlogPos {
        BinlogPos::new(&self.file, self.pos)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot use the schema history file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the schema history file {path} is corrupt at line {line}: {reason}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// A store other than a file (the Kafka history topic) failed; it may work again later.
    #[error("cannot use the schema history {store}: {reason}")]
    Store { store: String, reason: String },
    /// A record of the history topic is not a history record: retrying will not help.
    #[error("the schema history {store} is corrupt at offset {offset}: {reason} (it must hold only schema history records)")]
    CorruptRecord {
        store: String,
        offset: i64,
        reason: String,
    },
}

/// Where the history's entries are kept: a file in the data directory, or (on the Kafka
/// backend) a Kafka topic. Both keep entries in the order they were stored.
pub trait HistoryStore: Send {
    /// Every entry stored, in order.
    fn load(&mut self) -> Result<Vec<Entry>, HistoryError>;
    /// Stores `entries` durably before returning.
    fn store(&mut self, entries: &[Entry]) -> Result<(), HistoryError>;
}

/// Opens the history store of a connector run; called at each (re)start of the task.
pub type HistoryStoreFactory =
    std::sync::Arc<dyn Fn() -> Result<Box<dyn HistoryStore>, HistoryError> + Send + Sync>;

/// The history as a JSON-lines file, fsynced after each append.
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    pub fn new(path: &Path) -> FileStore {
        FileStore {
            path: path.to_owned(),
        }
    }

    fn io(&self) -> impl Fn(std::io::Error) -> HistoryError + '_ {
        |source| HistoryError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

impl HistoryStore for FileStore {
    fn load(&mut self) -> Result<Vec<Entry>, HistoryError> {
        let path = &self.path;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(self.io())?;
        }
        let mut entries = Vec::new();
        if !path.exists() {
            return Ok(entries);
        }
        let f = File::open(path).map_err(self.io())?;
        let lines: Vec<String> = BufReader::new(f)
            .lines()
            .collect::<Result<_, _>>()
            .map_err(self.io())?;
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Entry>(&line) {
                Ok(e) => entries.push(e),
                // A torn last line (crash during the write, before the fsync returned) was
                // never acknowledged: ignore it.
                Err(_) if i + 1 == n => break,
                Err(e) => {
                    return Err(HistoryError::Corrupt {
                        path: path.clone(),
                        line: i + 1,
                        reason: e.to_string(),
                    })
                }
            }
        }
        Ok(entries)
    }

    fn store(&mut self, entries: &[Entry]) -> Result<(), HistoryError> {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(self.io())?;
        let mut buf = Vec::new();
        for e in entries {
            serde_json::to_writer(&mut buf, e).map_err(|e| self.io()(e.into()))?;
            buf.push(b'\n');
        }
        f.write_all(&buf).map_err(self.io())?;
        f.sync_data().map_err(self.io())
    }
}

/// The schema history: its entries, and the store they are kept in.
pub struct History {
    store: Box<dyn HistoryStore>,
    entries: Vec<Entry>,
}

impl History {
    /// Opens (or creates) the history file at `path` and reads its entries.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        History::with_store(Box::new(FileStore::new(path)))
    }

    /// Opens the history kept in `store` and reads its entries.
    pub fn with_store(mut store: Box<dyn HistoryStore>) -> Result<History, HistoryError> {
        let entries = store.load()?;
        Ok(History { store, entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Appends entries durably, leaving out any already recorded at the same position.
    pub fn append(&mut self, new: Vec<Entry>) -> Result<(), HistoryError> {
        let new: Vec<Entry> = new
            .into_iter()
            .filter(|e| e.reset || !self.entries.iter().any(|x| x == e))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        self.store.store(&new)?;
        self.entries.extend(new);
        Ok(())
    }

    /// The catalog at `at`: every entry at or before it, replayed from the last reset.
    /// Entries that fail to apply were reported when they were recorded; replay skips them.
    pub fn catalog_at(&self, at: &BinlogPos) -> Catalog {
        let mut catalog = Catalog::default();
        for e in self.entries.iter().filter(|e| e.position() <= *at) {
            if e.reset {
                catalog = Catalog::default();
                continue;
            }
            let _ = ddl::apply(&mut catalog, &e.db, &e.ddl);
        }
        catalog
    }
}

/// The field that marks a reset in a history topic record (Debezium has no such record; its
/// readers ignore the field and find an empty `ddl`).
const RESET_FIELD: &str = "tributary.reset";

/// `entry` as a record of a Kafka history topic, in Debezium's `KafkaSchemaHistory` shape
/// (`source.server`, `position`, `ts_ms`, `databaseName`, `ddl`, `tableChanges`), so the topic
/// reads as Debezium's would. `tableChanges` is left empty: readers then parse the DDL.
pub fn to_topic_record(entry: &Entry, server: &str, ts_ms: i64) -> Vec<u8> {
    let mut record = serde_json::json!({
        "source": {"server": server},
        "position": {"file": entry.file, "pos": entry.pos},
        "ts_ms": ts_ms,
        "databaseName": entry.db,
        "ddl": entry.ddl,
        "tableChanges": [],
    });
    if entry.reset {
        record[RESET_FIELD] = serde_json::Value::Bool(true);
    }
    serde_json::to_vec(&record).unwrap_or_default()
}

/// An entry from a record of a Kafka history topic, ours or Debezium's (whose `position` is the
/// connector offset, with `file` and `pos`).
pub fn from_topic_record(bytes: &[u8]) -> Result<Entry, String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let position = v.get("position").ok_or("the record has no \"position\"")?;
    let file = position
        .get("file")
        .and_then(serde_json::Value::as_str)
        .ok_or("the record's position has no binlog \"file\"")?;
    let pos = position
        .get("pos")
        .and_then(serde_json::Value::as_u64)
        .ok_or("the record's position has no binlog \"pos\"")?;
    let text = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(Entry {
        file: file.to_owned(),
        pos,
        db: text("databaseName"),
        ddl: text("ddl"),
        reset: v.get(RESET_FIELD).and_then(serde_json::Value::as_bool) == Some(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::TableId;

    fn e(pos: u64, ddl: &str) -> Entry {
        Entry {
            file: "binlog.000001".into(),
            pos,
            db: "inv".into(),
            ddl: ddl.into(),
            reset: false,
        }
    }

    #[test]
    fn the_catalog_is_the_one_current_at_a_position_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h/history.jsonl");
        let mut h = History::open(&path).unwrap();
        h.append(vec![e(100, "create table t (id int primary key, a int)")])
            .unwrap();
        h.append(vec![e(200, "alter table t add b int")]).unwrap();
        h.append(vec![e(200, "alter table t add b int")]).unwrap();
        assert_eq!(h.entries().len(), 2);
        let h = History::open(&path).unwrap();
        let t = TableId::new("inv", "t");
        assert_eq!(
            h.catalog_at(&BinlogPos::new("binlog.000001", 150))
                .table(&t)
                .unwrap()
                .columns
                .len(),
            2
        );
        assert_eq!(
            h.catalog_at(&BinlogPos::new("binlog.000002", 4))
                .table(&t)
                .unwrap()
                .columns
                .len(),
            3
        );
        assert!(h
            .catalog_at(&BinlogPos::new("binlog.000001", 99))
            .table(&t)
            .is_none());
    }

    #[test]
    fn a_torn_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        std::fs::write(&path, "{\"file\":\"binlog.000001\",\"pos\":4,\"db\":\"x\",\"ddl\":\"create database x\"}\n{\"file\":\"bin").unwrap();
        assert_eq!(History::open(&path).unwrap().entries().len(), 1);
    }

    #[test]
    fn topic_records_round_trip_and_read_like_debeziums() {
        let entry = e(4242, "alter table t add b int");
        let bytes = to_topic_record(&entry, "inv-server", 1_700_000_000_000);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["source"]["server"], "inv-server");
        assert_eq!(v["position"]["file"], "binlog.000001");
        assert_eq!(v["position"]["pos"], 4242);
        assert_eq!(v["databaseName"], "inv");
        assert_eq!(v["tableChanges"], serde_json::json!([]));
        assert!(v.get(RESET_FIELD).is_none());
        assert_eq!(from_topic_record(&bytes).unwrap(), entry);
        let reset = Entry {
            reset: true,
            ddl: String::new(),
            ..e(5, "")
        };
        assert_eq!(
            from_topic_record(&to_topic_record(&reset, "s", 0)).unwrap(),
            reset
        );
        // A record as Debezium's MySQL connector writes it.
        let debezium = br#"{"source":{"server":"dbserver1"},"position":{"ts_sec":1637238040,"file":"mysql-bin.000003","pos":154,"gtids":"a:1-5","snapshot":true},"ts_ms":1637238040000,"databaseName":"inventory","ddl":"CREATE TABLE t (id INT PRIMARY KEY)","tableChanges":[]}"#;
        let d = from_topic_record(debezium).unwrap();
        assert_eq!(
            (d.file.as_str(), d.pos, d.db.as_str(), d.reset),
            ("mysql-bin.000003", 154, "inventory", false)
        );
        assert_eq!(d.ddl, "CREATE TABLE t (id INT PRIMARY KEY)");
        let err = from_topic_record(br#"{"ddl":"x"}"#).unwrap_err();
        assert!(err.contains("position"), "{err}");
        assert!(from_topic_record(b"not json").is_err());
    }
}
