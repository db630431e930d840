//! The consistent initial snapshot: every captured table read inside one exported snapshot.
//!
//! Each table is read with `COPY (SELECT ...) TO STDOUT (FORMAT binary)` on a connection that
//! imported the snapshot (`SET TRANSACTION SNAPSHOT`), so the rows are exactly those visible at
//! the slot's consistent point and streaming from that point has no gap and no duplicate.
//! `snapshot.max.threads` tables are read in parallel, each on its own connection.

use std::sync::Arc;

use bytes::Bytes;
use cdc_core::{
    Batch, BatchSender, DeferredRows, ProcessingTime, RawRow, RowDecoder, SourceOffset,
};
use futures::{StreamExt, TryStreamExt};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::config::PostgresConfig;
use crate::copy::CopyParser;
use crate::error::{PgSourceError, INSUFFICIENT_PRIVILEGE};
use crate::lsn::Lsn;
use crate::offset::snapshot_offset;
use crate::replication::{quote_ident, quote_literal, CopyClient};
use crate::snapshot_rows::{tag, SnapshotRows, SnapshotSource};
use crate::source_info::{now_us, SnapshotMarker};
use crate::table::TableSchema;

/// What the snapshot reads and where streaming continues.
pub struct SnapshotPlan {
    pub tables: Vec<Arc<TableSchema>>,
    /// The snapshot to import; `None` exports a fresh one from the first connection.
    pub snapshot_name: Option<String>,
    pub lsn: Lsn,
    pub system_id: String,
}

/// Opens a tokio-postgres connection (snapshot work, SQL, heartbeat action queries), with TLS
/// per `database.sslmode`: tokio-postgres's `prefer` and `require` negotiate as libpq does, and
/// the rustls config from `cdc_core::tls` decides what is verified.
pub async fn connect(cfg: &PostgresConfig) -> Result<Client, PgSourceError> {
    let connect_error = |source: tokio_postgres::Error| match source.code() {
        Some(c) if c.code() == INSUFFICIENT_PRIVILEGE => PgSourceError::MissingPrivilege {
            what: format!("connecting to database {:?}", cfg.dbname),
            user: cfg.user.clone(),
            needs: format!("CONNECT on database {}", quote_ident(&cfg.dbname)),
            source: Box::new(source),
        },
        _ => PgSourceError::Connect {
            host: cfg.hostname.clone(),
            port: cfg.port,
            dbname: cfg.dbname.clone(),
            source,
        },
    };
    let mut pg: tokio_postgres::Config = cfg.conn_string().parse().map_err(connect_error)?;
    let Some(tls) = &cfg.tls.client else {
        pg.ssl_mode(SslMode::Disable);
        let (client, conn) = pg.connect(NoTls).await.map_err(connect_error)?;
        spawn_connection(conn);
        return Ok(client);
    };
    let config = tls.client_config().map_err(|source| PgSourceError::Tls {
        host: cfg.hostname.clone(),
        port: cfg.port,
        source,
    })?;
    pg.ssl_mode(if cfg.tls.required() {
        SslMode::Require
    } else {
        SslMode::Prefer
    });
    let tls = MakeRustlsConnect::new(Arc::unwrap_or_clone(config));
    let (client, conn) = pg.connect(tls).await.map_err(connect_error)?;
    spawn_connection(conn);
    Ok(client)
}

fn spawn_connection<S, T>(conn: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "snapshot connection ended");
        }
    });
}

async fn begin_in_snapshot(client: &Client, snapshot: &str) -> Result<(), PgSourceError> {
    client
        .batch_execute(&format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {}",
            quote_literal(snapshot)
        ))
        .await
        .map_err(|e| PgSourceError::query("importing the replication slot's snapshot", e))
}

/// Runs the snapshot, sending `op=r` batches, and a final offset marking it complete.
pub async fn run(
    cfg: &PostgresConfig,
    plan: &SnapshotPlan,
    out: &BatchSender,
    shutdown: &CancellationToken,
) -> Result<(), PgSourceError> {
    let started = std::time::Instant::now();
    let ts_usec = now_us();
    // A coordinator transaction keeps the snapshot alive and gives its xmin for txId.
    let coordinator = connect(cfg).await?;
    let snapshot_name = match &plan.snapshot_name {
        Some(name) => {
            begin_in_snapshot(&coordinator, name).await?;
            name.clone()
        }
        None => {
            coordinator
                .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await
                .map_err(|e| PgSourceError::query("starting the snapshot transaction", e))?;
            let row = coordinator
                .query_one("SELECT pg_export_snapshot()", &[])
                .await
                .map_err(|e| PgSourceError::query("exporting a snapshot", e))?;
            row.get(0)
        }
    };
    let tx_id: i64 = coordinator
        .query_one(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
            &[],
        )
        .await
        .map_err(|e| PgSourceError::query("reading the snapshot's xmin", e))?
        .get(0);

    let held = tokio::sync::Mutex::new(None);
    let ctx = TableCtx {
        cfg,
        plan,
        out,
        shutdown,
        snapshot_name: &snapshot_name,
        tx_id,
        ts_usec,
        held: &held,
    };
    let count = plan.tables.len();
    // Boxed so the future stays Send without higher-ranked closure lifetimes.
    let reads: Vec<TableRead<'_>> = plan
        .tables
        .iter()
        .enumerate()
        .map(|(i, table)| Box::pin(ctx.table(table, i == 0)) as TableRead<'_>)
        .collect();
    let total: u64 = futures::stream::iter(reads)
        .buffer_unordered(cfg.snapshot_max_threads.max(1))
        .try_fold(0u64, |acc, n| async move { Ok(acc + n) })
        .await?;
    let last = held.lock().await.take();
    if let Some(mut last) = last {
        if let Some(row) = last.rows.last_mut() {
            row.tag = tag(SnapshotMarker::Last);
        }
        ctx.send(last).await?;
    }
    let _ = coordinator.batch_execute("COMMIT").await;

    let done = snapshot_offset(
        &cfg.topic_prefix,
        plan.lsn,
        tx_id,
        ts_usec,
        true,
        &plan.system_id,
    );
    out.send(Batch::new(Vec::new(), done))
        .await
        .map_err(|_| PgSourceError::QueueClosed)?;
    info!(
        tables = count,
        rows = total,
        seconds = started.elapsed().as_secs_f64(),
        "snapshot completed"
    );
    Ok(())
}

type TableRead<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<u64, PgSourceError>> + Send + 'a>>;

struct TableCtx<'a> {
    cfg: &'a PostgresConfig,
    plan: &'a SnapshotPlan,
    out: &'a BatchSender,
    shutdown: &'a CancellationToken,
    snapshot_name: &'a str,
    tx_id: i64,
    ts_usec: i64,
    /// The last batch of the table that finished last, held back until another batch goes
    /// out (it then goes first) or the snapshot ends (its last row is then marked `last`): as
    /// Debezium's buffering snapshot receiver, the snapshot's final record is `last` whichever
    /// table it comes from, empty tables after it or not.
    held: &'a tokio::sync::Mutex<Option<DeferredRows>>,
}

impl TableCtx<'_> {
    fn offset(&self) -> SourceOffset {
        snapshot_offset(
            &self.cfg.topic_prefix,
            self.plan.lsn,
            self.tx_id,
            self.ts_usec,
            false,
            &self.plan.system_id,
        )
    }

    async fn table(
        &self,
        table: &Arc<TableSchema>,
        first_table: bool,
    ) -> Result<u64, PgSourceError> {
        let mut client = CopyClient::connect(&self.cfg.protocol_config()).await?;
        client
            .simple_query(
                "importing the replication slot's snapshot",
                &format!(
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {}",
                    quote_literal(self.snapshot_name)
                ),
            )
            .await?;
        let cols: Vec<usize> = (0..table.columns.len())
            .filter(|&i| table.value_pos[i].is_some())
            .collect();
        let select = if cols.is_empty() {
            "NULL".to_owned()
        } else {
            cols.iter()
                .map(|&i| quote_ident(&table.columns[i].name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            "COPY (SELECT {select} FROM {}.{}) TO STDOUT (FORMAT binary)",
            quote_ident(&table.schema),
            quote_ident(&table.table)
        );
        let what = || format!("reading {}.{} for the snapshot", table.schema, table.table);
        let mut copy = client
            .copy_out("the snapshot's COPY", &sql)
            .await
            .map_err(|e| match e.sqlstate() {
                Some(INSUFFICIENT_PRIVILEGE) => PgSourceError::MissingPrivilege {
                    what: what(),
                    user: self.cfg.user.clone(),
                    needs: format!(
                        "SELECT on table {}.{} or USAGE on schema {}",
                        quote_ident(&table.schema),
                        quote_ident(&table.table),
                        quote_ident(&table.schema)
                    ),
                    source: Box::new(e),
                },
                _ => e.into(),
            })?;
        let nfields = cols.len().max(1);
        let mut parser = CopyParser::new();
        let batch_size = self.out.max_batch_records();
        // The rows go out as read; the converter decodes them (see `snapshot_rows`).
        let decoder: Arc<dyn RowDecoder> = Arc::new(SnapshotRows::new(
            table.clone(),
            cols,
            &SnapshotSource {
                server_name: &self.cfg.topic_prefix,
                db: &self.cfg.dbname,
                ts_us: self.ts_usec,
                tx_id: self.tx_id,
                lsn: self.plan.lsn,
            },
        ));
        let mut batch: Vec<RawRow> = Vec::with_capacity(batch_size + 1);
        // Each row is sent once the next is read, so the last one can be marked as such.
        let mut pending: Option<(Bytes, ProcessingTime)> = None;
        let mut rows = 0u64;
        let mut read_at = ProcessingTime::now();
        let mut since_clock = 0u32;
        loop {
            // A chunk already received is taken without waiting: it was read with the ones
            // before it, at the same time. The clock is read again (for the events' ts_ms,
            // ts_us and ts_ns) only after waiting for the server, or every CLOCK_EVERY chunks.
            let next = match copy.try_next()? {
                Some(next) => {
                    since_clock += 1;
                    if since_clock >= CLOCK_EVERY {
                        since_clock = 0;
                        read_at = ProcessingTime::now();
                        if self.shutdown.is_cancelled() {
                            return Err(PgSourceError::QueueClosed);
                        }
                    }
                    Some(next)
                }
                None => {
                    let next = tokio::select! {
                        c = copy.next() => c?,
                        () = self.shutdown.cancelled() => return Err(PgSourceError::QueueClosed),
                    };
                    since_clock = 0;
                    read_at = ProcessingTime::now();
                    next
                }
            };
            let Some(chunk) = next else { break };
            parser.push(chunk);
            while let Some(data) =
                parser
                    .next_raw_row(nfields)
                    .map_err(|source| PgSourceError::Copy {
                        what: what(),
                        source,
                    })?
            {
                let read = (data, read_at);
                if let Some((data, ts)) = pending.replace(read) {
                    let m = marker(first_table && rows == 0, rows == 0, false);
                    batch.push(RawRow {
                        data,
                        tag: tag(m),
                        ts,
                    });
                    rows += 1;
                    if batch.len() >= batch_size {
                        self.flush(&decoder, &mut batch, batch_size).await?;
                    }
                }
            }
        }
        parser.finish().map_err(|source| PgSourceError::Copy {
            what: what(),
            source,
        })?;
        if let Some((data, ts)) = pending.take() {
            let m = marker(first_table && rows == 0, rows == 0, true);
            batch.push(RawRow {
                data,
                tag: tag(m),
                ts,
            });
            rows += 1;
        }
        self.hold(&decoder, batch).await?;
        let _ = client.simple_query("ending the snapshot", "COMMIT").await;
        client.close().await;
        info!(table = %format!("{}.{}", table.schema, table.table), rows, "table snapshot done");
        Ok(rows)
    }

    /// Sends `rows` as a batch, leaving room for `next` rows in their place (a held batch
    /// goes first).
    async fn flush(
        &self,
        decoder: &Arc<dyn RowDecoder>,
        rows: &mut Vec<RawRow>,
        next: usize,
    ) -> Result<(), PgSourceError> {
        if rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(rows, Vec::with_capacity(next));
        let mut held = self.held.lock().await;
        if let Some(prev) = held.take() {
            self.send(prev).await?;
        }
        self.send(DeferredRows {
            decoder: decoder.clone(),
            rows,
        })
        .await
    }

    /// Holds a table's final batch back in place of the one held before (which goes out).
    async fn hold(
        &self,
        decoder: &Arc<dyn RowDecoder>,
        rows: Vec<RawRow>,
    ) -> Result<(), PgSourceError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut held = self.held.lock().await;
        if let Some(prev) = held.replace(DeferredRows {
            decoder: decoder.clone(),
            rows,
        }) {
            self.send(prev).await?;
        }
        Ok(())
    }

    async fn send(&self, rows: DeferredRows) -> Result<(), PgSourceError> {
        self.out
            .send(Batch::deferred(rows, self.offset()))
            .await
            .map_err(|_| PgSourceError::QueueClosed)
    }
}

/// Chunks of a COPY read in one go (without waiting) that share one reading of the clock.
const CLOCK_EVERY: u32 = 256;

/// Debezium's `SnapshotRecord` choice for one row (the snapshot's final row is made `last`
/// when the snapshot ends, see [`TableCtx::held`]).
fn marker(first_overall: bool, first_in_table: bool, last_in_table: bool) -> SnapshotMarker {
    // A table's only row is its last, as Debezium marks it.
    if first_overall {
        SnapshotMarker::First
    } else if last_in_table {
        SnapshotMarker::LastInDataCollection
    } else if first_in_table {
        SnapshotMarker::FirstInDataCollection
    } else {
        SnapshotMarker::True
    }
}
