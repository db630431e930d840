//! The MySQL/MariaDB source connector: checks the server and the stored offset, recovers the
//! schema from the history, snapshots when the mode asks for it, then streams.

use async_trait::async_trait;
use cdc_core::stall::StallWatch;
use cdc_core::{Batch, ConfigErrors, ConfigMap, ConnectorError, Source, SourceContext};
use tracing::{info, warn};

use crate::config::{MySqlConfig, SnapshotMode};
use crate::conn::{self, ServerInfo};
use crate::error::MySqlSourceError;
use crate::history::{History, HistoryStoreFactory};
use crate::offset::{stream_offset, BinlogPos, OffsetFields, Stored};
use crate::snapshot;
use crate::stall::{start_watch, ReadPosition};
use crate::stream::{StartAt, Streamer};

/// The Debezium-compatible MySQL/MariaDB source.
pub struct MySqlSource {
    cfg: MySqlConfig,
    /// Where the schema history lives when not in `schema.history.internal.file.filename`
    /// (the worker sets the Kafka history topic here when it runs on Kafka).
    history_store: Option<HistoryStoreFactory>,
    /// The stall watch (`tributary.stall.warning.ms`), across restarts, and the position read
    /// that it compares with the server's.
    stall: Option<StallWatch>,
    read: ReadPosition,
}

impl MySqlSource {
    /// Validates the config (no I/O).
    pub fn from_config(map: &ConfigMap) -> Result<Self, ConfigErrors> {
        let cfg = MySqlConfig::from_map(map)?;
        for p in &cfg.ignored {
            warn!(property = %p, "property is not supported by this connector yet and is ignored");
        }
        Ok(MySqlSource {
            cfg,
            history_store: None,
            stall: None,
            read: ReadPosition::default(),
        })
    }

    /// Keeps the schema history in the stores `factory` opens instead of the history file.
    pub fn with_history_store(mut self, factory: HistoryStoreFactory) -> Self {
        self.history_store = Some(factory);
        self
    }

    pub fn config(&self) -> &MySqlConfig {
        &self.cfg
    }

    /// Checks that the stored position still exists on this server.
    async fn check_position(
        &self,
        conn: &mut mysql_async::Conn,
        server: &ServerInfo,
        stored: &Stored,
    ) -> Result<(), MySqlSourceError> {
        if let Some(uid) = &stored.server_uid {
            if !uid.is_empty() && *uid != server.uid {
                return Err(MySqlSourceError::DifferentServer {
                    stored: uid.clone(),
                    actual: server.uid.clone(),
                    host: self.cfg.hostname.clone(),
                    port: self.cfg.port,
                });
            }
        }
        if let Some(pos) = &stored.pos {
            let files = conn::binlog_files(conn).await?;
            let oldest = files.first().map(|(f, _)| f.clone()).unwrap_or_default();
            match files.iter().find(|(f, _)| *f == pos.file) {
                None => {
                    return Err(MySqlSourceError::PositionPurged {
                        stored: pos.clone(),
                        oldest,
                    })
                }
                Some((_, size))
                    if pos.pos > *size && files.last().is_some_and(|(f, _)| *f != pos.file) =>
                {
                    return Err(MySqlSourceError::PositionPurged {
                        stored: pos.clone(),
                        oldest,
                    })
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn run_inner(&mut self, ctx: SourceContext) -> Result<(), MySqlSourceError> {
        let cfg = &self.cfg;
        let mut history = match &self.history_store {
            // Opening a Kafka history topic reads it whole: off the async threads.
            Some(factory) => {
                let factory = factory.clone();
                tokio::task::spawn_blocking(move || History::with_store(factory()?))
                    .await
                    .map_err(|e| crate::history::HistoryError::Store {
                        store: "history store".into(),
                        reason: e.to_string(),
                    })??
            }
            None => {
                let path = cfg
                    .history_file
                    .clone()
                    .ok_or(MySqlSourceError::NoHistoryFile)?;
                History::open(&path)?
            }
        };
        let mut conn = conn::connect(cfg).await?;
        let server = conn::check_server(&mut conn).await?;
        info!(version = %server.version, server_uid = %server.uid, "connected");
        let stored = ctx.start_offset.as_ref().map(Stored::from_offset);
        let mode = cfg.snapshot_mode;

        let mut snapshot_data = match (&stored, mode) {
            (_, SnapshotMode::Always) => true,
            (
                None,
                SnapshotMode::Initial | SnapshotMode::InitialOnly | SnapshotMode::WhenNeeded,
            ) => true,
            (
                Some(s),
                SnapshotMode::Initial | SnapshotMode::InitialOnly | SnapshotMode::WhenNeeded,
            ) => s.snapshot_incomplete,
            _ => false,
        };
        if let Some(s) = stored.as_ref().filter(|_| !snapshot_data) {
            if let Err(e) = self.check_position(&mut conn, &server, s).await {
                if mode == SnapshotMode::WhenNeeded
                    && matches!(e, MySqlSourceError::PositionPurged { .. })
                {
                    warn!(error = %e, "taking a new snapshot as snapshot.mode=when_needed asks");
                    snapshot_data = true;
                } else {
                    return Err(e);
                }
            }
        }
        // A schema-only snapshot: no_data without a stored offset, or any start without history.
        let schema_only = !snapshot_data
            && (stored.is_none() || history.is_empty())
            && mode != SnapshotMode::Never;
        let mut catalog = crate::catalog::Catalog::default();
        let start = if snapshot_data || schema_only {
            let point = snapshot::run(
                cfg,
                &server,
                &mut history,
                &mut catalog,
                snapshot_data,
                &ctx.output,
                &ctx.shutdown,
            )
            .await?;
            StartAt {
                pos: point.pos,
                gtids: point.gtids,
                skip_events: 0,
                skip_rows: 0,
            }
        } else if let Some(s) = &stored {
            let pos = s.pos.clone().unwrap_or_default();
            catalog = history.catalog_at(&pos);
            StartAt {
                pos,
                gtids: s.gtids.clone(),
                skip_events: s.events,
                skip_rows: s.rows,
            }
        } else {
            // snapshot.mode=never: from the oldest binlog the server has, schema from its DDL.
            let files = conn::binlog_files(&mut conn).await?;
            let file = files.first().map(|(f, _)| f.clone()).unwrap_or_default();
            let pos = BinlogPos::new(&file, 4);
            let offset = stream_offset(
                &cfg.topic_prefix,
                &OffsetFields {
                    pos: &pos,
                    gtids: None,
                    events: 0,
                    rows: 0,
                    server_id: server.server_id,
                    ts_sec: 0,
                    server_uid: &server.uid,
                },
            );
            ctx.output
                .send(Batch::new(Vec::new(), offset))
                .await
                .map_err(|_| MySqlSourceError::QueueClosed)?;
            StartAt {
                pos,
                gtids: None,
                skip_events: 0,
                skip_rows: 0,
            }
        };
        let _ = conn.disconnect().await;
        if !mode.streams() {
            info!("snapshot.mode=initial_only: snapshot done, not streaming");
            ctx.shutdown.cancelled().await;
            return Ok(());
        }
        if ctx.shutdown.is_cancelled() {
            return Ok(());
        }
        let streamer = Streamer::new(cfg, &server, &mut history, catalog, &start)
            .with_read_position(self.read.clone());
        streamer.run(&start, &ctx.output, &ctx.shutdown).await
    }
}

#[async_trait]
impl Source for MySqlSource {
    async fn run(&mut self, ctx: SourceContext) -> Result<(), ConnectorError> {
        if self.stall.is_none() && self.cfg.snapshot_mode.streams() {
            self.stall = start_watch(
                &self.cfg,
                self.read.clone(),
                ctx.committed.clone(),
                ctx.note.clone(),
            );
        }
        let result = self.run_inner(ctx).await.map_err(ConnectorError::from);
        if let (Err(e), Some(watch)) = (&result, &self.stall) {
            watch.reconnecting(e.chain());
        }
        result
    }
}
