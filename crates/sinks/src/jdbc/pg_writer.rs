//! Writing row changes into PostgreSQL with `tokio-postgres`.
//!
//! Every value is bound as `text` ([`super::pg_text`]) and every statement casts each parameter
//! to its column's type as the catalog names it (`format_type`), so PostgreSQL's own input
//! functions parse the values. Tables are looked up in the catalog once and cached; missing
//! tables and columns are created when the config allows (`schema.evolution=basic`,
//! `auto.create`/`auto.evolve`), else the record's write fails naming what is missing.

use std::collections::HashMap;

use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, Transaction};

use super::config::JdbcSinkConfig;
use super::ddl::{column_defs, Def};
use super::dialect::{Dialect, Ident, TableName};
use super::pg_array::TextArray;
use super::record::{Column, Row};
use super::statement::{self, ColumnDef, Param};
use super::url::JdbcUrl;
use cdc_core::error::error_chain;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Why a write failed, and whether it may work if tried again.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The connection or the server is away, or a transaction lost a race: try again later.
    #[error("the target database is unavailable: {0}")]
    Transient(String),
    /// The target refused the data (a constraint, a value it cannot hold): this record only.
    #[error("the target database refused the row: {0}")]
    Refused(String),
    /// Something a person must fix (a missing table with evolution off, a permission).
    #[error("{0}")]
    Fatal(String),
}

impl WriteError {
    /// Classifies a database error by SQLSTATE: connection, resources, serialization and
    /// shutdown classes are transient; data and integrity classes refuse the row; the rest is
    /// fatal. Messages carry PostgreSQL's text, which names the constraint or column, not the
    /// row's values (`DETAIL` lines are left out).
    pub fn from_db(e: &tokio_postgres::Error) -> WriteError {
        let Some(db) = e.as_db_error() else {
            return WriteError::Transient(e.to_string());
        };
        let code = db.code().code();
        let message = format!("{} (SQLSTATE {code})", db.message());
        match &code[..2] {
            "08" | "53" | "57" | "58" => WriteError::Transient(message),
            "40" => WriteError::Transient(message),
            "22" | "23" => WriteError::Refused(message),
            _ if *db.code() == SqlState::UNDEFINED_COLUMN => WriteError::Fatal(message),
            _ => WriteError::Fatal(message),
        }
    }
}

/// A table as the catalog describes it: column name → its type (`format_type`).
#[derive(Debug, Clone, Default)]
struct TableInfo {
    columns: HashMap<String, String>,
}

/// The PostgreSQL side of a JDBC sink task: the connection, and what the catalog said about
/// the tables written so far (apart, so a transaction on the client and the cache can be used
/// together).
pub struct PgWriter {
    pub client: Client,
    pub tables: Tables,
}

/// The tables written so far, as the catalog describes them, and the statements prepared for
/// them (by SQL text: a run of the same shape reuses its statement instead of parsing and
/// planning it again).
#[derive(Default)]
pub struct Tables(
    HashMap<TableName, TableInfo>,
    HashMap<String, tokio_postgres::Statement>,
);

impl std::fmt::Debug for Tables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tables")
            .field("tables", &self.0.len())
            .field("statements", &self.1.len())
            .finish()
    }
}

fn spawn_connection<S, T>(connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "JDBC sink connection to PostgreSQL ended");
        }
    });
}

/// Did TLS fail for a reason a person must fix: a certificate refused (rustls reports it as
/// `InvalidData`), or a server without TLS where the URL requires it?
fn tls_refused(e: &tokio_postgres::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
            || c.to_string() == "server does not support TLS"
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Connects to the PostgreSQL `url` names, with TLS per its `sslmode` (`cdc_core::tls` config
/// through tokio-postgres-rustls) and its `currentSchema` as the search path; `user` and
/// `password` win over the URL's. Used by the JDBC sink and the JDBC source.
pub async fn connect_client(
    url: &JdbcUrl,
    user: Option<&str>,
    password: Option<&cdc_core::Secret>,
    application_name: &str,
) -> Result<Client, WriteError> {
    let mut pg = tokio_postgres::Config::new();
    pg.host(&url.host).port(url.port);
    if let Some(db) = &url.database {
        pg.dbname(db);
    }
    if let Some(user) = user.or(url.user.as_deref()) {
        pg.user(user);
    }
    if let Some(p) = password.or(url.password.as_ref()) {
        pg.password(p.expose());
    }
    pg.application_name(url.application_name.as_deref().unwrap_or(application_name));
    if let Some(ms) = url.connect_timeout_ms {
        pg.connect_timeout(std::time::Duration::from_millis(ms));
    }
    let connect_error = |e: tokio_postgres::Error| match e.as_db_error() {
        // Wrong password, unknown database, no permission: a person must fix it.
        Some(db) if matches!(&db.code().code()[..2], "28" | "3D" | "42") => {
            WriteError::Fatal(format!("cannot connect to PostgreSQL: {}", db.message()))
        }
        // A refused certificate, or no TLS where the URL requires it.
        _ if tls_refused(&e) => WriteError::Fatal(format!(
            "cannot connect to PostgreSQL over TLS: {}",
            error_chain(&e)
        )),
        _ => WriteError::Transient(format!("cannot connect to PostgreSQL: {e}")),
    };
    let client = match url.client_tls() {
        None => {
            pg.ssl_mode(SslMode::Disable);
            let (client, connection) = pg.connect(NoTls).await.map_err(connect_error)?;
            spawn_connection(connection);
            client
        }
        Some(tls) => {
            let tls = tls
                .client_config()
                .map_err(|e| WriteError::Fatal(format!("cannot set up TLS: {e}")))?;
            pg.ssl_mode(if url.tls_required() {
                SslMode::Require
            } else {
                SslMode::Prefer
            });
            let tls = MakeRustlsConnect::new(std::sync::Arc::unwrap_or_clone(tls));
            let (client, connection) = pg.connect(tls).await.map_err(connect_error)?;
            spawn_connection(connection);
            client
        }
    };
    if let Some(schema) = &url.current_schema {
        let ident = Dialect::Postgres
            .ident(schema)
            .map_err(|e| WriteError::Fatal(format!("currentSchema: {e}")))?;
        let sql = format!("SET search_path TO {}", Dialect::Postgres.quote(&ident));
        client
            .batch_execute(&sql)
            .await
            .map_err(|e| WriteError::from_db(&e))?;
    }
    Ok(client)
}

impl PgWriter {
    /// Connects as the config says, with TLS per the URL's `sslmode` (as the PostgreSQL
    /// connector: `cdc_core::tls` config through tokio-postgres-rustls).
    pub async fn connect(config: &JdbcSinkConfig) -> Result<PgWriter, WriteError> {
        let client = connect_client(
            &config.url,
            config.user.as_deref(),
            config.password.as_ref(),
            "tributary-jdbc-sink",
        )
        .await?;
        Ok(PgWriter {
            client,
            tables: Tables::default(),
        })
    }

    /// Whether the connection is gone (a new writer is needed).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

impl Tables {
    /// Makes sure `table` exists with a column for each of `row`'s columns, creating or adding
    /// them when the config allows.
    pub async fn ensure(
        &mut self,
        tx: &Transaction<'_>,
        config: &JdbcSinkConfig,
        table: &TableName,
        row: &Row,
    ) -> Result<(), WriteError> {
        if !self.0.contains_key(table) {
            let info = describe(tx, table).await?;
            match info {
                Some(info) => {
                    self.0.insert(table.clone(), info);
                }
                None if config.auto_create => {
                    create(tx, config, table, row).await?;
                    let info = describe(tx, table).await?.ok_or_else(|| {
                        WriteError::Fatal(format!("table {table} was created but cannot be found"))
                    })?;
                    self.0.insert(table.clone(), info);
                }
                None => {
                    return Err(WriteError::Fatal(format!(
                        "table {table} does not exist; create it, or let the sink create tables (schema.evolution=basic, or auto.create=true)"
                    )))
                }
            }
        }
        let info = self.0.get(table).cloned().unwrap_or_default();
        let missing: Vec<&Column> = row
            .key
            .iter()
            .chain(&row.values)
            .filter(|c| !info.columns.contains_key(c.name.as_str()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if !config.auto_evolve {
            return Err(WriteError::Fatal(format!(
                "table {table} has no column {:?}; add it, or let the sink add columns (schema.evolution=basic, or auto.evolve=true)",
                missing[0].name.as_str()
            )));
        }
        let defs = column_defs(config, Dialect::Postgres, &missing, false)?;
        let cols: Vec<ColumnDef<'_>> = defs.iter().map(Def::as_column_def).collect();
        let sql = statement::add_columns(Dialect::Postgres, table, &cols)
            .map_err(|e| WriteError::Fatal(e.to_string()))?;
        tx.batch_execute(&sql)
            .await
            .map_err(|e| WriteError::from_db(&e))?;
        let info = describe(tx, table).await?.unwrap_or_default();
        self.0.insert(table.clone(), info);
        Ok(())
    }

    /// The cast of each named column of `table` (after [`PgWriter::ensure`]).
    pub fn casts(&self, table: &TableName, names: &[&Ident]) -> Vec<Option<String>> {
        let info = self.0.get(table);
        names
            .iter()
            .map(|n| info.and_then(|i| i.columns.get(n.as_str())).cloned())
            .collect()
    }

    /// Forgets what the catalog said (after a failed transaction that may have rolled back DDL).
    pub fn forget(&mut self) {
        self.0.clear();
        self.1.clear();
    }

    /// Runs `sql` with text parameters in `tx`, preparing it once.
    pub async fn execute(
        &mut self,
        tx: &Transaction<'_>,
        sql: &str,
        params: &[Option<String>],
    ) -> Result<u64, WriteError> {
        let statement = self.prepared(tx, sql, Type::TEXT, params.len()).await?;
        let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        tx.execute(&statement, &refs)
            .await
            .map_err(|e| WriteError::from_db(&e))
    }

    /// Runs `sql` with one text array parameter per column (the `unnest` statements of
    /// [`statement::pg_insert_rows`] and its siblings), preparing it once.
    pub async fn execute_columns(
        &mut self,
        tx: &Transaction<'_>,
        sql: &str,
        columns: &[TextArray],
    ) -> Result<u64, WriteError> {
        let statement = self
            .prepared(tx, sql, Type::TEXT_ARRAY, columns.len())
            .await?;
        let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = columns
            .iter()
            .map(|c| c as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        tx.execute(&statement, &refs)
            .await
            .map_err(|e| WriteError::from_db(&e))
    }

    /// Runs `COPY ... FROM STDIN` (`sql`, from [`statement::pg_copy`]) with `data`, rows in
    /// COPY's text format ([`statement::pg_copy_row`]).
    pub async fn copy_in(
        &mut self,
        tx: &Transaction<'_>,
        sql: &str,
        data: Vec<u8>,
    ) -> Result<u64, WriteError> {
        use futures::SinkExt;
        // Prepared once: copy_in with the text prepares it again on every batch.
        let statement = self.prepared(tx, sql, Type::TEXT, 0).await?;
        let sink = tx
            .copy_in::<_, bytes::Bytes>(&statement)
            .await
            .map_err(|e| WriteError::from_db(&e))?;
        futures::pin_mut!(sink);
        sink.send(bytes::Bytes::from(data))
            .await
            .map_err(|e| WriteError::from_db(&e))?;
        sink.finish().await.map_err(|e| WriteError::from_db(&e))
    }

    /// `sql` prepared with `count` parameters of type `ty`, from the cache or prepared now.
    async fn prepared(
        &mut self,
        tx: &Transaction<'_>,
        sql: &str,
        ty: Type,
        count: usize,
    ) -> Result<tokio_postgres::Statement, WriteError> {
        if let Some(s) = self.1.get(sql) {
            return Ok(s.clone());
        }
        let s = tx
            .prepare_typed(sql, &vec![ty; count])
            .await
            .map_err(|e| WriteError::from_db(&e))?;
        // Bounded: statements differ by table, kind and columns.
        if self.1.len() >= 256 {
            self.1.clear();
        }
        self.1.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

async fn create(
    tx: &Transaction<'_>,
    config: &JdbcSinkConfig,
    table: &TableName,
    row: &Row,
) -> Result<(), WriteError> {
    let key_cols: Vec<&Column> = row.key.iter().collect();
    let value_cols: Vec<&Column> = row.values.iter().collect();
    let mut defs = column_defs(config, Dialect::Postgres, &key_cols, true)?;
    defs.extend(column_defs(config, Dialect::Postgres, &value_cols, false)?);
    let cols: Vec<ColumnDef<'_>> = defs.iter().map(Def::as_column_def).collect();
    let key: Vec<&Ident> = row.key.iter().map(|c| &c.name).collect();
    let sql = statement::create_table(Dialect::Postgres, table, &cols, &key)
        .map_err(|e| WriteError::Fatal(e.to_string()))?;
    tracing::info!(%table, "creating the target table");
    tx.batch_execute(&sql)
        .await
        .map_err(|e| WriteError::from_db(&e))
}

/// The table's columns and their types, or `None` when it does not exist.
async fn describe(
    tx: &Transaction<'_>,
    table: &TableName,
) -> Result<Option<TableInfo>, WriteError> {
    let qualified = Dialect::Postgres.quote_table(table);
    let rows = tx
        .query(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&qualified],
        )
        .await
        .map_err(|e| WriteError::from_db(&e))?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(TableInfo {
        columns: rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
            .collect(),
    }))
}

/// A statement's parameters with casts from the catalog.
pub fn params<'a>(names: &'a [&'a Ident], casts: &'a [Option<String>]) -> Vec<Param<'a>> {
    names
        .iter()
        .zip(casts)
        .map(|(name, cast)| Param {
            name,
            cast: cast.as_deref(),
        })
        .collect()
}
