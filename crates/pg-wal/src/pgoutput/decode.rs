//! Message dispatch and one decoding function per message type.
//!
//! Layouts follow PostgreSQL's `src/backend/replication/logical/proto.c`. All integers are
//! big-endian; `Int64` LSNs and timestamps, `Int32` xids and OIDs.

use bytes::Bytes;

use super::reader::Reader;
use super::tuple::{read_marker, read_old_tuple, read_tuple, Marker};
use super::{
    Begin, BeginPrepare, Commit, CommitPrepared, DecodeError, Delete, Insert, LogicalMessage,
    MessageKind, Origin, PgOutputMessage, Prepare, Relation, RelationColumn, ReplicaIdentity,
    RollbackPrepared, StreamAbort, StreamCommit, StreamStart, Truncate, TypeMessage, Update,
};

/// Message flag: emitted with `transactional = true`.
const MESSAGE_TRANSACTIONAL: u8 = 1;
/// Truncate option bits.
const TRUNCATE_CASCADE: u8 = 1;
const TRUNCATE_RESTART_IDENTITY: u8 = 2;
/// Relation column flag: part of the replica identity.
const COLUMN_IS_KEY: u8 = 1;
/// Bytes a Relation column takes at least: flags, an empty name's NUL, type OID, type modifier.
const MIN_RELATION_COLUMN_LEN: usize = 1 + 1 + 4 + 4;

/// Decodes one pgoutput message: the payload of one `XLogData`.
///
/// `in_stream` says whether the message arrived between Stream Start and Stream Stop, where
/// Relation, Type, Insert, Update, Delete, Truncate and Message carry the xid of the
/// (sub)transaction they belong to. `protocol_version` is the negotiated `proto_version` (1 to 4); it decides whether a Stream
/// Abort may carry the abort LSN and time (version 4, sent only with `streaming = parallel`, so
/// both layouts are accepted there). Messages a version never sends (streaming before 2, two-phase
/// before 3) are still decoded: the layout does not depend on the version.
///
/// Pure and total: never panics, whatever `data` holds.
pub fn decode(
    data: Bytes,
    in_stream: bool,
    protocol_version: u32,
) -> Result<PgOutputMessage, DecodeError> {
    if !(1..=4).contains(&protocol_version) {
        return Err(DecodeError::UnsupportedProtocolVersion(protocol_version));
    }
    let tag = *data.first().ok_or(DecodeError::Empty)?;
    let kind = MessageKind::from_tag(tag).ok_or(DecodeError::UnknownMessageType(tag))?;
    let mut r = Reader::new(data, kind);
    let message = match kind {
        MessageKind::Begin => PgOutputMessage::Begin(begin(&mut r)?),
        MessageKind::Commit => PgOutputMessage::Commit(commit(&mut r)?),
        MessageKind::Origin => PgOutputMessage::Origin(origin(&mut r)?),
        MessageKind::Relation => PgOutputMessage::Relation(relation(&mut r, in_stream)?),
        MessageKind::Type => PgOutputMessage::Type(type_message(&mut r, in_stream)?),
        MessageKind::Insert => PgOutputMessage::Insert(insert(&mut r, in_stream)?),
        MessageKind::Update => PgOutputMessage::Update(update(&mut r, in_stream)?),
        MessageKind::Delete => PgOutputMessage::Delete(delete(&mut r, in_stream)?),
        MessageKind::Truncate => PgOutputMessage::Truncate(truncate(&mut r, in_stream)?),
        MessageKind::Message => PgOutputMessage::Message(logical_message(&mut r, in_stream)?),
        MessageKind::StreamStart => PgOutputMessage::StreamStart(stream_start(&mut r)?),
        MessageKind::StreamStop => PgOutputMessage::StreamStop,
        MessageKind::StreamCommit => PgOutputMessage::StreamCommit(stream_commit(&mut r)?),
        MessageKind::StreamAbort => {
            PgOutputMessage::StreamAbort(stream_abort(&mut r, protocol_version)?)
        }
        MessageKind::BeginPrepare => PgOutputMessage::BeginPrepare(begin_prepare(&mut r)?),
        MessageKind::Prepare => PgOutputMessage::Prepare(prepare(&mut r)?),
        MessageKind::CommitPrepared => PgOutputMessage::CommitPrepared(commit_prepared(&mut r)?),
        MessageKind::RollbackPrepared => {
            PgOutputMessage::RollbackPrepared(rollback_prepared(&mut r)?)
        }
        MessageKind::StreamPrepare => PgOutputMessage::StreamPrepare(prepare(&mut r)?),
    };
    r.finish()?;
    Ok(message)
}

/// Decodes a session's messages in order, tracking the stream block from Stream Start and
/// Stream Stop. Use one per replication connection: a new connection starts outside any block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoder {
    protocol_version: u32,
    in_stream: bool,
}

impl Decoder {
    /// A decoder for the negotiated `proto_version`, outside any stream block.
    pub fn new(protocol_version: u32) -> Self {
        Decoder {
            protocol_version,
            in_stream: false,
        }
    }

    pub fn protocol_version(&self) -> u32 {
        self.protocol_version
    }

    /// Between a Stream Start and its Stream Stop.
    pub fn in_stream(&self) -> bool {
        self.in_stream
    }

    /// Decodes the next message; see [`decode`]. A message that fails to decode leaves the
    /// stream-block state unchanged.
    pub fn decode(&mut self, data: Bytes) -> Result<PgOutputMessage, DecodeError> {
        let message = decode(data, self.in_stream, self.protocol_version)?;
        match message {
            PgOutputMessage::StreamStart(_) => self.in_stream = true,
            PgOutputMessage::StreamStop => self.in_stream = false,
            _ => {}
        }
        Ok(message)
    }
}

fn begin(r: &mut Reader) -> Result<Begin, DecodeError> {
    Ok(Begin {
        final_lsn: r.lsn("final lsn")?,
        commit_ts: r.i64("commit timestamp")?,
        xid: r.u32("xid")?,
    })
}

fn commit(r: &mut Reader) -> Result<Commit, DecodeError> {
    Ok(Commit {
        flags: r.u8("flags")?,
        commit_lsn: r.lsn("commit lsn")?,
        end_lsn: r.lsn("end lsn")?,
        commit_ts: r.i64("commit timestamp")?,
    })
}

fn origin(r: &mut Reader) -> Result<Origin, DecodeError> {
    Ok(Origin {
        commit_lsn: r.lsn("origin commit lsn")?,
        name: r.string("origin name")?,
    })
}

fn relation(r: &mut Reader, in_stream: bool) -> Result<Relation, DecodeError> {
    let xid = r.stream_xid(in_stream)?;
    let id = r.u32("relation id")?;
    let namespace = r.namespace("namespace")?;
    let name = r.string("relation name")?;
    let offset = r.offset();
    let replica_identity = match r.u8("replica identity")? {
        b'd' => ReplicaIdentity::Default,
        b'n' => ReplicaIdentity::Nothing,
        b'f' => ReplicaIdentity::Full,
        b'i' => ReplicaIdentity::Index,
        byte => {
            return Err(DecodeError::UnexpectedByte {
                message: r.message(),
                field: "replica identity",
                offset,
                byte,
                expected: "'d', 'n', 'f' or 'i'",
            })
        }
    };
    let ncols = usize::from(r.u16("column count")?);
    let mut columns = Vec::with_capacity(ncols.min(r.remaining() / MIN_RELATION_COLUMN_LEN));
    for _ in 0..ncols {
        columns.push(RelationColumn {
            is_key: r.u8("column flags")? & COLUMN_IS_KEY != 0,
            name: r.string("column name")?,
            type_oid: r.u32("column type oid")?,
            type_modifier: r.i32("column type modifier")?,
        });
    }
    Ok(Relation {
        xid,
        id,
        namespace,
        name,
        replica_identity,
        columns,
    })
}

fn type_message(r: &mut Reader, in_stream: bool) -> Result<TypeMessage, DecodeError> {
    Ok(TypeMessage {
        xid: r.stream_xid(in_stream)?,
        id: r.u32("type id")?,
        namespace: r.namespace("namespace")?,
        name: r.string("type name")?,
    })
}

fn insert(r: &mut Reader, in_stream: bool) -> Result<Insert, DecodeError> {
    let xid = r.stream_xid(in_stream)?;
    let relation_id = r.u32("relation id")?;
    read_marker(r, &[Marker::New], "'N'")?;
    let new = read_tuple(r)?;
    Ok(Insert {
        xid,
        relation_id,
        new,
    })
}

fn update(r: &mut Reader, in_stream: bool) -> Result<Update, DecodeError> {
    let xid = r.stream_xid(in_stream)?;
    let relation_id = r.u32("relation id")?;
    let all = [Marker::Key, Marker::Old, Marker::New];
    let old = match read_marker(r, &all, "'K', 'O' or 'N'")? {
        Marker::New => None,
        marker => {
            let old = read_old_tuple(r, marker)?;
            read_marker(r, &[Marker::New], "'N'")?;
            Some(old)
        }
    };
    let new = read_tuple(r)?;
    Ok(Update {
        xid,
        relation_id,
        old,
        new,
    })
}

fn delete(r: &mut Reader, in_stream: bool) -> Result<Delete, DecodeError> {
    let xid = r.stream_xid(in_stream)?;
    let relation_id = r.u32("relation id")?;
    let marker = read_marker(r, &[Marker::Key, Marker::Old], "'K' or 'O'")?;
    let old = read_old_tuple(r, marker)?;
    Ok(Delete {
        xid,
        relation_id,
        old,
    })
}

fn truncate(r: &mut Reader, in_stream: bool) -> Result<Truncate, DecodeError> {
    let xid = r.stream_xid(in_stream)?;
    let count = r.u32("relation count")?;
    let options = r.u8("options")?;
    // Check the whole id array is there before allocating for it.
    let needed = usize::try_from(count)
        .ok()
        .and_then(|n| n.checked_mul(4))
        .unwrap_or(usize::MAX);
    if needed > r.remaining() {
        return Err(r.truncated("relation ids", needed));
    }
    let mut relation_ids = Vec::with_capacity(needed / 4);
    for _ in 0..count {
        relation_ids.push(r.u32("relation id")?);
    }
    Ok(Truncate {
        xid,
        cascade: options & TRUNCATE_CASCADE != 0,
        restart_identity: options & TRUNCATE_RESTART_IDENTITY != 0,
        relation_ids,
    })
}

fn logical_message(r: &mut Reader, in_stream: bool) -> Result<LogicalMessage, DecodeError> {
    Ok(LogicalMessage {
        xid: r.stream_xid(in_stream)?,
        transactional: r.u8("flags")? & MESSAGE_TRANSACTIONAL != 0,
        lsn: r.lsn("message lsn")?,
        prefix: r.string("prefix")?,
        content: r.counted_bytes("content length", "content")?,
    })
}

fn stream_start(r: &mut Reader) -> Result<StreamStart, DecodeError> {
    Ok(StreamStart {
        xid: r.u32("xid")?,
        first_segment: r.u8("first segment")? == 1,
    })
}

fn stream_commit(r: &mut Reader) -> Result<StreamCommit, DecodeError> {
    Ok(StreamCommit {
        xid: r.u32("xid")?,
        flags: r.u8("flags")?,
        commit_lsn: r.lsn("commit lsn")?,
        end_lsn: r.lsn("end lsn")?,
        commit_ts: r.i64("commit timestamp")?,
    })
}

/// Protocol 4 appends the abort LSN and time, but only with `streaming = parallel`, which the
/// message itself does not announce: in version 4 an abort that ends after the subxid has none.
fn stream_abort(r: &mut Reader, protocol_version: u32) -> Result<StreamAbort, DecodeError> {
    let xid = r.u32("xid")?;
    let subxid = r.u32("subtransaction xid")?;
    let (abort_lsn, abort_ts) = if protocol_version >= 4 && r.remaining() > 0 {
        (Some(r.lsn("abort lsn")?), Some(r.i64("abort timestamp")?))
    } else {
        (None, None)
    };
    Ok(StreamAbort {
        xid,
        subxid,
        abort_lsn,
        abort_ts,
    })
}

fn begin_prepare(r: &mut Reader) -> Result<BeginPrepare, DecodeError> {
    Ok(BeginPrepare {
        prepare_lsn: r.lsn("prepare lsn")?,
        end_lsn: r.lsn("end lsn")?,
        prepare_ts: r.i64("prepare timestamp")?,
        xid: r.u32("xid")?,
        gid: r.string("gid")?,
    })
}

/// Prepare and Stream Prepare share a layout.
fn prepare(r: &mut Reader) -> Result<Prepare, DecodeError> {
    Ok(Prepare {
        flags: r.u8("flags")?,
        prepare_lsn: r.lsn("prepare lsn")?,
        end_lsn: r.lsn("end lsn")?,
        prepare_ts: r.i64("prepare timestamp")?,
        xid: r.u32("xid")?,
        gid: r.string("gid")?,
    })
}

fn commit_prepared(r: &mut Reader) -> Result<CommitPrepared, DecodeError> {
    Ok(CommitPrepared {
        flags: r.u8("flags")?,
        commit_lsn: r.lsn("commit lsn")?,
        end_lsn: r.lsn("end lsn")?,
        commit_ts: r.i64("commit timestamp")?,
        xid: r.u32("xid")?,
        gid: r.string("gid")?,
    })
}

fn rollback_prepared(r: &mut Reader) -> Result<RollbackPrepared, DecodeError> {
    Ok(RollbackPrepared {
        flags: r.u8("flags")?,
        prepare_end_lsn: r.lsn("prepare end lsn")?,
        rollback_end_lsn: r.lsn("rollback end lsn")?,
        prepare_ts: r.i64("prepare timestamp")?,
        rollback_ts: r.i64("rollback timestamp")?,
        xid: r.u32("xid")?,
        gid: r.string("gid")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &'static [u8], in_stream: bool, version: u32) -> String {
        decode(Bytes::from_static(bytes), in_stream, version)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_say_what_failed_and_where() {
        assert_eq!(
            err(b"I", false, 1),
            "truncated Insert message: needed 4 bytes for relation id at offset 1, 0 left"
        );
        assert_eq!(
            err(b"I", true, 2),
            "truncated Insert message: needed 4 bytes for streamed transaction xid at offset 1, 0 left"
        );
        assert_eq!(err(b"Z", false, 1), "unknown pgoutput message type 0x5a");
        assert_eq!(err(b"", false, 1), "empty pgoutput message");
        assert_eq!(
            err(b"E", false, 5),
            "unsupported pgoutput protocol version 5 (this decoder reads versions 1 to 4)"
        );
        assert_eq!(
            err(b"I\0\0\0\x01X\0\0", false, 1),
            "invalid tuple marker 0x58 in Insert message at offset 5, expected 'N'"
        );
        assert_eq!(
            err(b"I\0\0\0\x01N\0\x01x", false, 1),
            "invalid column kind 0x78 in Insert message at offset 8, expected 'n', 'u', 't' or 'b'"
        );
        assert_eq!(
            err(b"Ex", false, 1),
            "1 unexpected bytes after the Stream Stop message at offset 1"
        );
    }

    #[test]
    fn a_huge_count_is_an_error_not_an_allocation() {
        assert_eq!(
            err(b"T\xff\xff\xff\xff\0\0\0\0\x01", false, 1),
            "truncated Truncate message: needed 17179869180 bytes for relation ids at offset 6, 4 left"
        );
        assert_eq!(
            err(b"I\0\0\0\x01N\xff\xff", false, 1),
            "truncated Insert message: needed 1 bytes for column kind at offset 8, 0 left"
        );
    }

    #[test]
    fn an_empty_namespace_means_pg_catalog() {
        let m = decode(Bytes::from_static(b"Y\0\0\x01\x02\0mytype\0"), false, 1).unwrap();
        assert_eq!(
            m,
            PgOutputMessage::Type(TypeMessage {
                xid: None,
                id: 0x102,
                namespace: "pg_catalog".into(),
                name: "mytype".into(),
            })
        );
    }

    #[test]
    fn old_tuple_markers_are_checked() {
        assert_eq!(
            err(b"D\0\0\0\x01N\0\0", false, 1),
            "invalid tuple marker 0x4e in Delete message at offset 5, expected 'K' or 'O'"
        );
        assert_eq!(
            err(b"U\0\0\0\x01K\0\0K\0\0", false, 1),
            "invalid tuple marker 0x4b in Update message at offset 8, expected 'N'"
        );
    }

    #[test]
    fn decoder_tracks_the_stream_block() {
        let mut d = Decoder::new(2);
        let start = Bytes::from_static(b"S\0\0\x03\x09\x01");
        let insert = Bytes::from_static(b"I\0\0\x03\x09\0\0\x40\x00N\0\x01n");
        assert_eq!(
            d.decode(start).unwrap(),
            PgOutputMessage::StreamStart(StreamStart {
                xid: 777,
                first_segment: true
            })
        );
        assert!(d.in_stream());
        match d.decode(insert.clone()).unwrap() {
            PgOutputMessage::Insert(i) => {
                assert_eq!((i.xid, i.relation_id), (Some(777), 0x4000));
            }
            other => panic!("expected an Insert, got {other:?}"),
        }
        assert_eq!(
            d.decode(Bytes::from_static(b"E")).unwrap(),
            PgOutputMessage::StreamStop
        );
        assert!(!d.in_stream());
        // Outside the block the xid would be read as the relation id: the message no longer fits.
        assert!(d.decode(insert).is_err());
    }
}
