//! A plain (non-replication) connection that runs simple queries and streams
//! `COPY ... TO STDOUT`: the snapshot's reader.
//!
//! PostgreSQL sends a COPY one CopyData message per row. Each payload is handed out as a slice
//! of the connection's read buffer, parsed in the reading task: no copy, no allocation and no
//! hop through another task per row.

use bytes::Bytes;
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use super::conn::{describe, Backend, Connection};
use super::error::{ReplicationError, ServerError};
use super::ReplicationConfig;

/// A connection opened without `replication`: it counts against `max_connections`, not
/// `max_wal_senders`, like Debezium's snapshot connection.
pub struct CopyClient {
    conn: Connection,
}

impl CopyClient {
    /// Validates `cfg`, connects in plain TCP and authenticates, within `cfg.connect_timeout`.
    pub async fn connect(cfg: &ReplicationConfig) -> Result<Self, ReplicationError> {
        let conn = Connection::open(cfg, false).await?;
        Ok(CopyClient { conn })
    }

    /// Runs `sql` (one or more statements) with the simple-query protocol; returns the rows as
    /// nullable text.
    pub async fn simple_query(
        &mut self,
        context: &'static str,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, ReplicationError> {
        self.conn.simple_query(context, sql).await
    }

    /// Sends `sql`, a `COPY ... TO STDOUT`, and waits for the server to start copying.
    pub async fn copy_out(
        &mut self,
        context: &'static str,
        sql: &str,
    ) -> Result<CopyOut<'_>, ReplicationError> {
        frontend::query(sql, self.conn.write_buf()).map_err(|e| {
            ReplicationError::InvalidArgument {
                what: "query".to_owned(),
                reason: e.to_string(),
            }
        })?;
        self.conn.flush().await?;
        loop {
            match self.conn.read_message().await? {
                Backend::Message(Message::CopyOutResponse(_)) => {
                    return Ok(CopyOut {
                        conn: &mut self.conn,
                        context,
                        state: State::Copying,
                    })
                }
                Backend::Message(Message::ErrorResponse(body)) => {
                    let err = ServerError::from_fields(body.fields());
                    self.ready_after_error().await?;
                    return Err(self.conn.server_error(context, err));
                }
                Backend::Message(msg) => {
                    if let Some(msg) = self.conn.absorb(msg) {
                        return Err(self.conn.protocol(&format!(
                            "unexpected {} in reply to {context}",
                            describe(&msg)
                        )));
                    }
                }
                Backend::CopyData(_) | Backend::CopyBothResponse => {
                    return Err(self
                        .conn
                        .protocol(&format!("COPY data before CopyOutResponse in {context}")))
                }
            }
        }
    }

    /// After an error, reads up to ReadyForQuery so the connection is usable again.
    async fn ready_after_error(&mut self) -> Result<(), ReplicationError> {
        loop {
            if let Backend::Message(Message::ReadyForQuery(_)) = self.conn.read_message().await? {
                return Ok(());
            }
        }
    }

    /// Sends Terminate and closes the socket.
    pub async fn close(self) {
        self.conn.terminate().await;
    }
}

/// A `COPY ... TO STDOUT` in progress: its CopyData payloads, in order.
pub struct CopyOut<'c> {
    conn: &'c mut Connection,
    context: &'static str,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Copying,
    /// CopyDone was read: CommandComplete and ReadyForQuery follow.
    Done,
    /// The server is ready for the next query.
    Finished,
}

impl CopyOut<'_> {
    /// The next payload if it is already buffered: `Ok(None)` when more must be read from the
    /// socket (see [`CopyOut::next`]) or the copy is over. No I/O.
    pub fn try_next(&mut self) -> Result<Option<Bytes>, ReplicationError> {
        if self.state != State::Copying {
            return Ok(None);
        }
        match self.conn.try_parse()? {
            Some(Backend::CopyData(data)) => Ok(Some(data)),
            Some(other) => {
                // The end of the copy (CopyDone) or an error: finish it on the slow path.
                self.end(other)?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// The next payload, reading from the socket as needed; `None` once the copy completed and
    /// the server is ready for the next query. Cancel-safe.
    pub async fn next(&mut self) -> Result<Option<Bytes>, ReplicationError> {
        loop {
            if let Some(data) = self.try_next()? {
                return Ok(Some(data));
            }
            match self.state {
                State::Copying => {}
                State::Done => {
                    self.finish().await?;
                    self.state = State::Finished;
                    return Ok(None);
                }
                State::Finished => return Ok(None),
            }
            self.conn.fill().await?;
        }
    }

    /// Handles a message that is not CopyData: CopyDone ends the data, an error fails the copy.
    fn end(&mut self, msg: Backend) -> Result<(), ReplicationError> {
        match msg {
            Backend::Message(Message::CopyDone) => {
                self.state = State::Done;
                Ok(())
            }
            Backend::Message(Message::ErrorResponse(body)) => {
                // The connection is left as it is: a failed copy ends the snapshot.
                self.state = State::Finished;
                Err(self
                    .conn
                    .server_error(self.context, ServerError::from_fields(body.fields())))
            }
            Backend::Message(msg) => match self.conn.absorb(msg) {
                None => Ok(()),
                Some(msg) => Err(self.conn.protocol(&format!(
                    "unexpected {} during {}",
                    describe(&msg),
                    self.context
                ))),
            },
            Backend::CopyData(_) | Backend::CopyBothResponse => {
                Err(self.conn.protocol("CopyBothResponse during COPY TO STDOUT"))
            }
        }
    }

    /// After CopyDone: CommandComplete (or an error), then ReadyForQuery.
    async fn finish(&mut self) -> Result<(), ReplicationError> {
        let mut failure: Option<ServerError> = None;
        loop {
            match self.conn.read_message().await? {
                Backend::Message(Message::ReadyForQuery(_)) => break,
                Backend::Message(Message::CommandComplete(_)) => {}
                Backend::Message(Message::ErrorResponse(body)) => {
                    failure = Some(ServerError::from_fields(body.fields()))
                }
                Backend::Message(msg) => {
                    if let Some(msg) = self.conn.absorb(msg) {
                        return Err(self.conn.protocol(&format!(
                            "unexpected {} after {}",
                            describe(&msg),
                            self.context
                        )));
                    }
                }
                Backend::CopyData(_) | Backend::CopyBothResponse => {
                    return Err(self.conn.protocol("COPY data after CopyDone"))
                }
            }
        }
        match failure {
            Some(f) => Err(self.conn.server_error(self.context, f)),
            None => Ok(()),
        }
    }
}
