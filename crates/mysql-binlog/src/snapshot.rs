//! The consistent snapshot: every captured table read at one binlog position, then streaming
//! starts from exactly that position.
//!
//! `minimal` (default): `FLUSH TABLES WITH READ LOCK`, `START TRANSACTION WITH CONSISTENT
//! SNAPSHOT`, read the position and the schemas, `UNLOCK TABLES`, read the rows. `extended`
//! keeps the lock until the rows are read. `none` takes no lock: the position is MariaDB's
//! `binlog_snapshot_file`/`binlog_snapshot_position`, which belong to the consistent snapshot.

use std::sync::Arc;

use cdc_core::{Batch, BatchSender, Op, Record};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::catalog::{Catalog, TableId};
use crate::config::{LockingMode, MySqlConfig};
use crate::conn::{self, text, ServerInfo};
use crate::convert::Origin;
use crate::error::privilege::{RELOAD, SELECT};
use crate::error::MySqlSourceError;
use crate::event::{self, TableChange};
use crate::history::{Entry, History};
use crate::offset::{snapshot_offset, stream_offset, BinlogPos, OffsetFields};
use crate::source_info::{SnapshotMarker, SourceInfo};
use crate::table::TableSchema;

/// Where the snapshot was taken.
#[derive(Debug, Clone)]
pub struct SnapshotPoint {
    pub pos: BinlogPos,
    pub gtids: Option<String>,
}

fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

async fn exec(conn: &mut Conn, sql: &str) -> Result<(), MySqlSourceError> {
    conn.query_drop(sql)
        .await
        .map_err(|e| MySqlSourceError::query(sql.to_owned(), e))
}

/// The captured databases and base tables.
async fn captured_tables(
    conn: &mut Conn,
    cfg: &MySqlConfig,
) -> Result<(Vec<String>, Vec<TableId>), MySqlSourceError> {
    let dbs: Vec<String> = conn
        .query("SHOW DATABASES")
        .await
        .map_err(|e| MySqlSourceError::query("SHOW DATABASES", e))?;
    let dbs: Vec<String> = dbs
        .into_iter()
        .filter(|d| cfg.captures_database(d))
        .collect();
    let mut tables = Vec::new();
    for db in &dbs {
        let rows: Vec<Row> = conn
            .query(format!(
                "SHOW FULL TABLES FROM {} WHERE Table_type = 'BASE TABLE'",
                quote(db)
            ))
            .await
            .map_err(|e| MySqlSourceError::query(format!("listing the tables of {db}"), e))?;
        for r in rows {
            if let Some(t) = text(&r, 0) {
                if cfg.captures_table(db, &t) {
                    tables.push(TableId::new(db, &t));
                }
            }
        }
    }
    Ok((dbs, tables))
}

/// Takes the snapshot: records the schema at the snapshot position in the history (and in
/// `catalog`), emits schema change events and, when `data` is set, every row as `op=r`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    cfg: &MySqlConfig,
    server: &ServerInfo,
    history: &mut History,
    catalog: &mut Catalog,
    data: bool,
    output: &BatchSender,
    shutdown: &CancellationToken,
) -> Result<SnapshotPoint, MySqlSourceError> {
    let mut conn = conn::connect(cfg).await?;
    let lock = cfg.locking_mode != LockingMode::None;
    if lock {
        let sql = "FLUSH TABLES WITH READ LOCK";
        conn.query_drop(sql)
            .await
            .map_err(|e| MySqlSourceError::needing(RELOAD, Some(&cfg.user), sql, e))?;
    }
    exec(
        &mut conn,
        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    )
    .await?;
    exec(&mut conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT").await?;
    let point = if lock || !server.mariadb {
        let (file, pos, gtids) = conn::master_position(&mut conn, server.mariadb).await?;
        SnapshotPoint {
            pos: BinlogPos::new(&file, pos),
            gtids,
        }
    } else {
        let rows: Vec<Row> = conn
            .query("SHOW STATUS LIKE 'binlog_snapshot_%'")
            .await
            .map_err(|e| MySqlSourceError::query("reading binlog_snapshot_file", e))?;
        let get = |n: &str| {
            rows.iter()
                .find(|r| text(r, 0).is_some_and(|k| k.eq_ignore_ascii_case(n)))
                .and_then(|r| text(r, 1))
        };
        SnapshotPoint {
            pos: BinlogPos::new(
                &get("binlog_snapshot_file").unwrap_or_default(),
                get("binlog_snapshot_position")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(4),
            ),
            gtids: None,
        }
    };
    info!(position = %point.pos, gtids = ?point.gtids, "snapshot position");

    // The schema, recorded at the snapshot position.
    let (dbs, tables) = captured_tables(&mut conn, cfg).await?;
    let mut entries = vec![Entry {
        file: point.pos.file.clone(),
        pos: point.pos.pos,
        db: String::new(),
        ddl: String::new(),
        reset: true,
    }];
    *catalog = Catalog::default();
    for db in &dbs {
        let ddl = format!("CREATE DATABASE {}", quote(db));
        crate::ddl::apply(catalog, db, &ddl).map_err(|source| MySqlSourceError::Ddl {
            pos: point.pos.clone(),
            ddl: ddl.clone(),
            source,
        })?;
        entries.push(Entry {
            file: point.pos.file.clone(),
            pos: point.pos.pos,
            db: db.clone(),
            ddl,
            reset: false,
        });
    }
    for id in &tables {
        let row: Option<Row> = conn
            .query_first(format!(
                "SHOW CREATE TABLE {}.{}",
                quote(&id.db),
                quote(&id.table)
            ))
            .await
            .map_err(|e| {
                let what = format!("SHOW CREATE TABLE {id}");
                MySqlSourceError::needing(SELECT, Some(&cfg.user), what, e)
            })?;
        let ddl = row.and_then(|r| text(&r, 1)).unwrap_or_default();
        crate::ddl::apply(catalog, &id.db, &ddl).map_err(|source| MySqlSourceError::Ddl {
            pos: point.pos.clone(),
            ddl: ddl.clone(),
            source,
        })?;
        entries.push(Entry {
            file: point.pos.file.clone(),
            pos: point.pos.pos,
            db: id.db.clone(),
            ddl,
            reset: false,
        });
    }
    if cfg.locking_mode == LockingMode::Minimal {
        exec(&mut conn, "UNLOCK TABLES").await?;
    }
    history.append(entries.clone())?;

    let server_name: Arc<str> = cfg.topic_prefix.as_str().into();
    let ts_ms = now_ms();
    let fields = OffsetFields {
        pos: &point.pos,
        gtids: point.gtids.as_deref(),
        events: 0,
        rows: 0,
        server_id: server.server_id,
        ts_sec: ts_ms / 1000,
        server_uid: &server.uid,
    };
    let in_progress = snapshot_offset(&cfg.topic_prefix, &fields, false);
    let source = |db: &str, table: Option<&str>, marker: SnapshotMarker| {
        SourceInfo {
            flavor: cfg.flavor,
            server_name: &server_name,
            db,
            table,
            ts_ms,
            snapshot: marker,
            // Debezium's snapshot records name no server: the rows were not read from a binlog.
            server_id: 0,
            gtid: point.gtids.as_deref(),
            file: &point.pos.file,
            pos: point.pos.pos,
            row: 0,
            thread: None,
            query: None,
        }
        .value()
    };

    // Schema change events for the snapshot's DDL.
    let mut records: Vec<Record> = Vec::new();
    if cfg.include_schema_changes {
        let topic: Arc<str> = cfg.topic_prefix.as_str().into();
        for e in entries.iter().filter(|e| !e.reset) {
            let changes: Vec<TableChange<'_>> = if e.ddl.starts_with("CREATE TABLE") {
                catalog
                    .tables
                    .values()
                    .filter(|t| t.db == e.db && e.ddl.contains(&quote(&t.name)))
                    .take(1)
                    .map(|t| TableChange {
                        kind: "CREATE",
                        id: event::quoted_id(&t.db, &t.name),
                        table: Some(t),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            records.push(event::schema_change(
                cfg.flavor,
                &topic,
                &e.db,
                &e.ddl,
                source(
                    &e.db,
                    changes
                        .first()
                        .and_then(|c| c.table)
                        .map(|t| t.name.as_str()),
                    SnapshotMarker::True,
                ),
                ts_ms,
                &changes,
            ));
        }
    }

    if data {
        let max_batch = output.max_batch_records();
        let n_tables = tables.len();
        for (ti, id) in tables.iter().enumerate() {
            let Some(table) = catalog.table(id) else {
                continue;
            };
            let schema = TableSchema::new(table, cfg, &server.charsets);
            let sql = format!("SELECT * FROM {}.{}", quote(&id.db), quote(&id.table));
            let mut result = conn.exec_iter(sql.as_str(), ()).await.map_err(|e| {
                MySqlSourceError::needing(SELECT, Some(&cfg.user), format!("reading {id}"), e)
            })?;
            // One row of look-ahead so the last row of a table (and of the snapshot) is marked.
            let mut pending: Option<(Vec<cdc_core::Value>, bool)> = None;
            let mut first = true;
            loop {
                let next = result
                    .next()
                    .await
                    .map_err(|e| MySqlSourceError::query(format!("reading {id}"), e))?;
                let is_last = next.is_none();
                if let Some((row, was_first)) = pending.take() {
                    let last_table = ti + 1 == n_tables;
                    let marker = match (was_first && ti == 0, is_last, last_table) {
                        (true, _, _) => SnapshotMarker::First,
                        (_, true, true) => SnapshotMarker::Last,
                        (_, true, false) => SnapshotMarker::LastInDataCollection,
                        _ if was_first => SnapshotMarker::FirstInDataCollection,
                        _ => SnapshotMarker::True,
                    };
                    event::push_change(
                        &mut records,
                        &schema,
                        Op::Read,
                        None,
                        Some(row),
                        source(&id.db, Some(&id.table), marker),
                        None,
                        false,
                    );
                    if records.len() >= max_batch {
                        send(output, std::mem::take(&mut records), in_progress.clone()).await?;
                        if shutdown.is_cancelled() {
                            return Ok(point);
                        }
                    }
                }
                let Some(row) = next else {
                    break;
                };
                let values = row.unwrap();
                let converted = schema
                    .row(values.iter().map(Some), Origin::Snapshot)
                    .map_err(|source| MySqlSourceError::Convert {
                        table: id.to_string(),
                        pos: point.pos.clone(),
                        source: Box::new(source),
                    })?;
                pending = Some((converted, first));
                first = false;
            }
        }
    }
    exec(&mut conn, "COMMIT").await?;
    if cfg.locking_mode == LockingMode::Extended {
        exec(&mut conn, "UNLOCK TABLES").await?;
    }
    let _ = conn.disconnect().await;
    let done = if data {
        snapshot_offset(&cfg.topic_prefix, &fields, true)
    } else {
        stream_offset(&cfg.topic_prefix, &fields)
    };
    send(output, records, done).await?;
    info!(tables = tables.len(), "snapshot complete");
    Ok(point)
}

async fn send(
    output: &BatchSender,
    records: Vec<Record>,
    offset: cdc_core::SourceOffset,
) -> Result<(), MySqlSourceError> {
    output
        .send(Batch::new(records, offset))
        .await
        .map_err(|_| MySqlSourceError::QueueClosed)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
