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
}

/// The history file.
pub struct History {
    path: PathBuf,
    entries: Vec<Entry>,
}

impl History {
    /// Opens (or creates) the history at `path` and reads its entries.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        let io = |source| HistoryError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut entries = Vec::new();
        if path.exists() {
            let f = File::open(path).map_err(io)?;
            let lines: Vec<String> = BufReader::new(f)
                .lines()
                .collect::<Result<_, _>>()
                .map_err(io)?;
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
                            path: path.to_owned(),
                            line: i + 1,
                            reason: e.to_string(),
                        })
                    }
                }
            }
        }
        Ok(History {
            path: path.to_owned(),
            entries,
        })
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
        let io = |source| HistoryError::Io {
            path: self.path.clone(),
            source,
        };
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        let mut buf = Vec::new();
        for e in &new {
            serde_json::to_writer(&mut buf, e).map_err(|e| io(e.into()))?;
            buf.push(b'\n');
        }
        f.write_all(&buf).map_err(io)?;
        f.sync_data().map_err(io)?;
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
}
