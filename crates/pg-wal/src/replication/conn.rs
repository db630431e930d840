//! One protocol connection: startup and authentication, buffered reads of backend messages,
//! buffered writes of frontend messages, and the simple-query cycle.

use std::collections::HashMap;
use std::io;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256, SCRAM_SHA_256};
use postgres_protocol::message::backend::{DataRowBody, Message};
use postgres_protocol::message::frontend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::{debug, info, warn};

use super::error::{ReplicationError, ServerError};
use super::frame;
use super::transport::{self, OpenError, ReadHalf, WriteHalf};
use super::ReplicationConfig;

/// Read buffer size: big reads let a backlog drain in few syscalls. XLogData payloads are slices
/// of this buffer, so a block is freed once every message parsed from it is dropped.
const READ_BUF: usize = 256 * 1024;
/// Below this much free space, a read first reserves a fresh `READ_BUF`.
const MIN_READ: usize = 32 * 1024;

/// A backend message, with the two CopyBoth messages `postgres-protocol` does not decode itself.
pub(crate) enum Backend {
    /// The payload of a CopyData message, sliced out of the read buffer without copying.
    CopyData(Bytes),
    CopyBothResponse,
    Message(Message),
}

pub(crate) struct Connection {
    reader: ReadHalf,
    writer: WriteHalf,
    rbuf: BytesMut,
    /// Encoded frontend messages not yet written; a write cancelled halfway resumes from here.
    wbuf: BytesMut,
    addr: String,
    params: HashMap<String, String>,
    backend_pid: Option<i32>,
    /// When bytes last arrived from the server (or when the connection was opened).
    heard_at: Instant,
}

impl Connection {
    /// Validates `cfg`, then [`Connection::establish`] within `cfg.connect_timeout`.
    pub(crate) async fn open(
        cfg: &ReplicationConfig,
        replication: bool,
    ) -> Result<Connection, ReplicationError> {
        cfg.validate()?;
        match tokio::time::timeout(cfg.connect_timeout, Self::establish(cfg, replication)).await {
            Ok(conn) => conn,
            Err(_) => Err(ReplicationError::ConnectTimeout {
                addr: cfg.addr(),
                timeout: cfg.connect_timeout,
            }),
        }
    }

    /// Opens the socket, sends the startup message (with `replication=database` when
    /// `replication`), authenticates, and reads until the server is ready for queries. The
    /// caller applies the connect timeout.
    pub(crate) async fn establish(
        cfg: &ReplicationConfig,
        replication: bool,
    ) -> Result<Connection, ReplicationError> {
        let addr = cfg.addr();
        let (reader, writer) = transport::open(&cfg.host, cfg.port, &cfg.tls)
            .await
            .map_err(|e| {
                let addr = addr.clone();
                match e {
                    OpenError::Io(source) => ReplicationError::Connect { addr, source },
                    OpenError::Config(source) => ReplicationError::TlsConfig { addr, source },
                    OpenError::Refused => ReplicationError::TlsRefused { addr },
                    OpenError::Handshake(source) => ReplicationError::TlsHandshake { addr, source },
                }
            })?;
        let mut conn = Connection {
            reader,
            writer,
            rbuf: BytesMut::with_capacity(READ_BUF),
            wbuf: BytesMut::with_capacity(1024),
            addr,
            params: HashMap::new(),
            backend_pid: None,
            heard_at: Instant::now(),
        };
        let params = [
            ("user", cfg.user.as_str()),
            ("database", cfg.dbname.as_str()),
            ("application_name", cfg.application_name.as_str()),
            ("client_encoding", "UTF8"),
        ];
        let mode = replication.then_some(("replication", "database"));
        frontend::startup_message(params.into_iter().chain(mode), &mut conn.wbuf)
            .map_err(|e| invalid("startup parameters", &e))?;
        conn.flush().await?;
        conn.authenticate(cfg).await?;
        conn.finish_startup(&cfg.user).await?;
        debug!(addr = %conn.addr, replication, server_version = ?conn.parameter("server_version"), "connection ready");
        Ok(conn)
    }

    async fn authenticate(&mut self, cfg: &ReplicationConfig) -> Result<(), ReplicationError> {
        let user = cfg.user.as_str();
        let addr = self.addr.clone();
        let password = || {
            cfg.password
                .as_deref()
                .ok_or_else(|| ReplicationError::PasswordRequired {
                    user: user.to_owned(),
                    addr: addr.clone(),
                })
        };
        let mut scram: Option<ScramSha256> = None;
        loop {
            let msg = match self.read_message().await? {
                Backend::Message(msg) => msg,
                Backend::CopyData(_) | Backend::CopyBothResponse => {
                    return Err(self.protocol("COPY data during authentication"))
                }
            };
            match msg {
                Message::AuthenticationOk => return Ok(()),
                Message::AuthenticationCleartextPassword => {
                    let password = password()?;
                    frontend::password_message(password.as_bytes(), &mut self.wbuf)
                        .map_err(|e| invalid("password", &e))?;
                }
                Message::AuthenticationMd5Password(body) => {
                    let hash = md5_hash(user.as_bytes(), password()?.as_bytes(), body.salt());
                    frontend::password_message(hash.as_bytes(), &mut self.wbuf)
                        .map_err(|e| invalid("password", &e))?;
                }
                Message::AuthenticationSasl(body) => {
                    let mut offered = Vec::new();
                    let mut mechanisms = body.mechanisms();
                    while let Some(mechanism) = mechanisms
                        .next()
                        .map_err(|e| self.protocol(&format!("SASL mechanisms: {e}")))?
                    {
                        offered.push(mechanism.to_owned());
                    }
                    if !offered.iter().any(|m| m == SCRAM_SHA_256) {
                        return Err(ReplicationError::UnsupportedAuth {
                            user: user.to_owned(),
                            addr: self.addr.clone(),
                            method: format!("SASL ({})", offered.join(", ")),
                        });
                    }
                    // No channel binding offered ("n,,"), also over TLS: the server accepts that.
                    let exchange =
                        ScramSha256::new(password()?.as_bytes(), ChannelBinding::unsupported());
                    frontend::sasl_initial_response(
                        SCRAM_SHA_256,
                        exchange.message(),
                        &mut self.wbuf,
                    )
                    .map_err(|e| invalid("SCRAM message", &e))?;
                    scram = Some(exchange);
                }
                Message::AuthenticationSaslContinue(body) => {
                    let exchange = scram
                        .as_mut()
                        .ok_or_else(|| self.protocol("SASL continue before SASL start"))?;
                    exchange
                        .update(body.data())
                        .map_err(|source| scram_failed(user, &self.addr, source))?;
                    frontend::sasl_response(exchange.message(), &mut self.wbuf)
                        .map_err(|e| invalid("SCRAM message", &e))?;
                }
                Message::AuthenticationSaslFinal(body) => {
                    let exchange = scram
                        .as_mut()
                        .ok_or_else(|| self.protocol("SASL final before SASL start"))?;
                    exchange
                        .finish(body.data())
                        .map_err(|source| scram_failed(user, &self.addr, source))?;
                    continue;
                }
                Message::ErrorResponse(body) => {
                    let err = ServerError::from_fields(body.fields());
                    return Err(self.startup_error(user, err));
                }
                Message::NoticeResponse(body) => {
                    self.log_notice(ServerError::from_fields(body.fields()));
                    continue;
                }
                Message::AuthenticationKerberosV5
                | Message::AuthenticationScmCredential
                | Message::AuthenticationGss
                | Message::AuthenticationGssContinue(_)
                | Message::AuthenticationSspi => {
                    return Err(ReplicationError::UnsupportedAuth {
                        user: user.to_owned(),
                        addr: self.addr.clone(),
                        method: "GSS/SSPI/Kerberos".to_owned(),
                    });
                }
                _ => return Err(self.protocol("unexpected message during authentication")),
            }
            self.flush().await?;
        }
    }

    /// After AuthenticationOk: BackendKeyData and ParameterStatus, until ReadyForQuery.
    async fn finish_startup(&mut self, user: &str) -> Result<(), ReplicationError> {
        loop {
            match self.read_message().await? {
                Backend::Message(Message::ReadyForQuery(_)) => return Ok(()),
                Backend::Message(Message::BackendKeyData(body)) => {
                    self.backend_pid = Some(body.process_id())
                }
                Backend::Message(Message::ErrorResponse(body)) => {
                    let err = ServerError::from_fields(body.fields());
                    return Err(self.startup_error(user, err));
                }
                Backend::Message(msg) => {
                    if let Some(msg) = self.absorb(msg) {
                        return Err(
                            self.protocol(&format!("unexpected {} during startup", describe(&msg)))
                        );
                    }
                }
                Backend::CopyData(_) | Backend::CopyBothResponse => {
                    return Err(self.protocol("COPY data during startup"))
                }
            }
        }
    }

    fn startup_error(&self, user: &str, err: ServerError) -> ReplicationError {
        if matches!(err.code(), "28P01" | "28000") {
            ReplicationError::AuthFailed {
                user: user.to_owned(),
                addr: self.addr.clone(),
                source: Box::new(err),
            }
        } else {
            self.server_error("connection startup", err)
        }
    }

    /// Sends `sql` with the simple-query protocol and collects its rows as nullable text.
    /// A server error is returned once the server is ready again, so the connection stays usable.
    pub(crate) async fn simple_query(
        &mut self,
        context: &'static str,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, ReplicationError> {
        frontend::query(sql, &mut self.wbuf).map_err(|e| invalid("query", &e))?;
        self.flush().await?;
        let mut rows = Vec::new();
        let mut failure: Option<ServerError> = None;
        loop {
            let msg = match self.read_message().await {
                Ok(Backend::Message(msg)) => msg,
                Ok(Backend::CopyData(_) | Backend::CopyBothResponse) => {
                    return Err(self.protocol(&format!(
                        "{context} started COPY; use start_logical_replication"
                    )))
                }
                // A FATAL error is followed by the server closing the socket: report the error.
                Err(err) => {
                    return Err(failure.map_or(err, |failure| self.server_error(context, failure)))
                }
            };
            match msg {
                Message::RowDescription(_)
                | Message::CommandComplete(_)
                | Message::EmptyQueryResponse => {}
                Message::DataRow(body) => {
                    if failure.is_none() {
                        rows.push(self.row(&body)?);
                    }
                }
                Message::ErrorResponse(body) => {
                    failure = Some(ServerError::from_fields(body.fields()))
                }
                Message::ReadyForQuery(_) => break,
                msg => {
                    if let Some(msg) = self.absorb(msg) {
                        return Err(self.protocol(&format!(
                            "unexpected {} in reply to {context}",
                            describe(&msg)
                        )));
                    }
                }
            }
        }
        match failure {
            Some(failure) => Err(self.server_error(context, failure)),
            None => Ok(rows),
        }
    }

    fn row(&self, body: &DataRowBody) -> Result<Vec<Option<String>>, ReplicationError> {
        let buf = body.buffer();
        let mut values = Vec::new();
        let mut ranges = body.ranges();
        loop {
            match ranges.next() {
                Ok(Some(Some(range))) => {
                    let bytes = buf
                        .get(range)
                        .ok_or_else(|| self.protocol("DataRow value out of bounds"))?;
                    let text = std::str::from_utf8(bytes)
                        .map_err(|_| self.protocol("DataRow value is not UTF-8"))?;
                    values.push(Some(text.to_owned()));
                }
                Ok(Some(None)) => values.push(None),
                Ok(None) => return Ok(values),
                Err(e) => return Err(self.protocol(&format!("malformed DataRow: {e}"))),
            }
        }
    }

    /// Handles messages that may arrive at any time. Returns the message when it is not one.
    pub(crate) fn absorb(&mut self, msg: Message) -> Option<Message> {
        match msg {
            Message::ParameterStatus(body) => {
                match (body.name(), body.value()) {
                    (Ok(name), Ok(value)) => {
                        self.params.insert(name.to_owned(), value.to_owned());
                    }
                    _ => warn!(addr = %self.addr, "ignoring a ParameterStatus that is not UTF-8"),
                }
                None
            }
            Message::NoticeResponse(body) => {
                self.log_notice(ServerError::from_fields(body.fields()));
                None
            }
            // LISTEN is not used on a replication connection; tolerate it anyway.
            Message::NotificationResponse(_) => None,
            msg => Some(msg),
        }
    }

    fn log_notice(&self, notice: ServerError) {
        info!(addr = %self.addr, severity = notice.severity(), code = notice.code(), message = notice.message(), "notice from PostgreSQL");
    }

    /// Parses the next complete message out of the read buffer, if there is one. No I/O.
    pub(crate) fn try_parse(&mut self) -> Result<Option<Backend>, ReplicationError> {
        let header = match frame::peek_header(&self.rbuf) {
            Ok(Some(header)) => header,
            Ok(None) => return Ok(None),
            Err(e) => return Err(self.protocol(&e.to_string())),
        };
        if self.rbuf.len() < header.total_len {
            return Ok(None);
        }
        match header.tag {
            frame::COPY_DATA_TAG => {
                let mut payload = self.rbuf.split_to(header.total_len).freeze();
                payload.advance(5);
                Ok(Some(Backend::CopyData(payload)))
            }
            frame::COPY_BOTH_RESPONSE_TAG => {
                self.rbuf.advance(header.total_len);
                Ok(Some(Backend::CopyBothResponse))
            }
            _ => match Message::parse(&mut self.rbuf) {
                Ok(Some(msg)) => Ok(Some(Backend::Message(msg))),
                Ok(None) => Ok(None),
                Err(e) => Err(self.protocol(&format!(
                    "malformed message {:?}: {e}",
                    char::from(header.tag)
                ))),
            },
        }
    }

    /// Reads more bytes into the buffer. Cancel-safe: bytes land in the buffer only when a read
    /// completes.
    pub(crate) async fn fill(&mut self) -> Result<(), ReplicationError> {
        let pending = match frame::peek_header(&self.rbuf) {
            Ok(Some(header)) => header.total_len.saturating_sub(self.rbuf.len()),
            _ => 5,
        };
        let free = self.rbuf.capacity() - self.rbuf.len();
        if free < pending.max(MIN_READ) {
            self.rbuf.reserve(pending.max(READ_BUF));
        }
        let n = self
            .reader
            .read_buf(&mut self.rbuf)
            .await
            .map_err(|e| self.io(e))?;
        if n == 0 {
            return Err(ReplicationError::Closed {
                addr: self.addr.clone(),
            });
        }
        self.heard_at = Instant::now();
        Ok(())
    }

    /// When bytes last arrived from the server.
    pub(crate) fn heard_at(&self) -> Instant {
        self.heard_at
    }

    /// The server's address, for errors.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    pub(crate) async fn read_message(&mut self) -> Result<Backend, ReplicationError> {
        loop {
            if let Some(msg) = self.try_parse()? {
                return Ok(msg);
            }
            self.fill().await?;
        }
    }

    /// The buffer frontend messages are encoded into; [`Connection::flush`] sends it.
    pub(crate) fn write_buf(&mut self) -> &mut BytesMut {
        &mut self.wbuf
    }

    /// Writes out everything encoded so far. Cancel-safe in that a cancelled flush leaves the
    /// unwritten rest in the buffer for the next one, so a message is never cut in half.
    pub(crate) async fn flush(&mut self) -> Result<(), ReplicationError> {
        while self.wbuf.has_remaining() {
            let n = self
                .writer
                .write_buf(&mut self.wbuf)
                .await
                .map_err(|e| self.io(e))?;
            if n == 0 {
                return Err(ReplicationError::Closed {
                    addr: self.addr.clone(),
                });
            }
        }
        self.writer.flush().await.map_err(|e| self.io(e))
    }

    /// Sends Terminate and shuts the socket down, ignoring a peer that is already gone.
    pub(crate) async fn terminate(mut self) {
        frontend::terminate(&mut self.wbuf);
        if self.flush().await.is_ok() {
            let _ = self.writer.shutdown().await;
        }
    }

    pub(crate) fn parameter(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub(crate) fn backend_pid(&self) -> Option<i32> {
        self.backend_pid
    }

    pub(crate) fn server_error(
        &self,
        context: &'static str,
        source: ServerError,
    ) -> ReplicationError {
        ReplicationError::Server {
            context,
            addr: self.addr.clone(),
            source: Box::new(source),
        }
    }

    pub(crate) fn protocol(&self, what: &str) -> ReplicationError {
        ReplicationError::Protocol {
            addr: self.addr.clone(),
            what: what.to_owned(),
        }
    }

    fn io(&self, source: io::Error) -> ReplicationError {
        match source.kind() {
            io::ErrorKind::UnexpectedEof => ReplicationError::Closed {
                addr: self.addr.clone(),
            },
            _ => ReplicationError::Io {
                addr: self.addr.clone(),
                source,
            },
        }
    }
}

/// `postgres-protocol` refuses to encode strings with NUL bytes; that is the caller's input.
fn invalid(what: &str, err: &io::Error) -> ReplicationError {
    ReplicationError::InvalidArgument {
        what: what.to_owned(),
        reason: err.to_string(),
    }
}

fn scram_failed(user: &str, addr: &str, source: io::Error) -> ReplicationError {
    ReplicationError::Scram {
        user: user.to_owned(),
        addr: addr.to_owned(),
        source,
    }
}

/// A short name for a backend message in error text.
pub(crate) fn describe(msg: &Message) -> &'static str {
    match msg {
        Message::CommandComplete(_) => "CommandComplete",
        Message::CopyDone => "CopyDone",
        Message::CopyInResponse(_) => "CopyInResponse",
        Message::CopyOutResponse(_) => "CopyOutResponse",
        Message::DataRow(_) => "DataRow",
        Message::EmptyQueryResponse => "EmptyQueryResponse",
        Message::ErrorResponse(_) => "ErrorResponse",
        Message::ReadyForQuery(_) => "ReadyForQuery",
        Message::RowDescription(_) => "RowDescription",
        Message::BackendKeyData(_) => "BackendKeyData",
        Message::ParseComplete
        | Message::BindComplete
        | Message::CloseComplete
        | Message::NoData => "extended-query reply",
        _ => "message",
    }
}
