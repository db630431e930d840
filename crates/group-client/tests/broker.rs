//! Against the Apache Kafka broker `scripts/test.sh` starts (`TRIBUTARY_KAFKA_BOOTSTRAP`): a
//! `connect` group of two members formed, rebalanced and left through Kafka's own coordinator,
//! with Kafka Connect's member metadata and assignments (crates/connect-group).

use std::time::Duration;

use connect_group::{Assignment, AssignmentError, ConnectorTaskId, Subprotocol, WorkerMetadata};
use group_client::{GroupConfig, GroupError, GroupMember, Joined};

fn config(group: &str, worker: &str) -> GroupConfig {
    let bootstrap = std::env::var("TRIBUTARY_KAFKA_BOOTSTRAP").unwrap_or_else(|_| {
        panic!("TRIBUTARY_KAFKA_BOOTSTRAP is not set: run the tests through scripts/test.sh, which starts Apache Kafka")
    });
    GroupConfig {
        bootstrap: vec![bootstrap],
        group_id: group.to_owned(),
        client_id: format!("connect-{worker}"),
        protocol_type: connect_group::PROTOCOL_TYPE.to_owned(),
        session_timeout: Duration::from_secs(10),
        rebalance_timeout: Duration::from_secs(20),
        security: Default::default(),
    }
}

fn protocols(url: &str, offer: Subprotocol) -> Vec<(String, Vec<u8>)> {
    let m = WorkerMetadata {
        url: url.to_owned(),
        config_offset: 3,
        allocation: None,
    };
    offer
        .offered()
        .iter()
        .map(|p| (p.name().to_owned(), m.encode(*p)))
        .collect()
}

/// The leader's assignments: every member gets connector `c<i>` and its task 0.
fn assign(joined: &Joined, version: i16) -> Vec<(String, Vec<u8>)> {
    joined
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (_, meta) = WorkerMetadata::decode(&m.metadata).expect("a member's metadata");
            assert_eq!(meta.config_offset, 3);
            let a = Assignment {
                version,
                error: AssignmentError::None,
                leader: joined.member_id.clone(),
                leader_url: "http://a:8083/".into(),
                config_offset: 3,
                connectors: vec![format!("c{i}")],
                tasks: vec![ConnectorTaskId::new(format!("c{i}"), 0)],
                revoked_connectors: vec![],
                revoked_tasks: vec![],
                delay_ms: 0,
            };
            (m.member_id.clone(), a.encode())
        })
        .collect()
}

fn group_name(tag: &str) -> String {
    format!("tributary-test-{tag}-{}", std::process::id())
}

#[tokio::test]
async fn a_connect_group_forms_rebalances_and_is_left_through_kafkas_coordinator() {
    let group = group_name("connect");
    let mut a = GroupMember::new(config(&group, "a:8083"));
    let joined = a
        .join(&protocols("http://a:8083/", Subprotocol::Sessioned))
        .await
        .expect("the first member joins");
    assert!(
        joined.is_leader(),
        "the first member of an empty group leads"
    );
    assert_eq!(joined.protocol, "sessioned");
    assert_eq!(joined.members.len(), 1);
    assert!(
        joined.member_id.starts_with("connect-a:8083-"),
        "{}",
        joined.member_id
    );
    let mine = a.sync(&assign(&joined, 2)).await.expect("sync");
    let mine = Assignment::decode(&mine).expect("our assignment back");
    assert_eq!(mine.connectors, ["c0"]);
    a.heartbeat().await.expect("a heartbeat in a stable group");

    // A second member, offering only `compatible` and `default`: the coordinator picks the
    // protocol every member supports.
    let mut b = GroupMember::new(config(&group, "b:8083"));
    let b_join = tokio::spawn(async move {
        let joined = b
            .join(&protocols("http://b:8083/", Subprotocol::Compatible))
            .await
            .expect("the second member joins");
        (b, joined)
    });
    // The leader learns of the rebalance from its heartbeat and rejoins.
    let mut rebalancing = false;
    for _ in 0..50 {
        match a.heartbeat().await {
            Ok(()) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(GroupError::RebalanceInProgress) => {
                rebalancing = true;
                break;
            }
            Err(e) => panic!("heartbeat: {e}"),
        }
    }
    assert!(rebalancing, "the heartbeat never reported the rebalance");
    let joined = a
        .join(&protocols("http://a:8083/", Subprotocol::Sessioned))
        .await
        .expect("the leader rejoins");
    let (mut b, b_joined) = b_join.await.unwrap();
    assert_eq!(joined.generation, b_joined.generation);
    assert_eq!(joined.protocol, "compatible");
    assert_eq!(b_joined.protocol, "compatible");
    assert!(joined.is_leader() && !b_joined.is_leader());
    assert_eq!(b_joined.leader_id, joined.member_id);
    assert_eq!(joined.members.len(), 2);
    assert!(
        b_joined.members.is_empty(),
        "only the leader sees the members"
    );

    let assignments = assign(&joined, 1);
    let (a_sync, b_sync) = tokio::join!(a.sync(&assignments), b.sync(&[]));
    let (a_got, b_got) = (
        Assignment::decode(&a_sync.unwrap()).unwrap(),
        Assignment::decode(&b_sync.unwrap()).unwrap(),
    );
    let mut connectors = [a_got.connectors[0].clone(), b_got.connectors[0].clone()];
    connectors.sort();
    assert_eq!(
        connectors,
        ["c0", "c1"],
        "each member got its own assignment"
    );
    assert_eq!(b_got.leader, joined.member_id);
    a.heartbeat().await.expect("stable again");
    b.heartbeat().await.expect("stable again");

    // B leaves: A is told to rebalance at once, not after B's session timeout.
    b.leave().await.expect("leave");
    let mut told = false;
    for _ in 0..50 {
        match a.heartbeat().await {
            Ok(()) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(GroupError::RebalanceInProgress) => {
                told = true;
                break;
            }
            Err(e) => panic!("heartbeat: {e}"),
        }
    }
    assert!(told, "the leave did not start a rebalance");
    let alone = a
        .join(&protocols("http://a:8083/", Subprotocol::Sessioned))
        .await
        .unwrap();
    assert_eq!(alone.members.len(), 1);
    assert_eq!(alone.protocol, "sessioned");
    assert!(alone.generation > joined.generation);
    a.sync(&assign(&alone, 2)).await.unwrap();
    a.leave().await.unwrap();
}

#[tokio::test]
async fn a_member_evicted_after_its_session_timeout_is_told_it_is_unknown() {
    let group = group_name("evicted");
    let mut cfg = config(&group, "z:8083");
    // The broker's minimum (group.min.session.timeout.ms) is 6 s.
    cfg.session_timeout = Duration::from_secs(6);
    let mut a = GroupMember::new(cfg);
    let joined = a
        .join(&protocols("http://z:8083/", Subprotocol::Sessioned))
        .await
        .unwrap();
    a.sync(&assign(&joined, 2)).await.unwrap();
    // No heartbeat for longer than the session timeout.
    tokio::time::sleep(Duration::from_secs(9)).await;
    match a.heartbeat().await {
        Err(GroupError::UnknownMember { .. }) => {}
        other => panic!("expected UNKNOWN_MEMBER_ID, got {other:?}"),
    }
}

#[tokio::test]
async fn the_heartbeat_session_stays_stable_then_asks_to_rejoin_when_a_member_arrives() {
    use group_client::{Session, SessionState};
    use std::sync::Arc;
    use tokio::sync::Mutex;

    let group = group_name("session");
    let mut a = GroupMember::new(config(&group, "s1:8083"));
    let joined = a
        .join(&protocols("http://s1:8083/", Subprotocol::Sessioned))
        .await
        .unwrap();
    a.sync(&assign(&joined, 2)).await.unwrap();
    let a = Arc::new(Mutex::new(a));
    let lease = group_client::Lease::new(Duration::from_secs(10));
    let mut session = Session::start(
        a.clone(),
        Duration::from_millis(300),
        Duration::from_secs(10),
        lease.clone(),
    );
    // A second worker arrives.
    let arrived = tokio::time::sleep(Duration::from_secs(1));
    tokio::pin!(arrived);
    tokio::select! {
        s = session.changed() => panic!("a stable group's session changed: {s:?}"),
        () = &mut arrived => {}
    }
    assert!(lease.valid(), "heartbeats renewed the member's lease");
    let mut b = GroupMember::new(config(&group, "s2:8083"));
    let b_join = tokio::spawn(async move {
        let j = b
            .join(&protocols("http://s2:8083/", Subprotocol::Sessioned))
            .await
            .unwrap();
        (b, j)
    });
    let state = tokio::time::timeout(Duration::from_secs(10), session.changed())
        .await
        .expect("the session noticed the rebalance");
    assert_eq!(state, SessionState::Rejoin);
    drop(session);
    let joined = a
        .lock()
        .await
        .join(&protocols("http://s1:8083/", Subprotocol::Sessioned))
        .await
        .unwrap();
    let (mut b, _) = b_join.await.unwrap();
    assert_eq!(joined.members.len(), 2);
    let assignments = assign(&joined, 2);
    let mut a = a.lock().await;
    let (x, y) = tokio::join!(a.sync(&assignments), b.sync(&[]));
    x.unwrap();
    y.unwrap();
    b.leave().await.unwrap();
    a.leave().await.unwrap();
}
