//! A frozen database must not look RUNNING forever: PostgreSQL's side of the stall watch
//! ([`cdc_core::stall`]), and the wait for a dead connection's walsender to let go of the slot.
//!
//! The watch asks the server, on a plain SQL connection of its own, for the current WAL
//! position and the slot's `confirmed_flush_lsn`; the task is behind when the slot's confirmed
//! position is before the server's WAL. The threshold is `tributary.stall.warning.ms`, at least
//! twice `status.update.interval.ms` (how often an idle slot is confirmed).

use std::time::Duration;

use async_trait::async_trait;
use cdc_core::stall::{Sample, Sampler, StallWatch};
use cdc_core::{SourceOffset, StatusNote};
use tokio::sync::watch;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::config::PostgresConfig;
use crate::error::PgSourceError;
use crate::lsn::Lsn;
use crate::slot::{slot_state, SlotState};

/// The watch of one source, when `tributary.stall.warning.ms` is on. `committed` is the
/// runtime's committed offset (the same channel across the source's restarts).
pub(crate) fn start_watch(
    cfg: &PostgresConfig,
    committed: watch::Receiver<Option<SourceOffset>>,
    note: StatusNote,
) -> Option<StallWatch> {
    let threshold = cfg.stall_warning?.max(cfg.status_update_interval * 2);
    let sampler = SlotSampler {
        cfg: cfg.clone(),
        client: None,
    };
    let what = format!("replication slot {:?}", cfg.slot_name);
    Some(StallWatch::start(threshold, committed, note, sampler, what))
}

/// How far the slot's confirmed position is behind the server's WAL, asked on a SQL connection
/// of the watch's own.
struct SlotSampler {
    cfg: PostgresConfig,
    client: Option<Client>,
}

#[async_trait]
impl Sampler for SlotSampler {
    type Position = Lsn;

    async fn sample(&mut self) -> Result<Sample<Lsn>, String> {
        let (current, slot) = self.ask().await.map_err(|e| e.to_string())?;
        Ok(Sample::At {
            current,
            behind: slot.and_then(|s| behind(&self.cfg.slot_name, current, &s)),
        })
    }

    fn reset(&mut self) {
        self.client = None;
    }
}

impl SlotSampler {
    async fn ask(&mut self) -> Result<(Lsn, Option<SlotState>), PgSourceError> {
        let client = match self.client.take() {
            Some(c) => c,
            None => crate::snapshot::connect(&self.cfg).await?,
        };
        let client = &*self.client.insert(client);
        let row = client
            .query_one(
                "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() \
                 ELSE pg_current_wal_lsn() END)::text",
                &[],
            )
            .await
            .map_err(|e| PgSourceError::query("reading the server's WAL position", e))?;
        let current: Option<String> = row.get(0);
        let current = current
            .and_then(|c| c.parse::<Lsn>().ok())
            .unwrap_or_default();
        Ok((current, slot_state(client, &self.cfg.slot_name).await?))
    }
}

/// The stall note's "while ..." for a slot whose confirmed position is behind `current`.
fn behind(slot: &str, current: Lsn, state: &SlotState) -> Option<String> {
    let confirmed = state.confirmed_flush?;
    let behind = current.0.checked_sub(confirmed.0).filter(|b| *b > 0)?;
    let holder = match state.active_pid {
        Some(pid) => format!(", held by walsender pid {pid}"),
        None => ", which no connection is streaming from".to_owned(),
    };
    Some(format!(
        "replication slot {slot:?} is {behind} bytes behind the server's WAL{holder}"
    ))
}

/// Waits while walsender `pid` still holds the slot, polling once a second, for up to the
/// replication timeout (60 s when it is off); returns the slot's state then.
///
/// After our replication connection was dropped as dead (a frozen server), the old walsender
/// keeps the slot until it notices; starting again at once would only fail. Another connector
/// streaming from the same slot still ends in `PgSourceError::SlotInUse` once the wait is over
/// (transient: the runtime retries with backoff).
pub(crate) async fn wait_for_slot(
    meta: &Client,
    cfg: &PostgresConfig,
    pid: i32,
    shutdown: &CancellationToken,
) -> Result<Option<SlotState>, PgSourceError> {
    let wait = cfg.replication_timeout.unwrap_or(Duration::from_secs(60));
    info!(slot = %cfg.slot_name, pid, wait_s = wait.as_secs(),
        "the replication slot is held by another walsender (an earlier connection of ours when it was just dropped); waiting for it to be released");
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return slot_state(meta, &cfg.slot_name).await,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let state = slot_state(meta, &cfg.slot_name).await?;
        if state.as_ref().is_none_or(|s| s.active_pid.is_none())
            || tokio::time::Instant::now() >= deadline
        {
            return Ok(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(confirmed: Option<u64>, pid: Option<i32>) -> SlotState {
        SlotState {
            plugin: Some("pgoutput".into()),
            database: Some("db".into()),
            active_pid: pid,
            confirmed_flush: confirmed.map(Lsn),
            restart_lsn: confirmed.map(Lsn),
            wal_status: Some("reserved".into()),
            conflicting: false,
        }
    }

    #[test]
    fn a_slot_behind_the_wal_names_its_distance_and_holder() {
        assert_eq!(
            behind("s", Lsn(500), &state(Some(100), Some(7))).as_deref(),
            Some("replication slot \"s\" is 400 bytes behind the server's WAL, held by walsender pid 7")
        );
        assert_eq!(
            behind("s", Lsn(600), &state(Some(100), None)).as_deref(),
            Some("replication slot \"s\" is 500 bytes behind the server's WAL, which no connection is streaming from")
        );
    }

    #[test]
    fn a_slot_at_or_past_the_wal_or_never_confirmed_is_not_behind() {
        assert_eq!(behind("s", Lsn(500), &state(Some(500), Some(7))), None);
        assert_eq!(behind("s", Lsn(500), &state(Some(600), Some(7))), None);
        assert_eq!(behind("s", Lsn(500), &state(None, Some(7))), None);
    }
}
