//! The replication-protocol client: startup, authentication, replication commands, CopyBoth
//! streaming.
//!
//! `tokio-postgres` cannot stream replication (CopyBoth), so this is a small client of our own
//! over `postgres-protocol`'s message codecs:
//!
//! ```no_run
//! # async fn demo(cfg: pg_wal::replication::ReplicationConfig) -> Result<(), pg_wal::replication::ReplicationError> {
//! use pg_wal::replication::{ReplicationClient, ReplicationMessage};
//! let mut client = ReplicationClient::connect(&cfg).await?;
//! let slot = client.create_logical_slot("tributary", true).await?;
//! // ... snapshot on another connection with SET TRANSACTION SNAPSHOT slot.snapshot_name ...
//! let options = [("proto_version", "1"), ("publication_names", "\"tributary\"")];
//! let mut stream = client.start_logical_replication("tributary", slot.consistent_point, &options).await?;
//! while let Some(msg) = stream.next().await? {
//!     if let ReplicationMessage::PrimaryKeepalive { reply_requested: true, .. } = msg {
//!         let durable = slot.consistent_point; // only what is durable downstream
//!         stream.send_status(durable, durable, durable, false).await?;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Files: see `CONTEXT.md` next to this one.

mod client;
mod command;
mod conn;
mod copy_out;
mod error;
pub mod frame;
mod liveness;
mod stream;
mod transport;

use std::fmt;
use std::time::Duration;

use crate::lsn::Lsn;

pub use client::ReplicationClient;
pub use command::{quote_ident, quote_literal};
pub use copy_out::{CopyClient, CopyOut};
pub use error::{retry_for_sqlstate, ReplicationError, ServerError};
pub use frame::ReplicationMessage;
pub use liveness::{Liveness, Verdict};
pub use stream::ReplicationStream;

/// Where and as whom to open the replication connection, and whether over TLS.
#[derive(Clone)]
pub struct ReplicationConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub application_name: String,
    /// Bounds the TCP connect, authentication and startup together.
    pub connect_timeout: Duration,
    /// `sslmode` and its files: TLS after an SSLRequest, as libpq negotiates it.
    pub tls: crate::config::PgTls,
}

impl ReplicationConfig {
    /// Every problem with the config, found without I/O.
    pub fn validate(&self) -> Result<(), ReplicationError> {
        let mut problems = Vec::new();
        let mut require = |name: &str, value: &str| {
            if value.is_empty() {
                problems.push(format!("{name} is empty"));
            } else if value.contains('\0') {
                problems.push(format!("{name} contains a NUL byte"));
            }
        };
        require("host", &self.host);
        require("user", &self.user);
        require("dbname", &self.dbname);
        if self.application_name.contains('\0') {
            problems.push("application_name contains a NUL byte".to_owned());
        }
        if self.password.as_deref().is_some_and(|p| p.contains('\0')) {
            problems.push("password contains a NUL byte".to_owned());
        }
        if self.port == 0 {
            problems.push("port is 0".to_owned());
        }
        if self.connect_timeout.is_zero() {
            problems.push("connect_timeout is 0".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ReplicationError::InvalidConfig { problems })
        }
    }

    /// `host:port`, as error messages name the server.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl fmt::Debug for ReplicationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplicationConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field(
                "password",
                &self.password.as_ref().map(|_| cdc_core::config::HIDDEN),
            )
            .field("dbname", &self.dbname)
            .field("application_name", &self.application_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("tls", &self.tls)
            .finish()
    }
}

/// The result of IDENTIFY_SYSTEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// The cluster's unique system identifier (`pg_control_system().system_identifier`).
    pub system_id: String,
    pub timeline: u32,
    /// The current WAL flush position.
    pub xlog_pos: Lsn,
    /// The database connected to, `None` on a physical replication connection.
    pub dbname: Option<String>,
}

/// The result of CREATE_REPLICATION_SLOT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotCreated {
    pub slot_name: String,
    /// The slot streams changes committed after this position.
    pub consistent_point: Lsn,
    /// The exported snapshot, for `SET TRANSACTION SNAPSHOT`, when one was requested.
    pub snapshot_name: Option<String>,
    pub output_plugin: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ReplicationConfig {
        ReplicationConfig {
            host: "127.0.0.1".into(),
            port: 5432,
            user: "u".into(),
            password: Some("secret".into()),
            dbname: "db".into(),
            application_name: "tributary".into(),
            connect_timeout: Duration::from_secs(5),
            tls: crate::config::PgTls::DISABLED,
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", config());
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("[hidden]"), "{shown}");
    }

    #[test]
    fn validate_reports_every_problem_at_once() {
        assert!(config().validate().is_ok());
        let cfg = ReplicationConfig {
            host: String::new(),
            port: 0,
            dbname: "d\0b".into(),
            ..config()
        };
        let err = cfg.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid replication connection config: host is empty; dbname contains a NUL byte; port is 0"
        );
    }
}
