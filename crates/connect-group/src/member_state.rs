//! A member's side of a round (Connect's `WorkerCoordinator.onJoinComplete` and the herder's
//! `handleRebalanceCompleted`): what it runs after an assignment, what to stop and start, and
//! whether it may start anything given how far it has read the config topic.

use crate::assignor::Load;
use crate::protocol::{Assignment, AssignmentError};

/// What the member does with an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Stop `stop`, then start `start` (both possibly empty); rejoin after `rejoin_after_ms`
    /// when the leader scheduled a rebalance, or at once when something was revoked (so the
    /// revoked work can move).
    Apply {
        stop: Load,
        start: Load,
        rejoin_after_ms: Option<i32>,
    },
    /// Read the config topic up to `offset` (within `worker.sync.timeout.ms`) before applying.
    CatchUp { offset: i64 },
    /// The leader was behind, or this member read past the assignment's offset: rejoin.
    Rejoin,
}

/// What the member runs, across rounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberState {
    pub running: Load,
}

impl MemberState {
    /// Decides what to do with `assignment`, given the member's config snapshot offset.
    pub fn next(&self, assignment: &Assignment, snapshot_offset: i64) -> Next {
        if assignment.error == AssignmentError::ConfigMismatch {
            return Next::Rejoin;
        }
        if snapshot_offset < assignment.config_offset {
            return Next::CatchUp {
                offset: assignment.config_offset,
            };
        }
        if snapshot_offset > assignment.config_offset {
            // Started from a newer config than the leader assigned from: the assignment may be
            // stale, so start nothing and rejoin.
            return Next::Rejoin;
        }
        let stop = Load {
            connectors: assignment.revoked_connectors.clone(),
            tasks: assignment.revoked_tasks.clone(),
        };
        let start = Load {
            connectors: assignment.connectors.clone(),
            tasks: assignment.tasks.clone(),
        };
        let revoked = !stop.connectors.is_empty() || !stop.tasks.is_empty();
        let rejoin_after_ms = if revoked {
            Some(0)
        } else if assignment.delay_ms > 0 {
            Some(assignment.delay_ms)
        } else {
            None
        };
        Next::Apply {
            stop,
            start,
            rejoin_after_ms,
        }
    }

    /// Records that `stop` was stopped and `start` started: the running set is the old one
    /// minus the revoked plus the assigned (what the member reports in its next join).
    pub fn applied(&mut self, stop: &Load, start: &Load) {
        self.running
            .connectors
            .retain(|c| !stop.connectors.contains(c));
        self.running.tasks.retain(|t| !stop.tasks.contains(t));
        for c in &start.connectors {
            if !self.running.connectors.contains(c) {
                self.running.connectors.push(c.clone());
            }
        }
        for t in &start.tasks {
            if !self.running.tasks.contains(t) {
                self.running.tasks.push(t.clone());
            }
        }
    }

    /// Everything stops (fenced, or leaving): the member reports nothing in its next join.
    pub fn revoke_all(&mut self) -> Load {
        std::mem::take(&mut self.running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ConnectorTaskId;

    fn assignment(offset: i64) -> Assignment {
        Assignment {
            version: 2,
            error: AssignmentError::None,
            leader: "l".into(),
            leader_url: "http://l/".into(),
            config_offset: offset,
            connectors: vec!["a".into()],
            tasks: vec![ConnectorTaskId::new("a", 0)],
            revoked_connectors: vec![],
            revoked_tasks: vec![],
            delay_ms: 0,
        }
    }

    #[test]
    fn a_member_applies_only_at_the_assignments_config_offset() {
        let m = MemberState::default();
        assert_eq!(m.next(&assignment(10), 7), Next::CatchUp { offset: 10 });
        assert_eq!(m.next(&assignment(10), 12), Next::Rejoin);
        let mismatch = Assignment {
            error: AssignmentError::ConfigMismatch,
            ..assignment(10)
        };
        assert_eq!(m.next(&mismatch, 10), Next::Rejoin);
        let Next::Apply {
            start,
            rejoin_after_ms,
            ..
        } = m.next(&assignment(10), 10)
        else {
            panic!("not applied");
        };
        assert_eq!(start.tasks, [ConnectorTaskId::new("a", 0)]);
        assert_eq!(rejoin_after_ms, None);
    }

    #[test]
    fn a_revocation_stops_first_and_rejoins_at_once_and_a_delay_schedules_a_rejoin() {
        let mut m = MemberState::default();
        m.applied(
            &Load::default(),
            &Load {
                connectors: vec!["a".into(), "b".into()],
                tasks: vec![ConnectorTaskId::new("b", 0)],
            },
        );
        let revoking = Assignment {
            connectors: vec![],
            tasks: vec![],
            revoked_connectors: vec!["b".into()],
            revoked_tasks: vec![ConnectorTaskId::new("b", 0)],
            ..assignment(3)
        };
        let Next::Apply {
            stop,
            start,
            rejoin_after_ms,
        } = m.next(&revoking, 3)
        else {
            panic!("not applied");
        };
        assert_eq!(rejoin_after_ms, Some(0));
        m.applied(&stop, &start);
        assert_eq!(m.running.connectors, ["a"]);
        assert!(m.running.tasks.is_empty());
        let delayed = Assignment {
            connectors: vec![],
            tasks: vec![],
            delay_ms: 5_000,
            ..assignment(3)
        };
        assert!(matches!(
            m.next(&delayed, 3),
            Next::Apply {
                rejoin_after_ms: Some(5_000),
                ..
            }
        ));
        assert_eq!(m.revoke_all().connectors, ["a"]);
        assert!(m.running.connectors.is_empty());
    }
}
