//! What can go wrong decoding a pgoutput message, and where.

use std::fmt;

use cdc_core::{Classify, Retry};

/// The pgoutput message types, named as in PostgreSQL's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageKind {
    Begin,
    Commit,
    Origin,
    Relation,
    Type,
    Insert,
    Update,
    Delete,
    Truncate,
    Message,
    StreamStart,
    StreamStop,
    StreamCommit,
    StreamAbort,
    BeginPrepare,
    Prepare,
    CommitPrepared,
    RollbackPrepared,
    StreamPrepare,
}

impl MessageKind {
    /// The kind a message's first byte announces, if any.
    pub fn from_tag(tag: u8) -> Option<MessageKind> {
        Some(match tag {
            b'B' => Self::Begin,
            b'C' => Self::Commit,
            b'O' => Self::Origin,
            b'R' => Self::Relation,
            b'Y' => Self::Type,
            b'I' => Self::Insert,
            b'U' => Self::Update,
            b'D' => Self::Delete,
            b'T' => Self::Truncate,
            b'M' => Self::Message,
            b'S' => Self::StreamStart,
            b'E' => Self::StreamStop,
            b'c' => Self::StreamCommit,
            b'A' => Self::StreamAbort,
            b'b' => Self::BeginPrepare,
            b'P' => Self::Prepare,
            b'K' => Self::CommitPrepared,
            b'r' => Self::RollbackPrepared,
            b'p' => Self::StreamPrepare,
            _ => return None,
        })
    }

    /// The message's first byte.
    pub fn tag(self) -> u8 {
        match self {
            Self::Begin => b'B',
            Self::Commit => b'C',
            Self::Origin => b'O',
            Self::Relation => b'R',
            Self::Type => b'Y',
            Self::Insert => b'I',
            Self::Update => b'U',
            Self::Delete => b'D',
            Self::Truncate => b'T',
            Self::Message => b'M',
            Self::StreamStart => b'S',
            Self::StreamStop => b'E',
            Self::StreamCommit => b'c',
            Self::StreamAbort => b'A',
            Self::BeginPrepare => b'b',
            Self::Prepare => b'P',
            Self::CommitPrepared => b'K',
            Self::RollbackPrepared => b'r',
            Self::StreamPrepare => b'p',
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Begin => "Begin",
            Self::Commit => "Commit",
            Self::Origin => "Origin",
            Self::Relation => "Relation",
            Self::Type => "Type",
            Self::Insert => "Insert",
            Self::Update => "Update",
            Self::Delete => "Delete",
            Self::Truncate => "Truncate",
            Self::Message => "Message",
            Self::StreamStart => "Stream Start",
            Self::StreamStop => "Stream Stop",
            Self::StreamCommit => "Stream Commit",
            Self::StreamAbort => "Stream Abort",
            Self::BeginPrepare => "Begin Prepare",
            Self::Prepare => "Prepare",
            Self::CommitPrepared => "Commit Prepared",
            Self::RollbackPrepared => "Rollback Prepared",
            Self::StreamPrepare => "Stream Prepare",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A pgoutput message that could not be decoded. Offsets count from the message's type byte
/// (offset 0), so they point into the `XLogData` payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty pgoutput message")]
    Empty,
    #[error("unknown pgoutput message type 0x{0:02x}")]
    UnknownMessageType(u8),
    #[error("unsupported pgoutput protocol version {0} (this decoder reads versions 1 to 4)")]
    UnsupportedProtocolVersion(u32),
    #[error("truncated {message} message: needed {needed} bytes for {field} at offset {offset}, {left} left")]
    Truncated {
        message: MessageKind,
        field: &'static str,
        offset: usize,
        needed: usize,
        left: usize,
    },
    #[error("truncated {message} message: {field} at offset {offset} has no terminating NUL")]
    UnterminatedString {
        message: MessageKind,
        field: &'static str,
        offset: usize,
    },
    #[error("{field} in {message} message at offset {offset} is not valid UTF-8")]
    InvalidUtf8 {
        message: MessageKind,
        field: &'static str,
        offset: usize,
        #[source]
        source: std::str::Utf8Error,
    },
    #[error(
        "invalid {field} 0x{byte:02x} in {message} message at offset {offset}, expected {expected}"
    )]
    UnexpectedByte {
        message: MessageKind,
        field: &'static str,
        offset: usize,
        byte: u8,
        expected: &'static str,
    },
    #[error("negative {field} {length} in {message} message at offset {offset}")]
    NegativeLength {
        message: MessageKind,
        field: &'static str,
        offset: usize,
        length: i32,
    },
    #[error("{left} unexpected bytes after the {message} message at offset {offset}")]
    TrailingBytes {
        message: MessageKind,
        offset: usize,
        left: usize,
    },
}

/// A message that does not decode will not decode on a retry either: the server speaks a
/// protocol we do not understand, or we have a bug. Someone must look.
impl Classify for DecodeError {
    fn retry(&self) -> Retry {
        Retry::Fatal
    }
}
