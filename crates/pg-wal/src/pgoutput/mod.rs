//! The pgoutput logical replication message decoder (pure: bytes in, messages out).
//!
//! pgoutput is the output plugin built into PostgreSQL; each `XLogData` payload of a logical
//! replication stream is one message, described in the PostgreSQL documentation chapter
//! "Logical Replication Message Formats". This module decodes every message of protocol versions
//! 1 to 4 and does nothing else: no I/O, no catalog lookups, no interpretation of values.
//!
//! * [`decode`] decodes one message, given whether it arrived inside a Stream Start/Stop block
//!   (there Relation, Type, Insert, Update, Delete, Truncate and Message carry the streamed
//!   transaction's xid right after the type byte) and the negotiated protocol version.
//! * [`Decoder`] tracks the stream block itself, from Stream Start and Stream Stop.
//!
//! | file        | responsibility                                              |
//! |-------------|-------------------------------------------------------------|
//! | `mod.rs`    | the message types                                           |
//! | `decode.rs` | message dispatch, one function per message, [`Decoder`]      |
//! | `tuple.rs`  | TupleData (the row images of Insert, Update and Delete)     |
//! | `reader.rs` | a bounds-checked cursor that reports what it failed to read |
//! | `error.rs`  | [`DecodeError`] and [`MessageKind`]                          |
//!
//! # Guarantees
//!
//! Decoding never panics, whatever the input: every read is bounds-checked and every count or
//! length is checked against the bytes that remain before anything is allocated for it. Tuple
//! values and logical message contents are [`Bytes::slice`]s of the input (no copy). Strings
//! (names, prefixes, GIDs) are NUL-terminated in the protocol and must be valid UTF-8: a
//! replication connection should set `client_encoding` to `UTF8`, and anything else is reported
//! as [`DecodeError::InvalidUtf8`] rather than silently altered. A message must be consumed
//! exactly: bytes left over after the last field are an error ([`DecodeError::TrailingBytes`]),
//! since they mean the layout does not match the negotiated protocol version.
//!
//! Timestamps are kept as sent: microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch).

mod decode;
mod error;
mod reader;
mod tuple;

use bytes::Bytes;

use crate::lsn::Lsn;

pub use decode::{decode, Decoder};
pub use error::{DecodeError, MessageKind};

/// One pgoutput message.
#[derive(Debug, Clone, PartialEq)]
pub enum PgOutputMessage {
    Begin(Begin),
    Commit(Commit),
    Origin(Origin),
    Relation(Relation),
    Type(TypeMessage),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    Truncate(Truncate),
    Message(LogicalMessage),
    StreamStart(StreamStart),
    StreamStop,
    StreamCommit(StreamCommit),
    StreamAbort(StreamAbort),
    BeginPrepare(BeginPrepare),
    Prepare(Prepare),
    CommitPrepared(CommitPrepared),
    RollbackPrepared(RollbackPrepared),
    StreamPrepare(Prepare),
}

impl PgOutputMessage {
    /// Which message this is.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Begin(_) => MessageKind::Begin,
            Self::Commit(_) => MessageKind::Commit,
            Self::Origin(_) => MessageKind::Origin,
            Self::Relation(_) => MessageKind::Relation,
            Self::Type(_) => MessageKind::Type,
            Self::Insert(_) => MessageKind::Insert,
            Self::Update(_) => MessageKind::Update,
            Self::Delete(_) => MessageKind::Delete,
            Self::Truncate(_) => MessageKind::Truncate,
            Self::Message(_) => MessageKind::Message,
            Self::StreamStart(_) => MessageKind::StreamStart,
            Self::StreamStop => MessageKind::StreamStop,
            Self::StreamCommit(_) => MessageKind::StreamCommit,
            Self::StreamAbort(_) => MessageKind::StreamAbort,
            Self::BeginPrepare(_) => MessageKind::BeginPrepare,
            Self::Prepare(_) => MessageKind::Prepare,
            Self::CommitPrepared(_) => MessageKind::CommitPrepared,
            Self::RollbackPrepared(_) => MessageKind::RollbackPrepared,
            Self::StreamPrepare(_) => MessageKind::StreamPrepare,
        }
    }
}

/// 'B': a transaction starts. Sent lazily, just before its first published change.
#[derive(Debug, Clone, PartialEq)]
pub struct Begin {
    /// The LSN of the commit record.
    pub final_lsn: Lsn,
    /// Commit time, µs since 2000-01-01 UTC.
    pub commit_ts: i64,
    pub xid: u32,
}

/// 'C': the transaction begun by the last [`Begin`] committed.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// Unused by PostgreSQL so far (always 0); kept as sent.
    pub flags: u8,
    /// The LSN of the commit record.
    pub commit_lsn: Lsn,
    /// The LSN just past the commit record: the position to confirm once the transaction is durable.
    pub end_lsn: Lsn,
    /// Commit time, µs since 2000-01-01 UTC.
    pub commit_ts: i64,
}

/// 'O': the transaction was replayed from a replication origin (sent after [`Begin`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The commit LSN on the origin server.
    pub commit_lsn: Lsn,
    pub name: String,
}

/// 'R': a table's shape, sent before its first change in a session and after each schema change.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    /// Inside a stream block only: the xid of the (sub)transaction that made the change.
    /// A subtransaction's changes carry its own xid, not the top-level one of Stream Start.
    pub xid: Option<u32>,
    /// The table's OID, which later messages refer to.
    pub id: u32,
    /// The schema. PostgreSQL sends an empty string for `pg_catalog`; decoded as `"pg_catalog"`.
    pub namespace: String,
    pub name: String,
    pub replica_identity: ReplicaIdentity,
    /// The published columns, in table order.
    pub columns: Vec<RelationColumn>,
}

/// `pg_class.relreplident`: which old values Update and Delete carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaIdentity {
    /// 'd': the primary key.
    Default,
    /// 'n': nothing.
    Nothing,
    /// 'f': all columns.
    Full,
    /// 'i': the columns of a chosen unique index.
    Index,
}

/// One column of a [`Relation`].
#[derive(Debug, Clone, PartialEq)]
pub struct RelationColumn {
    /// Part of the replica identity (flags bit 1). Every column is under REPLICA IDENTITY FULL.
    pub is_key: bool,
    pub name: String,
    pub type_oid: u32,
    /// `atttypmod`, -1 when the type has none.
    pub type_modifier: i32,
}

/// 'Y': a non-built-in type used by a following Relation.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeMessage {
    /// Inside a stream block only: the xid of the (sub)transaction that made the change.
    /// A subtransaction's changes carry its own xid, not the top-level one of Stream Start.
    pub xid: Option<u32>,
    pub id: u32,
    /// The schema. PostgreSQL sends an empty string for `pg_catalog`; decoded as `"pg_catalog"`.
    pub namespace: String,
    pub name: String,
}

/// One column value of a row image.
#[derive(Debug, Clone, PartialEq)]
pub enum TupleColumn {
    /// 'n': SQL NULL.
    Null,
    /// 'u': a TOASTed value the change did not touch; PostgreSQL does not send it.
    UnchangedToast,
    /// 't': the type's text output.
    Text(Bytes),
    /// 'b': the type's binary send output (the `binary` option).
    Binary(Bytes),
}

/// A row image: one value per published column of the relation.
#[derive(Debug, Clone, PartialEq)]
pub struct TupleData(pub Vec<TupleColumn>);

/// The old row image of an Update or Delete.
#[derive(Debug, Clone, PartialEq)]
pub enum OldTuple {
    /// 'K': only the replica identity columns are meaningful; the others are Null.
    Key(TupleData),
    /// 'O': the whole old row (REPLICA IDENTITY FULL).
    Full(TupleData),
}

/// 'I': a row was inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// Inside a stream block only: the xid of the (sub)transaction that made the change.
    /// A subtransaction's changes carry its own xid, not the top-level one of Stream Start.
    pub xid: Option<u32>,
    pub relation_id: u32,
    pub new: TupleData,
}

/// 'U': a row was updated.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// Inside a stream block only: the xid of the (sub)transaction that made the change.
    /// A subtransaction's changes carry its own xid, not the top-level one of Stream Start.
    pub xid: Option<u32>,
    pub relation_id: u32,
    /// Absent when the replica identity did not change and is not FULL.
    pub old: Option<OldTuple>,
    pub new: TupleData,
}

/// 'D': a row was deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// Inside a stream block only: the xid of the (sub)transaction that made the change.
    /// A subtransaction's changes carry its own xid, not the top-level one of Stream Start.
    pub xid: Option<u32>,
    pub relation_id: u32,
    pub old: OldTuple,
}

/// 'T': tables were truncated.
#[derive(Debug, Clone, PartialEq)]
pub struct Truncate {
    /// Inside a stream block only: the xid of the (sub)transaction that made the change.
    /// A subtransaction's changes carry its own xid, not the top-level one of Stream Start.
    pub xid: Option<u32>,
    /// `TRUNCATE ... CASCADE` (option bit 1).
    pub cascade: bool,
    /// `TRUNCATE ... RESTART IDENTITY` (option bit 2).
    pub restart_identity: bool,
    pub relation_ids: Vec<u32>,
}

/// 'M': a message from `pg_logical_emit_message` (sent when the `messages` option is on).
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalMessage {
    /// Inside a stream block only: the xid of the (sub)transaction that made the change.
    /// A subtransaction's changes carry its own xid, not the top-level one of Stream Start.
    pub xid: Option<u32>,
    /// Emitted as part of a transaction (flags bit 1); otherwise sent immediately, outside any.
    pub transactional: bool,
    /// The LSN of the message record.
    pub lsn: Lsn,
    pub prefix: String,
    pub content: Bytes,
}

/// 'S': a block of a large in-progress transaction's changes follows (protocol 2+).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStart {
    pub xid: u32,
    /// The first block of this transaction.
    pub first_segment: bool,
}

/// 'c': a streamed transaction committed (protocol 2+).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamCommit {
    pub xid: u32,
    /// Unused by PostgreSQL so far (always 0); kept as sent.
    pub flags: u8,
    pub commit_lsn: Lsn,
    pub end_lsn: Lsn,
    /// Commit time, µs since 2000-01-01 UTC.
    pub commit_ts: i64,
}

/// 'A': a streamed transaction, or one of its subtransactions, aborted (protocol 2+).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamAbort {
    /// The top-level transaction.
    pub xid: u32,
    /// The aborted (sub)transaction; equal to `xid` when the whole transaction aborted.
    pub subxid: u32,
    /// The abort record's LSN: protocol 4 with `streaming = parallel` only.
    pub abort_lsn: Option<Lsn>,
    /// Abort time, µs since 2000-01-01 UTC: protocol 4 with `streaming = parallel` only.
    pub abort_ts: Option<i64>,
}

/// 'b': a transaction being prepared for two-phase commit starts (protocol 3+, `two_phase`).
#[derive(Debug, Clone, PartialEq)]
pub struct BeginPrepare {
    /// The LSN of the PREPARE record.
    pub prepare_lsn: Lsn,
    /// The LSN just past the PREPARE record.
    pub end_lsn: Lsn,
    /// Prepare time, µs since 2000-01-01 UTC.
    pub prepare_ts: i64,
    pub xid: u32,
    /// The global transaction identifier of `PREPARE TRANSACTION`.
    pub gid: String,
}

/// 'P' (and 'p' for a streamed transaction): a transaction was prepared (protocol 3+).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepare {
    /// Unused by PostgreSQL so far (always 0); kept as sent.
    pub flags: u8,
    /// The LSN of the PREPARE record.
    pub prepare_lsn: Lsn,
    /// The LSN just past the PREPARE record.
    pub end_lsn: Lsn,
    /// Prepare time, µs since 2000-01-01 UTC.
    pub prepare_ts: i64,
    pub xid: u32,
    pub gid: String,
}

/// 'K': a prepared transaction was committed (protocol 3+).
#[derive(Debug, Clone, PartialEq)]
pub struct CommitPrepared {
    /// Unused by PostgreSQL so far (always 0); kept as sent.
    pub flags: u8,
    /// The LSN of the COMMIT PREPARED record.
    pub commit_lsn: Lsn,
    /// The LSN just past the COMMIT PREPARED record.
    pub end_lsn: Lsn,
    /// Commit time, µs since 2000-01-01 UTC.
    pub commit_ts: i64,
    pub xid: u32,
    pub gid: String,
}

/// 'r': a prepared transaction was rolled back (protocol 3+).
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackPrepared {
    /// Unused by PostgreSQL so far (always 0); kept as sent.
    pub flags: u8,
    /// The LSN just past the PREPARE record.
    pub prepare_end_lsn: Lsn,
    /// The LSN just past the ROLLBACK PREPARED record.
    pub rollback_end_lsn: Lsn,
    /// Prepare time, µs since 2000-01-01 UTC.
    pub prepare_ts: i64,
    /// Rollback time, µs since 2000-01-01 UTC.
    pub rollback_ts: i64,
    pub xid: u32,
    pub gid: String,
}
