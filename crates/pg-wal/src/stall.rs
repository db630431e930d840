//! A frozen database must not look RUNNING forever: the stall watch, and the wait for a dead
//! connection's walsender to let go of the slot.
//!
//! The watch runs beside the source for the source's whole life (across its reconnects and the
//! runtime's backoff between them). Every few seconds it notes whether the runtime committed a
//! new offset (anything delivered: changes, or the keepalive positions an idle slot moves to)
//! and asks the server, on a plain SQL connection of its own, for the current WAL position and
//! the slot's `confirmed_flush_lsn`. The task is *stalled* when, for `tributary.stall.warning.ms`
//! (at least twice `status.update.interval.ms`, how often an idle slot is confirmed), nothing was
//! committed although the server's WAL moved on since the last commit and is past the slot's
//! confirmed position; or nothing was committed for that long and the server does not answer at
//! all. The task then stays RUNNING and its status `trace` says why (a [`StatusNote`]), with a
//! WARN in the log; the note goes away when an offset is committed again. An idle database
//! (no new WAL) is never stalled.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cdc_core::{SourceOffset, StatusNote};
use tokio::sync::watch;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::config::PostgresConfig;
use crate::error::PgSourceError;
use crate::lsn::Lsn;
use crate::slot::{slot_state, SlotState};

/// One look at the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sample {
    /// The server's current WAL position and the slot's state (`None`: no such slot).
    Wal {
        current: Lsn,
        confirmed: Option<Lsn>,
        active_pid: Option<i32>,
    },
    /// The server could not be asked (the error, as text).
    Unreachable(String),
}

/// What changed in the task's status after a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The task became stalled: the note, to log as a warning.
    Stalled(String),
    /// Still stalled; the note, updated.
    Still(String),
    /// Changes are delivered again.
    Flowing,
}

/// The stall rule, apart from the I/O so its tests are deterministic.
#[derive(Debug, Clone)]
pub struct StallRule {
    threshold: Duration,
    slot: String,
    progress_at: Instant,
    /// The server's WAL position at the first sample after the last commit.
    wal_at_progress: Option<Lsn>,
    stalled: bool,
}

impl StallRule {
    pub fn new(threshold: Duration, slot: &str, now: Instant) -> Self {
        StallRule {
            threshold,
            slot: slot.to_owned(),
            progress_at: now,
            wal_at_progress: None,
            stalled: false,
        }
    }

    /// The runtime committed an offset at about `now`.
    pub fn progress(&mut self, now: Instant) {
        self.progress_at = now;
        self.wal_at_progress = None;
    }

    /// Judges a sample taken at `now`; `reconnecting` is the error the source last restarted
    /// after, if any since the last commit.
    pub fn sample(
        &mut self,
        now: Instant,
        sample: &Sample,
        reconnecting: Option<&str>,
    ) -> Option<Change> {
        if let Sample::Wal { current, .. } = sample {
            self.wal_at_progress.get_or_insert(*current);
        }
        let quiet = now.saturating_duration_since(self.progress_at);
        let note = if quiet < self.threshold {
            None
        } else {
            self.note(quiet, sample, reconnecting)
        };
        match (note, self.stalled) {
            (Some(n), false) => {
                self.stalled = true;
                Some(Change::Stalled(n))
            }
            (Some(n), true) => Some(Change::Still(n)),
            (None, true) => {
                self.stalled = false;
                Some(Change::Flowing)
            }
            (None, false) => None,
        }
    }

    fn note(&self, quiet: Duration, sample: &Sample, reconnecting: Option<&str>) -> Option<String> {
        let quiet = quiet.as_secs();
        let connection = match reconnecting {
            Some(e) => format!("; reconnecting to the database (last error: {e})"),
            None => String::new(),
        };
        match sample {
            Sample::Unreachable(e) => Some(format!(
                "stalled: no change delivered for {quiet} s and the database does not answer ({e}){connection}"
            )),
            Sample::Wal {
                current,
                confirmed: Some(confirmed),
                active_pid,
            } => {
                let moved = self.wal_at_progress.is_some_and(|w| *current > w);
                let behind = current.0.saturating_sub(confirmed.0);
                if !moved || behind == 0 {
                    return None;
                }
                let holder = match active_pid {
                    Some(pid) => format!(", held by walsender pid {pid}"),
                    None => ", which no connection is streaming from".to_owned(),
                };
                Some(format!(
                    "stalled: no change delivered for {quiet} s while replication slot {:?} is {behind} bytes behind the server's WAL{holder}{connection}",
                    self.slot
                ))
            }
            Sample::Wal {
                confirmed: None, ..
            } => None,
        }
    }
}

/// The watch task of one source; stops when dropped.
pub(crate) struct StallWatch {
    cancel: CancellationToken,
    reconnecting: Arc<Mutex<Option<String>>>,
}

impl StallWatch {
    /// Starts watching for `cfg`'s slot when `tributary.stall.warning.ms` is on. `committed` is
    /// the runtime's committed offset (the same channel across the source's restarts).
    pub(crate) fn start(
        cfg: &PostgresConfig,
        committed: watch::Receiver<Option<SourceOffset>>,
        note: StatusNote,
    ) -> Option<StallWatch> {
        let threshold = cfg.stall_warning?.max(cfg.status_update_interval * 2);
        let cancel = CancellationToken::new();
        let reconnecting = Arc::new(Mutex::new(None));
        let task = Watcher {
            cfg: cfg.clone(),
            committed,
            note,
            reconnecting: reconnecting.clone(),
            rule: StallRule::new(threshold, &cfg.slot_name, Instant::now()),
            poll: (threshold / 5).clamp(Duration::from_secs(1), Duration::from_secs(5)),
            client: None,
        };
        tokio::spawn(task.run(cancel.clone()));
        Some(StallWatch {
            cancel,
            reconnecting,
        })
    }

    /// The source failed with `error` and is about to be restarted.
    pub(crate) fn reconnecting(&self, error: String) {
        *self
            .reconnecting
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error);
    }
}

impl Drop for StallWatch {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

struct Watcher {
    cfg: PostgresConfig,
    committed: watch::Receiver<Option<SourceOffset>>,
    note: StatusNote,
    reconnecting: Arc<Mutex<Option<String>>>,
    rule: StallRule,
    poll: Duration,
    client: Option<Client>,
}

impl Watcher {
    async fn run(mut self, cancel: CancellationToken) {
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(self.poll) => {}
            }
            let progressed = self.committed.has_changed().unwrap_or(false);
            if progressed {
                self.committed.borrow_and_update();
                self.rule.progress(Instant::now());
                *self
                    .reconnecting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
            }
            let sample = tokio::select! {
                () = cancel.cancelled() => return,
                s = self.sample() => s,
            };
            let reconnecting = self
                .reconnecting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            match self
                .rule
                .sample(Instant::now(), &sample, reconnecting.as_deref())
            {
                Some(Change::Stalled(note)) => {
                    warn!(slot = %self.cfg.slot_name, status = %note, "the task is stalled");
                    self.note.set(Some(note));
                }
                Some(Change::Still(note)) => self.note.set(Some(note)),
                Some(Change::Flowing) => {
                    info!(slot = %self.cfg.slot_name, "changes are delivered again; the task is no longer stalled");
                    self.note.set(None);
                }
                None => {}
            }
        }
    }

    /// Asks the server, within the poll interval (at least 2 s); a failed or late answer drops
    /// the connection so the next poll opens a new one.
    async fn sample(&mut self) -> Sample {
        let limit = (self.poll * 2).max(Duration::from_secs(2));
        match tokio::time::timeout(limit, self.ask()).await {
            Ok(Ok(sample)) => sample,
            Ok(Err(e)) => {
                debug!(error = %e, "the stall watch could not ask the server");
                self.client = None;
                Sample::Unreachable(e.to_string())
            }
            Err(_) => {
                self.client = None;
                Sample::Unreachable(format!("no answer within {} s", limit.as_secs()))
            }
        }
    }

    async fn ask(&mut self) -> Result<Sample, PgSourceError> {
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
        let slot = slot_state(client, &self.cfg.slot_name).await?;
        Ok(Sample::Wal {
            current,
            confirmed: slot.as_ref().and_then(|s| s.confirmed_flush),
            active_pid: slot.and_then(|s| s.active_pid),
        })
    }
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

    const T: Duration = Duration::from_secs(60);

    fn wal(current: u64, confirmed: u64, pid: Option<i32>) -> Sample {
        Sample::Wal {
            current: Lsn(current),
            confirmed: Some(Lsn(confirmed)),
            active_pid: pid,
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn an_idle_database_is_never_stalled() {
        let t0 = Instant::now();
        let mut r = StallRule::new(T, "s", t0);
        assert_eq!(r.sample(t0 + secs(1), &wal(100, 100, Some(7)), None), None);
        // No new WAL for ten minutes, nothing delivered: nothing to deliver.
        assert_eq!(r.sample(t0 + secs(600), &wal(100, 90, Some(7)), None), None);
    }

    #[test]
    fn wal_moving_past_the_slot_without_deliveries_is_a_stall_until_a_commit() {
        let t0 = Instant::now();
        let mut r = StallRule::new(T, "s", t0);
        assert_eq!(r.sample(t0 + secs(1), &wal(100, 100, Some(7)), None), None);
        // Within the threshold nothing is said.
        assert_eq!(r.sample(t0 + secs(59), &wal(500, 100, Some(7)), None), None);
        let Some(Change::Stalled(note)) = r.sample(t0 + secs(61), &wal(500, 100, Some(7)), None)
        else {
            panic!("not stalled");
        };
        assert_eq!(
            note,
            "stalled: no change delivered for 61 s while replication slot \"s\" is 400 bytes behind the server's WAL, held by walsender pid 7"
        );
        let Some(Change::Still(note)) = r.sample(
            t0 + secs(70),
            &wal(600, 100, None),
            Some("no message from PostgreSQL"),
        ) else {
            panic!("no longer stalled");
        };
        assert!(
            note.ends_with("500 bytes behind the server's WAL, which no connection is streaming from; reconnecting to the database (last error: no message from PostgreSQL)"),
            "{note}"
        );
        r.progress(t0 + secs(80));
        assert_eq!(
            r.sample(t0 + secs(81), &wal(700, 650, Some(8)), None),
            Some(Change::Flowing)
        );
        assert_eq!(r.sample(t0 + secs(82), &wal(700, 700, Some(8)), None), None);
    }

    #[test]
    fn a_database_that_does_not_answer_is_a_stall_once_nothing_was_delivered_for_the_threshold() {
        let t0 = Instant::now();
        let mut r = StallRule::new(T, "s", t0);
        let down = Sample::Unreachable("no answer within 10 s".into());
        assert_eq!(r.sample(t0 + secs(30), &down, None), None);
        assert_eq!(
            r.sample(t0 + secs(60), &down, None),
            Some(Change::Stalled(
                "stalled: no change delivered for 60 s and the database does not answer (no answer within 10 s)".into()
            ))
        );
    }

    #[test]
    fn a_missing_slot_is_not_reported_as_a_stall() {
        let t0 = Instant::now();
        let mut r = StallRule::new(T, "s", t0);
        let gone = Sample::Wal {
            current: Lsn(500),
            confirmed: None,
            active_pid: None,
        };
        assert_eq!(r.sample(t0 + secs(120), &gone, None), None);
    }
}
