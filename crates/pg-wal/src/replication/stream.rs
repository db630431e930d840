//! CopyBoth streaming after START_REPLICATION: XLogData and keepalives in, status updates out.

use std::time::SystemTime;

use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use crate::lsn::Lsn;

use super::conn::{describe, Backend, Connection};
use super::error::{ReplicationError, ServerError};
use super::frame::{self, ReplicationMessage, StandbyStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Streaming,
    /// A CopyDone went out (ours or in answer to the server's); the server is finishing the
    /// command. WAL data still in flight is discarded.
    Ending,
    /// The server finished the command or closed the connection after CommandComplete.
    Ended,
}

/// The connection in CopyBoth mode. Drop it after an error: its position in the protocol is
/// then unknown.
pub struct ReplicationStream {
    conn: Connection,
    state: State,
}

impl ReplicationStream {
    pub(crate) fn new(conn: Connection) -> ReplicationStream {
        ReplicationStream {
            conn,
            state: State::Streaming,
        }
    }

    /// The next XLogData or keepalive. `Ok(None)` once the server has ended the copy cleanly
    /// (and from then on).
    ///
    /// Cancel-safe, for use in `tokio::select!`: bytes are read into the stream's buffer and
    /// messages parsed out of it synchronously, so a cancelled call loses nothing.
    ///
    /// ErrorResponse ends the stream with [`ReplicationError::Server`]; NoticeResponse is logged
    /// and ParameterStatus recorded.
    pub async fn next(&mut self) -> Result<Option<ReplicationMessage>, ReplicationError> {
        loop {
            if self.state == State::Ended {
                return Ok(None);
            }
            if !self.conn.write_buf().is_empty() {
                // A CopyDone queued below, or a status update whose write was cancelled.
                self.conn.flush().await?;
            }
            match self.conn.try_parse()? {
                Some(parsed) => {
                    if let Some(msg) = self.step(parsed)? {
                        return Ok(Some(msg));
                    }
                }
                None => match self.conn.fill().await {
                    Ok(()) => {}
                    // After CommandComplete a shutting-down walsender just exits.
                    Err(ReplicationError::Closed { .. }) if self.state == State::Ending => {
                        self.state = State::Ended
                    }
                    Err(err) => return Err(err),
                },
            }
        }
    }

    /// The next message already in the read buffer, without any I/O; `Ok(None)` when the
    /// buffer holds no complete message (then await [`next`](Self::next)). Lets a consumer
    /// drain a burst and act once the burst is over.
    pub fn try_next_buffered(&mut self) -> Result<Option<ReplicationMessage>, ReplicationError> {
        while self.state == State::Streaming && self.conn.write_buf().is_empty() {
            match self.conn.try_parse()? {
                Some(parsed) => {
                    if let Some(msg) = self.step(parsed)? {
                        return Ok(Some(msg));
                    }
                }
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Handles one parsed backend message: a replication message to return, or protocol
    /// bookkeeping (`None`).
    fn step(&mut self, parsed: Backend) -> Result<Option<ReplicationMessage>, ReplicationError> {
        let msg = match parsed {
            Backend::CopyData(payload) => {
                if self.state == State::Streaming {
                    return frame::decode(payload)
                        .map(Some)
                        .map_err(|e| self.conn.protocol(&e.to_string()));
                }
                return Ok(None);
            }
            Backend::Message(msg) => msg,
            Backend::CopyBothResponse => {
                return Err(self.conn.protocol("CopyBothResponse while streaming"))
            }
        };
        match msg {
            Message::ErrorResponse(body) => {
                let err = ServerError::from_fields(body.fields());
                return Err(self.conn.server_error("replication stream", err));
            }
            Message::CopyDone => {
                // The server ends the copy; answer with ours so it can finish the command.
                if self.state == State::Streaming {
                    frontend::copy_done(self.conn.write_buf());
                    self.state = State::Ending;
                }
            }
            // A walsender told to shut down sends CommandComplete without CopyDone, then exits.
            Message::CommandComplete(_) => self.state = State::Ending,
            Message::ReadyForQuery(_) => self.state = State::Ended,
            msg => {
                if let Some(msg) = self.conn.absorb(msg) {
                    return Err(self
                        .conn
                        .protocol(&format!("unexpected {} while streaming", describe(&msg))));
                }
            }
        }
        Ok(None)
    }

    /// Sends a standby status update: `write`, `flush` and `apply` positions, the client time
    /// (µs since 2000-01-01) and whether the server should answer at once with a keepalive.
    ///
    /// `flush` is what the server may recycle WAL up to and advance the slot's
    /// `confirmed_flush_lsn` to: send only positions whose changes are durable downstream.
    /// Send one periodically even when idle (and always when a keepalive has `reply_requested`),
    /// or the server disconnects after `wal_sender_timeout`.
    ///
    /// A cancelled call leaves the unwritten rest of the message to the next write, so the
    /// protocol stays intact. After the stream has ended this does nothing.
    pub async fn send_status(
        &mut self,
        write: Lsn,
        flush: Lsn,
        apply: Lsn,
        reply_requested: bool,
    ) -> Result<(), ReplicationError> {
        if self.state != State::Streaming {
            return Ok(());
        }
        let status = StandbyStatus {
            write,
            flush,
            apply,
            client_time: frame::pg_timestamp(SystemTime::now()),
            reply_requested,
        };
        frame::encode_standby_status(&status, self.conn.write_buf());
        self.conn.flush().await
    }

    /// Ends the copy (CopyDone), waits for the server to finish the command, discarding WAL data
    /// still in flight, and closes the connection. Bound it with a timeout if the server may hang.
    pub async fn close(mut self) -> Result<(), ReplicationError> {
        if self.state == State::Streaming {
            frontend::copy_done(self.conn.write_buf());
            self.state = State::Ending;
        }
        while self.next().await?.is_some() {}
        self.conn.terminate().await;
        Ok(())
    }

    /// When bytes last arrived from the server: what [`super::Liveness`] judges the
    /// connection by.
    pub fn heard_at(&self) -> std::time::Instant {
        self.conn.heard_at()
    }

    /// The error for a connection [`super::Liveness`] found dead after `silent`.
    pub fn timed_out(&self, silent: std::time::Duration) -> ReplicationError {
        ReplicationError::Timeout {
            addr: self.conn.addr().to_owned(),
            silent,
        }
    }

    /// The process id of the walsender serving this stream.
    pub fn backend_pid(&self) -> Option<i32> {
        self.conn.backend_pid()
    }

    /// A parameter the server reported (ParameterStatus).
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.conn.parameter(name)
    }
}
