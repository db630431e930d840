//! A worker's life in the group (Connect's `WorkerGroupMember` and the herder's tick): join
//! with what it runs and how far it has read the config topic; if it leads, read the config
//! topic to its end and assign with the incremental cooperative assignor; sync; apply its
//! assignment at the agreed config offset (stop the revoked, then start the assigned); then
//! heartbeat until the group rebalances, a scheduled rebalance is due, the leader's own write
//! changed the work, or the session lapses (fenced: everything stops at once).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_group::{
    config_mismatch, Assignment, ConfigRecord, IncrementalAssignor, Load, MemberState, Next,
    SessionKey, Subprotocol, WorkerMetadata,
};
use group_client::{GroupConfig, GroupError, GroupMember, Joined, Session, SessionState};
use tokio::sync::{mpsc, Mutex};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::herder::{DistributedHerder, View};
use crate::log::retention::now_ms;

/// The config changes the config topic's reader sees, acted on in order.
pub(super) async fn follow_changes(
    herder: DistributedHerder,
    mut changes: mpsc::UnboundedReceiver<connect_group::ConfigChange>,
    stop: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            () = stop.cancelled() => return,
            c = changes.recv() => match c { Some(c) => c, None => return },
        };
        debug!(?change, "config change");
        herder.on_change(change).await;
    }
}

/// Publishes the local tasks' statuses as they change (a task fails, recovers, ...).
pub(super) async fn publish_statuses(herder: DistributedHerder, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        herder.publish().await;
    }
}

/// What a member says when it joins, for each subprotocol it offers.
fn protocols(herder: &DistributedHerder, running: &Load) -> Vec<(String, Vec<u8>)> {
    let settings = &herder.inner.settings;
    let offset = herder.inner.config.snapshot().offset();
    settings
        .protocol
        .offered()
        .iter()
        .map(|p| {
            let allocation = (p.version() > 0).then(|| Assignment {
                version: p.version(),
                error: connect_group::AssignmentError::None,
                leader: String::new(),
                leader_url: String::new(),
                config_offset: offset,
                connectors: running.connectors.clone(),
                tasks: running.tasks.clone(),
                revoked_connectors: Vec::new(),
                revoked_tasks: Vec::new(),
                delay_ms: 0,
            });
            let m = WorkerMetadata {
                url: herder.inner.url.clone(),
                config_offset: offset,
                allocation,
            };
            (p.name().to_owned(), m.encode(*p))
        })
        .collect()
}

/// The leader's side of a round: every member's assignment.
async fn lead(
    herder: &DistributedHerder,
    joined: &Joined,
    assignor: &mut IncrementalAssignor,
    last_completed: i32,
) -> Vec<(String, Vec<u8>)> {
    let settings = &herder.inner.settings;
    let version = Subprotocol::from_name(&joined.protocol)
        .unwrap_or(settings.protocol)
        .version();
    let mut loads = BTreeMap::new();
    let mut max_offset = -1;
    for m in &joined.members {
        match WorkerMetadata::decode(&m.metadata) {
            Ok((_, meta)) => {
                max_offset = max_offset.max(meta.config_offset);
                let load = meta
                    .allocation
                    .map(|a| Load {
                        connectors: a.connectors,
                        tasks: a.tasks,
                    })
                    .unwrap_or_default();
                loads.insert(m.member_id.clone(), load);
            }
            Err(e) => {
                warn!(member = %m.member_id, error = %e, "a member's metadata cannot be read; it gets no work this round");
                loads.insert(m.member_id.clone(), Load::default());
            }
        }
    }
    let members = joined.members.iter().map(|m| m.member_id.clone());
    let url = herder.inner.url.clone();
    // A new or rotated key is written before the config topic is read, so the assignment's
    // offset covers it (no member finds itself past the offset and rejoins for it).
    refresh_session_key(herder).await;
    let read = herder
        .inner
        .config
        .read_to_end(settings.worker_sync_timeout)
        .await;
    let offset = herder.inner.config.snapshot().offset();
    let behind = match read {
        Err(e) => Some(format!("cannot read the config topic to its end: {e}")),
        Ok(()) if max_offset > offset => Some(format!(
            "a member has read the config topic to {max_offset}, the leader to {offset}"
        )),
        Ok(()) => None,
    };
    if let Some(why) = behind {
        warn!(reason = %why, "assigning nothing (CONFIG_MISMATCH)");
        return encode(config_mismatch(
            members,
            &joined.member_id,
            &url,
            offset,
            version,
        ));
    }
    let work = herder.inner.config.snapshot().work();
    let round = assignor.assign(now_ms(), &work, last_completed, joined.generation, &loads);
    info!(
        generation = joined.generation,
        members = joined.members.len(),
        config_offset = offset,
        delay_ms = round.delay_ms,
        "assigning as the leader"
    );
    encode(round.assignments(members, &joined.member_id, &url, offset, version))
}

fn encode(a: BTreeMap<String, Assignment>) -> Vec<(String, Vec<u8>)> {
    a.into_iter().map(|(m, a)| (m, a.encode())).collect()
}

/// Writes a new session key when there is none or it expired (the leader's duty under the
/// `sessioned` protocol; Connect's workers verify internal requests with it).
async fn refresh_session_key(herder: &DistributedHerder) {
    let settings = &herder.inner.settings;
    if settings.protocol != Subprotocol::Sessioned {
        return;
    }
    let ttl = settings.key_ttl.as_millis() as i64;
    let current = herder.inner.config.snapshot().session_key().cloned();
    if current.is_some_and(|k| k.creation_timestamp + ttl > now_ms()) {
        return;
    }
    let bytes = settings
        .key_size
        .map_or(32, |bits| (bits as usize).div_ceil(8));
    let mut key = vec![0u8; bytes];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key).is_err() {
        warn!("cannot generate a session key");
        return;
    }
    let record = ConfigRecord::SessionKey(Some(SessionKey {
        key,
        algorithm: settings.key_generation_algorithm.clone(),
        creation_timestamp: now_ms(),
    }));
    match herder.inner.config.write(&[record]).await {
        Ok(()) => info!("a new session key was written to the config topic"),
        Err(e) => warn!(error = %e, "cannot write a session key"),
    }
}

/// Runs this worker's membership until `stop`.
pub(super) async fn run(herder: DistributedHerder, stop: CancellationToken) {
    let settings = herder.inner.settings.clone();
    let bootstrap = crate::kafka::config::bootstrap_servers(&herder.inner.worker_config)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let member = Arc::new(Mutex::new(GroupMember::new(GroupConfig {
        bootstrap,
        group_id: settings.group_id.clone(),
        client_id: format!("connect-{}", herder.inner.worker_id),
        protocol_type: connect_group::PROTOCOL_TYPE.to_owned(),
        session_timeout: settings.session_timeout,
        rebalance_timeout: settings.rebalance_timeout,
        security: herder.inner.security.clone(),
    })));
    let lease = herder.inner.lease.clone();
    let mut state = MemberState::default();
    let mut assignor =
        IncrementalAssignor::new(settings.scheduled_rebalance_max_delay.as_millis() as i64);
    let mut last_completed = -1;
    let mut backoff = Duration::from_millis(100);
    'rejoin: loop {
        if stop.is_cancelled() {
            break;
        }
        // What this worker runs is what it reports (it may have stopped a task meanwhile).
        state.running = herder.running();
        let offered = protocols(&herder, &state.running);
        // While the join is pending the coordinator keeps this member alive (up to the
        // rebalance timeout), so a valid lease stays valid: tasks keep running and committing
        // through a cooperative rebalance.
        let join_started = tokio::time::Instant::now();
        let keep_alive = async {
            loop {
                tokio::time::sleep(settings.heartbeat_interval).await;
                // The coordinator keeps a pending member no longer than the rebalance timeout.
                if join_started.elapsed() < settings.rebalance_timeout {
                    lease.keep_alive(tokio::time::Instant::now());
                }
            }
        };
        let joined = tokio::select! {
            () = stop.cancelled() => break,
            j = async { member.lock().await.join(&offered).await } => j,
            () = keep_alive => unreachable!("keep_alive never ends"),
        };
        let joined = match joined {
            Ok(j) => j,
            Err(GroupError::UnknownMember { .. }) => {
                // Evicted: whatever still runs here may run elsewhere now.
                warn!("the coordinator evicted this worker; stopping its tasks and joining as a new member");
                lease.revoke();
                herder.forget_leader();
                herder.stop_all().await;
                state.revoke_all();
                continue;
            }
            Err(e) => {
                if !matches!(e, GroupError::RebalanceInProgress) {
                    warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "cannot join the group");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                continue;
            }
        };
        let joined_at = tokio::time::Instant::now();
        lease.renew(joined_at);
        let assignments = if joined.is_leader() {
            lead(&herder, &joined, &mut assignor, last_completed).await
        } else {
            Vec::new()
        };
        let bytes = match member.lock().await.sync(&assignments).await {
            Ok(b) => b,
            Err(e) => {
                debug!(error = %e, "the round did not complete; rejoining");
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        lease.renew(joined_at);
        let assignment = match Assignment::decode(&bytes) {
            Ok(a) => a,
            Err(e) => {
                warn!(error = %e, "the leader's assignment cannot be read; leaving the group for worker.unsync.backoff.ms");
                step_out(&herder, &member, &mut state, &settings, &stop).await;
                continue;
            }
        };
        last_completed = joined.generation;
        *herder.inner.view.lock().unwrap_or_else(|p| p.into_inner()) = View {
            generation: joined.generation,
            member_id: joined.member_id.clone(),
            leader_id: assignment.leader.clone(),
            leader_url: (!assignment.leader_url.is_empty()).then(|| assignment.leader_url.clone()),
        };
        info!(generation = joined.generation, leader_url = %assignment.leader_url, "round synced");
        let mut session = Session::start(
            member.clone(),
            settings.heartbeat_interval,
            settings.session_timeout,
            lease.clone(),
        );
        // Apply at the agreed config offset.
        let rejoin_after;
        let caught_up_by = Instant::now() + settings.worker_sync_timeout;
        loop {
            let offset = herder.inner.config.snapshot().offset();
            match state.next(&assignment, offset) {
                Next::CatchUp { offset: wanted } => {
                    let left = caught_up_by.saturating_duration_since(Instant::now());
                    if left.is_zero()
                        || herder.inner.config.read_to_end(left).await.is_err()
                        || herder.inner.config.snapshot().offset() < wanted
                    {
                        warn!(
                            wanted,
                            have = herder.inner.config.snapshot().offset(),
                            "cannot read the config topic up to the assignment's offset; leaving the group for worker.unsync.backoff.ms"
                        );
                        drop(session);
                        step_out(&herder, &member, &mut state, &settings, &stop).await;
                        continue 'rejoin;
                    }
                }
                Next::Rejoin => {
                    // The leader was behind, or this worker read further: join again soon.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue 'rejoin;
                }
                Next::Apply {
                    stop: revoked,
                    start,
                    rejoin_after_ms,
                } => {
                    herder.apply(&revoked, &start).await;
                    state.applied(&revoked, &start);
                    rejoin_after = rejoin_after_ms;
                    if joined.is_leader() {
                        herder.repair_tasks().await;
                    }
                    break;
                }
            }
        }
        let delay = rejoin_after.map(|ms| Duration::from_millis(ms.max(0) as u64));
        tokio::select! {
            () = stop.cancelled() => {
                // Stopped while still heartbeating: nothing moves before it has stopped.
                herder.stop_all().await;
                break 'rejoin;
            }
            s = session.changed() => match s {
                SessionState::Fenced(why) => {
                    warn!(reason = %why, "fenced: stopping every task of this worker now");
                    herder.forget_leader();
                    herder.stop_all().await;
                    state.revoke_all();
                }
                SessionState::Rejoin | SessionState::Stable => {
                    if !lease.valid() {
                        // Rebalancing, but this worker was silent longer than its session:
                        // it may have been evicted already.
                        warn!("this worker's lease lapsed; stopping its tasks before it rejoins");
                        herder.stop_all().await;
                        state.revoke_all();
                    }
                }
            },
            () = async {
                match delay {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            } => debug!("a scheduled rebalance is due"),
            () = herder.inner.rejoin.notified() => debug!("the work changed; asking for a rebalance"),
        }
    }
    info!("leaving the group");
    herder.stop_all().await;
    lease.revoke();
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let mut m = member.lock().await;
        // A join cancelled midway left its connection out of step.
        m.reset_coordinator();
        m.leave().await
    })
    .await;
}

/// Out of the group for `worker.unsync.backoff.ms` (Connect's answer to a worker that cannot
/// catch up): every task stopped first, then the group left, so the others take the work.
async fn step_out(
    herder: &DistributedHerder,
    member: &Arc<Mutex<GroupMember>>,
    state: &mut MemberState,
    settings: &connect_group::DistributedSettings,
    stop: &CancellationToken,
) {
    herder.stop_all().await;
    state.revoke_all();
    herder.inner.lease.revoke();
    herder.forget_leader();
    {
        let mut m = member.lock().await;
        m.reset_coordinator();
        let _ = tokio::time::timeout(Duration::from_secs(5), m.leave()).await;
    }
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(settings.worker_unsync_backoff) => {}
    }
}

/// Stops every task the moment the lease lapses, whatever the group loop is doing (a round
/// stuck on an unreachable coordinator, a long apply): a worker that cannot prove it is a
/// member runs nothing, sinks included.
pub(super) async fn watchdog(herder: DistributedHerder, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        if !herder.inner.lease.valid() && !herder.running().tasks.is_empty() {
            warn!("this worker's lease lapsed (no heartbeat within session.timeout.ms); stopping its tasks");
            herder.forget_leader();
            herder.stop_all().await;
        }
    }
}
