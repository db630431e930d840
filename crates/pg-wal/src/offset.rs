//! The connector's offsets, in Debezium's keys (partition `{"server": "<topic.prefix>"}`).
//!
//! Streaming offsets carry, besides Debezium's keys, the position tuple this connector resumes
//! from: `lsn_commit` is the end of the last transaction made durable, `txId` and
//! `lsn_events_processed` say how many events of the following transaction are already durable.
//! `system_id` ties the offset to one PostgreSQL system (see docs/compat.md).

use cdc_core::SourceOffset;
use serde_json::{json, Map, Value as Json};

use crate::lsn::Lsn;

/// Keys Debezium and this connector use.
pub mod keys {
    pub const LSN: &str = "lsn";
    pub const LSN_COMMIT: &str = "lsn_commit";
    pub const LSN_PROC: &str = "lsn_proc";
    pub const TX_ID: &str = "txId";
    pub const TS_USEC: &str = "ts_usec";
    pub const EVENTS: &str = "lsn_events_processed";
    pub const SNAPSHOT: &str = "snapshot";
    pub const LAST_SNAPSHOT_RECORD: &str = "last_snapshot_record";
    pub const MESSAGE_TYPE: &str = "messageType";
    pub const SYSTEM_ID: &str = "system_id";
}

/// The partition map.
pub fn partition(prefix: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("server".into(), Json::String(prefix.to_owned()));
    m
}

/// A stored position, parsed leniently (offsets may have been edited through the REST API).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Position {
    pub lsn: Option<Lsn>,
    pub lsn_commit: Option<Lsn>,
    pub tx_id: Option<i64>,
    pub events_in_tx: u64,
    /// A snapshot started and did not finish.
    pub snapshot_incomplete: bool,
    pub system_id: Option<String>,
}

fn lsn_of(v: Option<&Json>) -> Option<Lsn> {
    match v? {
        Json::Number(n) => n.as_u64().map(Lsn),
        Json::String(s) => s.parse().ok().or_else(|| s.parse::<u64>().ok().map(Lsn)),
        _ => None,
    }
}

impl Position {
    pub fn from_offset(o: &SourceOffset) -> Position {
        let snapshot = o.get_bool(keys::SNAPSHOT).unwrap_or(false);
        let last = o.get_bool(keys::LAST_SNAPSHOT_RECORD).unwrap_or(false);
        Position {
            lsn: lsn_of(o.offset.get(keys::LSN)),
            lsn_commit: lsn_of(o.offset.get(keys::LSN_COMMIT)),
            tx_id: o.get_i64(keys::TX_ID),
            events_in_tx: o.get_i64(keys::EVENTS).unwrap_or(0).max(0) as u64,
            snapshot_incomplete: snapshot && !last,
            system_id: o.get_str(keys::SYSTEM_ID).map(str::to_owned),
        }
    }

    /// Where streaming resumes: the last durable commit, else the last event's LSN.
    pub fn resume_lsn(&self) -> Option<Lsn> {
        self.lsn_commit.or(self.lsn)
    }
}

/// The offset of snapshot records (`last` on the final one).
pub fn snapshot_offset(
    prefix: &str,
    lsn: Lsn,
    tx_id: i64,
    ts_usec: i64,
    last: bool,
    system_id: &str,
) -> SourceOffset {
    let offset = json!({
        keys::LAST_SNAPSHOT_RECORD: last,
        keys::LSN: lsn.0,
        keys::TX_ID: tx_id,
        keys::TS_USEC: ts_usec,
        keys::SNAPSHOT: true,
        keys::SYSTEM_ID: system_id,
    });
    SourceOffset::new(partition(prefix), as_map(offset))
}

/// A streaming offset.
#[allow(clippy::too_many_arguments)]
pub fn stream_offset(
    prefix: &str,
    lsn_commit: Lsn,
    lsn: Lsn,
    tx_id: Option<i64>,
    events_in_tx: u64,
    ts_usec: i64,
    message_type: &str,
    system_id: &str,
) -> SourceOffset {
    let offset = json!({
        keys::LSN_PROC: lsn.0,
        keys::MESSAGE_TYPE: message_type,
        keys::LSN_COMMIT: lsn_commit.0,
        keys::LSN: lsn.0,
        keys::TX_ID: tx_id,
        keys::TS_USEC: ts_usec,
        keys::EVENTS: events_in_tx,
        keys::SYSTEM_ID: system_id,
    });
    SourceOffset::new(partition(prefix), as_map(offset))
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
    fn resume_position_prefers_the_last_durable_commit() {
        let o = stream_offset("p", Lsn(100), Lsn(150), Some(7), 3, 1, "INSERT", "42");
        let p = Position::from_offset(&o);
        assert_eq!(p.resume_lsn(), Some(Lsn(100)));
        assert_eq!((p.tx_id, p.events_in_tx), (Some(7), 3));
        assert!(!p.snapshot_incomplete);
    }

    #[test]
    fn an_interrupted_snapshot_is_recognised() {
        let o = snapshot_offset("p", Lsn(9), 1, 1, false, "42");
        assert!(Position::from_offset(&o).snapshot_incomplete);
        let o = snapshot_offset("p", Lsn(9), 1, 1, true, "42");
        assert!(!Position::from_offset(&o).snapshot_incomplete);
    }

    #[test]
    fn a_hand_written_lsn_offset_is_understood() {
        let o = SourceOffset::new(partition("p"), as_map(json!({"lsn": "0/16B3748"})));
        assert_eq!(Position::from_offset(&o).resume_lsn(), Some(Lsn(0x16B3748)));
    }
}
