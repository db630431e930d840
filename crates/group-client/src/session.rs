//! Staying in the group between rebalances: a task that heartbeats every
//! `heartbeat.interval.ms` and says what the member must do next ([`SessionState`]), with
//! Connect's self-fencing rule: a member that cannot prove it is alive for a whole session
//! timeout must assume the coordinator evicted it and stop all its work, so that no two
//! workers ever run the same connector.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Mutex};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::error::GroupError;
use crate::member::GroupMember;

/// What the member must do, as its heartbeats tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// The generation stands: keep working.
    Stable,
    /// The group is rebalancing (or the generation is over): finish the current work as the
    /// protocol says and join again.
    Rejoin,
    /// Evicted, or no heartbeat succeeded for a whole session timeout: stop every connector
    /// and task at once, then join again as a new member.
    Fenced(String),
}

/// What one heartbeat's outcome means, given when the last one succeeded.
pub fn judge(
    result: &Result<(), GroupError>,
    since_success: Duration,
    session_timeout: Duration,
) -> SessionState {
    match result {
        Ok(()) => SessionState::Stable,
        Err(GroupError::RebalanceInProgress | GroupError::IllegalGeneration { .. }) => {
            SessionState::Rejoin
        }
        Err(GroupError::UnknownMember { .. }) => {
            SessionState::Fenced("the coordinator no longer knows this member".into())
        }
        Err(e) if since_success >= session_timeout => SessionState::Fenced(format!(
            "no heartbeat succeeded for {} ms (session.timeout.ms {}); last error: {e}",
            since_success.as_millis(),
            session_timeout.as_millis()
        )),
        // A transient failure within the session: try again at the next interval.
        Err(_) => SessionState::Stable,
    }
}

/// How long the member may still act as a member: renewed by each successful heartbeat (and
/// by a completed join) for one session timeout. Writes that only a live member may make (a
/// task's status, a source's offsets) check it first, so a worker that was frozen past its
/// session (SIGSTOP, a long GC-like pause, a lost network) stops writing the moment it runs
/// again, before its heartbeat task has even noticed. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Lease {
    until: Arc<std::sync::Mutex<Option<Instant>>>,
    session_timeout: Duration,
}

impl Lease {
    /// A lease that is not valid until first renewed.
    pub fn new(session_timeout: Duration) -> Lease {
        Lease {
            until: Arc::new(std::sync::Mutex::new(None)),
            session_timeout,
        }
    }

    /// The member proved it is alive at `at`.
    pub fn renew(&self, at: Instant) {
        let mut until = self
            .until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let new = at + self.session_timeout;
        if until.is_none_or(|u| u < new) {
            *until = Some(new);
        }
    }

    /// Extends a lease that is still valid (never one that lapsed): a member whose JoinGroup
    /// is pending is kept alive by the coordinator, as by heartbeats.
    pub fn keep_alive(&self, at: Instant) {
        let mut until = self
            .until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(u) = *until {
            let now = Instant::now();
            if now < u && u < at + self.session_timeout {
                *until = Some(at + self.session_timeout);
            }
        }
    }

    /// Ends the lease at once (fenced, or leaving the group).
    pub fn revoke(&self) {
        *self
            .until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Whether the member may still act as one.
    pub fn valid(&self) -> bool {
        self.until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|u| Instant::now() < u)
    }
}

/// The heartbeat task of one member; stops when dropped.
pub struct Session {
    state: watch::Receiver<SessionState>,
    cancel: CancellationToken,
}

impl Session {
    /// Starts heartbeating `member` (which must have joined and synced) every `interval`.
    pub fn start(
        member: Arc<Mutex<GroupMember>>,
        interval: Duration,
        session_timeout: Duration,
        lease: Lease,
    ) -> Session {
        let (tx, state) = watch::channel(SessionState::Stable);
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        tokio::spawn(async move {
            let mut last_success = Instant::now();
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(interval) => {}
                }
                let sent = Instant::now();
                let result = {
                    let mut m = member.lock().await;
                    // A heartbeat that hangs counts as failed once the session is over.
                    match tokio::time::timeout(session_timeout, m.heartbeat()).await {
                        Ok(r) => r,
                        Err(_) => {
                            m.reset_coordinator();
                            Err(GroupError::Coordinator { code: -1 })
                        }
                    }
                };
                if result.is_ok() {
                    last_success = Instant::now();
                    // Alive as of when the heartbeat was sent, not answered.
                    lease.renew(sent);
                }
                let verdict = judge(&result, last_success.elapsed(), session_timeout);
                if let Err(e) = &result {
                    if verdict == SessionState::Stable {
                        warn!(error = %e, "a heartbeat failed; trying again");
                        member.lock().await.reset_coordinator();
                    }
                }
                if verdict != SessionState::Stable {
                    if matches!(verdict, SessionState::Fenced(_)) {
                        lease.revoke();
                    }
                    match &verdict {
                        SessionState::Fenced(why) => {
                            warn!(reason = %why, "fenced: stopping all work and rejoining as a new member")
                        }
                        _ => info!("the group is rebalancing; rejoining"),
                    }
                    let _ = tx.send(verdict);
                    return;
                }
            }
        });
        Session { state, cancel }
    }

    /// Waits until the heartbeats say something other than [`SessionState::Stable`].
    pub async fn changed(&mut self) -> SessionState {
        loop {
            let now = self.state.borrow_and_update().clone();
            if now != SessionState::Stable {
                return now;
            }
            if self.state.changed().await.is_err() {
                return SessionState::Fenced("the heartbeat task ended".into());
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: Duration = Duration::from_secs(10);

    #[test]
    fn a_lease_lasts_one_session_from_its_renewal_and_ends_when_revoked() {
        let lease = Lease::new(Duration::from_millis(200));
        assert!(!lease.valid(), "not valid before the first renewal");
        lease.renew(Instant::now());
        assert!(lease.valid());
        // An older renewal never shortens it.
        lease.renew(Instant::now() - Duration::from_secs(5));
        assert!(lease.valid());
        lease.revoke();
        assert!(!lease.valid());
        lease.keep_alive(Instant::now());
        assert!(!lease.valid(), "a revoked lease is not kept alive");
        lease.renew(Instant::now() - Duration::from_millis(300));
        assert!(!lease.valid(), "a renewal a whole session ago has lapsed");
        lease.keep_alive(Instant::now());
        assert!(!lease.valid(), "a lapsed lease is not kept alive");
        lease.renew(Instant::now());
        lease.keep_alive(Instant::now() + Duration::from_secs(1));
        std::thread::sleep(Duration::from_millis(250));
        assert!(lease.valid(), "kept alive past its first session");
    }

    #[test]
    fn heartbeat_outcomes_become_what_to_do() {
        let s = Duration::from_secs(1);
        assert_eq!(judge(&Ok(()), s, SESSION), SessionState::Stable);
        assert_eq!(
            judge(&Err(GroupError::RebalanceInProgress), s, SESSION),
            SessionState::Rejoin
        );
        assert_eq!(
            judge(
                &Err(GroupError::IllegalGeneration { generation: 3 }),
                s,
                SESSION
            ),
            SessionState::Rejoin
        );
        assert!(matches!(
            judge(
                &Err(GroupError::UnknownMember {
                    member_id: "m".into()
                }),
                s,
                SESSION
            ),
            SessionState::Fenced(_)
        ));
    }

    #[test]
    fn failing_heartbeats_fence_the_member_once_the_session_is_over() {
        let down = Err(GroupError::Coordinator { code: 15 });
        assert_eq!(
            judge(&down, Duration::from_secs(9), SESSION),
            SessionState::Stable,
            "within the session: try again"
        );
        let SessionState::Fenced(why) = judge(&down, Duration::from_secs(10), SESSION) else {
            panic!("not fenced");
        };
        assert!(why.contains("no heartbeat succeeded for 10000 ms"), "{why}");
    }
}
