//! Writing row changes into MySQL and MariaDB with `mysql_async` (the driver the MySQL source
//! already uses).
//!
//! Values are bound as binary-protocol parameters ([`super::my_value`]) in multi-row statements
//! ([`super::statement`] with `?` placeholders). MySQL commits implicitly before any DDL, so
//! tables and columns a batch needs are created before its transaction starts
//! ([`MyWriter::prepare`]), and a truncate is a `DELETE FROM` (`TRUNCATE TABLE` is DDL there): the
//! rows, the deletes and the exactly-once bookkeeping of a batch commit together or not at all.

use std::collections::{HashMap, HashSet};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Params, SslOpts, Transaction, TxOpts};

use super::config::{InsertMode, JdbcSinkConfig};
use super::ddl::{column_defs, Def};
use super::dialect::{Dialect, Ident, TableName};
use super::my_value::my_value;
use super::pg_writer::WriteError;
use super::record::{Column, Row, RowChange, RowOp};
use super::statement::{self, ColumnDef, Param};
use super::url::{JdbcUrl, TlsMode};

/// `VERIFY_CA`: mysql_async 0.37 cannot verify a chain without the host name (it does not
/// recognise rustls 0.23's name-mismatch error), so a probe handshake verifies the chain and
/// reads a DNS name from the certificate for the connection to verify (as the MySQL connector).
async fn verify_ca_name(url: &JdbcUrl) -> std::io::Result<Option<String>> {
    use cdc_core::tls::{ClientTls, Roots, Verify};
    if url.tls != TlsMode::VerifyCa {
        return Ok(None);
    }
    let probe = ClientTls {
        verify: Verify::Chain,
        roots: match &url.tls_root_cert {
            Some(path) => Roots::Pem {
                property: "connection.url serverSslCert".into(),
                path: path.into(),
            },
            None => Roots::BuiltIn,
        },
        identity: None,
    };
    cdc_core::tls::mysql_certificate_name(&url.host, url.port, &probe).await
}

/// mysql_async's TLS options for the URL's mode: `REQUIRED` (MariaDB `trust`) and `PREFERRED`
/// accept any certificate, `VERIFY_CA` checks the chain, `VERIFY_IDENTITY` (`verify-full`) the
/// chain and the host name; `serverSslCert` replaces the built-in roots with a PEM file.
fn ssl_opts(url: &JdbcUrl) -> Option<SslOpts> {
    let mut opts = SslOpts::default();
    if let Some(path) = &url.tls_root_cert {
        opts = opts
            .with_root_certs(vec![std::path::PathBuf::from(path).into()])
            .with_disable_built_in_roots(true);
    }
    match url.tls {
        TlsMode::Disable => None,
        TlsMode::VerifyFull => Some(opts),
        TlsMode::VerifyCa => Some(opts.with_danger_skip_domain_validation(true)),
        TlsMode::Allow | TlsMode::Prefer | TlsMode::Require => {
            Some(opts.with_danger_accept_invalid_certs(true))
        }
    }
}

/// Classifies a MySQL or MariaDB error: connection loss, deadlocks, lock timeouts and a server
/// shutting down are transient; data the column cannot hold and constraint violations refuse
/// the row; the rest is fatal. Server messages name the column or key, not the row's values.
pub fn classify(e: &mysql_async::Error) -> WriteError {
    match e {
        mysql_async::Error::Server(s) => {
            let message = format!(
                "{} (MySQL error {}, SQLSTATE {})",
                s.message, s.code, s.state
            );
            match s.code {
                // Deadlock, lock wait timeout, too many connections, shutdown in progress,
                // connection killed, read-only while failing over, query interrupted, and a
                // column another task added first (the retry looks the table up again).
                1213 | 1205 | 1040 | 1053 | 1927 | 1290 | 1317 | 3024 | 1060 => {
                    WriteError::Transient(message)
                }
                // Null in a NOT NULL column, duplicate key, out of range, truncated, bad
                // date/number/string value, too long, foreign keys, bad JSON, check constraints,
                // bad geometry, bad character.
                1048 | 1062 | 1264 | 1265 | 1292 | 1366 | 1367 | 1406 | 1451 | 1452 | 3140
                | 3819 | 4025 | 1416 | 1300 | 1690 | 1138 => WriteError::Refused(message),
                _ if s.state.starts_with("08") || s.state.starts_with("40") => {
                    WriteError::Transient(message)
                }
                _ if s.state.starts_with("22") || s.state.starts_with("23") => {
                    WriteError::Refused(message)
                }
                _ => WriteError::Fatal(message),
            }
        }
        // I/O, the driver's own errors (a connection closed under it), pool: try again.
        other => WriteError::Transient(other.to_string()),
    }
}

/// The MySQL or MariaDB side of a JDBC sink task: the connection and the columns of the tables
/// written so far.
pub struct MyWriter {
    pub conn: Option<Conn>,
    tables: HashMap<TableName, HashSet<String>>,
    dialect: Dialect,
}

/// Connects to the MySQL or MariaDB server `url` names (`user` and `password` win over the
/// URL's), with TLS per the URL's `sslMode`/`useSSL` (mysql_async's
/// rustls; `serverSslCert` a PEM CA file). `PREFERRED` tries TLS, then plaintext when the
/// server has none.
pub async fn connect_conn(
    url: &JdbcUrl,
    user: Option<&str>,
    password: Option<&cdc_core::Secret>,
) -> Result<Conn, WriteError> {
    let ssl = match verify_ca_name(url).await {
        // VERIFY_CA: verify the chain and the name the verified certificate carries.
        Ok(Some(name)) => ssl_opts(url).map(|o| {
            o.with_danger_skip_domain_validation(false)
                .with_danger_tls_hostname_override(Some(name))
        }),
        Ok(None) => ssl_opts(url),
        Err(e) => {
            return Err(match e.kind() {
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::Unsupported => {
                    WriteError::Fatal(format!("cannot connect to {} over TLS: {e}", url.dialect))
                }
                _ => WriteError::Transient(format!("cannot connect to {}: {e}", url.dialect)),
            });
        }
    };
    match connect_with(url, user, password, ssl.clone()).await {
        Err((WriteError::Transient(_), true)) if url.tls == TlsMode::Prefer => {
            connect_with(url, user, password, None)
                .await
                .map_err(|(e, _)| e)
        }
        other => other.map_err(|(e, _)| e),
    }
}

/// The error, and whether it says the server has no TLS.
async fn connect_with(
    url: &JdbcUrl,
    user: Option<&str>,
    password: Option<&cdc_core::Secret>,
    ssl: Option<SslOpts>,
) -> Result<Conn, (WriteError, bool)> {
    let opts = OptsBuilder::default()
        .ssl_opts(ssl)
        .ip_or_hostname(url.host.clone())
        .tcp_port(url.port)
        .db_name(url.database.clone())
        .user(user.map(str::to_owned).or_else(|| url.user.clone()))
        .pass(
            password
                .or(url.password.as_ref())
                .map(|p| p.expose().to_owned()),
        )
        .prefer_socket(false);
    let conn = Conn::new(opts).await.map_err(|e| match &e {
        // Access denied, unknown database: a person must fix it.
        mysql_async::Error::Server(s) if matches!(s.code, 1044 | 1045 | 1049) => (
            WriteError::Fatal(format!("cannot connect to {}: {}", url.dialect, s.message)),
            false,
        ),
        mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer) => (
            WriteError::Transient(format!("cannot connect to {}: {e}", url.dialect)),
            true,
        ),
        // A refused certificate (rustls: InvalidData) or an unusable CA file.
        mysql_async::Error::Io(mysql_async::IoError::Tls(_)) => (
            WriteError::Fatal(format!("cannot connect to {} over TLS: {e}", url.dialect)),
            false,
        ),
        mysql_async::Error::Io(mysql_async::IoError::Io(io))
            if io.kind() == std::io::ErrorKind::InvalidData =>
        {
            (
                WriteError::Fatal(format!("cannot connect to {} over TLS: {e}", url.dialect)),
                false,
            )
        }
        _ => (
            WriteError::Transient(format!("cannot connect to {}: {e}", url.dialect)),
            false,
        ),
    })?;
    Ok(conn)
}

impl MyWriter {
    /// Connects as the config says ([`connect_conn`]).
    pub async fn connect(config: &JdbcSinkConfig) -> Result<MyWriter, WriteError> {
        let conn = connect_conn(
            &config.url,
            config.user.as_deref(),
            config.password.as_ref(),
        )
        .await?;
        Ok(MyWriter {
            conn: Some(conn),
            tables: HashMap::new(),
            dialect: config.url.dialect,
        })
    }

    /// Forgets what the catalog said (after a failure).
    pub fn forget(&mut self) {
        self.tables.clear();
    }

    fn conn(&mut self) -> Result<&mut Conn, WriteError> {
        self.conn
            .as_mut()
            .ok_or_else(|| WriteError::Transient("the connection was lost".into()))
    }

    /// Runs `sql` outside a transaction (DDL, the bookkeeping table's creation).
    pub async fn execute(&mut self, sql: &str) -> Result<(), WriteError> {
        self.conn()?.query_drop(sql).await.map_err(|e| classify(&e))
    }

    /// Makes sure every table the changes write exists with every column they carry, creating
    /// or adding them when the config allows. Runs before the batch's transaction: DDL commits.
    pub async fn prepare(
        &mut self,
        config: &JdbcSinkConfig,
        changes: &[(usize, RowChange)],
    ) -> Result<(), WriteError> {
        for (_, change) in changes {
            if let RowOp::Write(row) | RowOp::Delete(row) = &change.op {
                self.ensure(config, &change.table, row).await?;
            }
        }
        Ok(())
    }

    async fn ensure(
        &mut self,
        config: &JdbcSinkConfig,
        table: &TableName,
        row: &Row,
    ) -> Result<(), WriteError> {
        let known = self.tables.get(table);
        let missing_any = known.is_none_or(|cols| {
            row.key
                .iter()
                .chain(&row.values)
                .any(|c| !cols.contains(c.name.as_str()))
        });
        if !missing_any {
            return Ok(());
        }
        let d = self.dialect;
        let mut columns = self.describe(table).await?;
        if columns.is_none() {
            if !config.auto_create {
                return Err(WriteError::Fatal(format!(
                    "table {table} does not exist; create it, or let the sink create tables (schema.evolution=basic, or auto.create=true)"
                )));
            }
            let key_cols: Vec<&Column> = row.key.iter().collect();
            let value_cols: Vec<&Column> = row.values.iter().collect();
            let mut defs = column_defs(config, d, &key_cols, true)?;
            defs.extend(column_defs(config, d, &value_cols, false)?);
            let cols: Vec<ColumnDef<'_>> = defs.iter().map(Def::as_column_def).collect();
            let key: Vec<&Ident> = row.key.iter().map(|c| &c.name).collect();
            let sql = statement::create_table(d, table, &cols, &key)
                .map_err(|e| WriteError::Fatal(e.to_string()))?;
            tracing::info!(%table, "creating the target table");
            self.execute(&sql).await?;
            columns = self.describe(table).await?;
        }
        let mut columns = columns.unwrap_or_default();
        let missing: Vec<&Column> = row
            .key
            .iter()
            .chain(&row.values)
            .filter(|c| !columns.contains(c.name.as_str()))
            .collect();
        if !missing.is_empty() {
            if !config.auto_evolve {
                return Err(WriteError::Fatal(format!(
                    "table {table} has no column {:?}; add it, or let the sink add columns (schema.evolution=basic, or auto.evolve=true)",
                    missing[0].name.as_str()
                )));
            }
            let defs = column_defs(config, d, &missing, false)?;
            let cols: Vec<ColumnDef<'_>> = defs.iter().map(Def::as_column_def).collect();
            let sql = statement::add_columns(d, table, &cols)
                .map_err(|e| WriteError::Fatal(e.to_string()))?;
            self.execute(&sql).await?;
            columns = self.describe(table).await?.unwrap_or_default();
        }
        self.tables.insert(table.clone(), columns);
        Ok(())
    }

    /// The table's column names, or `None` when it does not exist. An unqualified table is
    /// looked up in the connection's database.
    async fn describe(&mut self, table: &TableName) -> Result<Option<HashSet<String>>, WriteError> {
        let database = table
            .database
            .as_ref()
            .or(table.schema.as_ref())
            .map(|d| d.as_str().to_owned());
        let names: Vec<String> = self
            .conn()?
            .exec(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
                (database, table.name.as_str()),
            )
            .await
            .map_err(|e| classify(&e))?;
        Ok((!names.is_empty()).then(|| names.into_iter().collect()))
    }

    /// The bookkeeping table's rows of `connector` (`load` is [`super::offsets_table`]'s query).
    pub async fn load(
        &mut self,
        load: &str,
        connector: &str,
    ) -> Result<Vec<(String, i32, i64)>, WriteError> {
        self.conn()?
            .exec(load, (connector,))
            .await
            .map_err(|e| classify(&e))
    }

    /// Starts the batch's transaction.
    pub async fn begin(&mut self) -> Result<Transaction<'_>, WriteError> {
        self.conn()?
            .start_transaction(TxOpts::default())
            .await
            .map_err(|e| classify(&e))
    }
}

/// The parameters of `columns`, or the row's refusal.
fn bound<'c>(
    columns: impl Iterator<Item = &'c Column>,
) -> Result<Vec<mysql_async::Value>, WriteError> {
    columns
        .map(|c| {
            my_value(&c.value)
                .map_err(|why| WriteError::Refused(format!("column {:?}: {why}", c.name.as_str())))
        })
        .collect()
}

async fn exec(
    tx: &mut Transaction<'_>,
    sql: &str,
    params: Vec<mysql_async::Value>,
) -> Result<(), WriteError> {
    let done = if params.is_empty() {
        // Savepoints and the like: not every statement can be prepared.
        tx.query_drop(sql).await
    } else {
        tx.exec_drop(sql, Params::Positional(params)).await
    };
    done.map_err(|e| classify(&e))
}

/// Writes one run (changes of one kind to one table with the same columns) in `tx`.
pub async fn write_run(
    tx: &mut Transaction<'_>,
    config: &JdbcSinkConfig,
    run: &[(usize, RowChange)],
) -> Result<(), WriteError> {
    let Some((_, first)) = run.first() else {
        return Ok(());
    };
    let d = config.url.dialect;
    let table = &first.table;
    let first_row = match &first.op {
        RowOp::Write(r) | RowOp::Delete(r) => r,
        RowOp::Truncate => {
            // TRUNCATE TABLE commits implicitly on MySQL; a DELETE stays in the transaction.
            let mut sql = String::from("DELETE FROM ");
            d.write_table(&mut sql, table);
            return exec(tx, &sql, Vec::new()).await;
        }
    };
    let key: Vec<Param<'_>> = first_row.key.iter().map(|c| Param::new(&c.name)).collect();
    let values: Vec<Param<'_>> = first_row
        .values
        .iter()
        .map(|c| Param::new(&c.name))
        .collect();
    let rows: Vec<&Row> = run
        .iter()
        .filter_map(|(_, c)| match &c.op {
            RowOp::Write(r) | RowOp::Delete(r) => Some(r),
            RowOp::Truncate => None,
        })
        .collect();
    let fatal = |e: statement::StatementError| WriteError::Fatal(format!("table {table}: {e}"));
    match (&first.op, config.insert_mode) {
        (RowOp::Delete(_), _) => {
            for chunk in rows.chunks(statement::max_rows(d, key.len()).max(1)) {
                let sql = statement::delete(d, table, &key, chunk.len()).map_err(fatal)?;
                exec(tx, &sql, bound(chunk.iter().flat_map(|r| &r.key))?).await?;
            }
        }
        (RowOp::Write(_), InsertMode::Update) => {
            let sql = statement::update(d, table, &values, &key).map_err(fatal)?;
            for r in rows {
                exec(tx, &sql, bound(r.values.iter().chain(&r.key))?).await?;
            }
        }
        (RowOp::Write(_), mode) => {
            let all: Vec<Param<'_>> = key.iter().chain(&values).copied().collect();
            for chunk in rows.chunks(statement::max_rows(d, all.len()).max(1)) {
                let sql = match mode {
                    InsertMode::Upsert => statement::upsert(d, table, &key, &values, chunk.len()),
                    _ => statement::insert(d, table, &all, chunk.len()),
                }
                .map_err(fatal)?;
                exec(
                    tx,
                    &sql,
                    bound(chunk.iter().flat_map(|r| r.key.iter().chain(&r.values)))?,
                )
                .await?;
            }
        }
        (RowOp::Truncate, _) => {}
    }
    Ok(())
}

/// Runs `sql` with `params` in `tx` (savepoints, the bookkeeping upsert).
pub async fn run(
    tx: &mut Transaction<'_>,
    sql: &str,
    params: Vec<mysql_async::Value>,
) -> Result<(), WriteError> {
    exec(tx, sql, params).await
}
