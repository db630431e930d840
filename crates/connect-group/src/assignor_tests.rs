use super::*;

fn configured(connectors: &[(&str, i32)]) -> Work {
    let mut w = Work::default();
    for (c, n) in connectors {
        w.connectors.insert((*c).to_owned());
        for t in 0..*n {
            w.tasks.insert(ConnectorTaskId::new(*c, t));
        }
    }
    w
}

/// A cluster of members that apply every round's assignment: stop what is revoked, start what
/// is assigned, and report the result in the next round.
struct Cluster {
    assignor: IncrementalAssignor,
    members: BTreeMap<String, Load>,
    generation: i32,
    now: i64,
}

impl Cluster {
    fn new(max_delay: i64, members: &[&str]) -> Cluster {
        Cluster {
            assignor: IncrementalAssignor::new(max_delay),
            members: members
                .iter()
                .map(|m| ((*m).to_owned(), Load::default()))
                .collect(),
            generation: 0,
            now: 1_000_000,
        }
    }

    fn round(&mut self, configured: &Work) -> ClusterAssignment {
        let last = self.generation;
        self.generation += 1;
        let out = self
            .assignor
            .assign(self.now, configured, last, self.generation, &self.members);
        for (m, load) in self.members.iter_mut() {
            if let Some(r) = out.newly_revoked.get(m) {
                load.connectors.retain(|c| !r.connectors.contains(c));
                load.tasks.retain(|t| !r.tasks.contains(t));
            }
            if let Some(a) = out.newly_assigned.get(m) {
                load.connectors.extend(a.connectors.iter().cloned());
                load.tasks.extend(a.tasks.iter().cloned());
            }
        }
        // Whatever the round, nothing runs on two members once it is applied.
        let mut seen = Work::default();
        for (m, l) in &self.members {
            for c in &l.connectors {
                assert!(
                    seen.connectors.insert(c.clone()),
                    "connector {c} twice ({m})"
                );
            }
            for t in &l.tasks {
                assert!(seen.tasks.insert(t.clone()), "task {t:?} twice ({m})");
            }
        }
        out
    }

    /// Rounds until nothing moves (at most 8).
    fn settle(&mut self, configured: &Work) -> usize {
        for i in 1..=8 {
            let out = self.round(configured);
            let moved = out
                .newly_assigned
                .values()
                .chain(out.newly_revoked.values())
                .any(|l| !l.is_empty());
            if !moved && out.delay_ms == 0 {
                return i;
            }
            self.now += i64::from(out.delay_ms);
        }
        panic!("the cluster did not settle: {:#?}", self.members);
    }

    /// Every configured connector and task runs exactly once, and no member runs more than
    /// one connector or task above another.
    fn assert_balanced(&self, configured: &Work) {
        let mut running = Work::default();
        let mut count = 0;
        for l in self.members.values() {
            running.connectors.extend(l.connectors.iter().cloned());
            running.tasks.extend(l.tasks.iter().cloned());
            count += l.connectors.len() + l.tasks.len();
        }
        assert_eq!(&running, configured, "{:#?}", self.members);
        assert_eq!(
            count,
            configured.connectors.len() + configured.tasks.len(),
            "something runs twice: {:#?}",
            self.members
        );
        for of in [|l: &Load| l.connectors.len(), |l: &Load| l.tasks.len()] {
            let sizes: Vec<usize> = self.members.values().map(of).collect();
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "unbalanced {sizes:?}: {:#?}", self.members);
        }
    }
}

#[test]
fn a_new_cluster_gets_everything_balanced_in_one_round() {
    let work = configured(&[("a", 4), ("b", 4)]);
    let mut c = Cluster::new(300_000, &["w1", "w2"]);
    let out = c.round(&work);
    assert!(out.newly_revoked.values().all(Load::is_empty));
    assert_eq!(out.delay_ms, 0);
    c.assert_balanced(&work);
    assert_eq!(c.settle(&work), 1, "stable: the next round moves nothing");
}

#[test]
fn a_joining_worker_gets_its_share_through_revoke_then_assign() {
    let work = configured(&[("a", 4), ("b", 4)]);
    let mut c = Cluster::new(300_000, &["w1", "w2"]);
    c.settle(&work);
    c.members.insert("w3".into(), Load::default());
    let out = c.round(&work);
    let revoked: usize = out
        .newly_revoked
        .values()
        .map(|l| l.connectors.len() + l.tasks.len())
        .sum();
    assert!(revoked > 0, "the loaded workers give some up");
    assert!(
        out.newly_assigned["w3"].is_empty(),
        "nothing moves to the newcomer before its old owner stopped it"
    );
    c.settle(&work);
    c.assert_balanced(&work);
    assert!(!c.members["w3"].is_empty());
}

#[test]
fn a_departed_workers_work_waits_for_the_delay_then_moves() {
    let work = configured(&[("a", 3), ("b", 3)]);
    let mut c = Cluster::new(10_000, &["w1", "w2", "w3"]);
    c.settle(&work);
    let gone = c.members.remove("w3").unwrap();
    assert!(!gone.is_empty());
    let out = c.round(&work);
    assert_eq!(out.delay_ms, 10_000, "the lost work waits for its worker");
    assert!(out.newly_assigned.values().all(Load::is_empty));
    c.now += 4_000;
    let out = c.round(&work);
    assert_eq!(out.delay_ms, 6_000, "the delay counts down");
    c.now += 6_000;
    let out = c.round(&work);
    assert_eq!(out.delay_ms, 0);
    let moved: usize = out
        .newly_assigned
        .values()
        .map(|l| l.connectors.len() + l.tasks.len())
        .sum();
    assert_eq!(moved, gone.connectors.len() + gone.tasks.len());
    c.settle(&work);
    c.assert_balanced(&work);
}

#[test]
fn a_worker_that_joins_during_the_delay_takes_the_lost_work() {
    let work = configured(&[("a", 2), ("b", 2), ("c", 2)]);
    let mut c = Cluster::new(10_000, &["w1", "w2", "w3"]);
    c.settle(&work);
    let gone = c.members.remove("w2").unwrap();
    assert_eq!(c.round(&work).delay_ms, 10_000);
    c.members.insert("w9".into(), Load::default());
    c.now += 2_000;
    assert_eq!(c.round(&work).delay_ms, 8_000);
    c.now += 8_000;
    let out = c.round(&work);
    assert_eq!(
        out.newly_assigned["w9"],
        Load {
            connectors: gone.connectors.clone(),
            tasks: {
                let mut t = gone.tasks.clone();
                t.sort();
                t
            }
        },
        "the candidate that joined empty gets the lost work"
    );
    c.settle(&work);
    c.assert_balanced(&work);
}

#[test]
fn without_a_delay_lost_work_moves_at_once() {
    let work = configured(&[("a", 4)]);
    let mut c = Cluster::new(0, &["w1", "w2"]);
    c.settle(&work);
    c.members.remove("w1");
    let out = c.round(&work);
    assert_eq!(out.delay_ms, 0);
    c.assert_balanced(&work);
}

#[test]
fn deleted_and_duplicated_work_is_revoked() {
    let work = configured(&[("a", 2), ("b", 2)]);
    let mut c = Cluster::new(300_000, &["w1", "w2"]);
    c.settle(&work);
    // b is deleted.
    let fewer = configured(&[("a", 2)]);
    let out = c.round(&fewer);
    let revoked: BTreeSet<String> = out
        .newly_revoked
        .values()
        .flat_map(|l| l.connectors.iter().cloned())
        .collect();
    assert_eq!(revoked, ["b".to_owned()].into_iter().collect());
    c.settle(&fewer);
    c.assert_balanced(&fewer);
    // A task runs on both workers (a zombie's leftover): revoked from both, then placed once.
    let t = ConnectorTaskId::new("a", 0);
    for l in c.members.values_mut() {
        if !l.tasks.contains(&t) {
            l.tasks.push(t.clone());
        }
    }
    let out = c.round(&fewer);
    assert!(out.newly_revoked.values().all(|l| l.tasks.contains(&t)));
    c.settle(&fewer);
    c.assert_balanced(&fewer);
}

#[test]
fn successive_revoking_rounds_back_off() {
    assert_eq!(revoking_backoff(1, 300_000), 40);
    assert_eq!(revoking_backoff(2, 300_000), 1_600);
    assert_eq!(revoking_backoff(3, 300_000), 64_000);
    assert_eq!(revoking_backoff(4, 300_000), 300_000);
    assert_eq!(revoking_backoff(9, 300_000), 300_000);
    assert_eq!(revoking_backoff(3, 0), 0);
}

#[test]
fn clusters_of_every_shape_settle_balanced_with_each_item_once() {
    // Joins and departures in turn, with and without a delay.
    for max_delay in [0, 5_000] {
        let work = configured(&[("a", 5), ("b", 1), ("c", 3), ("d", 0), ("e", 7)]);
        let mut c = Cluster::new(max_delay, &["w1"]);
        c.settle(&work);
        c.assert_balanced(&work);
        for step in 2..=6 {
            c.members.insert(format!("w{step}"), Load::default());
            c.settle(&work);
            c.assert_balanced(&work);
        }
        for gone in ["w1", "w4", "w6"] {
            c.members.remove(gone);
            c.settle(&work);
            c.assert_balanced(&work);
        }
    }
}

#[test]
fn a_leader_that_missed_the_last_round_forgets_its_stale_view() {
    let work = configured(&[("a", 2)]);
    let mut a = IncrementalAssignor::new(300_000);
    let members: BTreeMap<String, Load> =
        [("w1".to_owned(), Load::default())].into_iter().collect();
    a.assign(0, &work, 0, 1, &members);
    // The last completed generation is not the one this leader assigned: its view is stale,
    // and what it assigned but nobody reports is treated as new, not as lost.
    let out = a.assign(0, &work, 7, 8, &members);
    assert_eq!(out.delay_ms, 0);
    assert_eq!(out.newly_assigned["w1"].tasks.len(), 2);
}

#[test]
fn a_leader_behind_the_config_topic_answers_config_mismatch_to_everyone() {
    let out = config_mismatch(["w1".to_owned(), "w2".to_owned()], "w1", "http://a/", 42, 2);
    assert_eq!(out.len(), 2);
    for a in out.values() {
        assert_eq!(a.error, AssignmentError::ConfigMismatch);
        assert_eq!(a.config_offset, 42);
        assert!(a.connectors.is_empty() && a.revoked_tasks.is_empty());
    }
}
