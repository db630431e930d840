//! Streaming changes from the replication slot.
//!
//! The loop decodes pgoutput messages into change records, hands them to the runtime in batches
//! with the position to resume from, and tells the server only what the runtime made durable:
//! the standby status `flush` LSN is always the `lsn_commit` of the last committed offset.
//! While the runtime pushes back, the loop keeps sending status updates so the walsender does
//! not time out. When nothing is in flight, keepalive positions are stored and confirmed so
//! idle captured tables do not pin WAL.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cdc_core::transaction::{heartbeat_record, TransactionMonitor};
use cdc_core::{Batch, BatchSender, Op, ProcessingTime, Record, SourceOffset, Value};
use tokio::sync::watch;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::config::PostgresConfig;
use crate::convert::{unavailable_value, TypeRegistry};
use crate::error::PgSourceError;
use crate::event::{key_header, key_of, push_change, push_truncate, Row};
use crate::jdbc_column::Described;
use crate::keepalive::KeepalivePosition;
use crate::lsn::Lsn;
use crate::offset::{stream_offset, Position};
use crate::pgoutput::{Decoder, OldTuple, PgOutputMessage, Relation, TupleColumn, TupleData};
use crate::replication::{Liveness, ReplicationMessage, ReplicationStream, Verdict};
use crate::source_info::{pg_to_unix_us, SnapshotMarker, SourceInfo};
use crate::table::{load_table, Column, TableSchema};

/// How long a graceful close may take at shutdown.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Sleeps until `at` (a std instant); never called with `None` (the select guards it).
async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
    }
}

struct Tx {
    xid: u32,
    commit_ts_us: i64,
    /// Change messages seen in this transaction (replays count the same way).
    changes: u64,
    /// Changes already durable before a restart, to skip.
    skip: u64,
}

/// The streaming state of one connection.
pub struct Streamer<'a> {
    cfg: &'a PostgresConfig,
    meta: &'a Client,
    registry: TypeRegistry,
    system_id: String,
    decoder: Decoder,
    relations: HashMap<u32, Option<Arc<TableSchema>>>,
    tx: Option<Tx>,
    last_xid: Option<u32>,
    last_ts_us: i64,
    lsn_commit: Lsn,
    last_lsn: Lsn,
    message_type: &'static str,
    records: Vec<Record>,
    /// Restart state: skip the durable part of this transaction.
    resume: Option<(u32, u64)>,
    received: Lsn,
    flushed: Lsn,
    /// The keepalive position idle tables may move to (see [`crate::keepalive`]).
    keepalive: KeepalivePosition,
    /// The position `source.sequence` reports as the last commit, as Debezium's
    /// `lastCommitLsn`: the end of the last commit streamed, or the stored offset's
    /// `lsn_commit` when resuming; none (JSON null) after a snapshot until the first commit.
    /// Display only, never stored or confirmed.
    sequence_lsn: Option<Lsn>,
    last_sent: Option<SourceOffset>,
    /// Transaction metadata (`provide.transaction.metadata`).
    monitor: TransactionMonitor,
    transaction_topic: Arc<str>,
    heartbeat_topic: Arc<str>,
}

impl<'a> Streamer<'a> {
    pub fn new(
        cfg: &'a PostgresConfig,
        meta: &'a Client,
        registry: TypeRegistry,
        system_id: String,
        start: Lsn,
        position: Option<&Position>,
        protocol_version: u32,
    ) -> Self {
        let resume = position.and_then(|p| match (p.tx_id, p.events_in_tx) {
            (Some(xid), n) if n > 0 => Some((xid as u32, n)),
            _ => None,
        });
        Streamer {
            cfg,
            meta,
            registry,
            system_id,
            decoder: Decoder::new(protocol_version),
            relations: HashMap::new(),
            tx: None,
            last_xid: None,
            last_ts_us: 0,
            lsn_commit: start,
            last_lsn: start,
            message_type: "COMMIT",
            records: Vec::with_capacity(cfg.queue.max_batch_records + 2),
            resume,
            received: start,
            flushed: start,
            keepalive: KeepalivePosition::new(std::time::Instant::now()),
            sequence_lsn: position.and_then(|p| p.lsn_commit),
            last_sent: None,
            monitor: TransactionMonitor::default(),
            transaction_topic: cfg.transaction_topic.as_str().into(),
            heartbeat_topic: cfg.heartbeat_topic.as_str().into(),
        }
    }

    /// Streams until shutdown (Ok) or an error.
    pub async fn run(
        mut self,
        mut stream: ReplicationStream,
        out: &BatchSender,
        committed: &mut watch::Receiver<Option<SourceOffset>>,
        shutdown: &CancellationToken,
    ) -> Result<(), PgSourceError> {
        let max_batch = out.max_batch_records();
        let mut tick = tokio::time::interval(self.cfg.status_update_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Heartbeats (`heartbeat.interval.ms`); without them the timer never fires.
        let mut heartbeat = tokio::time::interval(
            self.cfg
                .heartbeat_interval
                .unwrap_or(std::time::Duration::from_secs(3600)),
        );
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await;
        // Our side of wal_sender_timeout (`tributary.replication.timeout.ms`).
        let mut liveness = self.cfg.replication_timeout.map(Liveness::new);
        info!(slot = %self.cfg.slot_name, start = %self.lsn_commit, "streaming changes");
        loop {
            while let Some(msg) = stream.try_next_buffered()? {
                self.handle(msg, &mut stream).await?;
                if self.records.len() >= max_batch {
                    self.send_batch(&mut stream, out, committed, shutdown)
                        .await?;
                }
            }
            if !self.records.is_empty() {
                self.send_batch(&mut stream, out, committed, shutdown)
                    .await?;
            }
            let check_at = liveness.as_ref().map(|l| l.next_check(stream.heard_at()));
            tokio::select! {
                biased;
                () = shutdown.cancelled() => {
                    self.update_flush(committed);
                    // Bounded: a frozen server would never finish the copy.
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
                        let _ = stream.send_status(self.received, self.flushed, self.flushed, false).await;
                        let _ = stream.close().await;
                    }).await;
                    return Ok(());
                }
                changed = committed.changed() => {
                    if changed.is_err() {
                        return Err(PgSourceError::QueueClosed);
                    }
                    if self.update_flush(committed) {
                        stream.send_status(self.received, self.flushed, self.flushed, false).await?;
                    }
                }
                msg = stream.next() => {
                    match msg? {
                        Some(m) => self.handle(m, &mut stream).await?,
                        None => {
                            info!("the server ended the replication stream; reconnecting");
                            return Err(PgSourceError::StreamEnded);
                        }
                    }
                }
                _ = tick.tick() => {
                    self.update_flush(committed);
                    self.store_idle_position(out, committed).await?;
                    stream.send_status(self.received, self.flushed, self.flushed, false).await?;
                }
                _ = heartbeat.tick(), if self.cfg.heartbeat_interval.is_some() => {
                    self.heartbeat(&mut stream, out, committed, shutdown).await?;
                }
                () = sleep_until(check_at), if check_at.is_some() => {
                    let Some(l) = liveness.as_mut() else { continue };
                    match l.check(Instant::now(), stream.heard_at()) {
                        Verdict::Fine => {}
                        Verdict::Probe => {
                            debug!(slot = %self.cfg.slot_name, "the server has been silent; asking it for a reply");
                            stream.send_status(self.received, self.flushed, self.flushed, true).await?;
                        }
                        Verdict::Dead { silent } => {
                            let err = stream.timed_out(silent);
                            warn!(slot = %self.cfg.slot_name, error = %err, pid = ?stream.backend_pid(),
                                "the replication connection is silent; dropping it and reconnecting");
                            return Err(err.into());
                        }
                    }
                }
            }
        }
    }

    /// A heartbeat (Debezium's `HeartbeatImpl`): runs `heartbeat.action.query`, then writes a
    /// heartbeat record carrying the current position, so offsets and the slot advance even when
    /// no captured table changes. Between transactions only, so the position is a commit.
    async fn heartbeat(
        &mut self,
        stream: &mut ReplicationStream,
        out: &BatchSender,
        committed: &mut watch::Receiver<Option<SourceOffset>>,
        shutdown: &CancellationToken,
    ) -> Result<(), PgSourceError> {
        if let Some(query) = &self.cfg.heartbeat_action_query {
            if let Err(error) = self.meta.batch_execute(query).await {
                warn!(%error, "heartbeat.action.query failed; the heartbeat is still written");
            }
        }
        if self.tx.is_some() {
            return Ok(());
        }
        let ts_ms = ProcessingTime::now().nanos / 1_000_000;
        self.records.push(heartbeat_record(
            &self.heartbeat_topic,
            &self.cfg.topic_prefix,
            ts_ms,
        ));
        self.send_batch(stream, out, committed, shutdown).await
    }

    /// Moves `flushed` to the committed offset's resume LSN; true when it moved.
    fn update_flush(&mut self, committed: &watch::Receiver<Option<SourceOffset>>) -> bool {
        let lsn = committed
            .borrow()
            .as_ref()
            .and_then(|o| Position::from_offset(o).resume_lsn());
        match lsn {
            Some(l) if l > self.flushed => {
                self.flushed = l;
                true
            }
            _ => false,
        }
    }

    fn idle(&self, committed: &watch::Receiver<Option<SourceOffset>>) -> bool {
        self.tx.is_none()
            && self.records.is_empty()
            && (self.last_sent.is_none() || *committed.borrow() == self.last_sent)
    }

    /// When nothing is in flight and the commit position moved past what is stored, store it
    /// (an offset-only batch) so the slot can be confirmed up to it.
    ///
    /// Idle captured tables must not pin WAL, so the position may also move to a keepalive's
    /// `wal_end`, under the rule of [`crate::keepalive`]: while data flows only commits move it.
    async fn store_idle_position(
        &mut self,
        out: &BatchSender,
        committed: &watch::Receiver<Option<SourceOffset>>,
    ) -> Result<(), PgSourceError> {
        if let Some(lsn) = self.keepalive.take(
            std::time::Instant::now(),
            self.idle(committed),
            self.lsn_commit,
            self.cfg.status_update_interval,
        ) {
            self.lsn_commit = lsn;
            self.last_lsn = lsn;
        }
        if !self.idle(committed) || self.lsn_commit <= self.flushed {
            return Ok(());
        }
        let offset = self.offset();
        if self.last_sent.as_ref() == Some(&offset) {
            return Ok(());
        }
        self.last_sent = Some(offset.clone());
        out.send(Batch::new(Vec::new(), offset))
            .await
            .map_err(|_| PgSourceError::QueueClosed)
    }

    fn offset(&self) -> SourceOffset {
        let (xid, events) = match &self.tx {
            Some(tx) => (Some(i64::from(tx.xid)), tx.changes.max(tx.skip)),
            None => (self.last_xid.map(i64::from), 0),
        };
        stream_offset(
            &self.cfg.topic_prefix,
            self.lsn_commit,
            self.last_lsn,
            xid,
            events,
            self.last_ts_us,
            self.message_type,
            &self.system_id,
        )
    }

    /// Sends the pending records, answering the server while the runtime pushes back.
    async fn send_batch(
        &mut self,
        stream: &mut ReplicationStream,
        out: &BatchSender,
        committed: &mut watch::Receiver<Option<SourceOffset>>,
        shutdown: &CancellationToken,
    ) -> Result<(), PgSourceError> {
        let offset = self.offset();
        self.last_sent = Some(offset.clone());
        let batch = Batch::new(std::mem::take(&mut self.records), offset);
        self.records.reserve(out.max_batch_records() + 2);
        let send = out.send(batch);
        tokio::pin!(send);
        let mut tick = tokio::time::interval(
            self.cfg
                .status_update_interval
                .min(std::time::Duration::from_secs(5)),
        );
        tick.tick().await;
        loop {
            tokio::select! {
                biased;
                r = &mut send => return r.map_err(|_| PgSourceError::QueueClosed),
                () = shutdown.cancelled() => return Err(PgSourceError::QueueClosed),
                changed = committed.changed() => {
                    if changed.is_err() {
                        return Err(PgSourceError::QueueClosed);
                    }
                    if self.update_flush(committed) {
                        stream.send_status(self.received, self.flushed, self.flushed, false).await?;
                    }
                }
                _ = tick.tick() => {
                    debug!("runtime is applying backpressure; answering the server");
                    stream.send_status(self.received, self.flushed, self.flushed, false).await?;
                }
            }
        }
    }

    async fn handle(
        &mut self,
        msg: ReplicationMessage,
        stream: &mut ReplicationStream,
    ) -> Result<(), PgSourceError> {
        match msg {
            ReplicationMessage::PrimaryKeepalive {
                wal_end,
                reply_requested,
                ..
            } => {
                if wal_end > self.received {
                    self.received = wal_end;
                }
                // Between transactions, a candidate position for idle tables (never taken
                // while data is flowing: see `store_idle_position`).
                self.keepalive.keepalive(wal_end, self.tx.is_some());
                if reply_requested {
                    stream
                        .send_status(self.received, self.flushed, self.flushed, false)
                        .await?;
                }
                Ok(())
            }
            ReplicationMessage::XLogData {
                wal_start,
                wal_end,
                data,
                ..
            } => {
                self.keepalive.data(std::time::Instant::now());
                if wal_end > self.received {
                    self.received = wal_end;
                }
                let msg = self
                    .decoder
                    .decode(data)
                    .map_err(|source| PgSourceError::Decode {
                        lsn: wal_start,
                        source,
                    })?;
                self.apply(wal_start, msg).await
            }
        }
    }

    async fn apply(&mut self, lsn: Lsn, msg: PgOutputMessage) -> Result<(), PgSourceError> {
        match msg {
            PgOutputMessage::Begin(b) => {
                let skip = match self.resume {
                    Some((xid, n)) if xid == b.xid && b.final_lsn > self.lsn_commit => n,
                    _ => 0,
                };
                self.resume = None;
                let commit_ts_us = pg_to_unix_us(b.commit_ts);
                if self.cfg.provide_transaction_metadata {
                    // Debezium's PostgreSQL transaction id: `<xid>:<lsn>`. After a restart in
                    // the middle of the transaction its BEGIN is already durable.
                    self.monitor.start(
                        format!("{}:{}", b.xid, lsn.0),
                        commit_ts_us / 1000,
                        skip > 0,
                    );
                }
                self.tx = Some(Tx {
                    xid: b.xid,
                    commit_ts_us,
                    changes: 0,
                    skip,
                });
                self.message_type = "BEGIN";
            }
            PgOutputMessage::Commit(c) => {
                if let Some(tx) = &self.tx {
                    self.monitor.set_id(format!("{}:{}", tx.xid, lsn.0));
                }
                if let Some(end) = self.monitor.end(&self.transaction_topic) {
                    self.records.push(end);
                }
                if let Some(tx) = self.tx.take() {
                    self.last_xid = Some(tx.xid);
                    self.last_ts_us = tx.commit_ts_us;
                }
                self.lsn_commit = c.end_lsn;
                self.sequence_lsn = Some(c.end_lsn);
                self.last_lsn = c.commit_lsn;
                self.message_type = "COMMIT";
            }
            PgOutputMessage::Relation(rel) => self.relation(rel).await?,
            PgOutputMessage::Insert(m) => {
                if let Some(table) = self.change(lsn, m.relation_id, "INSERT") {
                    if self.cfg.skipped.create {
                        return Ok(());
                    }
                    let after = self.row(&table, &m.new, None, lsn)?;
                    self.emit(&table, Op::Create, None, Some(after), lsn);
                }
            }
            PgOutputMessage::Update(m) => {
                if let Some(table) = self.change(lsn, m.relation_id, "UPDATE") {
                    if self.cfg.skipped.update {
                        return Ok(());
                    }
                    let before = match &m.old {
                        Some(OldTuple::Full(t)) | Some(OldTuple::Key(t)) => {
                            Some(self.row(&table, t, None, lsn)?)
                        }
                        None => None,
                    };
                    let fill = match &m.old {
                        Some(OldTuple::Full(_)) => before.as_ref(),
                        _ => None,
                    };
                    let after = self.row(&table, &m.new, fill, lsn)?;
                    let identity_only = matches!(&m.old, Some(OldTuple::Key(_)));
                    let old_key = before
                        .as_ref()
                        .filter(|_| !identity_only || table.key_in_identity())
                        .map(|b| key_of(&table, b));
                    let new_key = key_of(&table, &after);
                    match old_key {
                        Some(old_key) if old_key.is_some() && old_key != new_key => {
                            // A primary key change: a delete of the old key, then a create of the new.
                            let mark = self.records.len();
                            self.emit(&table, Op::Delete, before, None, lsn);
                            // The delete and its tombstone; not a transaction BEGIN before them.
                            for r in self.records[mark..]
                                .iter_mut()
                                .filter(|r| r.topic == table.topic)
                            {
                                r.headers.push(key_header("__debezium.newkey", &new_key));
                            }
                            let mark = self.records.len();
                            self.emit(&table, Op::Create, None, Some(after), lsn);
                            for r in self.records[mark..]
                                .iter_mut()
                                .filter(|r| r.topic == table.topic)
                            {
                                r.headers.push(key_header("__debezium.oldkey", &old_key));
                            }
                        }
                        _ => {
                            let before = match &m.old {
                                Some(OldTuple::Full(_)) => before,
                                _ => None,
                            };
                            self.emit(&table, Op::Update, before, Some(after), lsn);
                        }
                    }
                }
            }
            PgOutputMessage::Delete(m) => {
                if let Some(table) = self.change(lsn, m.relation_id, "DELETE") {
                    if self.cfg.skipped.delete {
                        return Ok(());
                    }
                    let t = match &m.old {
                        OldTuple::Full(t) | OldTuple::Key(t) => t,
                    };
                    let before = self.row(&table, t, None, lsn)?;
                    self.emit(&table, Op::Delete, Some(before), None, lsn);
                }
            }
            PgOutputMessage::Truncate(m) => {
                let mut first = true;
                for id in m.relation_ids {
                    // One change message covers every table; count it once.
                    let table = if first {
                        first = false;
                        self.change(lsn, id, "TRUNCATE")
                    } else {
                        self.relations.get(&id).cloned().flatten()
                    };
                    if let Some(table) = table {
                        if !self.cfg.skipped.truncate && !self.skipping() {
                            let source = self.source(&table, lsn);
                            let block = self.transaction_block(&table, lsn);
                            push_truncate(
                                &mut self.records,
                                &table,
                                source,
                                block.as_ref(),
                                ProcessingTime::now(),
                            );
                        }
                    }
                }
            }
            PgOutputMessage::Type(_) | PgOutputMessage::Origin(_) | PgOutputMessage::Message(_) => {
            }
            other => {
                warn!(message = ?std::mem::discriminant(&other), "ignoring a pgoutput message this connector did not ask for");
            }
        }
        Ok(())
    }

    /// Counts a change in the open transaction; returns the table when it is captured and not
    /// already durable from before a restart.
    fn change(
        &mut self,
        lsn: Lsn,
        relation_id: u32,
        kind: &'static str,
    ) -> Option<Arc<TableSchema>> {
        self.last_lsn = lsn;
        self.message_type = kind;
        if let Some(tx) = &mut self.tx {
            tx.changes += 1;
        }
        if self.skipping() {
            return None;
        }
        self.relations.get(&relation_id).cloned().flatten()
    }

    fn skipping(&self) -> bool {
        self.tx.as_ref().is_some_and(|tx| tx.changes <= tx.skip)
    }

    fn source(&self, table: &TableSchema, lsn: Lsn) -> Value {
        let (xid, ts) = match &self.tx {
            Some(tx) => (Some(i64::from(tx.xid)), tx.commit_ts_us),
            None => (None, self.last_ts_us),
        };
        SourceInfo {
            server_name: &self.cfg.topic_prefix,
            db: &self.cfg.dbname,
            ts_us: ts,
            snapshot: SnapshotMarker::False,
            sequence: Some((self.sequence_lsn.map(|l| l.0), lsn.0)),
            schema: &table.schema,
            table: &table.table,
            tx_id: xid,
            lsn: Some(lsn.0),
        }
        .value()
    }

    fn emit(
        &mut self,
        table: &TableSchema,
        op: Op,
        before: Option<Row>,
        after: Option<Row>,
        lsn: Lsn,
    ) {
        let source = self.source(table, lsn);
        let block = self.transaction_block(table, lsn);
        push_change(
            &mut self.records,
            table,
            op,
            before,
            after,
            source,
            block.as_ref(),
            self.cfg.tombstones_on_delete,
            ProcessingTime::now(),
        );
    }

    /// The event's `transaction` block, writing the transaction's BEGIN first if it is due.
    fn transaction_block(
        &mut self,
        table: &TableSchema,
        lsn: Lsn,
    ) -> Option<cdc_core::TransactionBlock> {
        if !self.cfg.provide_transaction_metadata {
            return None;
        }
        if let Some(tx) = &self.tx {
            self.monitor.set_id(format!("{}:{}", tx.xid, lsn.0));
        }
        let collection = format!("{}.{}", table.schema, table.table);
        let (begin, block) = self.monitor.event(&self.transaction_topic, &collection);
        if let Some(b) = begin {
            self.records.push(b);
        }
        block
    }

    /// Converts a tuple to a row. Unchanged TOAST values come from `fill` (the old row under
    /// REPLICA IDENTITY FULL) when there is one, else they carry the unavailable placeholder.
    fn row(
        &self,
        table: &TableSchema,
        tuple: &TupleData,
        fill: Option<&Row>,
        lsn: Lsn,
    ) -> Result<Row, PgSourceError> {
        let mut row = vec![Value::Null; table.value_schema.fields.len()];
        for (i, col) in tuple.0.iter().enumerate() {
            let (Some(Some(pos)), Some(meta)) = (table.value_pos.get(i), table.columns.get(i))
            else {
                continue;
            };
            let Some(codec) = &meta.codec else { continue };
            let err = |source| PgSourceError::Convert {
                table: format!("{}.{}", table.schema, table.table),
                column: meta.name.clone(),
                lsn,
                source,
            };
            row[*pos] = match col {
                TupleColumn::Null => Value::Null,
                TupleColumn::UnchangedToast => match fill.and_then(|f| f.get(*pos)) {
                    Some(v) => v.clone(),
                    None => unavailable_value(
                        &meta.ty,
                        meta.typmod,
                        &self.cfg.unavailable_placeholder,
                        &self.cfg.types,
                    ),
                },
                TupleColumn::Binary(b) => codec.decode_binary(b).map_err(err)?,
                TupleColumn::Text(b) => codec
                    .decode_text(&String::from_utf8_lossy(b))
                    .map_err(err)?,
            };
        }
        Ok(row)
    }

    /// Resolves a relation message to a table schema, from the catalog when it still matches.
    async fn relation(&mut self, rel: Relation) -> Result<(), PgSourceError> {
        if !self.cfg.captures_table(&rel.namespace, &rel.name) {
            self.relations.insert(rel.id, None);
            return Ok(());
        }
        let cols: Vec<(String, u32, i32)> = rel
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.type_oid, c.type_modifier))
            .collect();
        if cols
            .iter()
            .any(|(_, oid, _)| self.registry.resolve(*oid).is_none())
        {
            self.registry = TypeRegistry::load(self.meta)
                .await
                .map_err(|e| PgSourceError::query("reloading data types", e))?;
        }
        let from_catalog = load_table(
            self.meta,
            &self.registry,
            self.cfg,
            rel.id,
            Described::Relation,
        )
        .await?;
        let table = match from_catalog {
            Some(t) if t.matches_columns(&cols) => t,
            _ => {
                // The table changed again since this relation message; trust the message.
                let columns = rel
                    .columns
                    .iter()
                    .map(|c| Column {
                        name: c.name.clone(),
                        type_oid: c.type_oid,
                        typmod: c.type_modifier,
                        ty: self
                            .registry
                            .resolve(c.type_oid)
                            .cloned()
                            .unwrap_or_else(|| crate::table::unknown_type(c.type_oid)),
                        optional: true,
                        is_key: c.is_key,
                        default_expr: None,
                        codec: None,
                    })
                    .collect();
                TableSchema::build(
                    self.cfg,
                    rel.namespace.clone(),
                    rel.name.clone(),
                    rel.id,
                    columns,
                    b'd',
                    Described::Relation,
                )
            }
        };
        self.relations.insert(rel.id, Some(Arc::new(table)));
        Ok(())
    }
}
