//! Connections and server checks: the binlog settings, the server's identity, its binlog files.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row};

use crate::config::MySqlConfig;
use crate::error::privilege::REPLICATION_CLIENT;
use crate::error::MySqlSourceError;

/// Opens a connection with the session settings every connection of the connector uses
/// (UTC, so TIMESTAMP values read in snapshots are UTC), over TLS per `database.ssl.mode`:
/// `preferred` tries TLS and reconnects in plaintext when the server has none.
pub async fn connect(cfg: &MySqlConfig) -> Result<Conn, MySqlSourceError> {
    let timeout = cfg.connect_timeout;
    let ssl = match tokio::time::timeout(
        timeout,
        crate::tls::connect_opts(&cfg.tls, &cfg.hostname, cfg.port),
    )
    .await
    {
        Ok(Ok(ssl)) => ssl,
        Ok(Err(e)) => {
            return Err(MySqlSourceError::Connect {
                host: cfg.hostname.clone(),
                port: cfg.port,
                source: mysql_async::Error::Io(mysql_async::IoError::Io(e)),
            })
        }
        // The connection below reports the timeout.
        Err(_) => cfg.tls.ssl_opts(),
    };
    match connect_with(cfg, ssl).await {
        Err(MySqlSourceError::Connect { source, .. }) if cfg.tls.falls_back(&source) => {
            tracing::debug!(host = %cfg.hostname, port = cfg.port, "the server has no TLS; connecting in plaintext (database.ssl.mode=preferred)");
            connect_with(cfg, None).await
        }
        other => other,
    }
}

async fn connect_with(
    cfg: &MySqlConfig,
    ssl: Option<mysql_async::SslOpts>,
) -> Result<Conn, MySqlSourceError> {
    let opts = OptsBuilder::default()
        .ssl_opts(ssl)
        .ip_or_hostname(cfg.hostname.clone())
        .tcp_port(cfg.port)
        .user(Some(cfg.user.clone()))
        .pass(cfg.password.as_ref().map(|p| p.expose().to_owned()))
        .prefer_socket(false)
        .wait_timeout(Some(28_800))
        .init(vec!["SET SESSION time_zone = '+00:00'"]);
    let fut = Conn::new(opts);
    let conn = match tokio::time::timeout(cfg.connect_timeout, fut).await {
        Ok(r) => r.map_err(|source| MySqlSourceError::Connect {
            host: cfg.hostname.clone(),
            port: cfg.port,
            source,
        })?,
        Err(_) => {
            return Err(MySqlSourceError::Connect {
                host: cfg.hostname.clone(),
                port: cfg.port,
                source: mysql_async::Error::Io(mysql_async::IoError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "no connection within {:?} (connect.timeout.ms)",
                        cfg.connect_timeout
                    ),
                ))),
            })
        }
    };
    Ok(conn)
}

/// What the connector needs to know about the server.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    pub mariadb: bool,
    pub version: String,
    /// `@@server_uid` (MariaDB) or `@@server_uuid` (MySQL).
    pub uid: String,
    pub server_id: u32,
    /// Default character sets, for tables created without one.
    pub charsets: DefaultCharsets,
}

/// The character set a table created without one gets: its database's default, else the
/// server's (`character_set_server`), as read when the connector starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefaultCharsets {
    pub server: Option<String>,
    /// Database name → its `DEFAULT_CHARACTER_SET_NAME`.
    pub databases: std::collections::HashMap<String, String>,
}

impl DefaultCharsets {
    /// The default character set of tables created in `db`.
    pub fn for_database(&self, db: &str) -> Option<&str> {
        self.databases
            .get(db)
            .or(self.server.as_ref())
            .map(String::as_str)
    }
}

async fn variable(conn: &mut Conn, name: &str) -> Result<Option<String>, MySqlSourceError> {
    let row: Option<Row> = conn
        .query_first(format!("SHOW GLOBAL VARIABLES LIKE '{name}'"))
        .await
        .map_err(|e| MySqlSourceError::query(format!("reading the server variable {name}"), e))?;
    Ok(row.and_then(|r| text(&r, 1)))
}

/// A column of a row as text.
pub fn text(row: &Row, i: usize) -> Option<String> {
    match row.as_ref(i)? {
        mysql_async::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        mysql_async::Value::NULL => None,
        mysql_async::Value::Int(n) => Some(n.to_string()),
        mysql_async::Value::UInt(n) => Some(n.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// Reads the server's identity and checks the binlog settings change capture needs.
pub async fn check_server(conn: &mut Conn) -> Result<ServerInfo, MySqlSourceError> {
    let version = variable(conn, "version").await?.unwrap_or_default();
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let log_bin = variable(conn, "log_bin").await?.unwrap_or_default();
    let format = variable(conn, "binlog_format").await?.unwrap_or_default();
    let image = variable(conn, "binlog_row_image")
        .await?
        .unwrap_or_else(|| "FULL".into());
    let mut problems = Vec::new();
    if !log_bin.eq_ignore_ascii_case("ON") && log_bin != "1" {
        problems.push(format!("log_bin is {log_bin:?}, not ON"));
    }
    if !format.eq_ignore_ascii_case("ROW") {
        problems.push(format!("binlog_format is {format:?}, not ROW"));
    }
    if !image.eq_ignore_ascii_case("FULL") {
        problems.push(format!("binlog_row_image is {image:?}, not FULL"));
    }
    if !problems.is_empty() {
        return Err(MySqlSourceError::ServerSetup(problems.join(", ")));
    }
    let uid = if mariadb {
        variable(conn, "server_uid").await?
    } else {
        variable(conn, "server_uuid").await?
    }
    .unwrap_or_default();
    let server_id = variable(conn, "server_id")
        .await?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let server_charset = variable(conn, "character_set_server").await?;
    let databases: Vec<(String, String)> = conn
        .query("SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA")
        .await
        .map_err(|e| MySqlSourceError::query("reading the databases' default character sets", e))?;
    Ok(ServerInfo {
        mariadb,
        version,
        uid,
        server_id,
        charsets: DefaultCharsets {
            server: server_charset.map(|s| s.to_ascii_lowercase()),
            databases: databases
                .into_iter()
                .map(|(db, cs)| (db, cs.to_ascii_lowercase()))
                .collect(),
        },
    })
}

/// The binlog files the server still has, oldest first, with their sizes.
pub async fn binlog_files(conn: &mut Conn) -> Result<Vec<(String, u64)>, MySqlSourceError> {
    let rows: Vec<Row> = conn.query("SHOW BINARY LOGS").await.map_err(|e| {
        let user = conn.opts().user();
        MySqlSourceError::needing(REPLICATION_CLIENT, user, "SHOW BINARY LOGS", e)
    })?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                text(r, 0)?,
                text(r, 1).and_then(|s| s.parse().ok()).unwrap_or(0),
            ))
        })
        .collect())
}

/// The current binlog position (`SHOW MASTER STATUS`) and GTID position.
pub async fn master_position(
    conn: &mut Conn,
    mariadb: bool,
) -> Result<(String, u64, Option<String>), MySqlSourceError> {
    let row: Option<Row> = conn.query_first("SHOW MASTER STATUS").await.map_err(|e| {
        let user = conn.opts().user();
        MySqlSourceError::needing(REPLICATION_CLIENT, user, "SHOW MASTER STATUS", e)
    })?;
    let row = row.ok_or_else(|| {
        MySqlSourceError::ServerSetup("SHOW MASTER STATUS is empty: the binlog is off".into())
    })?;
    let file = text(&row, 0).unwrap_or_default();
    let pos = text(&row, 1).and_then(|s| s.parse().ok()).unwrap_or(4);
    let gtids = if mariadb {
        let g: Option<String> = conn
            .query_first("SELECT @@GLOBAL.gtid_binlog_pos")
            .await
            .map_err(|e| MySqlSourceError::query("reading gtid_binlog_pos", e))?;
        g
    } else {
        text(&row, 4)
    };
    Ok((file, pos, gtids.filter(|g| !g.trim().is_empty())))
}
