//! The leader's incremental cooperative assignor (KIP-415), as Kafka Connect 4.3's
//! `IncrementalCooperativeAssignor` computes it: from the connectors and tasks configured and
//! what each member reports running, what each member must newly start and what it must stop.
//!
//! * Deleted work (run before, no longer configured) and work running on more than one member
//!   is revoked.
//! * Work that was assigned before but no member reports (its worker left) is *lost*: with
//!   `scheduled.rebalance.max.delay.ms` above 0 it waits that long for its worker to come back,
//!   then goes to the members that joined empty meanwhile, or is spread like new work. If no
//!   member left (some member just missed the last assignment), it is reassigned at once.
//! * New work goes to the least loaded members, connectors and tasks balanced separately.
//! * Load balancing revokes from members above the balanced share, at most once in two rounds
//!   in a row before backing off (40 ms, 1.6 s, 64 s, ... up to the maximum delay), and never
//!   while a delay runs. Revoked work is reassigned in the next round, after its owner stopped
//!   it: nothing ever runs on two members at once while both are alive.
//!
//! Ties between equally loaded members are broken by member id, as Connect does; where Connect
//! iterates a `HashMap` of members (which member keeps one extra when the work does not divide
//! evenly) this takes the members in member id order, which gives the same balance.

use std::collections::{BTreeMap, BTreeSet};

use crate::protocol::{Assignment, AssignmentError, ConnectorTaskId};

/// A set of connectors and tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Work {
    pub connectors: BTreeSet<String>,
    pub tasks: BTreeSet<ConnectorTaskId>,
}

impl Work {
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    /// `self` minus every set in `others` (Connect's `diff`).
    fn minus(&self, others: &[&Work]) -> Work {
        let mut out = self.clone();
        for o in others {
            out.connectors.retain(|c| !o.connectors.contains(c));
            out.tasks.retain(|t| !o.tasks.contains(t));
        }
        out
    }

    fn add(&mut self, other: &Work) {
        self.connectors.extend(other.connectors.iter().cloned());
        self.tasks.extend(other.tasks.iter().cloned());
    }
}

/// What one member runs, in the order it reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Load {
    pub connectors: Vec<String>,
    pub tasks: Vec<ConnectorTaskId>,
}

impl Load {
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn remove(&mut self, work: &Work) {
        self.connectors.retain(|c| !work.connectors.contains(c));
        self.tasks.retain(|t| !work.tasks.contains(t));
    }
}

/// The outcome of a round, per member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterAssignment {
    pub newly_assigned: BTreeMap<String, Load>,
    pub newly_revoked: BTreeMap<String, Load>,
    /// What each member runs once this round is applied (the leader's view, for REST
    /// forwarding to a task's owner).
    pub all_assigned: BTreeMap<String, Load>,
    /// After how long every member must rejoin (a scheduled rebalance), in milliseconds.
    pub delay_ms: i32,
}

impl ClusterAssignment {
    /// Each member's [`Assignment`] message for this round.
    pub fn assignments(
        &self,
        members: impl IntoIterator<Item = String>,
        leader: &str,
        leader_url: &str,
        config_offset: i64,
        version: i16,
    ) -> BTreeMap<String, Assignment> {
        let empty = Load::default();
        members
            .into_iter()
            .map(|m| {
                let start = self.newly_assigned.get(&m).unwrap_or(&empty);
                let stop = self.newly_revoked.get(&m).unwrap_or(&empty);
                let a = Assignment {
                    version,
                    error: AssignmentError::None,
                    leader: leader.to_owned(),
                    leader_url: leader_url.to_owned(),
                    config_offset,
                    connectors: start.connectors.clone(),
                    tasks: start.tasks.clone(),
                    revoked_connectors: stop.connectors.clone(),
                    revoked_tasks: stop.tasks.clone(),
                    delay_ms: self.delay_ms,
                };
                (m, a)
            })
            .collect()
    }
}

/// Every member's assignment when the leader is behind the config topic (`CONFIG_MISMATCH`):
/// nothing to start or stop; members rejoin once they caught up.
pub fn config_mismatch(
    members: impl IntoIterator<Item = String>,
    leader: &str,
    leader_url: &str,
    config_offset: i64,
    version: i16,
) -> BTreeMap<String, Assignment> {
    let mut out = ClusterAssignment::default().assignments(
        members,
        leader,
        leader_url,
        config_offset,
        version,
    );
    for a in out.values_mut() {
        a.error = AssignmentError::ConfigMismatch;
    }
    out
}

/// Kafka's `ExponentialBackoff(initial 1, multiplier 40, max, no jitter)` for successive
/// revoking rounds.
fn revoking_backoff(attempts: u32, max_delay: i64) -> i64 {
    if max_delay <= 1 {
        return max_delay.max(0);
    }
    let exp_max = (max_delay as f64).ln() / 40f64.ln();
    let exp = f64::from(attempts).min(exp_max);
    (40f64.powf(exp) as i64).min(max_delay)
}

/// The leader's state between rounds.
#[derive(Debug, Clone)]
pub struct IncrementalAssignor {
    max_delay: i64,
    previous_assignment: Work,
    previous_revocation: Work,
    revoked_in_previous: bool,
    /// Members that joined empty while lost work waited (insertion order, no repeats).
    candidates: Vec<String>,
    /// When the lost work may move (ms since the epoch; 0: no delay running).
    scheduled_rebalance: i64,
    delay: i64,
    previous_generation: i32,
    previous_members: BTreeSet<String>,
    successive_revoking_rounds: u32,
}

impl IncrementalAssignor {
    /// `max_delay_ms` is `scheduled.rebalance.max.delay.ms`.
    pub fn new(max_delay_ms: i64) -> Self {
        IncrementalAssignor {
            max_delay: max_delay_ms.max(0),
            previous_assignment: Work::default(),
            previous_revocation: Work::default(),
            revoked_in_previous: false,
            candidates: Vec::new(),
            scheduled_rebalance: 0,
            delay: 0,
            previous_generation: -1,
            previous_members: BTreeSet::new(),
            successive_revoking_rounds: 0,
        }
    }

    /// One round: `configured` is the config snapshot's connectors and tasks, `members` what
    /// each member reports running (its metadata's allocation), `now_ms` the wall clock.
    pub fn assign(
        &mut self,
        now_ms: i64,
        configured: &Work,
        last_completed_generation: i32,
        current_generation: i32,
        members: &BTreeMap<String, Load>,
    ) -> ClusterAssignment {
        if self.previous_generation != last_completed_generation {
            // The leader failed to complete the last round: its view of it is stale.
            self.previous_assignment = Work::default();
        }
        let active = union(members);
        if !self.previous_revocation.is_empty() {
            let still_running = self
                .previous_revocation
                .connectors
                .iter()
                .any(|c| active.connectors.contains(c))
                || self
                    .previous_revocation
                    .tasks
                    .iter()
                    .any(|t| active.tasks.contains(t));
            if still_running {
                // A previous revocation did not take effect: start again from what runs.
                self.previous_assignment = active.clone();
            }
            self.previous_revocation = Work::default();
        }
        let deleted = self.previous_assignment.minus(&[configured]);
        let duplicated = duplicated(members);
        let lost = self.previous_assignment.minus(&[&active, &deleted]);
        let created = configured.minus(&[&self.previous_assignment, &active]);

        let current: BTreeMap<String, Load> = members
            .iter()
            .map(|(m, l)| {
                let mut l = l.clone();
                l.remove(&deleted);
                (m.clone(), l)
            })
            .collect();
        let mut to_revoke: BTreeMap<String, Work> = BTreeMap::new();
        let deleted_to_revoke = intersection(&deleted, members);
        let duplicated_to_revoke = intersection(&duplicated, members);
        add_all(&mut to_revoke, &deleted_to_revoke);
        add_all(&mut to_revoke, &duplicated_to_revoke);

        let mut next: Vec<(String, Load)> = members
            .iter()
            .map(|(m, l)| (m.clone(), l.clone()))
            .collect();
        remove_all(&mut next, &deleted_to_revoke);
        remove_all(&mut next, &duplicated_to_revoke);

        let lost_to_reassign = self.handle_lost(now_ms, &lost, &mut next);

        if self.delay == 0 {
            let balancing = load_balancing_revocations(configured, &next);
            if self.revoked_in_previous && !balancing.is_empty() {
                self.successive_revoking_rounds += 1;
                self.delay = revoking_backoff(self.successive_revoking_rounds, self.max_delay);
                if self.delay != 0 {
                    self.scheduled_rebalance = now_ms + self.delay;
                } else {
                    add_all(&mut to_revoke, &balancing);
                    remove_all(&mut next, &balancing);
                }
            } else if !balancing.is_empty() {
                add_all(&mut to_revoke, &balancing);
                remove_all(&mut next, &balancing);
                self.revoked_in_previous = true;
            } else if self.revoked_in_previous {
                // Balanced again: reset the backoff.
                self.revoked_in_previous = false;
                self.successive_revoking_rounds = 0;
            }
        } else {
            self.revoked_in_previous = false;
        }

        let mut to_assign = created.clone();
        to_assign.add(&lost_to_reassign);
        assign_connectors(&mut next, &to_assign.connectors);
        assign_tasks(&mut next, &to_assign.tasks);

        let mut out = ClusterAssignment {
            delay_ms: i32::try_from(self.delay).unwrap_or(i32::MAX),
            ..ClusterAssignment::default()
        };
        for (member, load) in &next {
            let before = current.get(member).cloned().unwrap_or_default();
            let added = Load {
                connectors: load
                    .connectors
                    .iter()
                    .filter(|c| !before.connectors.contains(c))
                    .cloned()
                    .collect(),
                tasks: load
                    .tasks
                    .iter()
                    .filter(|t| !before.tasks.contains(t))
                    .cloned()
                    .collect(),
            };
            out.newly_assigned.insert(member.clone(), added);
            let revoked = to_revoke.get(member).cloned().unwrap_or_default();
            let mut all = load.clone();
            all.remove(&revoked);
            out.all_assigned.insert(member.clone(), all);
        }
        for (member, revoked) in &to_revoke {
            out.newly_revoked.insert(
                member.clone(),
                Load {
                    connectors: revoked.connectors.iter().cloned().collect(),
                    tasks: revoked.tasks.iter().cloned().collect(),
                },
            );
        }

        // What the next round starts from: everything assigned, minus what is being revoked
        // (remembered, in case the revocation does not take effect), plus what is lost.
        let mut previous = Work::default();
        for (_, load) in &next {
            previous.connectors.extend(load.connectors.iter().cloned());
            previous.tasks.extend(load.tasks.iter().cloned());
        }
        for revoked in to_revoke.values() {
            previous
                .connectors
                .retain(|c| !revoked.connectors.contains(c));
            previous.tasks.retain(|t| !revoked.tasks.contains(t));
            self.previous_revocation.add(revoked);
        }
        previous.add(&lost);
        self.previous_assignment = previous;
        self.previous_generation = current_generation;
        self.previous_members = members.keys().cloned().collect();
        out
    }

    /// Connect's `handleLostAssignments`: which lost work moves now (returned, to be spread
    /// like new work) or was placed on candidate members (added to `next`), and the delay.
    fn handle_lost(&mut self, now: i64, lost: &Work, next: &mut [(String, Load)]) -> Work {
        if lost.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return Work::default();
        }
        let active: BTreeSet<&String> = next.iter().map(|(m, _)| m).collect();
        if self.scheduled_rebalance <= 0 && self.previous_members.iter().all(|m| active.contains(m))
        {
            // Nobody left: some member missed the last assignment. Reassign at once.
            return lost.clone();
        }
        if self.max_delay == 0 {
            return lost.clone();
        }
        if self.scheduled_rebalance > 0 && now >= self.scheduled_rebalance {
            // The delay is over: the lost work goes to the members that joined empty.
            let candidates: Vec<usize> = self
                .candidates
                .iter()
                .filter_map(|c| next.iter().position(|(m, _)| m == c))
                .collect();
            let mut out = Work::default();
            if candidates.is_empty() {
                out = lost.clone();
            } else {
                for (i, c) in lost.connectors.iter().enumerate() {
                    next[candidates[i % candidates.len()]]
                        .1
                        .connectors
                        .push(c.clone());
                }
                for (i, t) in lost.tasks.iter().enumerate() {
                    next[candidates[i % candidates.len()]]
                        .1
                        .tasks
                        .push(t.clone());
                }
            }
            self.reset_delay();
            self.revoked_in_previous = false;
            return out;
        }
        for (m, load) in next.iter() {
            if load.is_empty() && !self.candidates.contains(m) {
                self.candidates.push(m.clone());
            }
        }
        self.delay = if now < self.scheduled_rebalance {
            (self.scheduled_rebalance - now).min(self.max_delay).max(0)
        } else {
            self.max_delay
        };
        self.scheduled_rebalance = now + self.delay;
        Work::default()
    }

    fn reset_delay(&mut self) {
        self.candidates.clear();
        self.scheduled_rebalance = 0;
        self.delay = 0;
    }
}

fn union(members: &BTreeMap<String, Load>) -> Work {
    let mut w = Work::default();
    for l in members.values() {
        w.connectors.extend(l.connectors.iter().cloned());
        w.tasks.extend(l.tasks.iter().cloned());
    }
    w
}

fn duplicated(members: &BTreeMap<String, Load>) -> Work {
    let mut connectors: BTreeMap<&String, usize> = BTreeMap::new();
    let mut tasks: BTreeMap<&ConnectorTaskId, usize> = BTreeMap::new();
    for l in members.values() {
        for c in &l.connectors {
            *connectors.entry(c).or_default() += 1;
        }
        for t in &l.tasks {
            *tasks.entry(t).or_default() += 1;
        }
    }
    Work {
        connectors: connectors
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(c, _)| c.clone())
            .collect(),
        tasks: tasks
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(t, _)| t.clone())
            .collect(),
    }
}

/// Per member, what of `work` it runs.
fn intersection(work: &Work, members: &BTreeMap<String, Load>) -> BTreeMap<String, Work> {
    members
        .iter()
        .map(|(m, l)| {
            let w = Work {
                connectors: l
                    .connectors
                    .iter()
                    .filter(|c| work.connectors.contains(*c))
                    .cloned()
                    .collect(),
                tasks: l
                    .tasks
                    .iter()
                    .filter(|t| work.tasks.contains(*t))
                    .cloned()
                    .collect(),
            };
            (m.clone(), w)
        })
        .collect()
}

fn add_all(base: &mut BTreeMap<String, Work>, more: &BTreeMap<String, Work>) {
    for (m, w) in more {
        if !w.is_empty() || base.contains_key(m) {
            base.entry(m.clone()).or_default().add(w);
        }
    }
}

fn remove_all(loads: &mut [(String, Load)], remove: &BTreeMap<String, Work>) {
    for (m, l) in loads.iter_mut() {
        if let Some(w) = remove.get(m) {
            l.remove(w);
        }
    }
}

/// Revokes from each member what runs above a perfectly balanced share (connectors and tasks
/// separately); nothing when every member is empty, nothing is configured, or the shares are
/// already balanced.
fn load_balancing_revocations(
    configured: &Work,
    loads: &[(String, Load)],
) -> BTreeMap<String, Work> {
    if loads.iter().all(|(_, l)| l.is_empty()) || configured.is_empty() {
        return BTreeMap::new();
    }
    let mut out: BTreeMap<String, Work> = BTreeMap::new();
    for (m, revoked) in revocations(configured.connectors.len(), loads, |l| &l.connectors) {
        out.entry(m).or_default().connectors.extend(revoked);
    }
    for (m, revoked) in revocations(configured.tasks.len(), loads, |l| &l.tasks) {
        out.entry(m).or_default().tasks.extend(revoked);
    }
    out
}

fn revocations<E: Clone>(
    total: usize,
    loads: &[(String, Load)],
    of: impl Fn(&Load) -> &Vec<E>,
) -> Vec<(String, Vec<E>)> {
    let workers = loads.len();
    let min = total / workers;
    let extras = total % workers;
    let at_min = loads.iter().filter(|(_, l)| of(l).len() == min).count();
    let at_extra = loads.iter().filter(|(_, l)| of(l).len() == min + 1).count();
    if at_extra == extras && at_min + at_extra == workers {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut allocated_extras = 0;
    for (m, l) in loads {
        let size = of(l).len();
        if size <= min {
            continue;
        }
        let max = if allocated_extras < extras {
            allocated_extras += 1;
            if size == min + 1 {
                continue;
            }
            min + 1
        } else {
            min
        };
        out.push((m.clone(), of(l).iter().take(size - max).cloned().collect()));
    }
    out
}

/// New connectors round-robin over the least loaded members (by connector count, then id).
fn assign_connectors(loads: &mut [(String, Load)], connectors: &BTreeSet<String>) {
    round_robin(
        loads,
        connectors.iter().cloned(),
        |l| l.connectors.len(),
        |l, c| l.connectors.push(c),
    );
}

fn assign_tasks(loads: &mut [(String, Load)], tasks: &BTreeSet<ConnectorTaskId>) {
    round_robin(
        loads,
        tasks.iter().cloned(),
        |l| l.tasks.len(),
        |l, t| l.tasks.push(t),
    );
}

/// Connect's `assignConnectors`/`assignTasks`: sorted once by load then member id; each pass
/// hands one item to every member as lightly loaded as the first, in that order.
fn round_robin<E>(
    loads: &mut [(String, Load)],
    items: impl Iterator<Item = E>,
    len: impl Fn(&Load) -> usize,
    push: impl Fn(&mut Load, E),
) {
    if loads.is_empty() {
        return;
    }
    loads.sort_by(|(a, la), (b, lb)| len(la).cmp(&len(lb)).then_with(|| a.cmp(b)));
    let mut items = items.peekable();
    while items.peek().is_some() {
        let first = len(&loads[0].1);
        let up_to = loads
            .iter()
            .position(|(_, l)| len(l) > first)
            .unwrap_or(loads.len());
        for (_, l) in loads[..up_to].iter_mut() {
            match items.next() {
                Some(item) => push(l, item),
                None => break,
            }
        }
    }
}

#[cfg(test)]
#[path = "assignor_tests.rs"]
mod tests;
