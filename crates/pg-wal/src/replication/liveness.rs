//! Our side of `wal_sender_timeout`: when is a silent replication connection dead?
//!
//! PostgreSQL sends a keepalive only when it has not heard from the client for half its
//! `wal_sender_timeout`, and we send a standby status update every `status.update.interval.ms`,
//! so an idle server is normally silent. Silence alone therefore proves nothing. After half our
//! timeout (`tributary.replication.timeout.ms`) without a byte from the server we send a status
//! update with "reply requested" set; a living walsender answers at once with a keepalive. If
//! nothing at all arrives for another half timeout after that probe, the connection is dead
//! (a frozen or hung server, a network path that drops packets without resetting): the caller
//! drops it and reconnects.
//!
//! The probe is sent only by the caller's read loop, so time spent not reading (backpressure
//! from the runtime) never counts against the server: a probe is always answered within half
//! the timeout of being sent, or the connection is declared dead. Pure, so its tests are
//! deterministic.

use std::time::{Duration, Instant};

/// What to do now about a quiet connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing: the server was heard recently, or a probe is still within its time.
    Fine,
    /// Send a status update with "reply requested".
    Probe,
    /// No answer to the probe: treat the connection as dead. `silent` is how long nothing
    /// arrived.
    Dead { silent: Duration },
}

/// The probe state of one connection.
#[derive(Debug, Clone)]
pub struct Liveness {
    half: Duration,
    /// When the unanswered probe was sent.
    probe_at: Option<Instant>,
}

impl Liveness {
    /// `timeout`: how long the server may stay silent in total, the probe included.
    pub fn new(timeout: Duration) -> Self {
        Liveness {
            half: timeout / 2,
            probe_at: None,
        }
    }

    /// Decides at `now`, the server last heard at `heard_at`. Returns [`Verdict::Probe`] once
    /// per silence; the caller sends the probe right away.
    pub fn check(&mut self, now: Instant, heard_at: Instant) -> Verdict {
        if self.probe_at.is_some_and(|p| heard_at >= p) {
            self.probe_at = None;
        }
        match self.probe_at {
            Some(p) if now.saturating_duration_since(p) >= self.half => Verdict::Dead {
                silent: now.saturating_duration_since(heard_at),
            },
            Some(_) => Verdict::Fine,
            None if now.saturating_duration_since(heard_at) >= self.half => {
                self.probe_at = Some(now);
                Verdict::Probe
            }
            None => Verdict::Fine,
        }
    }

    /// When [`check`](Self::check) may next have something to do.
    pub fn next_check(&self, heard_at: Instant) -> Instant {
        match self.probe_at {
            Some(p) if heard_at < p => p + self.half,
            _ => heard_at + self.half,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(10);

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_silent_server_is_probed_at_half_the_timeout_and_dead_at_the_full_timeout() {
        let t0 = Instant::now();
        let mut l = Liveness::new(TIMEOUT);
        assert_eq!(l.check(t0 + secs(4), t0), Verdict::Fine);
        assert_eq!(l.next_check(t0), t0 + secs(5));
        assert_eq!(l.check(t0 + secs(5), t0), Verdict::Probe);
        // Probed once per silence.
        assert_eq!(l.check(t0 + secs(7), t0), Verdict::Fine);
        assert_eq!(l.next_check(t0), t0 + secs(10));
        assert_eq!(
            l.check(t0 + secs(10), t0),
            Verdict::Dead { silent: secs(10) }
        );
    }

    #[test]
    fn an_answered_probe_starts_a_new_silence() {
        let t0 = Instant::now();
        let mut l = Liveness::new(TIMEOUT);
        assert_eq!(l.check(t0 + secs(5), t0), Verdict::Probe);
        // The keepalive answering the probe.
        let heard = t0 + secs(5) + Duration::from_millis(3);
        assert_eq!(l.check(t0 + secs(9), heard), Verdict::Fine);
        assert_eq!(l.next_check(heard), heard + secs(5));
        assert_eq!(l.check(heard + secs(5), heard), Verdict::Probe);
    }

    #[test]
    fn time_spent_not_reading_is_not_held_against_the_server() {
        // The runtime pushed back for a minute: nothing was read, so nothing was heard.
        let t0 = Instant::now();
        let mut l = Liveness::new(TIMEOUT);
        let back = t0 + secs(60);
        // The first check after that only probes; the server gets half the timeout to answer.
        assert_eq!(l.check(back, t0), Verdict::Probe);
        assert_eq!(l.check(back + secs(4), t0), Verdict::Fine);
        assert_eq!(l.check(back + secs(4), back + secs(1)), Verdict::Fine);
    }
}
