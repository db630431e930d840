//! A member of one group: coordinator discovery, join, sync, heartbeat, leave.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::heartbeat_request::HeartbeatRequest;
use kafka_protocol::messages::join_group_request::{JoinGroupRequest, JoinGroupRequestProtocol};
use kafka_protocol::messages::leave_group_request::{LeaveGroupRequest, MemberIdentity};
use kafka_protocol::messages::sync_group_request::{SyncGroupRequest, SyncGroupRequestAssignment};
use kafka_protocol::messages::GroupId;
use kafka_protocol::protocol::StrBytes;
use tracing::{debug, info};

use crate::conn::Connection;
use crate::error::{code, GroupError};

/// Who the member is and how the coordinator treats it.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// `host:port` of the brokers to ask for the coordinator.
    pub bootstrap: Vec<String>,
    pub group_id: String,
    /// The client id the broker sees (Connect's: `connect-<host:port>`); the coordinator builds
    /// member ids from it.
    pub client_id: String,
    /// The protocol type (`connect` for Kafka Connect's workers).
    pub protocol_type: String,
    /// Without a heartbeat for this long the coordinator evicts the member.
    pub session_timeout: Duration,
    /// How long the coordinator waits for members to rejoin during a rebalance.
    pub rebalance_timeout: Duration,
    /// TLS and SASL for every connection to the brokers.
    pub security: crate::Security,
}

/// A member of the group, as the leader sees it in the join response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub member_id: String,
    pub metadata: Bytes,
}

/// The outcome of a join.
#[derive(Debug, Clone)]
pub struct Joined {
    pub generation: i32,
    /// The subprotocol the coordinator chose (`sessioned`, ...).
    pub protocol: String,
    pub member_id: String,
    pub leader_id: String,
    /// Every member with its metadata: only in the leader's response, empty otherwise.
    pub members: Vec<Member>,
}

impl Joined {
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader_id
    }
}

/// One member's connection to its group's coordinator.
#[derive(Debug)]
pub struct GroupMember {
    config: GroupConfig,
    coordinator: Option<Connection>,
    member_id: String,
    generation: i32,
    protocol: Option<String>,
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

impl GroupMember {
    /// A member that has not joined yet (no connection is opened until it joins).
    pub fn new(config: GroupConfig) -> GroupMember {
        GroupMember {
            config,
            coordinator: None,
            member_id: String::new(),
            generation: -1,
            protocol: None,
        }
    }

    /// The member id the coordinator gave (empty before the first join).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// Finds the group's coordinator through the bootstrap brokers and connects to it.
    /// While the coordinator is loading or not elected yet (a new cluster creates
    /// `__consumer_offsets` on the first request), asks again with backoff for up to the
    /// rebalance timeout.
    async fn coordinator(&mut self) -> Result<&mut Connection, GroupError> {
        if self.coordinator.as_ref().is_some_and(Connection::is_broken) {
            self.coordinator = None;
        }
        if self.coordinator.is_none() {
            let deadline = tokio::time::Instant::now() + self.config.rebalance_timeout;
            let mut backoff = Duration::from_millis(50);
            let conn = loop {
                match self.find_coordinator().await {
                    Err(GroupError::Coordinator { code })
                        if tokio::time::Instant::now() + backoff < deadline =>
                    {
                        debug!(group = %self.config.group_id, code, "the coordinator is not available yet");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(1));
                    }
                    other => break other?,
                }
            };
            let mut conn = conn;
            // A JoinGroup is answered when every member joined, up to the rebalance timeout.
            conn.set_timeout(self.config.rebalance_timeout + std::time::Duration::from_secs(5));
            self.coordinator = Some(conn);
        }
        Ok(self.coordinator.as_mut().expect("set above"))
    }

    async fn find_coordinator(&self) -> Result<Connection, GroupError> {
        let mut last = None;
        for addr in &self.config.bootstrap {
            let mut conn = match Connection::connect(
                addr,
                &self.config.client_id,
                &self.config.security,
            )
            .await
            {
                Ok(c) => c,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let version = conn.version_of::<FindCoordinatorRequest>().unwrap_or(0);
            let group = text(&self.config.group_id);
            let request = if version >= 4 {
                FindCoordinatorRequest::default().with_coordinator_keys(vec![group])
            } else {
                FindCoordinatorRequest::default().with_key(group)
            };
            let answer = conn.request(&request).await?;
            let (code, message, host, port) = match answer.coordinators.first() {
                Some(c) => (
                    c.error_code,
                    c.error_message.as_ref().map(|m| m.to_string()),
                    c.host.to_string(),
                    c.port,
                ),
                None => (
                    answer.error_code,
                    answer.error_message.as_ref().map(|m| m.to_string()),
                    answer.host.to_string(),
                    answer.port,
                ),
            };
            if let Some(e) = GroupError::from_code("FindCoordinator", code, "", -1, message) {
                return Err(e);
            }
            let target = format!("{host}:{port}");
            debug!(group = %self.config.group_id, coordinator = %target, "found the group coordinator");
            if target == *addr {
                return Ok(conn);
            }
            return Connection::connect(&target, &self.config.client_id, &self.config.security)
                .await;
        }
        Err(last.unwrap_or(GroupError::Protocol {
            what: "FindCoordinator",
            reason: "no bootstrap server given".into(),
        }))
    }

    /// Forgets the coordinator connection (after a coordinator error) so the next call finds
    /// it again.
    pub fn reset_coordinator(&mut self) {
        self.coordinator = None;
    }

    /// Joins (or rejoins) the group offering `protocols` (name and metadata, most preferred
    /// first). Returns when the coordinator has completed the round: every member joined or
    /// the rebalance timeout passed.
    pub async fn join(&mut self, protocols: &[(String, Vec<u8>)]) -> Result<Joined, GroupError> {
        loop {
            let config = self.config.clone();
            let member_id = self.member_id.clone();
            let conn = self.coordinator().await?;
            let request = JoinGroupRequest::default()
                .with_group_id(GroupId(text(&config.group_id)))
                .with_session_timeout_ms(millis(config.session_timeout))
                .with_rebalance_timeout_ms(millis(config.rebalance_timeout))
                .with_member_id(text(&member_id))
                .with_protocol_type(text(&config.protocol_type))
                .with_protocols(
                    protocols
                        .iter()
                        .map(|(name, metadata)| {
                            JoinGroupRequestProtocol::default()
                                .with_name(text(name))
                                .with_metadata(Bytes::copy_from_slice(metadata))
                        })
                        .collect(),
                );
            let answer = conn.request(&request).await;
            let answer = match answer {
                Ok(a) => a,
                Err(e) => {
                    self.coordinator = None;
                    return Err(e);
                }
            };
            match answer.error_code {
                code::NONE => {}
                // The coordinator names the member before it may join (KIP-394).
                code::MEMBER_ID_REQUIRED => {
                    self.member_id = answer.member_id.to_string();
                    continue;
                }
                code::UNKNOWN_MEMBER_ID => {
                    self.member_id.clear();
                    return Err(GroupError::UnknownMember { member_id });
                }
                c => {
                    let e =
                        GroupError::from_code("JoinGroup", c, &member_id, self.generation, None)
                            .expect("not NONE");
                    if matches!(e, GroupError::Coordinator { .. }) {
                        self.coordinator = None;
                    }
                    return Err(e);
                }
            }
            self.member_id = answer.member_id.to_string();
            self.generation = answer.generation_id;
            let protocol = answer
                .protocol_name
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default();
            self.protocol = Some(protocol.clone());
            let joined = Joined {
                generation: answer.generation_id,
                protocol,
                member_id: self.member_id.clone(),
                leader_id: answer.leader.to_string(),
                members: answer
                    .members
                    .iter()
                    .map(|m| Member {
                        member_id: m.member_id.to_string(),
                        metadata: m.metadata.clone(),
                    })
                    .collect(),
            };
            info!(group = %self.config.group_id, generation = joined.generation,
                member = %joined.member_id, leader = joined.is_leader(), protocol = %joined.protocol,
                "joined the group");
            return Ok(joined);
        }
    }

    /// Completes the round: the leader sends every member's assignment, the others none; each
    /// gets its own back.
    pub async fn sync(&mut self, assignments: &[(String, Vec<u8>)]) -> Result<Bytes, GroupError> {
        let (generation, member_id) = (self.generation, self.member_id.clone());
        let (group, protocol_type, protocol) = (
            self.config.group_id.clone(),
            self.config.protocol_type.clone(),
            self.protocol.clone().unwrap_or_default(),
        );
        let conn = self.coordinator().await?;
        let mut request = SyncGroupRequest::default()
            .with_group_id(GroupId(text(&group)))
            .with_generation_id(generation)
            .with_member_id(text(&member_id))
            .with_assignments(
                assignments
                    .iter()
                    .map(|(member, bytes)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id(text(member))
                            .with_assignment(Bytes::copy_from_slice(bytes))
                    })
                    .collect(),
            );
        if conn.version_of::<SyncGroupRequest>().unwrap_or(0) >= 5 {
            request = request
                .with_protocol_type(Some(text(&protocol_type)))
                .with_protocol_name(Some(text(&protocol)));
        }
        let answer = conn.request(&request).await?;
        if let Some(e) =
            GroupError::from_code("SyncGroup", answer.error_code, &member_id, generation, None)
        {
            if matches!(e, GroupError::Coordinator { .. }) {
                self.coordinator = None;
            }
            return Err(e);
        }
        Ok(answer.assignment)
    }

    /// Tells the coordinator the member is alive; a rebalance in progress answers
    /// [`GroupError::RebalanceInProgress`].
    pub async fn heartbeat(&mut self) -> Result<(), GroupError> {
        let (generation, member_id, group) = (
            self.generation,
            self.member_id.clone(),
            self.config.group_id.clone(),
        );
        let conn = self.coordinator().await?;
        let request = HeartbeatRequest::default()
            .with_group_id(GroupId(text(&group)))
            .with_generation_id(generation)
            .with_member_id(text(&member_id));
        let answer = conn.request(&request).await?;
        match GroupError::from_code("Heartbeat", answer.error_code, &member_id, generation, None) {
            None => Ok(()),
            Some(e) => {
                if matches!(e, GroupError::Coordinator { .. }) {
                    self.coordinator = None;
                }
                Err(e)
            }
        }
    }

    /// Leaves the group, so the others rebalance now rather than after the session timeout.
    pub async fn leave(&mut self) -> Result<(), GroupError> {
        if self.member_id.is_empty() {
            return Ok(());
        }
        let (member_id, group) = (self.member_id.clone(), self.config.group_id.clone());
        let conn = self.coordinator().await?;
        let version = conn.version_of::<LeaveGroupRequest>().unwrap_or(0);
        let request = LeaveGroupRequest::default().with_group_id(GroupId(text(&group)));
        let request = if version >= 3 {
            request.with_members(vec![
                MemberIdentity::default().with_member_id(text(&member_id))
            ])
        } else {
            request.with_member_id(text(&member_id))
        };
        let answer = conn.request(&request).await?;
        let code = answer
            .members
            .first()
            .map(|m| m.error_code)
            .filter(|c| *c != code::NONE)
            .unwrap_or(answer.error_code);
        self.member_id.clear();
        self.generation = -1;
        match GroupError::from_code("LeaveGroup", code, &member_id, -1, None) {
            // Already gone is as good as left.
            None | Some(GroupError::UnknownMember { .. }) => Ok(()),
            Some(e) => Err(e),
        }
    }
}
