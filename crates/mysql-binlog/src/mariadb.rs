//! MariaDB's own binlog events, which `mysql_common` does not parse: a pure decoder over the
//! event body (header and checksum already removed).
//!
//! | type | event | body |
//! |---|---|---|
//! | 0xA0 | ANNOTATE_ROWS | the statement text |
//! | 0xA1 | BINLOG_CHECKPOINT | u32 length, file name |
//! | 0xA2 | GTID | u64 seq_no, u32 domain_id, u8 flags, [u64 commit_id if FL_GROUP_COMMIT_ID], XA data |
//! | 0xA3 | GTID_LIST | u32 count (low 28 bits), count × (u32 domain, u32 server, u64 seq) |
//!
//! Every read is bounds-checked: malformed input is a [`DecodeError`], never a panic.

use crate::gtid::Gtid;

pub const ANNOTATE_ROWS_EVENT: u8 = 0xA0;
pub const BINLOG_CHECKPOINT_EVENT: u8 = 0xA1;
pub const GTID_EVENT: u8 = 0xA2;
pub const GTID_LIST_EVENT: u8 = 0xA3;
pub const START_ENCRYPTION_EVENT: u8 = 0xA4;

/// GTID event flags (`Gtid_log_event::FL_*`).
pub mod flags {
    /// The transaction has no BEGIN/COMMIT (DDL, or a non-transactional statement).
    pub const STANDALONE: u8 = 1;
    pub const GROUP_COMMIT_ID: u8 = 2;
    pub const TRANSACTIONAL: u8 = 4;
    pub const ALLOW_PARALLEL: u8 = 8;
    pub const WAITED: u8 = 16;
    pub const DDL: u8 = 32;
    pub const PREPARED_XA: u8 = 64;
    pub const COMPLETED_XA: u8 = 128;
}

/// A decoded MariaDB event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MariaEvent {
    AnnotateRows {
        query: String,
    },
    BinlogCheckpoint {
        file: String,
    },
    Gtid {
        gtid: Gtid,
        flags: u8,
        commit_id: Option<u64>,
    },
    GtidList {
        gtids: Vec<Gtid>,
    },
}

/// The body did not match its event type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed MariaDB {event} event: {reason}")]
pub struct DecodeError {
    pub event: &'static str,
    pub reason: String,
}

struct Reader<'a> {
    buf: &'a [u8],
    event: &'static str,
}

impl<'a> Reader<'a> {
    fn err(&self, reason: impl Into<String>) -> DecodeError {
        DecodeError {
            event: self.event,
            reason: reason.into(),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(self.err(format!("{what} needs {n} bytes, {} left", self.buf.len())));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64, DecodeError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

/// Decodes the body of a MariaDB event of `event_type` written by `server_id` (from the event
/// header). `Ok(None)` for types this decoder does not handle.
pub fn decode(
    event_type: u8,
    server_id: u32,
    body: &[u8],
) -> Result<Option<MariaEvent>, DecodeError> {
    Ok(Some(match event_type {
        ANNOTATE_ROWS_EVENT => MariaEvent::AnnotateRows {
            query: String::from_utf8_lossy(body).into_owned(),
        },
        BINLOG_CHECKPOINT_EVENT => {
            let mut r = Reader {
                buf: body,
                event: "BINLOG_CHECKPOINT",
            };
            let len = r.u32("the file name length")? as usize;
            let name = r.take(len, "the file name")?;
            MariaEvent::BinlogCheckpoint {
                file: String::from_utf8_lossy(name).into_owned(),
            }
        }
        GTID_EVENT => {
            let mut r = Reader {
                buf: body,
                event: "GTID",
            };
            let seq = r.u64("seq_no")?;
            let domain = r.u32("domain_id")?;
            let fl = r.u8("flags")?;
            let commit_id = if fl & flags::GROUP_COMMIT_ID != 0 {
                Some(r.u64("commit_id")?)
            } else {
                None
            };
            // XA data (format id, gtrid/bqual lengths, xid) may follow; not needed.
            MariaEvent::Gtid {
                gtid: Gtid {
                    domain,
                    server: server_id,
                    seq,
                },
                flags: fl,
                commit_id,
            }
        }
        GTID_LIST_EVENT => {
            let mut r = Reader {
                buf: body,
                event: "GTID_LIST",
            };
            let count = (r.u32("the count")? & 0x0FFF_FFFF) as usize;
            if count > r.buf.len() / 16 {
                return Err(r.err(format!(
                    "{count} GTIDs announced, room for {}",
                    r.buf.len() / 16
                )));
            }
            let mut gtids = Vec::with_capacity(count);
            for _ in 0..count {
                let domain = r.u32("domain_id")?;
                let server = r.u32("server_id")?;
                let seq = r.u64("seq_no")?;
                gtids.push(Gtid {
                    domain,
                    server,
                    seq,
                });
            }
            MariaEvent::GtidList { gtids }
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_gtid_event_with_a_commit_id() {
        let mut body = Vec::new();
        body.extend_from_slice(&42u64.to_le_bytes());
        body.extend_from_slice(&3u32.to_le_bytes());
        body.push(flags::GROUP_COMMIT_ID | flags::TRANSACTIONAL);
        body.extend_from_slice(&7u64.to_le_bytes());
        body.extend_from_slice(&[0; 6]);
        let ev = decode(GTID_EVENT, 11, &body).unwrap().unwrap();
        assert_eq!(
            ev,
            MariaEvent::Gtid {
                gtid: Gtid {
                    domain: 3,
                    server: 11,
                    seq: 42
                },
                flags: flags::GROUP_COMMIT_ID | flags::TRANSACTIONAL,
                commit_id: Some(7)
            }
        );
    }

    #[test]
    fn gtid_list_checkpoint_and_annotate() {
        let mut body = 2u32.to_le_bytes().to_vec();
        for (d, s, q) in [(0u32, 1u32, 5u64), (1, 2, 9)] {
            body.extend_from_slice(&d.to_le_bytes());
            body.extend_from_slice(&s.to_le_bytes());
            body.extend_from_slice(&q.to_le_bytes());
        }
        let ev = decode(GTID_LIST_EVENT, 1, &body).unwrap().unwrap();
        let MariaEvent::GtidList { gtids } = ev else {
            panic!("{ev:?}")
        };
        assert_eq!(gtids.len(), 2);
        assert_eq!(gtids[1].to_string(), "1-2-9");

        let mut body = 13u32.to_le_bytes().to_vec();
        body.extend_from_slice(b"binlog.000001");
        assert_eq!(
            decode(BINLOG_CHECKPOINT_EVENT, 1, &body).unwrap(),
            Some(MariaEvent::BinlogCheckpoint {
                file: "binlog.000001".into()
            })
        );
        assert_eq!(
            decode(ANNOTATE_ROWS_EVENT, 1, b"insert into t values (1)").unwrap(),
            Some(MariaEvent::AnnotateRows {
                query: "insert into t values (1)".into()
            })
        );
        assert_eq!(decode(0x02, 1, b"x").unwrap(), None);
    }

    #[test]
    fn truncated_bodies_are_errors() {
        assert!(decode(GTID_EVENT, 1, &[1, 2, 3]).is_err());
        assert!(decode(GTID_LIST_EVENT, 1, &[0xFF, 0xFF, 0xFF, 0x0F]).is_err());
        assert!(decode(BINLOG_CHECKPOINT_EVENT, 1, &[200, 0, 0, 0, b'a']).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(t in 0xA0u8..=0xA4, server in any::<u32>(), body in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = decode(t, server, &body);
        }
    }
}
