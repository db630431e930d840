//! When a keepalive's `wal_end` may become the stored position.
//!
//! Idle captured tables must not pin WAL, so between transactions the position may move to a
//! keepalive's `wal_end`, but only once no data message has arrived for a whole status interval
//! after it, and with nothing in flight. Taken at once, a keepalive position once let the slot be
//! confirmed past a transaction that had not been received yet (`bench/kafka.sh`: the tail of a
//! 1,000,000-row backlog missing after the worker stopped). The rule is kept here, apart from the
//! connection, so its tests are deterministic.

use std::time::{Duration, Instant};

use crate::lsn::Lsn;

/// The keepalive position waiting to be taken, and when data last arrived.
#[derive(Debug, Clone)]
pub struct KeepalivePosition {
    /// The newest `wal_end` seen between transactions since the last data message (`Lsn(0)`:
    /// none).
    candidate: Lsn,
    data_at: Instant,
}

impl KeepalivePosition {
    pub fn new(now: Instant) -> Self {
        KeepalivePosition {
            candidate: Lsn(0),
            data_at: now,
        }
    }

    /// A keepalive arrived; `in_transaction` when it came between a BEGIN and its COMMIT (its
    /// position is then never a candidate).
    pub fn keepalive(&mut self, wal_end: Lsn, in_transaction: bool) {
        if !in_transaction && wal_end > self.candidate {
            self.candidate = wal_end;
        }
    }

    /// A data message arrived: any keepalive seen before it is dropped.
    pub fn data(&mut self, now: Instant) {
        self.candidate = Lsn(0);
        self.data_at = now;
    }

    /// The position to move to, if any: the candidate, when it is past `committed_lsn`, nothing
    /// is in flight (`idle`) and no data arrived for `interval`.
    pub fn take(
        &self,
        now: Instant,
        idle: bool,
        committed_lsn: Lsn,
        interval: Duration,
    ) -> Option<Lsn> {
        (idle
            && self.candidate > committed_lsn
            && now.saturating_duration_since(self.data_at) >= interval)
            .then_some(self.candidate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(10);

    #[test]
    fn a_keepalive_followed_by_data_is_never_taken() {
        let t0 = Instant::now();
        let mut k = KeepalivePosition::new(t0);
        // Between transactions the server reports a position past what it has sent us...
        k.keepalive(Lsn(500), false);
        // ...then the transaction below that position arrives.
        k.data(t0 + Duration::from_millis(5));
        let later = t0 + INTERVAL * 3;
        assert_eq!(k.take(later, true, Lsn(100), INTERVAL), None);
    }

    #[test]
    fn a_keepalive_is_taken_after_a_whole_interval_without_data() {
        let t0 = Instant::now();
        let mut k = KeepalivePosition::new(t0);
        k.keepalive(Lsn(500), false);
        k.keepalive(Lsn(400), false);
        let almost = t0 + INTERVAL - Duration::from_millis(1);
        assert_eq!(k.take(almost, true, Lsn(100), INTERVAL), None);
        assert_eq!(
            k.take(t0 + INTERVAL, true, Lsn(100), INTERVAL),
            Some(Lsn(500))
        );
    }

    #[test]
    fn keepalives_inside_a_transaction_are_not_candidates() {
        let t0 = Instant::now();
        let mut k = KeepalivePosition::new(t0);
        k.keepalive(Lsn(500), true);
        assert_eq!(k.take(t0 + INTERVAL, true, Lsn(100), INTERVAL), None);
    }

    #[test]
    fn nothing_is_taken_while_records_are_in_flight_or_behind_the_commit() {
        let t0 = Instant::now();
        let mut k = KeepalivePosition::new(t0);
        k.keepalive(Lsn(500), false);
        let later = t0 + INTERVAL;
        assert_eq!(k.take(later, false, Lsn(100), INTERVAL), None);
        assert_eq!(k.take(later, true, Lsn(500), INTERVAL), None);
        assert_eq!(k.take(later, true, Lsn(600), INTERVAL), None);
    }
}
