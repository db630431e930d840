//! The streaming loop: binlog events → records, batches with resume offsets, DDL applied to the
//! catalog and recorded in the history before any later event is emitted.
//!
//! Transactions are streamed, never buffered whole: a batch is handed over every
//! `max.batch.size` records, mid-transaction if need be, with an offset that says how much of
//! the transaction is durable (see [`crate::offset`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cdc_core::{Batch, BatchSender, Op, Record, SourceOffset};
use futures::StreamExt;
use mysql_async::binlog::events::{Event, EventData, RowsEventData};
use mysql_async::prelude::Queryable;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::catalog::{Catalog, TableId};
use crate::config::MySqlConfig;
use crate::conn::{self, ServerInfo};
use crate::ddl::{self, Change, Kind};
use crate::dump;
use crate::error::privilege::REPLICATION_SLAVE;
use crate::error::{access_denied, MySqlSourceError};
use crate::event::{self, TableChange};
use crate::gtid::{MariaGtidSet, MySqlGtidSet};
use crate::history::{Entry, History};
use crate::mariadb::{self, MariaEvent};
use crate::offset::{stream_offset, BinlogPos, OffsetFields};
use crate::rows::{self, ReadError};
use crate::source_info::{SnapshotMarker, SourceInfo};
use crate::stall::ReadPosition;
use crate::table::TableSchema;

/// Where streaming starts.
#[derive(Debug, Clone)]
pub struct StartAt {
    pub pos: BinlogPos,
    /// GTID position (MariaDB) or executed GTID set (MySQL) to connect at (preferred when set).
    pub gtids: Option<String>,
    /// Row events of the first transaction already durable.
    pub skip_events: u64,
    /// Rows of the next row event already durable.
    pub skip_rows: u64,
}

/// The state of the transaction being read.
#[derive(Debug, Default)]
struct Tx {
    active: bool,
    start: BinlogPos,
    gtid: Option<String>,
    /// Index of the next row event in this transaction.
    event_index: u64,
    /// The last emitted (row event index, row index) in this transaction.
    emitted: Option<(u64, u64)>,
    query: Option<String>,
    /// No BEGIN/COMMIT around it (MariaDB's FL_STANDALONE; MySQL: no BEGIN seen).
    standalone: bool,
    saw_begin: bool,
}

pub struct Streamer<'a> {
    cfg: &'a MySqlConfig,
    server: &'a ServerInfo,
    history: &'a mut History,
    catalog: Catalog,
    schemas: HashMap<TableId, Arc<TableSchema>>,
    server_name: Arc<str>,
    schema_topic: Arc<str>,
    /// Current binlog file and the end of the last event read.
    file: String,
    pos: u64,
    /// The GTID position after the last committed transaction (MariaDB).
    gtids: MariaGtidSet,
    /// MySQL's executed GTID set after the last committed transaction.
    mysql_gtids: MySqlGtidSet,
    /// The offset of the last transaction boundary.
    committed: (BinlogPos, Option<String>),
    tx: Tx,
    skip: Option<(u64, u64)>,
    records: Vec<Record>,
    last_send: Instant,
    ts_sec: i64,
    /// The MariaDB GTID of the transaction in flight, added to `gtids` at its commit.
    pending_gtid: Option<crate::gtid::Gtid>,
    /// The MySQL GTID (source, gno) of the transaction in flight, added to `mysql_gtids` at its commit.
    pending_mysql_gtid: Option<(String, u64)>,
    seen_fde: bool,
    /// Heartbeats (`heartbeat.interval.ms`): their topic and when the last one was written.
    heartbeat_topic: Arc<str>,
    last_heartbeat: Instant,
    /// The connection `heartbeat.action.query` runs on, opened at the first heartbeat.
    action_conn: Option<mysql_async::Conn>,
    /// Transaction metadata (`provide.transaction.metadata`).
    monitor: cdc_core::transaction::TransactionMonitor,
    transaction_topic: Arc<str>,
    /// The position read, for the stall watch, and when it was last published.
    read: ReadPosition,
    read_published: Instant,
}

impl<'a> Streamer<'a> {
    pub fn new(
        cfg: &'a MySqlConfig,
        server: &'a ServerInfo,
        history: &'a mut History,
        catalog: Catalog,
        start: &StartAt,
    ) -> Streamer<'a> {
        let stored = start.gtids.as_deref().filter(|_| server.mariadb);
        let gtids = stored
            .and_then(|g| MariaGtidSet::parse(g).ok())
            .unwrap_or_default();
        let mysql_gtids = start
            .gtids
            .as_deref()
            .filter(|_| !server.mariadb)
            .and_then(|g| MySqlGtidSet::parse(g).ok())
            .unwrap_or_default();
        Streamer {
            cfg,
            server,
            history,
            catalog,
            schemas: HashMap::new(),
            server_name: cfg.topic_prefix.as_str().into(),
            schema_topic: cfg.topic_prefix.as_str().into(),
            file: start.pos.file.clone(),
            pos: start.pos.pos,
            gtids,
            mysql_gtids,
            committed: (start.pos.clone(), start.gtids.clone()),
            tx: Tx::default(),
            skip: (start.skip_events > 0 || start.skip_rows > 0)
                .then_some((start.skip_events, start.skip_rows)),
            records: Vec::new(),
            last_send: Instant::now(),
            ts_sec: 0,
            pending_gtid: None,
            pending_mysql_gtid: None,
            seen_fde: false,
            heartbeat_topic: cfg.heartbeat_topic.as_str().into(),
            last_heartbeat: Instant::now(),
            action_conn: None,
            monitor: cdc_core::transaction::TransactionMonitor::default(),
            transaction_topic: cfg.transaction_topic.as_str().into(),
            read: ReadPosition::default(),
            read_published: Instant::now(),
        }
    }

    /// Publishes the position read to `read` (the stall watch's).
    pub fn with_read_position(mut self, read: ReadPosition) -> Self {
        self.read = read;
        self
    }

    fn publish_read(&mut self) {
        self.read.set(&self.file, self.pos);
        self.read_published = Instant::now();
    }

    async fn run_action_query(&mut self, query: &str) -> Result<(), MySqlSourceError> {
        if self.action_conn.is_none() {
            self.action_conn = Some(conn::connect(self.cfg).await?);
        }
        if let Some(c) = self.action_conn.as_mut() {
            c.query_drop(query)
                .await
                .map_err(|e| MySqlSourceError::query("heartbeat.action.query", e))?;
        }
        Ok(())
    }

    /// Writes a heartbeat (Debezium's `HeartbeatImpl`: key `{serverName}`, value `{ts_ms}`) with
    /// the current position as its offset when one is due, between transactions only, so the
    /// stored position moves on while captured tables are idle.
    async fn heartbeat_if_due(&mut self, output: &BatchSender) -> Result<(), MySqlSourceError> {
        let Some(every) = self.cfg.heartbeat_interval else {
            return Ok(());
        };
        if self.tx.active || self.last_heartbeat.elapsed() < every {
            return Ok(());
        }
        self.last_heartbeat = Instant::now();
        if let Some(query) = &self.cfg.heartbeat_action_query {
            if let Err(error) = self.run_action_query(query).await {
                // As for PostgreSQL: logged, and the heartbeat is still written.
                warn!(%error, "heartbeat.action.query failed; the heartbeat is still written");
                self.action_conn = None;
            }
        }
        let ts_ms = cdc_core::ProcessingTime::now().nanos / 1_000_000;
        self.records.push(cdc_core::transaction::heartbeat_record(
            &self.heartbeat_topic,
            &self.cfg.topic_prefix,
            ts_ms,
        ));
        self.flush(output).await
    }

    fn here(&self) -> BinlogPos {
        BinlogPos::new(&self.file, self.pos)
    }

    fn gtid_string(&self) -> Option<String> {
        if self.server.mariadb {
            (!self.gtids.is_empty()).then(|| self.gtids.to_string())
        } else {
            (!self.mysql_gtids.is_empty()).then(|| self.mysql_gtids.to_string())
        }
    }

    /// The offset to store with what has been emitted so far.
    fn offset(&self) -> SourceOffset {
        let (pos, gtids, events, rows) = match (self.tx.active, self.tx.emitted) {
            (true, Some((ev, row))) => {
                (self.tx.start.clone(), self.committed.1.clone(), ev, row + 1)
            }
            _ => (self.committed.0.clone(), self.committed.1.clone(), 0, 0),
        };
        stream_offset(
            &self.cfg.topic_prefix,
            &OffsetFields {
                pos: &pos,
                gtids: gtids.as_deref(),
                events,
                rows,
                server_id: self.server.server_id,
                ts_sec: self.ts_sec,
                server_uid: &self.server.uid,
            },
        )
    }

    async fn flush(&mut self, output: &BatchSender) -> Result<(), MySqlSourceError> {
        let records = std::mem::take(&mut self.records);
        self.last_send = Instant::now();
        output
            .send(Batch::new(records, self.offset()))
            .await
            .map_err(|_| MySqlSourceError::QueueClosed)
    }

    /// Connects and streams until shutdown or an error.
    pub async fn run(
        mut self,
        start: &StartAt,
        output: &BatchSender,
        shutdown: &CancellationToken,
    ) -> Result<(), MySqlSourceError> {
        let plan = dump::plan(
            self.cfg.server_id,
            self.server.mariadb,
            &start.pos,
            start.gtids.as_deref(),
        )
        .map_err(MySqlSourceError::BadOffset)?;
        let mut conn = conn::connect(self.cfg).await?;
        for s in &plan.setup {
            conn.query_drop(s.as_str())
                .await
                .map_err(|e| MySqlSourceError::query(s.clone(), e))?;
        }
        info!(position = %start.pos, gtids = ?start.gtids, use_gtid = plan.uses_gtid(), "starting the binlog stream");
        let mut stream = conn.get_binlog_stream(plan.request()).await.map_err(|e| {
            if access_denied(&e) {
                MySqlSourceError::MissingPrivilege {
                    what: "reading the binlog as a replica".to_owned(),
                    user: self.cfg.user.clone(),
                    privilege: REPLICATION_SLAVE,
                    source: Box::new(e),
                }
            } else {
                MySqlSourceError::Stream(e)
            }
        })?;
        let idle = Duration::from_millis(100);
        let dead = Duration::from_secs(20);
        let mut last_event = Instant::now();
        self.publish_read();
        loop {
            self.heartbeat_if_due(output).await?;
            let mut wait = if self.records.is_empty() { dead } else { idle };
            if let Some(every) = self.cfg.heartbeat_interval {
                let due = every.saturating_sub(self.last_heartbeat.elapsed());
                wait = wait.min(due.max(Duration::from_millis(1)));
            }
            let next = tokio::select! {
                _ = shutdown.cancelled() => {
                    if !self.records.is_empty() {
                        self.flush(output).await?;
                    }
                    return Ok(());
                }
                n = tokio::time::timeout(wait, stream.next()) => n,
            };
            let event = match next {
                Err(_) => {
                    self.publish_read();
                    if !self.records.is_empty() {
                        self.flush(output).await?;
                    } else if last_event.elapsed() >= dead {
                        return Err(MySqlSourceError::StreamEnded);
                    }
                    continue;
                }
                Ok(None) => return Err(MySqlSourceError::StreamEnded),
                Ok(Some(Err(e))) => return Err(refused(e)),
                Ok(Some(Ok(ev))) => ev,
            };
            last_event = Instant::now();
            let tme = |id: u64| stream.get_tme(id).cloned();
            self.handle(&event, tme, output).await?;
            if self.read_published.elapsed() >= Duration::from_millis(250) {
                self.publish_read();
            }
            if self.records.len() >= output.max_batch_records() {
                self.flush(output).await?;
            }
        }
    }

    async fn handle(
        &mut self,
        event: &Event,
        tme: impl Fn(u64) -> Option<mysql_common::binlog::events::TableMapEvent<'static>>,
        output: &BatchSender,
    ) -> Result<(), MySqlSourceError> {
        let header = event.header();
        let etype = header.event_type_raw();
        let start = self.here();
        let end = u64::from(header.log_pos());
        let artificial = end == 0;
        if !artificial {
            self.pos = end;
        }
        if header.timestamp() > 0 {
            self.ts_sec = i64::from(header.timestamp());
        }
        let decode_err = |e: std::io::Error| MySqlSourceError::Decode {
            pos: start.clone(),
            reason: e.to_string(),
        };
        if (mariadb::ANNOTATE_ROWS_EVENT..=mariadb::START_ENCRYPTION_EVENT).contains(&etype) {
            let ev = mariadb::decode(etype, header.server_id(), event.data()).map_err(|e| {
                MySqlSourceError::Decode {
                    pos: start.clone(),
                    reason: e.to_string(),
                }
            })?;
            match ev {
                Some(MariaEvent::Gtid { gtid, flags, .. }) => {
                    self.begin(start, Some(gtid.to_string()));
                    self.tx.standalone = flags & mariadb::flags::STANDALONE != 0;
                    self.pending_gtid = Some(gtid);
                }
                Some(MariaEvent::AnnotateRows { query }) => self.tx.query = Some(query),
                Some(MariaEvent::GtidList { .. }) | Some(MariaEvent::BinlogCheckpoint { .. }) => {}
                None => {}
            }
            return Ok(());
        }
        let Some(data) = event.read_data().map_err(decode_err)? else {
            return Ok(());
        };
        match data {
            EventData::RotateEvent(r) => {
                let mut name = r.name().into_owned();
                // The server's artificial ROTATE (at the start of a connection, and again when
                // it moves to the next file) precedes the FORMAT_DESCRIPTION event that
                // announces checksums, so its CRC32 is still on the name.
                if !self.seen_fde && name.len() > 4 {
                    let cut = name.len() - 4;
                    if name.is_char_boundary(cut)
                        && !valid_file_name(&name)
                        && valid_file_name(&name[..cut])
                    {
                        name.truncate(cut);
                    }
                }
                // The next file's FORMAT_DESCRIPTION follows; until then, names may carry a
                // checksum again.
                self.seen_fde = false;
                if !valid_file_name(&name) {
                    // The longest prefix that is a binlog file name (a checksum can follow it).
                    if let Some(end) = (1..name.len())
                        .rev()
                        .find(|&i| name.is_char_boundary(i) && valid_file_name(&name[..i]))
                    {
                        name.truncate(end);
                    }
                }
                self.file = name;
                self.pos = r.position();
                if !self.tx.active {
                    self.committed.0 = self.here();
                }
            }
            EventData::GtidEvent(g) => {
                let sid = uuid_text(&g.sid());
                let gtid = format!("{sid}:{}", g.gno());
                self.begin(start, Some(gtid));
                self.pending_mysql_gtid = Some((sid, g.gno()));
            }
            EventData::QueryEvent(q) => {
                let sql = q.query().into_owned();
                let db = q.schema().into_owned();
                match ddl::classify(&sql) {
                    Kind::Begin => {
                        if !self.tx.active {
                            self.begin(start, None);
                        }
                        self.tx.saw_begin = true;
                    }
                    Kind::Commit => self.commit(output).await?,
                    Kind::Schema => {
                        self.schema_change(&db, &sql, &start, output).await?;
                        self.commit(output).await?;
                    }
                    Kind::Other => {
                        // A statement outside a transaction (GRANT, ...) is its own transaction.
                        let standalone = if self.server.mariadb {
                            self.tx.standalone
                        } else {
                            !self.tx.saw_begin
                        };
                        if self.tx.active && standalone {
                            self.commit(output).await?;
                        }
                    }
                }
            }
            EventData::XidEvent(_) => self.commit(output).await?,
            EventData::FormatDescriptionEvent(_) => self.seen_fde = true,
            EventData::RowsEvent(rows) => {
                let table_id = rows.table_id();
                let Some(tme) = tme(table_id) else {
                    return Err(MySqlSourceError::Decode {
                        pos: start,
                        reason: format!(
                            "a rows event for table id {table_id} without its table map"
                        ),
                    });
                };
                self.rows(&rows, &tme, &start)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn begin(&mut self, start: BinlogPos, gtid: Option<String>) {
        if self.cfg.provide_transaction_metadata {
            // Debezium's MySQL transaction id: the GTID, else the position of the BEGIN. After a
            // restart inside the transaction its BEGIN record was already written.
            let id = gtid
                .clone()
                .unwrap_or_else(|| format!("file={},pos={}", start.file, start.pos));
            self.monitor
                .start(id, self.ts_sec * 1000, self.skip.is_some());
        }
        self.tx = Tx {
            active: true,
            start,
            gtid,
            event_index: 0,
            emitted: None,
            query: None,
            standalone: false,
            saw_begin: false,
        };
    }

    async fn commit(&mut self, output: &BatchSender) -> Result<(), MySqlSourceError> {
        if let Some(g) = self.pending_gtid.take() {
            self.gtids.add(g);
        }
        if let Some((sid, gno)) = self.pending_mysql_gtid.take() {
            self.mysql_gtids.add(&sid, gno);
        }
        if let Some(end) = self.monitor.end(&self.transaction_topic) {
            self.records.push(end);
        }
        self.committed = (self.here(), self.gtid_string());
        self.tx = Tx::default();
        self.skip = None;
        // Hand over the boundary now and then even with nothing captured, so an idle captured
        // table does not hold the stored position back.
        if self.records.is_empty() && self.last_send.elapsed() >= Duration::from_secs(1) {
            self.flush(output).await?;
        }
        Ok(())
    }

    fn schema_for(&mut self, id: &TableId) -> Option<Arc<TableSchema>> {
        if let Some(s) = self.schemas.get(id) {
            return Some(s.clone());
        }
        let t = self.catalog.table(id)?;
        let s = Arc::new(TableSchema::new(t, self.cfg, &self.server.charsets));
        self.schemas.insert(id.clone(), s.clone());
        Some(s)
    }

    fn rows(
        &mut self,
        rows: &RowsEventData<'_>,
        tme: &mysql_common::binlog::events::TableMapEvent<'static>,
        start: &BinlogPos,
    ) -> Result<(), MySqlSourceError> {
        let ev_index = self.tx.event_index;
        self.tx.event_index += 1;
        let id = TableId::new(&tme.database_name(), &tme.table_name());
        if !self.cfg.captures_table(&id.db, &id.table) {
            return Ok(());
        }
        let skip_rows = match self.skip {
            Some((events, _)) if ev_index < events => return Ok(()),
            Some((events, rows)) if ev_index == events => rows,
            _ => 0,
        };
        let Some(schema) = self.schema_for(&id) else {
            return rows::inconsistent(self.cfg.inconsistent_schema, &id, start, self.pos, None);
        };
        // Binlog rows carry no column names: a TABLE_MAP that disagrees with the history would
        // put values into the wrong columns.
        if let Err(reason) = rows::check_table_map(&schema.table, tme) {
            return rows::inconsistent(
                self.cfg.inconsistent_schema,
                &id,
                start,
                self.pos,
                Some(reason),
            );
        }
        let (op, skipped) = match rows {
            RowsEventData::WriteRowsEvent(_) | RowsEventData::WriteRowsEventV1(_) => {
                (Op::Create, self.cfg.skipped.create)
            }
            RowsEventData::UpdateRowsEvent(_)
            | RowsEventData::UpdateRowsEventV1(_)
            | RowsEventData::PartialUpdateRowsEvent(_) => (Op::Update, self.cfg.skipped.update),
            RowsEventData::DeleteRowsEvent(_) | RowsEventData::DeleteRowsEventV1(_) => {
                (Op::Delete, self.cfg.skipped.delete)
            }
        };
        let server_id = self.server.server_id;
        let changes = match rows::read(rows, tme, &schema, skip_rows, !skipped) {
            Ok(changes) => changes,
            Err(ReadError::Convert(source)) => {
                return Err(MySqlSourceError::Convert {
                    table: id.to_string(),
                    pos: start.clone(),
                    source: Box::new(source),
                })
            }
            Err(e) => return rows::unreadable(self.cfg.event_failure, &id, start, self.pos, e),
        };
        for rows::Change {
            row: i,
            before,
            after,
        } in changes
        {
            self.tx.emitted = Some((ev_index, i));
            if skipped {
                continue;
            }
            let source = SourceInfo {
                flavor: self.cfg.flavor,
                server_name: &self.server_name,
                db: &id.db,
                table: Some(&id.table),
                ts_ms: self.ts_sec * 1000,
                snapshot: SnapshotMarker::False,
                server_id,
                gtid: self.tx.gtid.as_deref(),
                file: &start.file,
                pos: start.pos,
                row: i as i32,
                thread: None,
                query: if self.cfg.include_query {
                    self.tx.query.as_deref()
                } else {
                    None
                },
            }
            .value();
            let (begin, block) = if self.cfg.provide_transaction_metadata {
                self.monitor.event(&self.transaction_topic, &id.to_string())
            } else {
                (None, None)
            };
            self.records.extend(begin);
            let key_change = match (op, &before, &after) {
                (Op::Update, Some(b), Some(a)) => {
                    let (old_key, new_key) = (schema.key_of(b), schema.key_of(a));
                    (old_key.is_some() && old_key != new_key).then(|| {
                        let data = |k: Option<cdc_core::Value>| {
                            k.zip(schema.key_schema.clone())
                                .map(|(v, s)| cdc_core::Data::new(s, v))
                        };
                        (data(old_key), data(new_key))
                    })
                }
                _ => None,
            };
            if let Some((old_key, new_key)) = key_change {
                // A primary key change, as Debezium's: a delete of the old key (and its
                // tombstone) with `__debezium.newkey`, then a create of the new with
                // `__debezium.oldkey`.
                let mark = self.records.len();
                event::push_change(
                    &mut self.records,
                    &schema,
                    Op::Delete,
                    before,
                    None,
                    source.clone(),
                    block.as_ref(),
                    self.cfg.tombstones_on_delete,
                );
                for r in &mut self.records[mark..] {
                    r.headers
                        .push(event::key_header("__debezium.newkey", &new_key));
                }
                let block = if self.cfg.provide_transaction_metadata {
                    self.monitor
                        .event(&self.transaction_topic, &id.to_string())
                        .1
                } else {
                    None
                };
                let mark = self.records.len();
                event::push_change(
                    &mut self.records,
                    &schema,
                    Op::Create,
                    None,
                    after,
                    source,
                    block.as_ref(),
                    self.cfg.tombstones_on_delete,
                );
                for r in &mut self.records[mark..] {
                    r.headers
                        .push(event::key_header("__debezium.oldkey", &old_key));
                }
                continue;
            }
            event::push_change(
                &mut self.records,
                &schema,
                op,
                before,
                after,
                source,
                block.as_ref(),
                self.cfg.tombstones_on_delete,
            );
        }
        Ok(())
    }

    async fn schema_change(
        &mut self,
        db: &str,
        sql: &str,
        start: &BinlogPos,
        output: &BatchSender,
    ) -> Result<(), MySqlSourceError> {
        let before = self.catalog.clone();
        let changes = match ddl::apply(&mut self.catalog, db, sql) {
            Ok(c) => c,
            Err(e) if self.cfg.skip_unparseable_ddl => {
                warn!(position = %start, error = %e, ddl = %sql, "skipping DDL the parser cannot handle (schema.history.internal.skip.unparseable.ddl)");
                return Ok(());
            }
            Err(source) => {
                return Err(MySqlSourceError::Ddl {
                    pos: start.clone(),
                    ddl: sql.to_owned(),
                    source,
                })
            }
        };
        if changes.is_empty() && before == self.catalog {
            return Ok(());
        }
        debug!(position = %start, ddl = %sql, "schema change");
        // Events before this DDL go out with the schema they were read with.
        if !self.records.is_empty() {
            self.flush(output).await?;
        }
        self.history.append(vec![Entry {
            file: self.file.clone(),
            pos: self.pos,
            db: db.to_owned(),
            ddl: sql.to_owned(),
            reset: false,
        }])?;
        self.schemas.clear();
        let mut truncates = Vec::new();
        let mut table_changes = Vec::new();
        for c in &changes {
            match c {
                Change::CreateTable(id) => table_changes.push(("CREATE", id.clone(), None)),
                Change::AlterTable { id, renamed_from } => {
                    table_changes.push(("ALTER", id.clone(), renamed_from.clone()))
                }
                Change::DropTable(id) => table_changes.push(("DROP", id.clone(), None)),
                Change::Truncate(id) => truncates.push(id.clone()),
                Change::CreateDatabase(_) | Change::DropDatabase(_) => {}
            }
        }
        let captured_db = self.cfg.captures_database(db)
            || table_changes
                .iter()
                .any(|(_, id, _)| self.cfg.captures_database(&id.db));
        // As Debezium's: the tables the statement changed, comma-separated.
        let tables = table_changes
            .iter()
            .map(|(_, id, _)| id.table.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let source = SourceInfo {
            flavor: self.cfg.flavor,
            server_name: &self.server_name,
            db,
            table: (!tables.is_empty()).then_some(tables.as_str()),
            ts_ms: self.ts_sec * 1000,
            snapshot: SnapshotMarker::False,
            server_id: self.server.server_id,
            gtid: self.tx.gtid.as_deref(),
            file: &start.file,
            pos: start.pos,
            row: 0,
            thread: None,
            query: None,
        }
        .value();
        if self.cfg.include_schema_changes && captured_db {
            let tc: Vec<TableChange<'_>> = table_changes
                .iter()
                .map(|(kind, id, renamed)| TableChange {
                    kind,
                    id: match renamed {
                        Some(old) => format!(
                            "{},{}",
                            event::quoted_id(&old.db, &old.table),
                            event::quoted_id(&id.db, &id.table)
                        ),
                        None => event::quoted_id(&id.db, &id.table),
                    },
                    table: if *kind == "DROP" {
                        None
                    } else {
                        self.catalog.table(id)
                    },
                })
                .collect();
            let rec = event::schema_change(
                self.cfg.flavor,
                &self.schema_topic,
                db,
                sql,
                source.clone(),
                self.ts_sec * 1000,
                &tc,
            );
            self.records.push(rec);
        }
        if !self.cfg.skipped.truncate {
            for id in truncates {
                if self.cfg.captures_table(&id.db, &id.table) {
                    if let Some(s) = self.schema_for(&id) {
                        event::push_truncate(&mut self.records, &s, source.clone());
                    }
                }
            }
        }
        Ok(())
    }
}

fn is_file_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// A binlog file name: `<base>.<sequence number>`, as MySQL and MariaDB name them.
fn valid_file_name(name: &str) -> bool {
    name.chars().all(is_file_char)
        && name.rsplit_once('.').is_some_and(|(base, seq)| {
            !base.is_empty() && !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit())
        })
}

#[cfg(test)]
mod file_name_tests {
    use super::valid_file_name;

    #[test]
    fn binlog_file_names_end_in_a_sequence_number() {
        assert!(valid_file_name("binlog.000002"));
        assert!(valid_file_name("mysql-bin.000123"));
        assert!(!valid_file_name("binlog.000002S"));
        assert!(!valid_file_name("binlog"));
        assert!(!valid_file_name(".000001"));
        assert!(!valid_file_name("binlog.000002\u{1}\u{2}"));
    }
}

fn uuid_text(sid: &[u8; 16]) -> String {
    let h: String = sid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The server's refusal of a position, worded for people (error 1236 covers purged files and
/// missing GTIDs).
fn refused(e: mysql_async::Error) -> MySqlSourceError {
    if let mysql_async::Error::Server(s) = &e {
        if s.code == 1236 {
            return MySqlSourceError::BinlogRefused(s.message.clone());
        }
    }
    MySqlSourceError::Stream(e)
}

#[cfg(test)]
#[path = "stream_mysql_fixtures.rs"]
mod mysql_fixtures;
