//! The PostgreSQL source connector: checks the slot against the stored offset, snapshots when
//! the mode asks for it, then streams.

use std::sync::Arc;

use async_trait::async_trait;
use cdc_core::{Batch, ConfigErrors, ConfigMap, ConnectorError, Source, SourceContext};
use tokio_postgres::Client;
use tracing::{info, warn};

use crate::config::{PostgresConfig, SnapshotMode};
use crate::convert::TypeRegistry;
use crate::error::{PgSourceError, INSUFFICIENT_PRIVILEGE};
use crate::jdbc_column::Described;
use crate::lsn::Lsn;
use crate::offset::{stream_offset, Position};
use crate::replication::{quote_ident, ReplicationClient, ReplicationConfig};
use crate::slot::{check_wal_level, drop_slot, ensure_publication, slot_state};
use crate::snapshot::{self, SnapshotPlan};
use crate::stall::{start_watch, wait_for_slot};
use crate::stream::Streamer;
use crate::table::{list_tables, load_table};
use cdc_core::stall::StallWatch;

/// The Debezium-compatible PostgreSQL source.
pub struct PostgresSource {
    cfg: PostgresConfig,
    /// Started at the first run; watches for a stall across restarts (see [`crate::stall`]).
    stall: Option<StallWatch>,
}

/// How this run starts.
#[derive(Debug)]
struct StartPlan {
    /// Drop the existing slot first: the server invalidated it (`snapshot.mode=when_needed`
    /// or `always` then start over with a new slot and a new snapshot).
    drop_slot: bool,
    /// Create the slot (exporting its snapshot when we snapshot).
    create_slot: bool,
    snapshot: bool,
    /// Where to stream from when the slot already exists.
    resume: Option<Lsn>,
}

impl PostgresSource {
    /// Validates the config (no I/O).
    pub fn from_config(map: &ConfigMap) -> Result<Self, ConfigErrors> {
        let cfg = PostgresConfig::from_map(map)?;
        for p in &cfg.ignored {
            warn!(property = %p, "property is not supported by this connector yet and is ignored");
        }
        Ok(PostgresSource { cfg, stall: None })
    }

    pub fn config(&self) -> &PostgresConfig {
        &self.cfg
    }

    fn replication_config(&self) -> ReplicationConfig {
        self.cfg.protocol_config()
    }

    fn plan(
        &self,
        slot: Option<&crate::slot::SlotState>,
        stored: Option<&Position>,
    ) -> Result<StartPlan, PgSourceError> {
        let mode = self.cfg.snapshot_mode;
        let wants_initial = matches!(
            mode,
            SnapshotMode::Initial
                | SnapshotMode::InitialOnly
                | SnapshotMode::Always
                | SnapshotMode::WhenNeeded
        );
        let slot_name = &self.cfg.slot_name;
        Ok(match (slot, stored) {
            (None, None) => StartPlan {
                drop_slot: false,
                create_slot: true,
                snapshot: wants_initial,
                resume: None,
            },
            (None, Some(pos)) => {
                if matches!(mode, SnapshotMode::WhenNeeded | SnapshotMode::Always) {
                    warn!(slot = %slot_name, "the slot is gone; taking a new snapshot as snapshot.mode asks");
                    StartPlan {
                        drop_slot: false,
                        create_slot: true,
                        snapshot: true,
                        resume: None,
                    }
                } else {
                    return Err(PgSourceError::SlotMissing {
                        slot: slot_name.clone(),
                        stored: pos.resume_lsn().unwrap_or_default(),
                    });
                }
            }
            (Some(state), stored) => {
                if let Some(plugin) = &state.plugin {
                    if plugin != "pgoutput" {
                        return Err(PgSourceError::WrongPlugin {
                            slot: slot_name.clone(),
                            plugin: plugin.clone(),
                        });
                    }
                }
                if let Some(pid) = state.active_pid {
                    return Err(PgSourceError::SlotInUse {
                        slot: slot_name.clone(),
                        pid,
                    });
                }
                if state.invalidated() {
                    // The WAL the slot held is gone: only a new slot and a new snapshot can
                    // continue, which when_needed (and always, which snapshots anyway) may do.
                    if matches!(mode, SnapshotMode::WhenNeeded | SnapshotMode::Always) {
                        warn!(slot = %slot_name, wal_status = ?state.wal_status, "the slot has been invalidated; dropping and recreating it and taking a new snapshot as snapshot.mode asks");
                        return Ok(StartPlan {
                            drop_slot: true,
                            create_slot: true,
                            snapshot: true,
                            resume: None,
                        });
                    }
                    return Err(self.invalidated());
                }
                let slot_lsn = state.confirmed_flush.unwrap_or_default();
                match stored {
                    None => StartPlan {
                        drop_slot: false,
                        create_slot: false,
                        snapshot: wants_initial,
                        resume: Some(slot_lsn),
                    },
                    Some(pos) => {
                        let stored_lsn = pos.resume_lsn().unwrap_or_default();
                        if slot_lsn > stored_lsn && !pos.snapshot_incomplete {
                            if mode == SnapshotMode::WhenNeeded {
                                warn!(slot = %slot_name, %slot_lsn, %stored_lsn, "the slot is ahead of the stored offset; taking a new snapshot as snapshot.mode=when_needed asks");
                                return Ok(StartPlan {
                                    drop_slot: false,
                                    create_slot: false,
                                    snapshot: true,
                                    resume: Some(slot_lsn),
                                });
                            }
                            return Err(PgSourceError::SlotAhead {
                                slot: slot_name.clone(),
                                slot_lsn,
                                stored: stored_lsn,
                            });
                        }
                        StartPlan {
                            drop_slot: false,
                            create_slot: false,
                            snapshot: mode == SnapshotMode::Always
                                || (pos.snapshot_incomplete && wants_initial),
                            resume: Some(if pos.snapshot_incomplete {
                                slot_lsn
                            } else {
                                stored_lsn.max(slot_lsn)
                            }),
                        }
                    }
                }
            }
        })
    }

    fn invalidated(&self) -> PgSourceError {
        PgSourceError::SlotInvalidated {
            slot: self.cfg.slot_name.clone(),
            dbname: self.cfg.dbname.clone(),
            drop_sql: crate::slot::drop_sql(&self.cfg.slot_name),
        }
    }

    async fn run_inner(&mut self, ctx: SourceContext) -> Result<(), PgSourceError> {
        let cfg = &self.cfg;
        let meta = snapshot::connect(cfg).await?;
        check_wal_level(&meta).await?;
        let registry = TypeRegistry::load(&meta)
            .await
            .map_err(|e| PgSourceError::query("loading data types", e))?;
        let tables = list_tables(&meta, cfg).await?;
        ensure_publication(&meta, cfg, &tables).await?;

        let mut repl = ReplicationClient::connect(&self.replication_config())
            .await
            .map_err(|e| match e.sqlstate() {
                Some(INSUFFICIENT_PRIVILEGE) => PgSourceError::MissingPrivilege {
                    what: "opening a replication connection".to_owned(),
                    user: cfg.user.clone(),
                    needs: format!(
                        "the REPLICATION attribute (ALTER ROLE {} REPLICATION)",
                        quote_ident(&cfg.user)
                    ),
                    source: Box::new(e),
                },
                _ => e.into(),
            })?;
        let system = repl.identify_system().await?;
        let stored = ctx.start_offset.as_ref().map(Position::from_offset);
        if let Some(stored_id) = stored.as_ref().and_then(|p| p.system_id.clone()) {
            if stored_id != system.system_id {
                return Err(PgSourceError::SystemMismatch {
                    stored: stored_id,
                    actual: system.system_id,
                    host: cfg.hostname.clone(),
                    port: cfg.port,
                });
            }
        }
        let mut slot = slot_state(&meta, &cfg.slot_name).await?;
        if let Some(pid) = slot.as_ref().and_then(|s| s.active_pid) {
            slot = wait_for_slot(&meta, cfg, pid, &ctx.shutdown).await?;
        }
        let plan = self.plan(slot.as_ref(), stored.as_ref())?;
        info!(slot = %cfg.slot_name, ?plan, "starting");

        if plan.drop_slot {
            drop_slot(&meta, &cfg.slot_name).await?;
            info!(slot = %cfg.slot_name, "dropped the invalidated replication slot");
        }
        let (start, snapshot_name) = if plan.create_slot {
            let created = repl
                .create_logical_slot(&cfg.slot_name, plan.snapshot)
                .await?;
            info!(slot = %cfg.slot_name, consistent_point = %created.consistent_point, "created replication slot");
            (created.consistent_point, created.snapshot_name)
        } else {
            (plan.resume.unwrap_or_default(), None)
        };

        if plan.snapshot {
            let mut schemas = Vec::with_capacity(tables.len());
            for t in &tables {
                if let Some(s) = load_table(&meta, &registry, cfg, t.oid, Described::Jdbc).await? {
                    schemas.push(Arc::new(s));
                }
            }
            let snap = SnapshotPlan {
                tables: schemas,
                snapshot_name,
                lsn: start,
                system_id: system.system_id.clone(),
            };
            snapshot::run(cfg, &snap, &ctx.output, &ctx.shutdown).await?;
        } else if plan.create_slot || stored.is_none() {
            // Record where streaming starts, so a restart checks the slot against it.
            let offset = stream_offset(
                &cfg.topic_prefix,
                start,
                start,
                None,
                0,
                0,
                "COMMIT",
                &system.system_id,
            );
            ctx.output
                .send(Batch::new(Vec::new(), offset))
                .await
                .map_err(|_| PgSourceError::QueueClosed)?;
        }
        if !cfg.snapshot_mode.streams() {
            info!("snapshot.mode=initial_only: snapshot done, not streaming");
            ctx.shutdown.cancelled().await;
            return Ok(());
        }

        let version_num = server_version_num(&meta).await;
        let mut options: Vec<(&str, String)> = vec![
            ("proto_version", "1".into()),
            (
                "publication_names",
                crate::replication::quote_ident(&cfg.publication_name),
            ),
        ];
        if cfg.binary && version_num >= 140000 {
            options.push(("binary", "true".into()));
        }
        let opts: Vec<(&str, &str)> = options.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let stream = repl
            .start_logical_replication(&cfg.slot_name, start, &opts)
            .await
            .map_err(|e| match e.server_error() {
                Some(s) if crate::slot::is_invalidation(s.message(), s.detail()) => {
                    self.invalidated()
                }
                _ => PgSourceError::from(e),
            })?;
        let streamer = Streamer::new(
            cfg,
            &meta,
            registry,
            system.system_id.clone(),
            start,
            stored.as_ref(),
            1,
        );
        let mut committed = ctx.committed.clone();
        let result = streamer
            .run(stream, &ctx.output, &mut committed, &ctx.shutdown)
            .await;
        if result.is_ok() && cfg.slot_drop_on_stop && ctx.pausing.is_set() {
            info!(slot = %cfg.slot_name, "paused: the replication slot is kept for the resume (slot.drop.on.stop applies to stops)");
        } else if result.is_ok() && cfg.slot_drop_on_stop {
            // Give the walsender a moment to notice the closed stream.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            drop_slot(&meta, &cfg.slot_name).await?;
            info!(slot = %cfg.slot_name, "dropped replication slot (slot.drop.on.stop)");
        }
        result
    }
}

async fn server_version_num(client: &Client) -> i32 {
    client
        .query_one("SHOW server_version_num", &[])
        .await
        .ok()
        .and_then(|r| r.get::<_, String>(0).parse().ok())
        .unwrap_or(0)
}

#[async_trait]
impl Source for PostgresSource {
    async fn run(&mut self, ctx: SourceContext) -> Result<(), ConnectorError> {
        if self.stall.is_none() && self.cfg.snapshot_mode.streams() {
            self.stall = start_watch(&self.cfg, ctx.committed.clone(), ctx.note.clone());
        }
        let result = self.run_inner(ctx).await.map_err(ConnectorError::from);
        if let (Err(e), Some(watch)) = (&result, &self.stall) {
            watch.reconnecting(e.chain());
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slot::SlotState;

    fn source(mode: &str) -> PostgresSource {
        let map: ConfigMap = [
            ("database.hostname", "db"),
            ("database.user", "u"),
            ("database.dbname", "inventory"),
            ("topic.prefix", "p"),
            ("slot.name", "s1"),
            ("snapshot.mode", mode),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        PostgresSource::from_config(&map).expect("a valid config")
    }

    fn lost() -> SlotState {
        SlotState {
            plugin: Some("pgoutput".into()),
            database: Some("inventory".into()),
            active_pid: None,
            confirmed_flush: Some(Lsn(100)),
            restart_lsn: None,
            wal_status: Some("lost".into()),
            conflicting: false,
        }
    }

    fn stored() -> Position {
        Position {
            lsn: Some(Lsn(100)),
            lsn_commit: Some(Lsn(100)),
            ..Position::default()
        }
    }

    #[test]
    fn an_invalidated_slot_fails_with_the_recovery_steps() {
        for mode in ["initial", "no_data", "initial_only"] {
            let err = source(mode)
                .plan(Some(&lost()), Some(&stored()))
                .expect_err("an invalidated slot cannot stream");
            assert_eq!(cdc_core::Classify::retry(&err), cdc_core::Retry::Fatal);
            let msg = err.to_string();
            assert!(
                msg.contains("\"s1\" on database \"inventory\" has been invalidated")
                    && msg.contains("SELECT pg_drop_replication_slot('s1')")
                    && msg.contains("snapshot.mode=when_needed"),
                "{msg}"
            );
        }
    }

    #[test]
    fn when_needed_drops_and_recreates_an_invalidated_slot_and_snapshots() {
        for mode in ["when_needed", "always"] {
            for stored in [None, Some(stored())] {
                let plan = source(mode)
                    .plan(Some(&lost()), stored.as_ref())
                    .expect("recovers");
                assert!(
                    plan.drop_slot && plan.create_slot && plan.snapshot,
                    "{mode}: {plan:?}"
                );
            }
        }
        let mut healthy = lost();
        healthy.wal_status = Some("reserved".into());
        let plan = source("when_needed")
            .plan(Some(&healthy), Some(&stored()))
            .unwrap();
        assert!(!plan.drop_slot && !plan.create_slot && !plan.snapshot);
    }
}
