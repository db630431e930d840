//! `MySqlSourceError`: every failure of the connector, each transient or fatal.

use cdc_core::{Classify, Retry};

use crate::offset::BinlogPos;

#[derive(Debug, thiserror::Error)]
pub enum MySqlSourceError {
    #[error("cannot connect to {host}:{port}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: mysql_async::Error,
    },
    #[error("{what} failed")]
    Query {
        what: String,
        #[source]
        source: mysql_async::Error,
    },
    #[error("the binlog stream failed")]
    Stream(#[source] mysql_async::Error),
    #[error("the server is not set up for change capture: {0}; set log_bin, binlog_format=ROW and binlog_row_image=FULL (see docs/compat.md)")]
    ServerSetup(String),
    #[error("the stored binlog position {stored} is no longer on the server (its oldest binlog file is {oldest}); the binlog was purged before the connector read it. Take a new snapshot (snapshot.mode=when_needed, or delete the connector's offsets) to continue")]
    PositionPurged { stored: BinlogPos, oldest: String },
    #[error("the stored GTID position {gtids} is not available on the server: {reason}. Take a new snapshot (snapshot.mode=when_needed, or delete the connector's offsets) to continue")]
    GtidsMissing { gtids: String, reason: String },
    #[error("the stored offset belongs to server {stored}, but {host}:{port} is server {actual}; the connector will not stream a different server's binlog. Delete the connector's offsets to start over against this server")]
    DifferentServer {
        stored: String,
        actual: String,
        host: String,
        port: u16,
    },
    #[error("the stored offset cannot be used: {0}; correct it through the REST API's offsets endpoint, or delete the connector's offsets to start over")]
    BadOffset(String),
    #[error("the server refused the binlog position: {0}")]
    BinlogRefused(String),
    #[error("DDL at {pos} could not be applied to the schema (set schema.history.internal.skip.unparseable.ddl=true to skip it): {ddl}")]
    Ddl {
        pos: BinlogPos,
        ddl: String,
        #[source]
        source: crate::ddl::DdlError,
    },
    #[error("a row event at {pos} is for table {table}, whose schema is unknown; the schema history does not cover it (a table the connector's user has no SELECT on is invisible to the snapshot: grant it SELECT, then take a new snapshot); inconsistent.schema.handling.mode=warn or skip skips such events instead")]
    UnknownTable { pos: BinlogPos, table: String },
    /// A rows event whose TABLE_MAP disagrees with the table in the schema history
    /// (`inconsistent.schema.handling.mode=fail`).
    #[error("the row event at {pos} for table {table} does not match the table in the schema history: {reason}. A DDL the connector did not see changed the table (run with a binlog that has it, or take a new snapshot: delete the connector's offsets, or snapshot.mode=when_needed); inconsistent.schema.handling.mode=warn or skip skips such events instead. See the event with: mysqlbinlog --start-position={start} --stop-position={end} --verbose {file}", start = pos.pos, file = pos.file)]
    InconsistentSchema {
        table: String,
        pos: BinlogPos,
        /// Where the event ends.
        end: u64,
        reason: String,
    },
    /// A value of a row event that cannot be read (`event.processing.failure.handling.mode=fail`).
    #[error("cannot read column {column} (position {position}) of table {table} in the row event at {pos}: {reason}. event.processing.failure.handling.mode=warn or skip skips such events instead. See the event with: mysqlbinlog --start-position={start} --stop-position={end} --verbose {file}", start = pos.pos, file = pos.file)]
    Row {
        table: String,
        column: String,
        position: usize,
        pos: BinlogPos,
        /// Where the event ends.
        end: u64,
        reason: String,
    },
    #[error("cannot convert a value of {table} at {pos}")]
    Convert {
        table: String,
        pos: BinlogPos,
        #[source]
        source: Box<crate::convert::ConvertError>,
    },
    #[error("cannot decode the binlog event at {pos}: {reason}")]
    Decode { pos: BinlogPos, reason: String },
    #[error("the schema history")]
    History(#[from] crate::history::HistoryError),
    #[error("the schema history file is not configured (schema.history.internal.file.filename); the worker sets it when it runs the connector")]
    NoHistoryFile,
    /// The server refused the connector's user something it needs.
    #[error("{what} failed: user {user:?} lacks the {privilege} privilege (see the README's \"Database privileges\")")]
    MissingPrivilege {
        what: String,
        user: String,
        privilege: &'static str,
        #[source]
        source: Box<mysql_async::Error>,
    },
    #[error("the binlog stream ended")]
    StreamEnded,
    #[error("the runtime stopped accepting records")]
    QueueClosed,
}

/// The global privileges Debezium's documentation lists, by the name MySQL and MariaDB accept
/// in `GRANT` (MariaDB 10.5+ shows the last two as `REPLICATION REPLICA` and `BINLOG MONITOR`).
pub mod privilege {
    pub const SELECT: &str = "SELECT";
    pub const RELOAD: &str = "RELOAD";
    pub const REPLICATION_SLAVE: &str = "REPLICATION SLAVE (REPLICATION REPLICA)";
    pub const REPLICATION_CLIENT: &str = "REPLICATION CLIENT (BINLOG MONITOR)";
}

impl MySqlSourceError {
    pub fn query(what: impl Into<String>, source: mysql_async::Error) -> Self {
        MySqlSourceError::Query {
            what: what.into(),
            source,
        }
    }

    /// `what`, which needs `privilege`, failed with `source`: `MissingPrivilege` when the server
    /// denied `user` access, else a query error.
    pub fn needing(
        privilege: &'static str,
        user: Option<&str>,
        what: impl Into<String>,
        source: mysql_async::Error,
    ) -> Self {
        if access_denied(&source) {
            MySqlSourceError::MissingPrivilege {
                what: what.into(),
                user: user.unwrap_or_default().to_owned(),
                privilege,
                source: Box::new(source),
            }
        } else {
            MySqlSourceError::query(what, source)
        }
    }
}

/// Server errors that mean "access denied": to a database (1044), to the server (1045, which
/// MariaDB also answers `COM_REGISTER_SLAVE` with when REPLICATION SLAVE is missing), to a table
/// or column (1142, 1143), or for want of a global privilege (1227).
pub fn access_denied(e: &mysql_async::Error) -> bool {
    matches!(e, mysql_async::Error::Server(s) if matches!(s.code, 1044 | 1045 | 1142 | 1143 | 1227))
}

fn transient_driver(e: &mysql_async::Error) -> bool {
    match e {
        mysql_async::Error::Io(_) => true,
        mysql_async::Error::Driver(_) => true,
        mysql_async::Error::Server(s) => matches!(
            s.code,
            // Lock wait timeout, deadlock, too many connections, server shutdown, lost connection.
            1205 | 1213 | 1040 | 1053 | 2013 | 2006
        ),
        _ => false,
    }
}

impl Classify for MySqlSourceError {
    fn retry(&self) -> Retry {
        match self {
            MySqlSourceError::Connect { source, .. } => match source {
                mysql_async::Error::Server(s) if s.code == 1045 || s.code == 1044 => Retry::Fatal,
                e if crate::tls::tls_refused(e) => Retry::Fatal,
                _ => Retry::Transient,
            },
            MySqlSourceError::Query { source, .. } | MySqlSourceError::Stream(source) => {
                if transient_driver(source) {
                    Retry::Transient
                } else {
                    Retry::Fatal
                }
            }
            MySqlSourceError::StreamEnded => Retry::Transient,
            // The history topic's broker may come back; a file that cannot be used will not.
            MySqlSourceError::History(crate::history::HistoryError::Store { .. }) => {
                Retry::Transient
            }
            _ => Retry::Fatal,
        }
    }
}
