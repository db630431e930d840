//! The replication connection before streaming: replication commands and simple queries.

use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use crate::lsn::Lsn;

use super::command;
use super::conn::{describe, Backend, Connection};
use super::error::{ReplicationError, ServerError};
use super::stream::ReplicationStream;
use super::{ReplicationConfig, SlotCreated, SystemInfo};

/// A connection opened with `replication=database`: it runs replication commands and plain SQL
/// on one database, and turns into a [`ReplicationStream`] with
/// [`ReplicationClient::start_logical_replication`].
pub struct ReplicationClient {
    conn: Connection,
}

impl ReplicationClient {
    /// Validates `cfg`, connects in plain TCP and authenticates (trust, cleartext, md5 or
    /// SCRAM-SHA-256), all within `cfg.connect_timeout`.
    pub async fn connect(cfg: &ReplicationConfig) -> Result<Self, ReplicationError> {
        let conn = Connection::open(cfg, true).await?;
        Ok(ReplicationClient { conn })
    }

    /// IDENTIFY_SYSTEM: the cluster's system id, timeline, current WAL position and database.
    pub async fn identify_system(&mut self) -> Result<SystemInfo, ReplicationError> {
        let rows = self
            .conn
            .simple_query("IDENTIFY_SYSTEM", "IDENTIFY_SYSTEM")
            .await?;
        command::parse_system_info(&rows).map_err(|what| self.conn.protocol(&what))
    }

    /// Simple query; returns rows of nullable text values (for SHOW, SELECT on the replication
    /// connection). With several statements, the rows of all of them in order.
    pub async fn simple_query(
        &mut self,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, ReplicationError> {
        self.conn.simple_query("query", sql).await
    }

    /// CREATE_REPLICATION_SLOT "name" LOGICAL pgoutput, exporting a snapshot or not. Uses
    /// PostgreSQL 15's `(SNAPSHOT 'export'|'nothing')`, or `EXPORT_SNAPSHOT`/`NOEXPORT_SNAPSHOT`
    /// when the server reported an older `server_version`.
    ///
    /// The exported snapshot stays valid while this connection runs no other command: snapshot
    /// on other connections with `SET TRANSACTION SNAPSHOT`, then call
    /// [`ReplicationClient::start_logical_replication`].
    pub async fn create_logical_slot(
        &mut self,
        name: &str,
        export_snapshot: bool,
    ) -> Result<SlotCreated, ReplicationError> {
        let major = self
            .server_version()
            .and_then(command::server_major_version);
        let sql = command::create_logical_slot(name, export_snapshot, major)?;
        let rows = self
            .conn
            .simple_query("CREATE_REPLICATION_SLOT", &sql)
            .await?;
        command::parse_slot_created(&rows).map_err(|what| self.conn.protocol(&what))
    }

    /// DROP_REPLICATION_SLOT; with `wait`, waits for an active slot to be released instead of
    /// failing with SQLSTATE 55006.
    pub async fn drop_slot(&mut self, name: &str, wait: bool) -> Result<(), ReplicationError> {
        let sql = command::drop_slot(name, wait)?;
        self.conn
            .simple_query("DROP_REPLICATION_SLOT", &sql)
            .await
            .map(drop)
    }

    /// START_REPLICATION SLOT "slot" LOGICAL `start` ("name" 'value', ...). Option names are
    /// sent as quoted identifiers and values as quoted literals, so pass them unquoted:
    /// `[("proto_version", "1"), ("publication_names", "\"pub\"")]`.
    ///
    /// Starting at `Lsn::ZERO` (or anything below the slot's `confirmed_flush_lsn`) starts at
    /// `confirmed_flush_lsn`.
    pub async fn start_logical_replication(
        mut self,
        slot: &str,
        start: Lsn,
        options: &[(&str, &str)],
    ) -> Result<ReplicationStream, ReplicationError> {
        let sql = command::start_logical_replication(slot, start, options)?;
        frontend::query(&sql, self.conn.write_buf()).map_err(|e| {
            ReplicationError::InvalidArgument {
                what: "START_REPLICATION command".to_owned(),
                reason: e.to_string(),
            }
        })?;
        self.conn.flush().await?;
        loop {
            match self.conn.read_message().await? {
                Backend::CopyBothResponse => return Ok(ReplicationStream::new(self.conn)),
                Backend::Message(Message::ErrorResponse(body)) => {
                    let err = ServerError::from_fields(body.fields());
                    return Err(self.conn.server_error("START_REPLICATION", err));
                }
                Backend::Message(msg) => {
                    if let Some(msg) = self.conn.absorb(msg) {
                        return Err(self.conn.protocol(&format!(
                            "unexpected {} in reply to START_REPLICATION",
                            describe(&msg)
                        )));
                    }
                }
                Backend::CopyData(_) => {
                    return Err(self.conn.protocol("CopyData before CopyBothResponse"))
                }
            }
        }
    }

    /// The `server_version` the server reported at startup, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub fn server_version(&self) -> Option<&str> {
        self.conn.parameter("server_version")
    }

    /// A parameter the server reported (ParameterStatus), e.g. `server_encoding`.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.conn.parameter(name)
    }

    /// The process id of the server backend (walsender) serving this connection.
    pub fn backend_pid(&self) -> Option<i32> {
        self.conn.backend_pid()
    }

    /// Sends Terminate and closes the socket.
    pub async fn close(self) {
        self.conn.terminate().await;
    }
}
