//! The consistent initial snapshot: every captured table read inside one exported snapshot.
//!
//! Each table is read with `COPY (SELECT ...) TO STDOUT (FORMAT binary)` on a connection that
//! imported the snapshot (`SET TRANSACTION SNAPSHOT`), so the rows are exactly those visible at
//! the slot's consistent point and streaming from that point has no gap and no duplicate.
//! `snapshot.max.threads` tables are read in parallel, each on its own connection.

use std::sync::Arc;

use bytes::Bytes;
use cdc_core::{Batch, BatchSender, Op, ProcessingTime, Record, SourceOffset, Value};
use futures::{StreamExt, TryStreamExt};
use tokio_postgres::{Client, NoTls};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::config::PostgresConfig;
use crate::copy::CopyParser;
use crate::error::PgSourceError;
use crate::event::{push_change, Row};
use crate::lsn::Lsn;
use crate::offset::snapshot_offset;
use crate::replication::{quote_ident, quote_literal};
use crate::source_info::{now_us, SnapshotMarker, SourceInfo};
use crate::table::TableSchema;

/// What the snapshot reads and where streaming continues.
pub struct SnapshotPlan {
    pub tables: Vec<Arc<TableSchema>>,
    /// The snapshot to import; `None` exports a fresh one from the first connection.
    pub snapshot_name: Option<String>,
    pub lsn: Lsn,
    pub system_id: String,
}

/// Opens a connection for snapshot work.
pub async fn connect(cfg: &PostgresConfig) -> Result<Client, PgSourceError> {
    let (client, conn) = tokio_postgres::connect(&cfg.conn_string(), NoTls)
        .await
        .map_err(|source| PgSourceError::Connect {
            host: cfg.hostname.clone(),
            port: cfg.port,
            dbname: cfg.dbname.clone(),
            source,
        })?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "snapshot connection ended");
        }
    });
    Ok(client)
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

    let ctx = TableCtx {
        cfg,
        plan,
        out,
        shutdown,
        snapshot_name: &snapshot_name,
        tx_id,
        ts_usec,
    };
    let count = plan.tables.len();
    // Boxed so the future stays Send without higher-ranked closure lifetimes.
    let reads: Vec<TableRead<'_>> = plan
        .tables
        .iter()
        .enumerate()
        .map(|(i, table)| Box::pin(ctx.table(table, i == 0, i + 1 == count)) as TableRead<'_>)
        .collect();
    let total: u64 = futures::stream::iter(reads)
        .buffer_unordered(cfg.snapshot_max_threads.max(1))
        .try_fold(0u64, |acc, n| async move { Ok(acc + n) })
        .await?;
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
        last_table: bool,
    ) -> Result<u64, PgSourceError> {
        let client = connect(self.cfg).await?;
        begin_in_snapshot(&client, self.snapshot_name).await?;
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
        let stream = client
            .copy_out(sql.as_str())
            .await
            .map_err(|e| PgSourceError::query(what(), e))?;
        futures::pin_mut!(stream);
        let nfields = cols.len().max(1);
        let mut parser = CopyParser::new();
        let batch_size = self.out.max_batch_records();
        let mut records: Vec<Record> = Vec::with_capacity(batch_size + 1);
        let mut pending: Option<Row> = None;
        let mut rows = 0u64;
        // Every row but the first and last of a table has the same source block: build it once;
        // a clone shares its strings.
        let common_source = self.source(table, SnapshotMarker::True);
        loop {
            let chunk: Option<Bytes> = tokio::select! {
                c = stream.next() => c.transpose().map_err(|e| PgSourceError::query(what(), e))?,
                () = self.shutdown.cancelled() => return Err(PgSourceError::QueueClosed),
            };
            let Some(chunk) = chunk else { break };
            parser.push(&chunk);
            while let Some(fields) =
                parser
                    .next_row(nfields)
                    .map_err(|source| PgSourceError::Copy {
                        what: what(),
                        source,
                    })?
            {
                let row = self.decode_row(table, &cols, fields)?;
                if let Some(prev) = pending.replace(row) {
                    let marker = marker(
                        first_table && rows == 0,
                        false,
                        rows == 0,
                        false,
                        last_table,
                    );
                    let source = if marker == SnapshotMarker::True {
                        common_source.clone()
                    } else {
                        self.source(table, marker)
                    };
                    self.push(&mut records, table, prev, source);
                    rows += 1;
                    if records.len() >= batch_size {
                        self.flush(&mut records, batch_size).await?;
                    }
                }
            }
        }
        parser.finish().map_err(|source| PgSourceError::Copy {
            what: what(),
            source,
        })?;
        if let Some(last) = pending.take() {
            let m = marker(
                first_table && rows == 0,
                last_table,
                rows == 0,
                true,
                last_table,
            );
            self.push(&mut records, table, last, self.source(table, m));
            rows += 1;
        }
        self.flush(&mut records, 0).await?;
        let _ = client.batch_execute("COMMIT").await;
        info!(table = %format!("{}.{}", table.schema, table.table), rows, "table snapshot done");
        Ok(rows)
    }

    fn decode_row(
        &self,
        table: &TableSchema,
        cols: &[usize],
        fields: Vec<Option<Bytes>>,
    ) -> Result<Row, PgSourceError> {
        let mut row = Vec::with_capacity(cols.len());
        for (&i, field) in cols.iter().zip(fields) {
            let col = &table.columns[i];
            let v = match (field, &col.codec) {
                (None, _) | (_, None) => Value::Null,
                (Some(raw), Some(codec)) => {
                    codec
                        .decode_binary(&raw)
                        .map_err(|source| PgSourceError::Convert {
                            table: format!("{}.{}", table.schema, table.table),
                            column: col.name.clone(),
                            lsn: self.plan.lsn,
                            source,
                        })?
                }
            };
            row.push(v);
        }
        Ok(row)
    }

    /// The source block of a row of `table` with `marker`.
    fn source(&self, table: &TableSchema, marker: SnapshotMarker) -> Value {
        SourceInfo {
            server_name: &self.cfg.topic_prefix,
            db: &self.cfg.dbname,
            ts_us: self.ts_usec,
            snapshot: marker,
            sequence: None,
            schema: &table.schema,
            table: &table.table,
            tx_id: Some(self.tx_id),
            lsn: Some(self.plan.lsn.0),
        }
        .value()
    }

    fn push(&self, records: &mut Vec<Record>, table: &TableSchema, row: Row, source: Value) {
        push_change(
            records,
            table,
            Op::Read,
            None,
            Some(row),
            source,
            None,
            false,
            ProcessingTime::now(),
        );
    }

    /// Sends `records` as a batch, leaving room for `next` records in their place.
    async fn flush(&self, records: &mut Vec<Record>, next: usize) -> Result<(), PgSourceError> {
        if records.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(records, Vec::with_capacity(next));
        let batch = Batch::new(full, self.offset());
        self.out
            .send(batch)
            .await
            .map_err(|_| PgSourceError::QueueClosed)
    }
}

/// Debezium's `SnapshotRecord` choice for one row.
fn marker(
    first_overall: bool,
    last_overall: bool,
    first_in_table: bool,
    last_in_table: bool,
    _last_table: bool,
) -> SnapshotMarker {
    if first_overall {
        SnapshotMarker::First
    } else if last_overall {
        SnapshotMarker::Last
    } else if first_in_table {
        SnapshotMarker::FirstInDataCollection
    } else if last_in_table {
        SnapshotMarker::LastInDataCollection
    } else {
        SnapshotMarker::True
    }
}
