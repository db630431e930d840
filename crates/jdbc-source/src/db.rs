//! The databases themselves: a connection to PostgreSQL (`tokio-postgres`) or MySQL/MariaDB
//! (`mysql_async`) made as the JDBC sink makes it (same URL, TLS and credentials), the
//! catalog's tables, the database's clock, and one querier pass: the statement prepared, its
//! columns as the JDBC driver would describe them, its rows read in chunks.
//!
//! PostgreSQL's rows stream off the connection (`query_raw`: tokio-postgres hands them over
//! through a channel of one message, so the socket is not read faster than rows are taken, with
//! no round trip per fetch); a task takes them off in chunks of `batch.max.rows`, at most two
//! ahead, while the pass decodes the one before, so memory stays bounded on any table; the
//! session's `TimeZone` is
//! `db.timezone`, so a `timestamp` column compares with a bound the way Confluent's calendar
//! binding does. MySQL streams rows off the socket.

use mysql_async::consts::{ColumnFlags, ColumnType};
use mysql_async::prelude::Queryable;
use sinks::jdbc::url::JdbcUrl;
use sinks::jdbc::Dialect;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};

use crate::dialect_types;
use crate::pass::Bound;
use crate::record::Column;
use crate::sql::{Param, Query, SqlDialect, TableId};
use crate::values::{my, pg, Read};

/// What went wrong talking to the database.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct DbError {
    /// The SQLSTATE, when the server sent one.
    pub sqlstate: Option<String>,
    pub message: String,
    /// The connection is gone or could not be made: reconnect and try again.
    pub connection: bool,
}

impl DbError {
    fn pg(what: &str, e: &tokio_postgres::Error) -> DbError {
        match e.as_db_error() {
            Some(db) => DbError {
                sqlstate: Some(db.code().code().to_owned()),
                message: format!("{what}: {} (SQLSTATE {})", db.message(), db.code().code()),
                connection: false,
            },
            None => DbError {
                sqlstate: None,
                message: format!("{what}: {}", cdc_core::error::error_chain(e)),
                connection: true,
            },
        }
    }

    fn my(what: &str, e: &mysql_async::Error) -> DbError {
        match e {
            mysql_async::Error::Server(s) => DbError {
                sqlstate: Some(s.state.clone()),
                message: format!(
                    "{what}: {} (SQLSTATE {}, error {})",
                    s.message, s.state, s.code
                ),
                connection: false,
            },
            other => DbError {
                sqlstate: None,
                message: format!("{what}: {other}"),
                connection: true,
            },
        }
    }

    fn decode(what: String) -> DbError {
        DbError {
            sqlstate: None,
            message: what,
            connection: false,
        }
    }
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct Connection {
    pub url: JdbcUrl,
    pub user: Option<String>,
    pub password: Option<cdc_core::Secret>,
}

impl Connection {
    pub fn dialect(&self) -> SqlDialect {
        match self.url.dialect {
            Dialect::Postgres => SqlDialect::Postgres,
            _ => SqlDialect::MySql,
        }
    }
}

/// A connection to the source database.
pub enum Db {
    Pg(tokio_postgres::Client),
    My(mysql_async::Conn),
}

/// One prepared pass: its statement and its columns.
pub struct Prepared {
    pub columns: Vec<Column>,
    kinds: Vec<Kind>,
    statement: Statement,
}

enum Statement {
    Pg(tokio_postgres::Statement),
    My(mysql_async::Statement),
}

/// How a column's raw value is read.
#[derive(Debug, Clone)]
enum Kind {
    Pg(Option<pg::PgType>),
    My(MyKind),
}

#[derive(Debug, Clone, Copy)]
enum MyKind {
    Plain,
    Date,
    Year,
    Bit(u32),
}

/// Rows being read: a PostgreSQL row stream or a MySQL result.
pub enum Cursor<'a> {
    /// Chunks of rows from a task reading the row stream (so that taking rows off the
    /// connection overlaps decoding them), and that task, stopped when the cursor is dropped.
    Pg(
        tokio::sync::mpsc::Receiver<Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>>,
        AbortOnDrop,
    ),
    My(mysql_async::QueryResult<'a, 'static, mysql_async::BinaryProtocol>),
}

/// What a pass keeps of each row: the record's fields (result-set index and Connect type, in
/// field order) and where the offset columns are.
#[derive(Debug, Clone)]
pub struct RowPlan {
    pub fields: Vec<(usize, crate::values::Target)>,
    pub incrementing: Option<usize>,
    /// The timestamp columns in `COALESCE` order.
    pub timestamps: Vec<usize>,
    /// `db.timezone`, and whether it is UTC (timestamps then need no zone lookup).
    pub zone: jiff::tz::TimeZone,
    pub utc: bool,
}

/// One row read: its record's field values and what it contributes to offsets.
pub struct ReadRow {
    pub values: Vec<cdc_core::Value>,
    pub key: crate::pass::RowKey,
}

impl RowPlan {
    fn key(
        &self,
        read: impl Fn(usize) -> Result<Read, String>,
    ) -> Result<crate::pass::RowKey, String> {
        let incrementing = match self.incrementing {
            Some(i) => read(i)?
                .integer()
                .map_err(|e| format!("the incrementing column: {e}"))?,
            None => None,
        };
        let mut timestamp = None;
        for &i in &self.timestamps {
            if let Some(t) = read(i)?
                .instant(&self.zone)
                .map_err(|e| format!("a timestamp column: {e}"))?
            {
                timestamp = Some(t);
                break;
            }
        }
        Ok(crate::pass::RowKey {
            timestamp,
            incrementing,
        })
    }
}

/// A task aborted when this is dropped.
pub struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A raw binary value, read by [`pg::read`].
struct RawValue<'a>(&'a [u8]);

impl<'a> FromSql<'a> for RawValue<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawValue(raw))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A timestamp bound (seconds, nanoseconds since the epoch) as `timestamptz`.
#[derive(Debug)]
struct PgInstant(i64, u32);

impl ToSql for PgInstant {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let us = (self.0 - 946_684_800) * 1_000_000 + i64::from(self.1 / 1000);
        out.extend_from_slice(&us.to_be_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMPTZ
    }

    tokio_postgres::types::to_sql_checked!();
}

impl Db {
    /// Connects, and on PostgreSQL sets the session's time zone to `db.timezone`.
    pub async fn connect(c: &Connection, zone: &str) -> Result<Db, DbError> {
        let failed = |e: sinks::jdbc::pg_writer::WriteError| DbError {
            sqlstate: None,
            connection: !matches!(e, sinks::jdbc::pg_writer::WriteError::Fatal(_)),
            message: e.to_string(),
        };
        match c.url.dialect {
            Dialect::Postgres => {
                let client = sinks::jdbc::pg_writer::connect_client(
                    &c.url,
                    c.user.as_deref(),
                    c.password.as_ref(),
                    "tributary-jdbc-source",
                )
                .await
                .map_err(failed)?;
                let zone = zone.replace('\'', "''");
                client
                    .batch_execute(&format!("SET TIME ZONE '{zone}'"))
                    .await
                    .map_err(|e| DbError::pg("setting the session time zone", &e))?;
                Ok(Db::Pg(client))
            }
            _ => {
                let conn = sinks::jdbc::my_writer::connect_conn(
                    &c.url,
                    c.user.as_deref(),
                    c.password.as_ref(),
                )
                .await
                .map_err(failed)?;
                Ok(Db::My(conn))
            }
        }
    }

    pub fn is_closed(&self) -> bool {
        match self {
            Db::Pg(c) => c.is_closed(),
            Db::My(_) => false,
        }
    }

    /// `wal_level` (PostgreSQL) and `binlog_format` (MySQL), for the start-up log line; `None`
    /// where the server does not say.
    pub async fn capture_settings(&mut self) -> (Option<String>, Option<String>) {
        match self {
            Db::Pg(c) => {
                let wal = c
                    .query_opt("SELECT current_setting('wal_level')", &[])
                    .await
                    .ok()
                    .flatten()
                    .and_then(|r| r.try_get::<_, String>(0).ok());
                (wal, None)
            }
            Db::My(c) => {
                let format: Option<String> = c
                    .query_first("SELECT @@GLOBAL.binlog_format")
                    .await
                    .ok()
                    .flatten();
                let on: Option<i64> = c
                    .query_first("SELECT @@GLOBAL.log_bin")
                    .await
                    .ok()
                    .flatten();
                (None, format.filter(|_| on == Some(1)))
            }
        }
    }

    /// The database's current time (Confluent asks the database, not the worker's clock).
    pub async fn now(&mut self) -> Result<(i64, u32), DbError> {
        let read = match self {
            Db::Pg(c) => {
                let row = c
                    .query_one("SELECT CURRENT_TIMESTAMP", &[])
                    .await
                    .map_err(|e| DbError::pg("reading the database's time", &e))?;
                let raw: Option<RawValue<'_>> = row
                    .try_get(0)
                    .map_err(|e| DbError::pg("reading the database's time", &e))?;
                pg::read("timestamptz", false, raw.map(|r| r.0)).map_err(DbError::decode)?
            }
            Db::My(c) => {
                let v: Option<mysql_async::Value> = c
                    .query_first("SELECT UTC_TIMESTAMP(6)")
                    .await
                    .map_err(|e| DbError::my("reading the database's time", &e))?;
                my_read(v.unwrap_or(mysql_async::Value::NULL), MyKind::Plain)
                    .map_err(DbError::decode)?
            }
        };
        read.instant(&jiff::tz::TimeZone::UTC)
            .map_err(DbError::decode)?
            .ok_or_else(|| DbError::decode("the database's time is NULL".into()))
    }

    /// The tables of the types `table.types` names, in `schema.pattern` (PostgreSQL) or
    /// `catalog.pattern` (MySQL: the database; the URL's database when unset), as JDBC's
    /// `getTables` lists them (system schemas left out).
    pub async fn tables(
        &mut self,
        table_types: &[String],
        schema_pattern: Option<&str>,
        catalog_pattern: Option<&str>,
    ) -> Result<Vec<TableId>, DbError> {
        let wanted = |t: &str| table_types.iter().any(|w| w.eq_ignore_ascii_case(t));
        match self {
            Db::Pg(c) => {
                let mut kinds: Vec<String> = Vec::new();
                for (name, kind) in [
                    ("TABLE", "r"),
                    ("VIEW", "v"),
                    ("MATERIALIZED VIEW", "m"),
                    ("FOREIGN TABLE", "f"),
                    ("PARTITIONED TABLE", "p"),
                ] {
                    if wanted(name) {
                        kinds.push(kind.to_owned());
                    }
                }
                let rows = c
                    .query(
                        "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c \
                         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                         WHERE c.relkind::text = ANY($1) AND n.nspname !~ '^pg_' \
                         AND n.nspname <> 'information_schema' \
                         AND ($2::text IS NULL OR n.nspname LIKE $2) \
                         ORDER BY c.relkind, n.nspname, c.relname",
                        &[&kinds, &schema_pattern],
                    )
                    .await
                    .map_err(|e| DbError::pg("listing tables", &e))?;
                Ok(rows
                    .iter()
                    .map(|r| TableId::new(Some(r.get::<_, &str>(0)), r.get::<_, &str>(1)))
                    .collect())
            }
            Db::My(c) => {
                let rows: Vec<(String, String, String)> = c
                    .exec(
                        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES \
                         WHERE (CASE WHEN ? IS NULL THEN TABLE_SCHEMA = DATABASE() OR (DATABASE() IS NULL \
                         AND TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys')) \
                         ELSE TABLE_SCHEMA LIKE ? END) ORDER BY TABLE_TYPE, TABLE_SCHEMA, TABLE_NAME",
                        (catalog_pattern, catalog_pattern),
                    )
                    .await
                    .map_err(|e| DbError::my("listing tables", &e))?;
                Ok(rows
                    .into_iter()
                    .filter(|(_, _, kind)| {
                        let kind = match kind.as_str() {
                            "BASE TABLE" | "SYSTEM VERSIONED" => "TABLE",
                            other => other,
                        };
                        wanted(kind)
                    })
                    .map(|(db, table, _)| TableId::new(Some(&db), &table))
                    .collect())
            }
        }
    }

    /// Prepares a pass's statement and describes its columns.
    pub async fn prepare(&mut self, query: &Query) -> Result<Prepared, DbError> {
        match self {
            Db::Pg(c) => {
                let types: Vec<Type> = query
                    .params
                    .iter()
                    .map(|p| match p {
                        Param::Incrementing => Type::INT8,
                        Param::Begin | Param::End => Type::TIMESTAMPTZ,
                    })
                    .collect();
                let statement = c
                    .prepare_typed(&query.numbered(), &types)
                    .await
                    .map_err(|e| DbError::pg("preparing the query", &e))?;
                // typmod (numeric's precision and scale) and NOT NULL from the catalog, for the
                // columns that come straight from a table.
                let oids: Vec<u32> = statement
                    .columns()
                    .iter()
                    .filter_map(|c| c.table_oid())
                    .collect();
                let mut attrs = std::collections::HashMap::new();
                if !oids.is_empty() {
                    let rows = c
                        .query(
                            "SELECT attrelid, attnum::int4, atttypmod, attnotnull \
                             FROM pg_catalog.pg_attribute WHERE attrelid = ANY($1) AND attnum > 0",
                            &[&oids],
                        )
                        .await
                        .map_err(|e| DbError::pg("reading the columns' types", &e))?;
                    for r in rows {
                        let key: (u32, i32) = (r.get(0), r.get(1));
                        attrs.insert(key, (r.get::<_, i32>(2), r.get::<_, bool>(3)));
                    }
                }
                let mut columns = Vec::new();
                let mut kinds = Vec::new();
                for col in statement.columns() {
                    let ty = base_type(col.type_());
                    let is_enum = matches!(ty.kind(), tokio_postgres::types::Kind::Enum(_));
                    let (typmod, not_null) = col
                        .table_oid()
                        .zip(col.column_id())
                        .and_then(|(t, c)| attrs.get(&(t, i32::from(c))).copied())
                        .unwrap_or((-1, false));
                    let typname = ty.name().to_owned();
                    let jdbc = if pg::readable(&typname, is_enum) {
                        dialect_types::postgres(&typname, is_enum, typmod)
                    } else {
                        crate::types::Jdbc::Other(typname.clone())
                    };
                    columns.push(Column {
                        name: col.name().to_owned(),
                        jdbc,
                        nullable: !not_null,
                    });
                    kinds.push(Kind::Pg(pg::PgType::of(&typname, is_enum)));
                }
                Ok(Prepared {
                    columns,
                    kinds,
                    statement: Statement::Pg(statement),
                })
            }
            Db::My(c) => {
                let statement = c
                    .prep(query.sql.as_str())
                    .await
                    .map_err(|e| DbError::my("preparing the query", &e))?;
                let mut columns = Vec::new();
                let mut kinds = Vec::new();
                for col in statement.columns().iter() {
                    let (jdbc, kind) = my_column(col);
                    columns.push(Column {
                        name: col.name_str().into_owned(),
                        jdbc,
                        nullable: !col.flags().contains(ColumnFlags::NOT_NULL_FLAG),
                    });
                    kinds.push(Kind::My(kind));
                }
                Ok(Prepared {
                    columns,
                    kinds,
                    statement: Statement::My(statement),
                })
            }
        }
    }

    /// Runs a prepared pass with `bounds` (in its `?` order); rows are then read with
    /// [`Cursor::next_chunk`]. `zone` is `db.timezone`, for MySQL's timestamp bounds.
    pub async fn execute<'a>(
        &'a mut self,
        prepared: &Prepared,
        bounds: &[Bound],
        fetch: usize,
        zone: &jiff::tz::TimeZone,
    ) -> Result<Cursor<'a>, DbError> {
        match (self, &prepared.statement) {
            (Db::Pg(c), Statement::Pg(statement)) => {
                let ints: Vec<i64> = bounds
                    .iter()
                    .map(|b| match b {
                        Bound::Long(i) => *i,
                        Bound::Timestamp(..) => 0,
                    })
                    .collect();
                let times: Vec<PgInstant> = bounds
                    .iter()
                    .map(|b| match b {
                        Bound::Timestamp(s, n) => PgInstant(*s, *n),
                        Bound::Long(_) => PgInstant(0, 0),
                    })
                    .collect();
                let params: Vec<&(dyn ToSql + Sync)> = bounds
                    .iter()
                    .enumerate()
                    .map(|(i, b)| match b {
                        Bound::Long(_) => &ints[i] as &(dyn ToSql + Sync),
                        Bound::Timestamp(..) => &times[i] as &(dyn ToSql + Sync),
                    })
                    .collect();
                let stream = c
                    .query_raw(statement, params)
                    .await
                    .map_err(|e| DbError::pg("running the query", &e))?;
                let fetch = fetch.max(1);
                // Two chunks ahead at most: memory stays bounded by `batch.max.rows`.
                let (tx, rx) = tokio::sync::mpsc::channel(2);
                let reader = tokio::spawn(async move {
                    use futures::StreamExt;
                    let mut stream = std::pin::pin!(stream);
                    loop {
                        let mut chunk = Vec::with_capacity(fetch);
                        while chunk.len() < fetch {
                            match stream.next().await {
                                Some(Ok(row)) => chunk.push(row),
                                Some(Err(e)) => {
                                    let _ = tx.send(Err(e)).await;
                                    return;
                                }
                                None => break,
                            }
                        }
                        let last = chunk.len() < fetch;
                        if !chunk.is_empty() && tx.send(Ok(chunk)).await.is_err() {
                            return;
                        }
                        if last {
                            return;
                        }
                    }
                });
                Ok(Cursor::Pg(rx, AbortOnDrop(reader)))
            }
            (Db::My(c), Statement::My(statement)) => {
                let params: Vec<mysql_async::Value> = bounds
                    .iter()
                    .map(|b| match b {
                        Bound::Long(i) => Ok(mysql_async::Value::Int(*i)),
                        Bound::Timestamp(s, n) => my_timestamp(*s, *n, zone),
                    })
                    .collect::<Result<_, DbError>>()?;
                let params = if params.is_empty() {
                    mysql_async::Params::Empty
                } else {
                    mysql_async::Params::Positional(params)
                };
                let result = c
                    .exec_iter(statement, params)
                    .await
                    .map_err(|e| DbError::my("running the query", &e))?;
                Ok(Cursor::My(result))
            }
            _ => Err(DbError::decode(
                "a statement prepared on another connection".into(),
            )),
        }
    }
}

/// A domain reads as its base type.
fn base_type(t: &Type) -> &Type {
    match t.kind() {
        tokio_postgres::types::Kind::Domain(base) => base_type(base),
        _ => t,
    }
}

/// A timestamp bound as MySQL's wall clock in `db.timezone`.
fn my_timestamp(s: i64, n: u32, zone: &jiff::tz::TimeZone) -> Result<mysql_async::Value, DbError> {
    let ts = jiff::Timestamp::new(s, n as i32)
        .map_err(|e| DbError::decode(format!("a timestamp bound out of range: {e}")))?;
    let dt = zone.to_datetime(ts);
    Ok(mysql_async::Value::Date(
        dt.year().max(0) as u16,
        dt.month() as u8,
        dt.day() as u8,
        dt.hour() as u8,
        dt.minute() as u8,
        dt.second() as u8,
        (dt.subsec_nanosecond() / 1000) as u32,
    ))
}

/// What Connector/J says a result column is, from the protocol's column definition.
fn my_column(col: &mysql_async::Column) -> (crate::types::Jdbc, MyKind) {
    let unsigned = col.flags().contains(ColumnFlags::UNSIGNED_FLAG);
    let binary = col.character_set() == 63;
    let len = col.column_length();
    let decimals = i32::from(col.decimals());
    let (data_type, kind) = match col.column_type() {
        ColumnType::MYSQL_TYPE_TINY => ("tinyint", MyKind::Plain),
        ColumnType::MYSQL_TYPE_SHORT => ("smallint", MyKind::Plain),
        ColumnType::MYSQL_TYPE_INT24 => ("mediumint", MyKind::Plain),
        ColumnType::MYSQL_TYPE_LONG => ("int", MyKind::Plain),
        ColumnType::MYSQL_TYPE_LONGLONG => ("bigint", MyKind::Plain),
        ColumnType::MYSQL_TYPE_FLOAT => ("float", MyKind::Plain),
        ColumnType::MYSQL_TYPE_DOUBLE => ("double", MyKind::Plain),
        ColumnType::MYSQL_TYPE_NEWDECIMAL | ColumnType::MYSQL_TYPE_DECIMAL => {
            ("decimal", MyKind::Plain)
        }
        ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE => ("date", MyKind::Date),
        ColumnType::MYSQL_TYPE_YEAR => ("year", MyKind::Year),
        ColumnType::MYSQL_TYPE_TIME | ColumnType::MYSQL_TYPE_TIME2 => ("time", MyKind::Plain),
        ColumnType::MYSQL_TYPE_DATETIME | ColumnType::MYSQL_TYPE_DATETIME2 => {
            ("datetime", MyKind::Plain)
        }
        ColumnType::MYSQL_TYPE_TIMESTAMP | ColumnType::MYSQL_TYPE_TIMESTAMP2 => {
            ("timestamp", MyKind::Plain)
        }
        ColumnType::MYSQL_TYPE_BIT => ("bit", MyKind::Bit(len)),
        ColumnType::MYSQL_TYPE_JSON => ("json", MyKind::Plain),
        ColumnType::MYSQL_TYPE_ENUM | ColumnType::MYSQL_TYPE_SET => ("enum", MyKind::Plain),
        ColumnType::MYSQL_TYPE_VARCHAR
        | ColumnType::MYSQL_TYPE_VAR_STRING
        | ColumnType::MYSQL_TYPE_STRING
            if col.flags().contains(ColumnFlags::ENUM_FLAG)
                || col.flags().contains(ColumnFlags::SET_FLAG) =>
        {
            ("enum", MyKind::Plain)
        }
        ColumnType::MYSQL_TYPE_VARCHAR
        | ColumnType::MYSQL_TYPE_VAR_STRING
        | ColumnType::MYSQL_TYPE_STRING => {
            (if binary { "varbinary" } else { "varchar" }, MyKind::Plain)
        }
        ColumnType::MYSQL_TYPE_TINY_BLOB
        | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
        | ColumnType::MYSQL_TYPE_LONG_BLOB
        | ColumnType::MYSQL_TYPE_BLOB => (if binary { "blob" } else { "text" }, MyKind::Plain),
        ColumnType::MYSQL_TYPE_GEOMETRY => ("geometry", MyKind::Plain),
        _ => ("unknown", MyKind::Plain),
    };
    let column_type = match data_type {
        "tinyint" => format!("tinyint({len}){}", if unsigned { " unsigned" } else { "" }),
        other => format!("{other}{}", if unsigned { " unsigned" } else { "" }),
    };
    let (precision, scale) = if data_type == "decimal" {
        let p = len as i64 - i64::from(decimals > 0) - i64::from(!unsigned);
        (Some(p.max(1) as u32), Some(decimals))
    } else {
        (None, None)
    };
    (
        dialect_types::mysql(data_type, &column_type, precision, scale),
        kind,
    )
}

/// One MySQL binary-protocol value.
fn my_read(v: mysql_async::Value, kind: MyKind) -> Result<Read, String> {
    use mysql_async::Value as V;
    Ok(match (v, kind) {
        (V::NULL, _) => Read::Null,
        (V::Int(y), MyKind::Year) => {
            my::date_time(true, (y.clamp(0, 9999) as u16, 1, 1, 0, 0, 0, 0))?
        }
        (V::UInt(y), MyKind::Year) => my::date_time(true, (y.min(9999) as u16, 1, 1, 0, 0, 0, 0))?,
        (V::Bytes(b), MyKind::Bit(n)) => Read::Bits(n, left_align(&b, n)),
        (V::Int(i), _) => Read::Int(i),
        (V::UInt(u), _) => Read::UInt(u),
        (V::Float(f), _) => Read::Float(f64::from(f)),
        (V::Double(f), _) => Read::Float(f),
        (V::Bytes(b), _) => Read::Bytes(b),
        (V::Date(y, m, d, h, mi, s, us), kind) => {
            my::date_time(matches!(kind, MyKind::Date), (y, m, d, h, mi, s, us))?
        }
        (V::Time(neg, days, h, mi, s, us), _) => my::time((neg, days, h, mi, s, us))?,
    })
}

/// MySQL sends BIT(n) right-aligned in whole bytes; [`Read::Bits`] wants them left-aligned as
/// PostgreSQL sends them.
fn left_align(bytes: &[u8], n: u32) -> Vec<u8> {
    let mut v: u64 = 0;
    for b in bytes.iter().take(8) {
        v = (v << 8) | u64::from(*b);
    }
    let n = n.clamp(1, 64);
    let shifted = if n == 64 { v } else { v << (64 - n) };
    shifted.to_be_bytes()[..n.div_ceil(8) as usize].to_vec()
}

impl Cursor<'_> {
    /// The next rows as `plan` keeps them (a fetch's worth on PostgreSQL, up to `max` on
    /// MySQL); `None` after the last row.
    pub async fn next_chunk(
        &mut self,
        prepared: &Prepared,
        plan: &RowPlan,
        max: usize,
    ) -> Result<Option<Vec<ReadRow>>, DbError> {
        let column = |i: usize| prepared.columns.get(i).map_or("?", |c| c.name.as_str());
        let mut out = Vec::new();
        match self {
            Cursor::Pg(rx, _) => {
                let Some(rows) = rx.recv().await else {
                    return Ok(None);
                };
                let rows = rows.map_err(|e| DbError::pg("reading rows", &e))?;
                out.reserve(rows.len());
                for row in rows {
                    let raw = |i: usize| -> Result<(pg::PgType, Option<&[u8]>), DbError> {
                        let Some(Kind::Pg(Some(kind))) = prepared.kinds.get(i) else {
                            return Err(DbError::decode(format!(
                                "column {:?} is of a type the source does not read",
                                column(i)
                            )));
                        };
                        let raw: Option<RawValue<'_>> = row
                            .try_get(i)
                            .map_err(|e| DbError::pg("reading a value", &e))?;
                        Ok((*kind, raw.map(|r| r.0)))
                    };
                    let mut values = Vec::with_capacity(plan.fields.len());
                    for &(i, target) in &plan.fields {
                        let (kind, bytes) = raw(i)?;
                        values.push(
                            pg::value(kind, target, bytes, &plan.zone, plan.utc).map_err(|e| {
                                DbError::decode(format!("column {:?} ({kind:?}): {e}", column(i)))
                            })?,
                        );
                    }
                    let key = plan
                        .key(|i| {
                            let (kind, bytes) = raw(i).map_err(|e| e.message)?;
                            kind.read(bytes)
                        })
                        .map_err(DbError::decode)?;
                    out.push(ReadRow { values, key });
                }
            }
            Cursor::My(result) => {
                while out.len() < max.max(1) {
                    let row = result
                        .next()
                        .await
                        .map_err(|e| DbError::my("reading rows", &e))?;
                    let Some(row) = row else { break };
                    let mut reads = Vec::with_capacity(prepared.kinds.len());
                    for (i, v) in row.unwrap().into_iter().enumerate() {
                        let kind = match prepared.kinds.get(i) {
                            Some(Kind::My(k)) => *k,
                            _ => MyKind::Plain,
                        };
                        reads.push(Some(my_read(v, kind).map_err(|e| {
                            DbError::decode(format!("column {:?}: {e}", column(i)))
                        })?));
                    }
                    let key = plan
                        .key(|i| Ok(reads.get(i).cloned().flatten().unwrap_or(Read::Null)))
                        .map_err(DbError::decode)?;
                    let mut values = Vec::with_capacity(plan.fields.len());
                    for &(i, target) in &plan.fields {
                        let read = reads
                            .get_mut(i)
                            .and_then(Option::take)
                            .unwrap_or(Read::Null);
                        values.push(read.to_value(target, &plan.zone).map_err(|e| {
                            DbError::decode(format!("column {:?}: {e}", column(i)))
                        })?);
                    }
                    out.push(ReadRow { values, key });
                }
            }
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }

    /// Ends the pass (drains a MySQL result).
    pub async fn finish(self) -> Result<(), DbError> {
        match self {
            // A stream dropped before its end is cancelled by tokio-postgres (the connection
            // discards the rest of the result).
            Cursor::Pg(..) => Ok(()),
            Cursor::My(result) => result
                .drop_result()
                .await
                .map_err(|e| DbError::my("ending the query", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_bits_are_left_aligned() {
        assert_eq!(left_align(&[0b101], 3), vec![0b1010_0000]);
        assert_eq!(left_align(&[0x01, 0xff], 9), vec![0xff, 0x80]);
        assert_eq!(left_align(&[], 1), vec![0]);
    }

    #[test]
    fn years_and_dates_from_mysql() {
        assert_eq!(
            my_read(mysql_async::Value::Int(2024), MyKind::Year).unwrap(),
            my::date_time(true, (2024, 1, 1, 0, 0, 0, 0)).unwrap()
        );
        assert_eq!(
            my_read(
                mysql_async::Value::Date(2024, 2, 3, 0, 0, 0, 0),
                MyKind::Date
            )
            .unwrap(),
            Read::Date(jiff::civil::Date::constant(2024, 2, 3))
        );
    }
}
