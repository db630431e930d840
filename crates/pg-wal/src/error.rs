//! Errors of the PostgreSQL source, each classified as transient or fatal.

use cdc_core::{Classify, Retry};

use crate::lsn::Lsn;
use crate::pgoutput::DecodeError;
use crate::replication::ReplicationError;

#[derive(Debug, thiserror::Error)]
pub enum PgSourceError {
    #[error("could not connect to PostgreSQL at {host}:{port} (database {dbname:?})")]
    Connect {
        host: String,
        port: u16,
        dbname: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// A TLS file (`database.sslrootcert`, `sslcert`, `sslkey`) cannot be used.
    #[error("cannot set up TLS to PostgreSQL at {host}:{port}")]
    Tls {
        host: String,
        port: u16,
        #[source]
        source: cdc_core::tls::TlsError,
    },
    #[error("{what} failed")]
    Query {
        what: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("{what} failed")]
    Copy {
        what: String,
        #[source]
        source: crate::copy::CopyError,
    },
    #[error(transparent)]
    Replication(#[from] ReplicationError),
    #[error("could not decode a pgoutput message at {lsn}")]
    Decode {
        lsn: Lsn,
        #[source]
        source: DecodeError,
    },
    #[error("could not convert column {column:?} of {table} at {lsn}")]
    Convert {
        table: String,
        column: String,
        lsn: Lsn,
        #[source]
        source: crate::convert::ConvertError,
    },
    #[error("pgoutput sent a change for relation {id} before describing it")]
    UnknownRelation { id: u32 },
    #[error(
        "replication slot {slot:?} does not exist but a stored offset says this connector already streamed up to {stored}; \
         the changes since then are gone with the slot. Delete the connector's offsets to start over with a new snapshot, \
         or set snapshot.mode=when_needed to re-snapshot automatically"
    )]
    SlotMissing { slot: String, stored: Lsn },
    #[error(
        "replication slot {slot:?} has confirmed_flush_lsn {slot_lsn}, ahead of this connector's stored offset {stored}; \
         the slot was probably dropped and recreated, and changes between those positions may be lost. \
         Delete the connector's offsets to start over with a new snapshot, or set snapshot.mode=when_needed"
    )]
    SlotAhead {
        slot: String,
        slot_lsn: Lsn,
        stored: Lsn,
    },
    /// The server invalidated the slot (`wal_status = 'lost'`): the WAL it held is gone.
    #[error(
        "replication slot {slot:?} on database {dbname:?} has been invalidated (wal_status=lost): \
         PostgreSQL removed WAL the slot still needed (it held more than max_slot_wal_keep_size), \
         and the changes in it are lost. To recover, drop the slot with {drop_sql}, delete the \
         connector's offsets (PUT /connectors/<name>/stop, then DELETE /connectors/<name>/offsets) \
         and resume it to take a new snapshot; or set snapshot.mode=when_needed, which drops and \
         recreates the slot and takes a new snapshot by itself"
    )]
    SlotInvalidated {
        slot: String,
        dbname: String,
        drop_sql: String,
    },
    #[error(
        "the stored offset belongs to PostgreSQL system {stored}, but {host}:{port} is system {actual}; \
         this connector's offsets are for another server. Use a new connector name or delete its offsets"
    )]
    SystemMismatch {
        stored: String,
        actual: String,
        host: String,
        port: u16,
    },
    #[error(
        "replication slot {slot:?} uses output plugin {plugin:?}; this connector needs pgoutput"
    )]
    WrongPlugin { slot: String, plugin: String },
    #[error("publication {name:?} does not exist and publication.autocreate.mode is disabled; create it or change the mode")]
    PublicationMissing { name: String },
    #[error("PostgreSQL reports wal_level={0}; logical replication needs wal_level=logical (set it in postgresql.conf and restart)")]
    WalLevel(String),
    #[error("replication slot {slot:?} is in use by another process (pid {pid}); is another connector using slot.name={slot}?")]
    SlotInUse { slot: String, pid: i32 },
    /// The server refused the connector's user something it needs (SQLSTATE 42501).
    #[error(
        "{what} failed: user {user:?} lacks {needs} (see the README's \"Database privileges\")"
    )]
    MissingPrivilege {
        what: String,
        user: String,
        needs: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the runtime stopped accepting records")]
    QueueClosed,
    #[error("the server ended the replication stream")]
    StreamEnded,
}

impl PgSourceError {
    pub fn query(what: impl Into<String>, source: tokio_postgres::Error) -> Self {
        PgSourceError::Query {
            what: what.into(),
            source,
        }
    }
}

/// SQLSTATE `insufficient_privilege`: the server refused the user something.
pub const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// Connection loss, server shutdown and resource exhaustion are worth retrying.
pub fn pg_error_is_transient(e: &tokio_postgres::Error) -> bool {
    if tls_refused(e) {
        return false;
    }
    match e.code() {
        Some(code) => {
            let c = code.code();
            c.starts_with("08")
                || c.starts_with("57P")
                || c.starts_with("53")
                || c == "40001"
                || c == "40P01"
        }
        None => true,
    }
}

/// Did TLS fail for a reason a person must fix: a certificate refused (rustls reports it as
/// `InvalidData`), or a server without TLS when the sslmode requires it?
fn tls_refused(e: &tokio_postgres::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::InvalidData {
                return true;
            }
        }
        if c.to_string() == "server does not support TLS" {
            return true;
        }
        cause = c.source();
    }
    false
}

impl Classify for PgSourceError {
    fn retry(&self) -> Retry {
        match self {
            PgSourceError::Connect { source, .. } | PgSourceError::Query { source, .. } => {
                if pg_error_is_transient(source) {
                    Retry::Transient
                } else {
                    Retry::Fatal
                }
            }
            // "replication slot ... is active for PID ...": our own dead connection's walsender
            // until it notices, or another connector; either way retried like SlotInUse.
            PgSourceError::Replication(e) if e.sqlstate() == Some("55006") => Retry::Transient,
            PgSourceError::Replication(e) => e.retry(),
            PgSourceError::SlotInUse { .. } => Retry::Transient,
            PgSourceError::QueueClosed | PgSourceError::StreamEnded => Retry::Transient,
            _ => Retry::Fatal,
        }
    }
}
