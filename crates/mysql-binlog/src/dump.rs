//! How the binlog stream is requested: the session variables set first and the dump command.
//!
//! | server | stored `gtids` | command |
//! |---|---|---|
//! | MariaDB | set | `SET @slave_connect_state = '<gtids>'`, then COM_BINLOG_DUMP (MariaDB starts at the GTID position) |
//! | MySQL | set | COM_BINLOG_DUMP_GTID with the executed set as SID blocks: the server sends every transaction not in it |
//! | either | none | COM_BINLOG_DUMP at `file`/`pos` |
//!
//! Pure: [`plan`] is tested without a server; [`DumpPlan::request`] turns it into
//! `mysql_async`'s request and [`DumpPlan::wire_request`] into `mysql_common`'s (its bytes).

use mysql_async::BinlogStreamRequest;
use mysql_common::packets::binlog_request::BinlogRequest;
use mysql_common::packets::Sid;

use crate::gtid::{MariaGtidSet, MySqlGtidSet};
use crate::offset::BinlogPos;

/// What to send.
#[derive(Debug, Clone)]
pub struct DumpPlan {
    /// Session variables, in order, before the dump command.
    pub setup: Vec<String>,
    pub mode: DumpMode,
    server_id: u32,
}

#[derive(Debug, Clone)]
pub enum DumpMode {
    /// COM_BINLOG_DUMP at a file and position.
    Position { file: String, pos: u64 },
    /// MariaDB: COM_BINLOG_DUMP after `@slave_connect_state` (the file and position are ignored).
    MariaGtid(MariaGtidSet),
    /// MySQL: COM_BINLOG_DUMP_GTID with the executed set.
    MySqlGtid(Vec<Sid<'static>>),
}

/// The dump request for a start position. `gtids` is the stored GTID set in the server's own
/// form; a set that does not parse is an error naming it (it came from an edited offset).
pub fn plan(
    server_id: u32,
    mariadb: bool,
    pos: &BinlogPos,
    gtids: Option<&str>,
) -> Result<DumpPlan, String> {
    // MariaDB sends its own GTID events (instead of fake BEGIN queries) only to replicas that
    // announce capability 4; heartbeats every 5 s while the binlog is idle, so a dead
    // connection is noticed.
    let mut setup = vec![
        "SET @mariadb_slave_capability = 4".to_owned(),
        "SET @master_heartbeat_period = 5000000000".to_owned(),
    ];
    let gtids = gtids.map(str::trim).filter(|g| !g.is_empty());
    let mode = match (mariadb, gtids) {
        (true, Some(g)) => {
            let set = MariaGtidSet::parse(g)
                .map_err(|e| format!("the stored MariaDB GTID position {g:?}: {e}"))?;
            setup.push(format!("SET @slave_connect_state = '{set}'"));
            setup.push("SET @slave_gtid_strict_mode = 0".into());
            setup.push("SET @slave_gtid_ignore_duplicates = 0".into());
            DumpMode::MariaGtid(set)
        }
        (false, Some(g)) => {
            let set = MySqlGtidSet::parse(g)
                .map_err(|e| format!("the stored MySQL GTID set {g:?}: {e}"))?;
            DumpMode::MySqlGtid(set.sids()?)
        }
        (_, None) => DumpMode::Position {
            file: pos.file.clone(),
            pos: pos.pos,
        },
    };
    Ok(DumpPlan {
        setup,
        mode,
        server_id,
    })
}

impl DumpPlan {
    pub fn uses_gtid(&self) -> bool {
        !matches!(self.mode, DumpMode::Position { .. })
    }

    /// `mysql_async`'s request (what the connector sends).
    pub fn request(&self) -> BinlogStreamRequest<'_> {
        let r = BinlogStreamRequest::new(self.server_id);
        match &self.mode {
            DumpMode::Position { file, pos } => r.with_filename(file.as_bytes()).with_pos(*pos),
            DumpMode::MariaGtid(_) => r,
            DumpMode::MySqlGtid(sids) => r.with_gtid().with_gtid_set(sids.iter().cloned()),
        }
    }

    /// The same request as `mysql_common`'s builder, whose command can be serialized (tests).
    pub fn wire_request(&self) -> BinlogRequest<'_> {
        let r = BinlogRequest::new(self.server_id);
        match &self.mode {
            DumpMode::Position { file, pos } => r.with_filename(file.as_bytes()).with_pos(*pos),
            DumpMode::MariaGtid(_) => r,
            DumpMode::MySqlGtid(sids) => r.with_use_gtid(true).with_sids(sids.iter().cloned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql_common::proto::MySerialize;

    const UUID: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    fn bytes(p: &DumpPlan) -> Vec<u8> {
        let req = p.wire_request();
        let mut buf = Vec::new();
        match req.as_cmd() {
            mysql_common::misc::raw::Either::Left(c) => c.serialize(&mut buf),
            mysql_common::misc::raw::Either::Right(c) => c.serialize(&mut buf),
        }
        buf
    }

    #[test]
    fn mysql_gtid_set_becomes_com_binlog_dump_gtid() {
        let p = plan(
            77,
            false,
            &BinlogPos::new("binlog.000003", 1234),
            Some(&format!("{UUID}:1-41:43")),
        )
        .unwrap();
        assert!(p.uses_gtid());
        assert!(!p.setup.iter().any(|s| s.contains("slave_connect_state")));
        let b = bytes(&p);
        // COM_BINLOG_DUMP_GTID, flags BINLOG_THROUGH_GTID, server id 77, empty file name, pos 4
        // (the builder's default; the server starts from the GTID set), then the SID block.
        assert_eq!(b[0], 0x1e);
        assert_eq!(u16::from_le_bytes([b[1], b[2]]), 0x04);
        assert_eq!(u32::from_le_bytes([b[3], b[4], b[5], b[6]]), 77);
        assert_eq!(u32::from_le_bytes([b[7], b[8], b[9], b[10]]), 0);
        let rest = &b[19..];
        let block_len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        assert_eq!(block_len, rest.len() - 4);
        let block = &rest[4..];
        assert_eq!(
            u64::from_le_bytes(block[..8].try_into().unwrap()),
            1,
            "one SID"
        );
        assert_eq!(&block[8..12], &[0x3e, 0x11, 0xfa, 0x47]);
        assert_eq!(
            u64::from_le_bytes(block[24..32].try_into().unwrap()),
            2,
            "two intervals"
        );
        let iv: Vec<u64> = block[32..]
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(
            iv,
            vec![1, 42, 43, 44],
            "half-open intervals [1,42) [43,44)"
        );
    }

    #[test]
    fn mariadb_gtids_go_in_slave_connect_state() {
        let p = plan(9, true, &BinlogPos::new("binlog.000001", 4), Some("0-1-5")).unwrap();
        assert!(p.uses_gtid());
        assert!(p
            .setup
            .contains(&"SET @slave_connect_state = '0-1-5'".to_owned()));
        assert_eq!(bytes(&p)[0], 0x12, "MariaDB takes COM_BINLOG_DUMP");
    }

    #[test]
    fn no_gtids_dump_at_file_and_position() {
        for mariadb in [true, false] {
            let p = plan(
                9,
                mariadb,
                &BinlogPos::new("binlog.000002", 4321),
                Some(" "),
            )
            .unwrap();
            assert!(!p.uses_gtid());
            let b = bytes(&p);
            assert_eq!(b[0], 0x12);
            assert_eq!(u32::from_le_bytes([b[1], b[2], b[3], b[4]]), 4321);
            assert_eq!(&b[11..], b"binlog.000002");
        }
    }

    #[test]
    fn a_malformed_stored_set_is_an_error_naming_it() {
        let e = plan(9, false, &BinlogPos::default(), Some("not-a-set:1")).unwrap_err();
        assert!(e.contains("not-a-set"), "{e}");
        let e = plan(9, true, &BinlogPos::default(), Some("0-1")).unwrap_err();
        assert!(e.contains("MariaDB GTID position"), "{e}");
    }
}
