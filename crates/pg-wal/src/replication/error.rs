//! Replication client errors, classified as transient (reconnect and resume) or fatal.

use std::fmt;
use std::io;
use std::time::Duration;

use cdc_core::{Classify, Retry};
use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::ErrorFields;

/// Why the replication connection failed.
///
/// `Display` says what failed and where; the server's own report (severity, SQLSTATE, message,
/// detail, hint) is the attached [`ServerError`] source, so `ConnectorError::chain` shows both.
#[derive(Debug, thiserror::Error)]
pub enum ReplicationError {
    /// The config cannot work; found before any I/O.
    #[error("invalid replication connection config: {}", .problems.join("; "))]
    InvalidConfig { problems: Vec<String> },
    /// A slot name, option or query the caller passed cannot be sent.
    #[error("invalid {what}: {reason}")]
    InvalidArgument { what: String, reason: String },
    #[error("could not connect to PostgreSQL at {addr}")]
    Connect {
        addr: String,
        #[source]
        source: io::Error,
    },
    /// A TLS file (`database.sslrootcert`, `sslcert`, `sslkey`) cannot be used.
    #[error("cannot set up TLS to PostgreSQL at {addr}")]
    TlsConfig {
        addr: String,
        #[source]
        source: cdc_core::tls::TlsError,
    },
    /// The server has no TLS (`N` to the SSLRequest) and the sslmode requires it.
    #[error(
        "PostgreSQL at {addr} does not accept TLS connections, and database.sslmode requires TLS"
    )]
    TlsRefused { addr: String },
    /// The TLS handshake failed: an untrusted certificate, a certificate for another host name.
    #[error("TLS handshake with PostgreSQL at {addr} failed")]
    TlsHandshake {
        addr: String,
        #[source]
        source: io::Error,
    },
    #[error("timed out after {timeout:?} connecting to PostgreSQL at {addr}")]
    ConnectTimeout { addr: String, timeout: Duration },
    /// The server rejected the credentials (SQLSTATE 28P01 or 28000).
    #[error("authentication failed for user {user:?} on PostgreSQL at {addr}")]
    AuthFailed {
        user: String,
        addr: String,
        #[source]
        source: Box<ServerError>,
    },
    #[error("PostgreSQL at {addr} asks for a password for user {user:?}, but none is configured")]
    PasswordRequired { user: String, addr: String },
    #[error("PostgreSQL at {addr} asks user {user:?} for unsupported authentication {method}")]
    UnsupportedAuth {
        user: String,
        addr: String,
        method: String,
    },
    /// The SCRAM exchange broke down, e.g. the server's proof did not verify.
    #[error("SCRAM-SHA-256 authentication of user {user:?} with PostgreSQL at {addr} failed")]
    Scram {
        user: String,
        addr: String,
        #[source]
        source: io::Error,
    },
    /// The server answered a command (or the stream) with an ErrorResponse.
    #[error("{context} failed on PostgreSQL at {addr}")]
    Server {
        context: &'static str,
        addr: String,
        #[source]
        source: Box<ServerError>,
    },
    #[error("I/O error on the replication connection to {addr}")]
    Io {
        addr: String,
        #[source]
        source: io::Error,
    },
    #[error("PostgreSQL at {addr} closed the replication connection")]
    Closed { addr: String },
    /// Nothing arrived for `silent`, not even the answer to a status update that asked for one
    /// (`tributary.replication.timeout.ms`): a frozen server or a dead network path.
    #[error("no message from PostgreSQL at {addr} for {}s, not even an answer to a keepalive request (tributary.replication.timeout.ms); the replication connection is considered dead", .silent.as_secs())]
    Timeout { addr: String, silent: Duration },
    /// The server sent something this client does not understand.
    #[error("unexpected message from PostgreSQL at {addr}: {what}")]
    Protocol { addr: String, what: String },
}

impl ReplicationError {
    /// The SQLSTATE of the server error behind this one, if any (`42704` for a missing slot).
    pub fn sqlstate(&self) -> Option<&str> {
        self.server_error().map(ServerError::code)
    }

    /// The server's own report, when the server reported the failure.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Self::AuthFailed { source, .. } | Self::Server { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

impl Classify for ReplicationError {
    fn retry(&self) -> Retry {
        match self {
            Self::Connect { .. }
            | Self::ConnectTimeout { .. }
            | Self::Io { .. }
            | Self::Closed { .. }
            | Self::Timeout { .. } => Retry::Transient,
            Self::Server { source, .. } => retry_for_sqlstate(source.code()),
            // rustls reports a refused certificate as InvalidData: a person must fix it.
            Self::TlsHandshake { source, .. } if source.kind() != io::ErrorKind::InvalidData => {
                Retry::Transient
            }
            // A server that speaks a protocol we do not understand will not start to on reconnect.
            Self::InvalidConfig { .. }
            | Self::InvalidArgument { .. }
            | Self::AuthFailed { .. }
            | Self::PasswordRequired { .. }
            | Self::UnsupportedAuth { .. }
            | Self::Scram { .. }
            | Self::TlsConfig { .. }
            | Self::TlsRefused { .. }
            | Self::TlsHandshake { .. }
            | Self::Protocol { .. } => Retry::Fatal,
        }
    }
}

/// How a server error should be handled, by SQLSTATE.
///
/// Transient: connection exceptions (class 08), insufficient resources (53: too many connections,
/// out of memory, disk full), transaction rollbacks (40), server shutdown or startup
/// (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 57P05 idle session
/// timeout), query canceled (57014) and system I/O errors (58000, 58030). Everything else is
/// fatal, notably 28P01/28000 (authentication), 42704 (slot missing), 55006 (slot in use),
/// 55000 (not in prerequisite state), 42501 (privilege) and 3D000 (database missing).
pub fn retry_for_sqlstate(code: &str) -> Retry {
    match code {
        "57P01" | "57P02" | "57P03" | "57P05" | "57014" | "58000" | "58030" => Retry::Transient,
        c if c.starts_with("08") || c.starts_with("53") || c.starts_with("40") => Retry::Transient,
        _ => Retry::Fatal,
    }
}

/// An ErrorResponse (or NoticeResponse) from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    severity: String,
    code: String,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
}

impl ServerError {
    /// Reads the fields of an ErrorResponse or NoticeResponse. Never fails: a malformed body
    /// yields whatever fields were read before the damage.
    pub(crate) fn from_fields(mut fields: ErrorFields<'_>) -> ServerError {
        let mut err = ServerError {
            severity: String::new(),
            code: String::new(),
            message: String::new(),
            detail: None,
            hint: None,
        };
        let mut localized_severity = None;
        while let Ok(Some(field)) = fields.next() {
            let value = String::from_utf8_lossy(field.value_bytes()).into_owned();
            match field.type_() {
                // `V` is the untranslated severity (9.6+); `S` may be localized.
                b'V' => err.severity = value,
                b'S' => localized_severity = Some(value),
                b'C' => err.code = value,
                b'M' => err.message = value,
                b'D' => err.detail = Some(value),
                b'H' => err.hint = Some(value),
                _ => {}
            }
        }
        if err.severity.is_empty() {
            err.severity = localized_severity.unwrap_or_else(|| "ERROR".to_owned());
        }
        err
    }

    /// `ERROR`, `FATAL`, `PANIC`, `WARNING`, `NOTICE`...
    pub fn severity(&self) -> &str {
        &self.severity
    }

    /// The SQLSTATE, e.g. `42704`.
    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity, self.code, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, " (detail: {detail})")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServerError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_and_connection_states_are_transient_the_rest_fatal() {
        for code in [
            "57P01", "57P02", "57P03", "08006", "08P01", "53300", "40001",
        ] {
            assert_eq!(retry_for_sqlstate(code), Retry::Transient, "{code}");
        }
        for code in [
            "28P01", "28000", "42704", "55006", "55000", "42501", "3D000", "XX000", "",
        ] {
            assert_eq!(retry_for_sqlstate(code), Retry::Fatal, "{code}");
        }
    }

    #[test]
    fn server_error_displays_severity_code_message_and_detail() {
        let err = ServerError {
            severity: "ERROR".into(),
            code: "55006".into(),
            message: "replication slot \"s\" is active for PID 42".into(),
            detail: Some("some detail".into()),
            hint: None,
        };
        assert_eq!(
            err.to_string(),
            "ERROR 55006: replication slot \"s\" is active for PID 42 (detail: some detail)"
        );
        let wrapped = ReplicationError::Server {
            context: "START_REPLICATION",
            addr: "127.0.0.1:5432".into(),
            source: Box::new(err),
        };
        assert_eq!(wrapped.sqlstate(), Some("55006"));
        assert_eq!(wrapped.retry(), Retry::Fatal);
        assert_eq!(
            wrapped.to_string(),
            "START_REPLICATION failed on PostgreSQL at 127.0.0.1:5432"
        );
    }
}
