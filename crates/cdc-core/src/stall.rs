//! A frozen database must not look RUNNING forever: the stall watch shared by the log-based
//! sources.
//!
//! The watch runs beside a source for the source's whole life (across its reconnects and the
//! runtime's backoff between them). Every few seconds it notes whether the runtime committed a
//! new offset and asks a [`Sampler`] (the source's own look at its server, on a connection of
//! its own) where the server's log is and how far behind it the task is. The task is *stalled*
//! when, for the threshold, nothing was committed although the server's log moved on since the
//! last commit and the task is behind it; or nothing was committed for that long and the server
//! does not answer at all. The task then stays RUNNING and its status `trace` says why (a
//! [`StatusNote`]), with a WARN in the log; the note goes away when an offset is committed
//! again. An idle database (a log that does not move) is never stalled.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::{SourceOffset, StatusNote};

/// One look at the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sample<P> {
    /// The server's current log position, and how the task stands against it when it is
    /// behind (`None`: caught up, or nothing to compare, such as a missing slot), as the end of
    /// the sentence "stalled: no change delivered for N s while ...".
    At { current: P, behind: Option<String> },
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
pub struct StallRule<P> {
    threshold: Duration,
    progress_at: Instant,
    /// The server's position at the first sample after the last commit.
    at_progress: Option<P>,
    stalled: bool,
}

impl<P: PartialOrd + Clone> StallRule<P> {
    pub fn new(threshold: Duration, now: Instant) -> Self {
        StallRule {
            threshold,
            progress_at: now,
            at_progress: None,
            stalled: false,
        }
    }

    /// The runtime committed an offset at about `now`.
    pub fn progress(&mut self, now: Instant) {
        self.progress_at = now;
        self.at_progress = None;
    }

    /// Judges a sample taken at `now`; `reconnecting` is the error the source last restarted
    /// after, if any since the last commit.
    pub fn sample(
        &mut self,
        now: Instant,
        sample: &Sample<P>,
        reconnecting: Option<&str>,
    ) -> Option<Change> {
        if let Sample::At { current, .. } = sample {
            self.at_progress.get_or_insert_with(|| current.clone());
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

    fn note(
        &self,
        quiet: Duration,
        sample: &Sample<P>,
        reconnecting: Option<&str>,
    ) -> Option<String> {
        let quiet = quiet.as_secs();
        let connection = match reconnecting {
            Some(e) => format!("; reconnecting to the database (last error: {e})"),
            None => String::new(),
        };
        match sample {
            Sample::Unreachable(e) => Some(format!(
                "stalled: no change delivered for {quiet} s and the database does not answer ({e}){connection}"
            )),
            Sample::At { current, behind } => {
                let moved = self.at_progress.as_ref().is_some_and(|p| current > p);
                let behind = behind.as_ref().filter(|_| moved)?;
                Some(format!(
                    "stalled: no change delivered for {quiet} s while {behind}{connection}"
                ))
            }
        }
    }
}

/// A source's look at its server for the stall watch.
#[async_trait]
pub trait Sampler: Send + 'static {
    type Position: PartialOrd + Clone + Send + Sync;

    /// Where the server's log is and how the task stands against it; an error (as text) when
    /// the server cannot be asked.
    async fn sample(&mut self) -> Result<Sample<Self::Position>, String>;

    /// The last sample failed or did not answer in time: drop any connection so that the next
    /// one opens a new one.
    fn reset(&mut self);
}

/// The watch task of one source; stops when dropped.
pub struct StallWatch {
    cancel: CancellationToken,
    reconnecting: Arc<Mutex<Option<String>>>,
}

impl StallWatch {
    /// Starts watching with `sampler`. `committed` is the runtime's committed offset (the same
    /// channel across the source's restarts); `what` names the source's stream in log lines
    /// (e.g. `slot "s"`). Polls every `threshold / 5`, between 1 and 5 s.
    pub fn start<S: Sampler>(
        threshold: Duration,
        committed: watch::Receiver<Option<SourceOffset>>,
        note: StatusNote,
        sampler: S,
        what: String,
    ) -> StallWatch {
        let cancel = CancellationToken::new();
        let reconnecting = Arc::new(Mutex::new(None));
        let task = Watcher {
            committed,
            note,
            reconnecting: reconnecting.clone(),
            rule: StallRule::new(threshold, Instant::now()),
            poll: (threshold / 5).clamp(Duration::from_secs(1), Duration::from_secs(5)),
            sampler,
            what,
        };
        tokio::spawn(task.run(cancel.clone()));
        StallWatch {
            cancel,
            reconnecting,
        }
    }

    /// The source failed with `error` and is about to be restarted.
    pub fn reconnecting(&self, error: String) {
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

struct Watcher<S: Sampler> {
    committed: watch::Receiver<Option<SourceOffset>>,
    note: StatusNote,
    reconnecting: Arc<Mutex<Option<String>>>,
    rule: StallRule<S::Position>,
    poll: Duration,
    sampler: S,
    what: String,
}

impl<S: Sampler> Watcher<S> {
    async fn run(mut self, cancel: CancellationToken) {
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(self.poll) => {}
            }
            if self.committed.has_changed().unwrap_or(false) {
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
                    warn!(stream = %self.what, status = %note, "the task is stalled");
                    self.note.set(Some(note));
                }
                Some(Change::Still(note)) => self.note.set(Some(note)),
                Some(Change::Flowing) => {
                    info!(stream = %self.what, "changes are delivered again; the task is no longer stalled");
                    self.note.set(None);
                }
                None => {}
            }
        }
    }

    /// Asks the server, within twice the poll interval (at least 2 s); a failed or late answer
    /// resets the sampler so the next poll opens a new connection.
    async fn sample(&mut self) -> Sample<S::Position> {
        let limit = (self.poll * 2).max(Duration::from_secs(2));
        match tokio::time::timeout(limit, self.sampler.sample()).await {
            Ok(Ok(sample)) => sample,
            Ok(Err(e)) => {
                debug!(error = %e, "the stall watch could not ask the server");
                self.sampler.reset();
                Sample::Unreachable(e)
            }
            Err(_) => {
                self.sampler.reset();
                Sample::Unreachable(format!("no answer within {} s", limit.as_secs()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(60);

    fn at(current: u64, behind: Option<&str>) -> Sample<u64> {
        Sample::At {
            current,
            behind: behind.map(str::to_owned),
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn an_idle_database_is_never_stalled() {
        let t0 = Instant::now();
        let mut r = StallRule::new(T, t0);
        assert_eq!(r.sample(t0 + secs(1), &at(100, None), None), None);
        // No new log for ten minutes, nothing delivered: nothing to deliver, even when the
        // task's position is behind the server's (an event written before the first sample).
        assert_eq!(
            r.sample(t0 + secs(600), &at(100, Some("behind")), None),
            None
        );
    }

    #[test]
    fn a_log_moving_past_the_task_without_deliveries_is_a_stall_until_a_commit() {
        let t0 = Instant::now();
        let mut r = StallRule::new(T, t0);
        assert_eq!(r.sample(t0 + secs(1), &at(100, None), None), None);
        // Within the threshold nothing is said.
        assert_eq!(
            r.sample(t0 + secs(59), &at(500, Some("x is 400 behind")), None),
            None
        );
        assert_eq!(
            r.sample(t0 + secs(61), &at(500, Some("x is 400 behind")), None),
            Some(Change::Stalled(
                "stalled: no change delivered for 61 s while x is 400 behind".into()
            ))
        );
        assert_eq!(
            r.sample(
                t0 + secs(70),
                &at(600, Some("x is 500 behind")),
                Some("no message")
            ),
            Some(Change::Still(
                "stalled: no change delivered for 70 s while x is 500 behind; reconnecting to the database (last error: no message)".into()
            ))
        );
        r.progress(t0 + secs(80));
        assert_eq!(
            r.sample(t0 + secs(81), &at(700, Some("x is 50 behind")), None),
            Some(Change::Flowing)
        );
        assert_eq!(r.sample(t0 + secs(82), &at(700, None), None), None);
    }

    #[test]
    fn a_database_that_does_not_answer_is_a_stall_once_nothing_was_delivered_for_the_threshold() {
        let t0 = Instant::now();
        let mut r = StallRule::<u64>::new(T, t0);
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
    fn a_task_that_is_not_behind_is_not_stalled_while_the_log_moves() {
        let t0 = Instant::now();
        let mut r = StallRule::new(T, t0);
        assert_eq!(r.sample(t0 + secs(1), &at(100, None), None), None);
        assert_eq!(r.sample(t0 + secs(120), &at(500, None), None), None);
    }
}
