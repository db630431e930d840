//! Binlog positions and the connector's offsets, in Debezium's keys (partition
//! `{"server": "<topic.prefix>"}`).
//!
//! A streaming offset names the start of the transaction in flight (`file`, `pos`, and `gtids`:
//! the GTID position *before* it) and how much of it is durable: `event` row events fully
//! written, then `row` rows of the next one. At a transaction boundary `pos` is the next
//! transaction's start and `event` = `row` = 0. Restart reconnects at `gtids` (MariaDB) or at
//! `file`/`pos`, and skips that many row events and rows: events may repeat, none is skipped.
//! `server_uid` ties the offset to one server (MariaDB `@@server_uid`, MySQL `@@server_uuid`).

use std::cmp::Ordering;
use std::fmt;

use cdc_core::SourceOffset;
use serde_json::{json, Map, Value as Json};

pub mod keys {
    pub const FILE: &str = "file";
    pub const POS: &str = "pos";
    pub const GTIDS: &str = "gtids";
    pub const EVENT: &str = "event";
    pub const ROW: &str = "row";
    pub const SERVER_ID: &str = "server_id";
    pub const TS_SEC: &str = "ts_sec";
    pub const SNAPSHOT: &str = "snapshot";
    pub const SNAPSHOT_COMPLETED: &str = "snapshot_completed";
    pub const SERVER_UID: &str = "server_uid";
}

/// A binlog file and a byte position in it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BinlogPos {
    pub file: String,
    pub pos: u64,
}

impl BinlogPos {
    pub fn new(file: &str, pos: u64) -> BinlogPos {
        BinlogPos {
            file: file.to_owned(),
            pos,
        }
    }

    /// The numeric suffix of the file name (`binlog.000012` → 12).
    fn index(&self) -> u64 {
        self.file
            .rsplit('.')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

impl PartialOrd for BinlogPos {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BinlogPos {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.index(), &self.file, self.pos).cmp(&(other.index(), &other.file, other.pos))
    }
}

impl fmt::Display for BinlogPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.pos)
    }
}

/// The partition map.
pub fn partition(prefix: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("server".into(), Json::String(prefix.to_owned()));
    m
}

/// A stored offset, read leniently (offsets may be edited through the REST API).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stored {
    pub pos: Option<BinlogPos>,
    pub gtids: Option<String>,
    pub events: u64,
    pub rows: u64,
    pub snapshot_incomplete: bool,
    pub server_uid: Option<String>,
}

impl Stored {
    pub fn from_offset(o: &SourceOffset) -> Stored {
        let pos = match (o.get_str(keys::FILE), o.offset.get(keys::POS)) {
            (Some(f), Some(p)) => p
                .as_u64()
                .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
                .map(|p| BinlogPos::new(f, p)),
            _ => None,
        };
        let snapshot = o.get_bool(keys::SNAPSHOT).unwrap_or(false)
            || o.get_str(keys::SNAPSHOT) == Some("true");
        let completed = o.get_bool(keys::SNAPSHOT_COMPLETED).unwrap_or(false);
        Stored {
            pos,
            gtids: o
                .get_str(keys::GTIDS)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned),
            events: o.get_i64(keys::EVENT).unwrap_or(0).max(0) as u64,
            rows: o.get_i64(keys::ROW).unwrap_or(0).max(0) as u64,
            snapshot_incomplete: snapshot && !completed,
            server_uid: o.get_str(keys::SERVER_UID).map(str::to_owned),
        }
    }
}

/// Everything an offset says.
#[derive(Debug, Clone)]
pub struct OffsetFields<'a> {
    pub pos: &'a BinlogPos,
    pub gtids: Option<&'a str>,
    pub events: u64,
    pub rows: u64,
    pub server_id: u32,
    pub ts_sec: i64,
    pub server_uid: &'a str,
}

/// A streaming offset.
pub fn stream_offset(prefix: &str, f: &OffsetFields<'_>) -> SourceOffset {
    let mut o = json!({
        keys::FILE: f.pos.file,
        keys::POS: f.pos.pos,
        keys::EVENT: f.events,
        keys::ROW: f.rows,
        keys::SERVER_ID: f.server_id,
        keys::TS_SEC: f.ts_sec,
        keys::SERVER_UID: f.server_uid,
    });
    if let (Some(g), Json::Object(m)) = (f.gtids, &mut o) {
        m.insert(keys::GTIDS.into(), Json::String(g.to_owned()));
    }
    SourceOffset::new(partition(prefix), as_map(o))
}

/// The offset of snapshot records: streaming resumes at the snapshot's position.
pub fn snapshot_offset(prefix: &str, f: &OffsetFields<'_>, completed: bool) -> SourceOffset {
    let mut o = stream_offset(prefix, f);
    o.offset.insert(keys::SNAPSHOT.into(), Json::Bool(true));
    o.offset
        .insert(keys::SNAPSHOT_COMPLETED.into(), Json::Bool(completed));
    o
}

fn as_map(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_file_index_then_byte() {
        assert!(BinlogPos::new("binlog.000002", 4) > BinlogPos::new("binlog.000001", 900));
        assert!(BinlogPos::new("binlog.000010", 4) > BinlogPos::new("binlog.000009", 4));
        assert!(BinlogPos::new("binlog.000001", 5) > BinlogPos::new("binlog.000001", 4));
    }

    #[test]
    fn offsets_round_trip() {
        let pos = BinlogPos::new("binlog.000003", 1234);
        let f = OffsetFields {
            pos: &pos,
            gtids: Some("0-1-9"),
            events: 2,
            rows: 5,
            server_id: 1,
            ts_sec: 1,
            server_uid: "u",
        };
        let s = Stored::from_offset(&stream_offset("p", &f));
        assert_eq!(s.pos, Some(pos.clone()));
        assert_eq!((s.events, s.rows), (2, 5));
        assert_eq!(s.gtids.as_deref(), Some("0-1-9"));
        assert!(!s.snapshot_incomplete);
        assert!(Stored::from_offset(&snapshot_offset("p", &f, false)).snapshot_incomplete);
        assert!(!Stored::from_offset(&snapshot_offset("p", &f, true)).snapshot_incomplete);
    }
}
