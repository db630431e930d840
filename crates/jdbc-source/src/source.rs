//! The running connector (`JdbcSourceTask` and the connector's `TableMonitorThread` in one):
//! queriers over the selected tables (or the custom query), each pass reading every row past
//! its table's offset and sending them as records, one table at a time per connection, the
//! tables spread over `tasks.max` connections; the table list read again every
//! `table.poll.interval.ms`.
//!
//! A connection that cannot be made, or a query that fails with an error waiting can heal
//! (by SQLSTATE, [`crate::errors`]), ends the run with a transient error: the worker keeps the
//! task RUNNING and starts it again with backoff from the committed offsets. Anything else
//! (a missing column, a missing privilege, a nullable offset column with `validate.non.null`)
//! fails the task with the reason.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use cdc_core::{
    Batch, BatchSender, ConfigErrors, ConfigMap, ConfigReader, ConnectorError, Record,
    SourceContext, SourceOffset,
};
use jiff::tz::TimeZone;
use serde_json::{Map, Value as Json};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::{JdbcSourceConfig, Tables};
use crate::db::{Connection, Cursor, Db, DbError, Prepared, RowPlan};
use crate::errors::{on_error, OnError};
use crate::offsets::{starting_offset, Offset, Partition};
use crate::pass::{bounds, record_offsets, RowKey};
use crate::record::{polling_warning, row_schema, RowSchema};
use crate::sql::{build, Mode, Rows, TableId};
use crate::values::Target;

/// `io.confluent.connect.jdbc.JdbcSourceConnector`.
#[derive(Debug)]
pub struct JdbcSource {
    name: String,
    config: Arc<JdbcSourceConfig>,
    connection: Arc<Connection>,
    tasks_max: usize,
    zone: TimeZone,
    /// The start-up log line on what polling misses is written once per connector run.
    warned: bool,
    /// Query failures in a row that waiting may heal, against `query.retry.attempts`.
    failures: Arc<std::sync::atomic::AtomicI64>,
}

impl JdbcSource {
    pub fn from_config(map: &ConfigMap) -> Result<JdbcSource, ConfigErrors> {
        let mut problems = Vec::new();
        let config = match JdbcSourceConfig::from_map(map) {
            Ok(c) => Some(c),
            Err(ConfigErrors(p)) => {
                problems.extend(p);
                None
            }
        };
        let mut r = ConfigReader::new(map);
        let mut url_problems = Vec::new();
        let conn =
            sinks::jdbc::config::read_connection(&mut r, map, "connection.user", &mut url_problems);
        let tasks_max = r.int("tasks.max", 1, 1, i64::from(i32::MAX)) as usize;
        let name = r.optional_string("name").unwrap_or_default();
        if let Err(ConfigErrors(p)) = r.finish() {
            problems.extend(p);
        }
        problems.extend(url_problems);
        let zone = config
            .as_ref()
            .and_then(|c| crate::temporal::zone(&c.db_timezone).ok());
        match (config, conn, zone) {
            (Some(config), Some((url, user, password)), Some(zone)) if problems.is_empty() => {
                Ok(JdbcSource {
                    name,
                    config: Arc::new(config),
                    connection: Arc::new(Connection {
                        url,
                        user,
                        password,
                    }),
                    tasks_max,
                    zone,
                    warned: false,
                    failures: Arc::default(),
                })
            }
            _ => Err(ConfigErrors(problems)),
        }
    }
}

/// One table's (or the query's) querier.
#[derive(Debug, Clone)]
struct Querier {
    table: Option<TableId>,
    topic: Arc<str>,
    mode: Mode,
    partition: Map<String, Json>,
    offset: Offset,
    /// When its last pass ended.
    last: Option<Instant>,
}

fn transient(what: impl Into<String>) -> ConnectorError {
    ConnectorError::transient(std::io::Error::other(what.into()))
}

/// A database error as the task's error: transient when waiting can heal it.
fn db_error(e: DbError) -> ConnectorError {
    // A table dropped while it is being read (PostgreSQL 42P01, MySQL 42S02) is gone from the
    // list at the restart, as Confluent's table monitor drops it.
    let dropped = matches!(e.sqlstate.as_deref(), Some("42P01" | "42S02"));
    let heals = dropped
        || e.connection
        || e.sqlstate
            .as_deref()
            .is_some_and(|s| on_error(s) == OnError::Retry);
    if heals {
        transient(e.message)
    } else {
        ConnectorError::fatal_msg(e.message)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl JdbcSource {
    async fn connect(&self, shutdown: &CancellationToken) -> Result<Option<Db>, ConnectorError> {
        let attempts = self.config.connection_attempts.max(1);
        let backoff = Duration::from_millis(self.config.connection_backoff_ms.max(0) as u64);
        let mut last = None;
        for attempt in 1..=attempts {
            match Db::connect(&self.connection, &self.config.db_timezone).await {
                Ok(db) => return Ok(Some(db)),
                Err(e) if !e.connection => return Err(ConnectorError::fatal_msg(e.message)),
                Err(e) => {
                    warn!(connector = %self.name, attempt, attempts, error = %e.message,
                        "cannot connect to the source database");
                    last = Some(e);
                }
            }
            if attempt < attempts {
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.cancelled() => return Ok(None),
                }
            }
        }
        Err(db_error(last.unwrap_or(DbError {
            sqlstate: None,
            message: "cannot connect to the source database".into(),
            connection: true,
        })))
    }

    /// The queriers of the selected tables (or the query), each from its stored offset.
    async fn queriers(
        &self,
        db: &mut Db,
        stored: &[SourceOffset],
    ) -> Result<Vec<Querier>, ConnectorError> {
        let c = &self.config;
        let find = |p: &Partition| {
            let m = p.to_map();
            stored.iter().find(|o| o.partition == m).map(|o| &o.offset)
        };
        let mut db_now: Option<(i64, u32)> = None;
        if c.timestamp_initial == Some(-1) {
            db_now = Some(db.now().await.map_err(db_error)?);
        }
        let now = || db_now.unwrap_or((0, 0));
        let mut out = Vec::new();
        match &c.tables {
            Tables::Query(_) => {
                let p = Partition::Query;
                let offset = starting_offset(find(&p), None, c.timestamp_initial, now)
                    .map_err(ConnectorError::fatal_msg)?;
                out.push(Querier {
                    table: None,
                    topic: c.topic_prefix.as_str().into(),
                    mode: c.mode_for(""),
                    partition: p.to_map(),
                    offset,
                    last: None,
                });
            }
            tables => {
                let all = db
                    .tables(
                        &c.table_types,
                        c.schema_pattern.as_deref(),
                        c.catalog_pattern.as_deref(),
                    )
                    .await
                    .map_err(db_error)?;
                let selected = crate::tables::select(&all, tables, self.connection.dialect());
                crate::tables::check_bare_names(&selected).map_err(ConnectorError::fatal_msg)?;
                for t in selected {
                    let mode = c.mode_for(&t.fqn());
                    let [v1, v0] = Partition::lookups(&t);
                    let partition = if mode == Mode::Bulk {
                        v0.clone()
                    } else {
                        v1.clone()
                    };
                    let offset = starting_offset(find(&v1), find(&v0), c.timestamp_initial, now)
                        .map_err(|e| ConnectorError::fatal_msg(format!("{}: {e}", t.fqn())))?;
                    out.push(Querier {
                        topic: crate::tables::topic(&c.topic_prefix, &t).into(),
                        table: Some(t),
                        mode,
                        partition: partition.to_map(),
                        offset,
                        last: None,
                    });
                }
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl cdc_core::Source for JdbcSource {
    async fn run(&mut self, ctx: SourceContext) -> Result<(), ConnectorError> {
        let Some(mut db) = self.connect(&ctx.shutdown).await? else {
            return Ok(());
        };
        if !self.warned {
            let (wal, binlog) = db.capture_settings().await;
            warn!(connector = %self.name, "{}", polling_warning(&self.name, wal.as_deref(), binlog.as_deref()));
            self.warned = true;
        }
        // Offsets committed in this run replace the stored ones.
        let mut stored = ctx.start_offsets.clone();
        let mut queriers = self.queriers(&mut db, &stored).await?;
        if queriers.is_empty() {
            warn!(connector = %self.name, "no table matches the connector's table filters yet; looking again every table.poll.interval.ms");
        }
        let monitor = Duration::from_millis(self.config.table_poll_interval_ms.max(1) as u64);
        let mut db = Some(db);
        loop {
            let groups = crate::tables::group(&queriers, self.tasks_max.max(1));
            info!(connector = %self.name, tables = queriers.len(), connections = groups.len(), "polling");
            let token = ctx.shutdown.child_token();
            let mut set = tokio::task::JoinSet::new();
            for (i, group) in groups.into_iter().enumerate() {
                let runner = Runner {
                    name: self.name.clone(),
                    config: self.config.clone(),
                    connection: self.connection.clone(),
                    zone: self.zone.clone(),
                    output: ctx.output.clone(),
                    shutdown: token.clone(),
                    failures: self.failures.clone(),
                };
                let first = if i == 0 { db.take() } else { None };
                set.spawn(async move { runner.run(first, group).await });
            }
            // The table monitor: look again every table.poll.interval.ms; on a change, stop
            // the queriers at the end of their pass and spread the new list.
            let mut stopped: Vec<Querier> = Vec::new();
            let changed = loop {
                tokio::select! {
                    r = set.join_next() => match r {
                        None => break false,
                        Some(Ok(Ok(q))) => { stopped.extend(q); continue }
                        Some(Ok(Err(e))) => { token.cancel(); set.shutdown().await; return Err(e) }
                        Some(Err(e)) => {
                            token.cancel();
                            set.shutdown().await;
                            return Err(ConnectorError::fatal_msg(format!("a querier failed: {e}")));
                        }
                    },
                    _ = tokio::time::sleep(monitor), if !matches!(self.config.tables, Tables::Query(_)) => {
                        // A listing that fails is logged and tried again at the next interval,
                        // as Confluent's monitor does; the queriers go on meanwhile.
                        let listed = async {
                            let Some(mut probe) = self.connect(&ctx.shutdown).await? else {
                                return Ok(None);
                            };
                            let now: Vec<TableId> = self.queriers(&mut probe, &[]).await?
                                .into_iter().filter_map(|q| q.table).collect();
                            Ok::<_, ConnectorError>(Some((probe, now)))
                        };
                        let (probe, now) = match listed.await {
                            Ok(Some(listed)) => listed,
                            Ok(None) => break false,
                            // A new table that would share a topic fails the connector.
                            Err(e) if e.retry() == cdc_core::Retry::Fatal => {
                                token.cancel();
                                set.shutdown().await;
                                return Err(e);
                            }
                            Err(e) => {
                                warn!(connector = %self.name, error = %e,
                                    "cannot list the tables; trying again at the next table.poll.interval.ms");
                                continue;
                            }
                        };
                        let had: Vec<TableId> = queriers.iter().filter_map(|q| q.table.clone()).collect();
                        if now != had {
                            info!(connector = %self.name, before = had.len(), after = now.len(),
                                "the selected tables changed; spreading them again");
                            db = Some(probe);
                            break true;
                        }
                    }
                    _ = ctx.shutdown.cancelled() => break false,
                }
            };
            token.cancel();
            while let Some(r) = set.join_next().await {
                match r {
                    Ok(Ok(q)) => stopped.extend(q),
                    Ok(Err(e)) if !ctx.shutdown.is_cancelled() => return Err(e),
                    _ => {}
                }
            }
            if !changed || ctx.shutdown.is_cancelled() {
                return Ok(());
            }
            // A table's querier resumes from what it sent (what is committed may lag behind).
            for q in &stopped {
                stored.retain(|s| s.partition != q.partition);
                stored.push(SourceOffset::new(q.partition.clone(), q.offset.to_map()));
            }
            let Some(probe) = db.as_mut() else {
                return Ok(());
            };
            queriers = self.queriers(probe, &stored).await?;
        }
    }
}

/// The queriers of one connection.
struct Runner {
    name: String,
    config: Arc<JdbcSourceConfig>,
    connection: Arc<Connection>,
    zone: TimeZone,
    output: BatchSender,
    shutdown: CancellationToken,
    failures: Arc<std::sync::atomic::AtomicI64>,
}

impl Runner {
    /// Polls `queriers` until shutdown, then hands them back with the offsets they sent.
    async fn run(
        &self,
        db: Option<Db>,
        mut queriers: Vec<Querier>,
    ) -> Result<Vec<Querier>, ConnectorError> {
        let mut db = match db {
            Some(db) => db,
            None => match Db::connect(&self.connection, &self.config.db_timezone).await {
                Ok(db) => db,
                Err(e) => return Err(db_error(e)),
            },
        };
        let interval = Duration::from_millis(self.config.poll_interval_ms.max(0) as u64);
        let mut schemas: BTreeMap<usize, (Prepared, RowSchema)> = BTreeMap::new();
        if queriers.is_empty() {
            self.shutdown.cancelled().await;
            return Ok(queriers);
        }
        loop {
            // The querier whose last pass ended longest ago (never first).
            let (i, due) = queriers
                .iter()
                .enumerate()
                .map(|(i, q)| (i, q.last.map(|t| t + interval)))
                .min_by_key(|(_, t)| *t)
                .unwrap_or((0, None));
            if let Some(due) = due {
                tokio::select! {
                    _ = tokio::time::sleep_until(due.into()) => {}
                    _ = self.shutdown.cancelled() => return Ok(queriers),
                }
            }
            if self.shutdown.is_cancelled() {
                return Ok(queriers);
            }
            let q = &mut queriers[i];
            if let std::collections::btree_map::Entry::Vacant(slot) = schemas.entry(i) {
                let query = self.query(q);
                let prepared = db.prepare(&query).await.map_err(db_error)?;
                self.check_offset_columns(q, &prepared)?;
                let row = row_schema(
                    q.table.as_ref().map(|t| t.table.as_str()),
                    &prepared.columns,
                    self.config.numeric_mapping,
                );
                if !row.dropped.is_empty() {
                    warn!(connector = %self.name, table = q.table.as_ref().map(TableId::fqn).unwrap_or_default(),
                        columns = ?row.dropped, "columns of types the JDBC source does not map are left out of the records, as Confluent's connector leaves them out");
                }
                slot.insert((prepared, row));
            }
            let (prepared, row) = &schemas[&i];
            let result = self.pass(&mut db, q, prepared, row).await;
            q.last = Some(Instant::now());
            use std::sync::atomic::Ordering::SeqCst;
            match result {
                Ok(true) => self.failures.store(0, SeqCst),
                Ok(false) => return Ok(queriers),
                Err(e) => {
                    let error = db_error(e);
                    let allowed = self.config.query_retry_attempts;
                    if error.retry() != cdc_core::Retry::Fatal {
                        let n = self.failures.fetch_add(1, SeqCst) + 1;
                        if allowed >= 0 && n > allowed {
                            return Err(ConnectorError::fatal_msg(format!(
                                "the query failed {n} times in a row (query.retry.attempts={allowed}): {error}"
                            )));
                        }
                    }
                    return Err(error);
                }
            }
        }
    }

    fn query(&self, q: &Querier) -> crate::sql::Query {
        let rows = match (&q.table, &self.config.tables) {
            (Some(t), _) => Rows::Table(t),
            (None, Tables::Query(sql)) => Rows::Custom(sql),
            (None, _) => Rows::Custom(""),
        };
        build(
            &rows,
            &q.mode,
            self.connection.dialect(),
            self.config.quoting,
            &self.config.query_suffix,
        )
    }

    /// `validate.non.null`: the incrementing column must be NOT NULL, and not every timestamp
    /// column may be nullable (Confluent's `validateNonNullable`); a missing column fails too.
    fn check_offset_columns(&self, q: &Querier, prepared: &Prepared) -> Result<(), ConnectorError> {
        let what = q
            .table
            .as_ref()
            .map_or_else(|| "the query".to_owned(), TableId::fqn);
        let find = |name: &str| prepared.columns.iter().find(|c| c.name == name);
        let (incrementing, timestamps) = match &q.mode {
            Mode::Bulk => return Ok(()),
            Mode::Incrementing { column } => (Some(column), &[][..]),
            Mode::Timestamp { columns } => (None, columns.as_slice()),
            Mode::TimestampIncrementing {
                columns,
                incrementing,
            } => (Some(incrementing), columns.as_slice()),
        };
        if let Some(column) = incrementing {
            match find(column) {
                None => {
                    return Err(ConnectorError::fatal_msg(format!(
                        "Incrementing column {column} not found in {what}: check incrementing.column.name"
                    )))
                }
                Some(c) if c.nullable && self.config.validate_non_null && q.table.is_some() => {
                    return Err(ConnectorError::fatal_msg(format!(
                        "Cannot make incremental queries using incrementing column {column} on {what} because this column is nullable (set validate.non.null=false to allow it)"
                    )))
                }
                Some(_) => {}
            }
        }
        if !timestamps.is_empty() {
            let found: Vec<_> = timestamps.iter().filter_map(|c| find(c)).collect();
            if found.len() < timestamps.len() {
                return Err(ConnectorError::fatal_msg(format!(
                    "Timestamp columns {timestamps:?} are not all in {what}: check timestamp.column.name"
                )));
            }
            if self.config.validate_non_null
                && q.table.is_some()
                && found.iter().all(|c| c.nullable)
            {
                return Err(ConnectorError::fatal_msg(format!(
                    "Cannot make incremental queries using timestamp columns {timestamps:?} on {what} because all of these columns are nullable (set validate.non.null=false to allow it)"
                )));
            }
        }
        Ok(())
    }

    /// One pass over a querier's rows. `Ok(false)`: the worker is stopping.
    async fn pass(
        &self,
        db: &mut Db,
        q: &mut Querier,
        prepared: &Prepared,
        row: &RowSchema,
    ) -> Result<bool, DbError> {
        let needs_now = matches!(
            q.mode,
            Mode::Timestamp { .. } | Mode::TimestampIncrementing { .. }
        );
        let end = if needs_now {
            let (s, n) = db.now().await?;
            let delay = self.config.timestamp_delay_ms.max(0);
            let ms = s * 1000 + i64::from(n / 1_000_000) - delay;
            (
                ms.div_euclid(1000),
                n % 1_000_000 + (ms.rem_euclid(1000) as u32) * 1_000_000,
            )
        } else {
            (0, 0)
        };
        let query_params = self.query(q).params;
        let bound = bounds(&query_params, &q.offset, end);
        // `batch.max.rows` rows are read and sent at a time.
        let fetch = self.config.batch_max_rows.max(1);
        let plan = plan(&q.mode, prepared, row, &self.zone);
        let max_batch = self.output.max_batch_records().max(1);
        let started = Instant::now();
        let mut read = 0usize;
        let mut cursor: Cursor<'_> = db.execute(prepared, &bound, fetch, &self.zone).await?;
        let mut chunk = cursor.next_chunk(prepared, &plan, fetch).await?;
        while let Some(rows) = chunk.take() {
            let next = cursor.next_chunk(prepared, &plan, fetch).await?;
            // Offsets need the next row (timestamp mode commits at the end of a tie group).
            let mut keys: Vec<RowKey> = rows.iter().map(|r| r.key).collect();
            if let Some(r) = next.as_ref().and_then(|n| n.first()) {
                keys.push(r.key);
            }
            read += rows.len();
            let offsets = record_offsets(&q.mode, &q.offset, &keys).map_err(decode_error)?;
            let now = now_ms();
            let mut records: Vec<Record> = Vec::with_capacity(rows.len().min(max_batch));
            let mut last = q.offset;
            for (r, offset) in rows.into_iter().zip(offsets) {
                records.push(crate::record::record(&q.topic, row, r.values, now));
                last = offset;
                if records.len() >= max_batch
                    && !self.send(std::mem::take(&mut records), q, last).await
                {
                    return Ok(false);
                }
            }
            if !records.is_empty() && !self.send(records, q, last).await {
                return Ok(false);
            }
            chunk = next;
        }
        cursor.finish().await?;
        tracing::debug!(connector = %self.name, topic = %q.topic, rows = read,
            ms = started.elapsed().as_millis() as u64, "pass done");
        Ok(true)
    }

    /// Sends records with the offset of the last of them. `false`: the worker is stopping.
    async fn send(&self, records: Vec<Record>, q: &mut Querier, offset: Offset) -> bool {
        let batch = Batch::new(
            records,
            SourceOffset::new(q.partition.clone(), offset.to_map()),
        );
        let sent = tokio::select! {
            sent = self.output.send(batch) => sent.is_ok(),
            _ = self.shutdown.cancelled() => false,
        };
        if sent {
            q.offset = offset;
        }
        sent
    }
}

fn decode_error(message: String) -> DbError {
    DbError {
        sqlstate: None,
        message,
        connection: false,
    }
}

/// Which columns a pass reads into its records, and where its offset columns are (by name,
/// then ignoring case).
fn plan(mode: &Mode, prepared: &Prepared, row: &RowSchema, zone: &TimeZone) -> RowPlan {
    let index = |name: &str| {
        let cols = &prepared.columns;
        cols.iter()
            .position(|c| c.name == name)
            .or_else(|| cols.iter().position(|c| c.name.eq_ignore_ascii_case(name)))
    };
    let (inc, ts): (Option<&String>, &[String]) = match mode {
        Mode::Bulk => (None, &[]),
        Mode::Incrementing { column } => (Some(column), &[]),
        Mode::Timestamp { columns } => (None, columns),
        Mode::TimestampIncrementing {
            columns,
            incrementing,
        } => (Some(incrementing), columns),
    };
    RowPlan {
        fields: row
            .kept
            .iter()
            .zip(&row.schema.fields)
            .map(|(&i, f)| (i, Target::of(&f.schema)))
            .collect(),
        incrementing: inc.and_then(|c| index(c)),
        timestamps: ts.iter().filter_map(|c| index(c)).collect(),
        zone: zone.clone(),
        utc: zone.iana_name() == Some("UTC"),
    }
}
