//! Pure encoding and decoding of the streaming replication sub-protocol.
//!
//! During START_REPLICATION the connection is in CopyBoth mode and every message is a CopyData
//! (`d`) whose payload starts with a sub-tag:
//!
//! * `w` XLogData (server → client): `wal_start: i64, wal_end: i64, server_time: i64, data`.
//! * `k` primary keepalive (server → client): `wal_end: i64, server_time: i64, reply: u8`.
//! * `r` standby status update (client → server): `write, flush, apply: i64, client_time: i64,
//!   reply: u8`.
//!
//! Times are microseconds since 2000-01-01 00:00 UTC, integers are big-endian. Nothing here does
//! I/O, and nothing panics on input: every read is bounds-checked first.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::lsn::Lsn;

/// CopyData message tag (both directions).
pub const COPY_DATA_TAG: u8 = b'd';
/// CopyBothResponse: the server entered CopyBoth mode (not known to `postgres-protocol`).
pub const COPY_BOTH_RESPONSE_TAG: u8 = b'W';
pub const XLOG_DATA_TAG: u8 = b'w';
pub const PRIMARY_KEEPALIVE_TAG: u8 = b'k';
pub const STANDBY_STATUS_TAG: u8 = b'r';

const XLOG_DATA_HEADER_LEN: usize = 1 + 8 + 8 + 8;
const KEEPALIVE_LEN: usize = 1 + 8 + 8 + 1;
const STANDBY_STATUS_LEN: usize = 1 + 8 + 8 + 8 + 8 + 1;
/// Seconds from the Unix epoch to the PostgreSQL epoch, 2000-01-01.
const PG_EPOCH_UNIX_SECS: u64 = 946_684_800;

/// A message the server sends while streaming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicationMessage {
    /// WAL data; for logical replication `data` is one output-plugin message (pgoutput).
    ///
    /// For logical slots `wal_start` and `wal_end` are both the position the plugin wrote the
    /// message at: for a commit the end of the commit record, and 0/0 for messages tied to no
    /// WAL position (pgoutput Relation and Type).
    XLogData {
        wal_start: Lsn,
        wal_end: Lsn,
        server_time: i64,
        data: Bytes,
    },
    /// The server's position; answer with a status update when `reply_requested`, or the server
    /// disconnects after `wal_sender_timeout`.
    PrimaryKeepalive {
        wal_end: Lsn,
        server_time: i64,
        reply_requested: bool,
    },
}

/// A replication CopyData payload (or backend message) that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("empty replication message")]
    Empty,
    #[error("truncated {kind} message: {len} bytes, expected at least {expected}")]
    Truncated {
        kind: &'static str,
        len: usize,
        expected: usize,
    },
    #[error("unknown replication message tag {tag:#04x}")]
    UnknownTag { tag: u8 },
    #[error("invalid length {len} in backend message {tag:#04x}")]
    BadLength { tag: u8, len: u32 },
}

/// Decodes one CopyData payload received in CopyBoth mode. `payload` is consumed without copying:
/// `data` of an XLogData is a slice of it.
pub fn decode(mut payload: Bytes) -> Result<ReplicationMessage, FrameError> {
    let Some(&tag) = payload.first() else {
        return Err(FrameError::Empty);
    };
    match tag {
        XLOG_DATA_TAG => {
            check_len("XLogData", payload.len(), XLOG_DATA_HEADER_LEN)?;
            payload.advance(1);
            let wal_start = Lsn(payload.get_u64());
            let wal_end = Lsn(payload.get_u64());
            let server_time = payload.get_i64();
            Ok(ReplicationMessage::XLogData {
                wal_start,
                wal_end,
                server_time,
                data: payload,
            })
        }
        PRIMARY_KEEPALIVE_TAG => {
            check_len("primary keepalive", payload.len(), KEEPALIVE_LEN)?;
            payload.advance(1);
            let wal_end = Lsn(payload.get_u64());
            let server_time = payload.get_i64();
            let reply_requested = payload.get_u8() != 0;
            Ok(ReplicationMessage::PrimaryKeepalive {
                wal_end,
                server_time,
                reply_requested,
            })
        }
        tag => Err(FrameError::UnknownTag { tag }),
    }
}

fn check_len(kind: &'static str, len: usize, expected: usize) -> Result<(), FrameError> {
    if len < expected {
        return Err(FrameError::Truncated {
            kind,
            len,
            expected,
        });
    }
    Ok(())
}

/// A standby status update: what the client has written, flushed (made durable) and applied.
/// The server may recycle WAL and advance the slot's `confirmed_flush_lsn` up to `flush`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandbyStatus {
    pub write: Lsn,
    pub flush: Lsn,
    pub apply: Lsn,
    /// Microseconds since 2000-01-01 UTC; see [`pg_timestamp`].
    pub client_time: i64,
    /// Asks the server to answer at once with a keepalive.
    pub reply_requested: bool,
}

/// Appends a complete CopyData message carrying `status` to `out`.
pub fn encode_standby_status(status: &StandbyStatus, out: &mut BytesMut) {
    out.reserve(1 + 4 + STANDBY_STATUS_LEN);
    out.put_u8(COPY_DATA_TAG);
    // The length counts itself but not the tag; the constant is far below i32::MAX.
    out.put_u32((4 + STANDBY_STATUS_LEN) as u32);
    out.put_u8(STANDBY_STATUS_TAG);
    out.put_u64(status.write.0);
    out.put_u64(status.flush.0);
    out.put_u64(status.apply.0);
    out.put_i64(status.client_time);
    out.put_u8(u8::from(status.reply_requested));
}

/// `time` as microseconds since 2000-01-01 00:00 UTC, saturating at the `i64` range.
pub fn pg_timestamp(time: SystemTime) -> i64 {
    let pg_epoch = UNIX_EPOCH + Duration::from_secs(PG_EPOCH_UNIX_SECS);
    match time.duration_since(pg_epoch) {
        Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_micros()).map_or(i64::MIN, |us| -us),
    }
}

/// The start of a backend message: its tag and its whole length including the tag byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub tag: u8,
    pub total_len: usize,
}

/// Reads the 5-byte header of the next backend message in `buf`; `None` until 5 bytes are there.
pub fn peek_header(buf: &[u8]) -> Result<Option<Header>, FrameError> {
    let Some(&[tag, a, b, c, d]) = buf.get(..5) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([a, b, c, d]);
    // The length includes itself; the protocol caps messages at i32::MAX.
    if !(4..=i32::MAX as u32).contains(&len) {
        return Err(FrameError::BadLength { tag, len });
    }
    Ok(Some(Header {
        tag,
        total_len: len as usize + 1,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CopyData payloads captured from PostgreSQL 15.18 streaming pgoutput v1: the XLogData
    /// carrying a BEGIN, and a keepalive.
    const XLOG_BEGIN: &[u8] = &[
        119, 0, 0, 0, 0, 7, 61, 55, 112, 0, 0, 0, 0, 7, 61, 55, 112, 0, 3, 3, 197, 62, 249, 240,
        79, 66, 0, 0, 0, 0, 7, 61, 56, 96, 0, 3, 3, 197, 62, 246, 249, 53, 0, 0, 3, 134,
    ];
    const KEEPALIVE: &[u8] = &[
        107, 0, 0, 0, 0, 7, 61, 55, 112, 0, 3, 3, 197, 62, 246, 254, 172, 0,
    ];

    #[test]
    fn decodes_xlog_data_with_payload_slice() {
        let msg = decode(Bytes::from_static(XLOG_BEGIN)).unwrap();
        let ReplicationMessage::XLogData {
            wal_start,
            wal_end,
            server_time,
            data,
        } = msg
        else {
            panic!("not XLogData: {msg:?}");
        };
        assert_eq!(wal_start.to_string(), "0/73D3770");
        assert_eq!(wal_end, wal_start);
        assert_eq!(server_time, 0x0003_03c5_3ef9_f04f);
        assert_eq!(data.len(), XLOG_BEGIN.len() - 25);
        assert_eq!(data[0], b'B');
    }

    #[test]
    fn decodes_keepalive_and_its_reply_flag() {
        let msg = decode(Bytes::from_static(KEEPALIVE)).unwrap();
        assert_eq!(
            msg,
            ReplicationMessage::PrimaryKeepalive {
                wal_end: "0/73D3770".parse().unwrap(),
                server_time: 0x0003_03c5_3ef6_feac,
                reply_requested: false,
            }
        );
        let mut asking = KEEPALIVE.to_vec();
        asking[17] = 1;
        let msg = decode(Bytes::from(asking)).unwrap();
        assert!(matches!(
            msg,
            ReplicationMessage::PrimaryKeepalive {
                reply_requested: true,
                ..
            }
        ));
    }

    #[test]
    fn xlog_data_may_carry_no_data() {
        let msg = decode(Bytes::copy_from_slice(&XLOG_BEGIN[..25])).unwrap();
        assert!(matches!(msg, ReplicationMessage::XLogData { data, .. } if data.is_empty()));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        for input in [XLOG_BEGIN, KEEPALIVE] {
            let complete = if input[0] == b'w' { 25 } else { 18 };
            for cut in 0..complete {
                let err = decode(Bytes::copy_from_slice(&input[..cut])).unwrap_err();
                if cut == 0 {
                    assert_eq!(err, FrameError::Empty);
                } else {
                    assert!(
                        matches!(err, FrameError::Truncated { len, .. } if len == cut),
                        "{cut}: {err}"
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_tag_is_an_error() {
        assert_eq!(
            decode(Bytes::from_static(b"zzz")),
            Err(FrameError::UnknownTag { tag: b'z' })
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic stand-in for the fuzz target: every short input over a small alphabet.
        let alphabet = [0u8, 1, b'w', b'k', b'r', 0xff];
        let mut input = Vec::new();
        for len in 0..6 {
            let combos = alphabet.len().pow(len as u32);
            for mut n in 0..combos {
                input.clear();
                for _ in 0..len {
                    input.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                let _ = decode(Bytes::copy_from_slice(&input));
                let _ = peek_header(&input);
            }
        }
    }

    #[test]
    fn encodes_standby_status_as_copy_data() {
        let mut out = BytesMut::new();
        let status = StandbyStatus {
            write: Lsn(0x1_0000_0002),
            flush: Lsn(3),
            apply: Lsn(4),
            client_time: 5,
            reply_requested: true,
        };
        encode_standby_status(&status, &mut out);
        let mut expected = vec![b'd', 0, 0, 0, 38, b'r'];
        for v in [0x1_0000_0002u64, 3, 4, 5] {
            expected.extend_from_slice(&v.to_be_bytes());
        }
        expected.push(1);
        assert_eq!(&out[..], &expected[..]);
        assert_eq!(
            peek_header(&out).unwrap(),
            Some(Header {
                tag: b'd',
                total_len: out.len()
            })
        );
    }

    #[test]
    fn pg_timestamp_counts_from_2000() {
        let pg_epoch = UNIX_EPOCH + Duration::from_secs(PG_EPOCH_UNIX_SECS);
        assert_eq!(pg_timestamp(pg_epoch), 0);
        assert_eq!(pg_timestamp(pg_epoch + Duration::from_micros(1_500)), 1_500);
        assert_eq!(pg_timestamp(UNIX_EPOCH), -946_684_800_000_000);
    }

    #[test]
    fn header_needs_five_bytes_and_a_sane_length() {
        assert_eq!(peek_header(b"d\0\0\0").unwrap(), None);
        assert_eq!(
            peek_header(b"Z\0\0\0\x05I").unwrap(),
            Some(Header {
                tag: b'Z',
                total_len: 6
            })
        );
        assert_eq!(
            peek_header(b"Z\0\0\0\x03"),
            Err(FrameError::BadLength { tag: b'Z', len: 3 })
        );
        assert!(peek_header(b"d\xff\xff\xff\xff").is_err());
    }
}
