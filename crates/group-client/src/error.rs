//! What went wrong talking to the group coordinator, and what the caller does about it.

/// A group operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("cannot reach Kafka at {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the connection to {addr} failed: {source}")]
    Io {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {reason}")]
    Protocol { what: &'static str, reason: String },
    /// SASL authentication failed (wrong credentials, a mechanism the broker lacks).
    #[error("authenticating to {addr} failed: {reason}")]
    Authentication { addr: String, reason: String },
    #[error(
        "the broker at {addr} does not support {api} at any version this client speaks ({ours})"
    )]
    Unsupported {
        addr: String,
        api: &'static str,
        ours: String,
    },
    /// The group is rebalancing: join again.
    #[error("the group is rebalancing (REBALANCE_IN_PROGRESS): rejoin")]
    RebalanceInProgress,
    /// The coordinator does not know this member (evicted after the session timeout): join
    /// again as a new member, after stopping all work.
    #[error("the coordinator no longer knows member {member_id:?} (UNKNOWN_MEMBER_ID): rejoin as a new member")]
    UnknownMember { member_id: String },
    /// A newer generation exists: join again.
    #[error("generation {generation} is over (ILLEGAL_GENERATION): rejoin")]
    IllegalGeneration { generation: i32 },
    /// The coordinator moved or is loading: find it again.
    #[error("the group coordinator is not available or moved (error {code}): find it again")]
    Coordinator { code: i16 },
    /// Any other broker error code.
    #[error("{what} failed with Kafka error {code}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Broker {
        what: &'static str,
        code: i16,
        message: Option<String>,
    },
}

/// Kafka's error codes the group protocol answers with.
pub(crate) mod code {
    pub const NONE: i16 = 0;
    pub const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
    pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    pub const NOT_COORDINATOR: i16 = 16;
    pub const ILLEGAL_GENERATION: i16 = 22;
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    pub const MEMBER_ID_REQUIRED: i16 = 79;
}

impl GroupError {
    /// The error for a response's error code (`None` when it is 0).
    pub(crate) fn from_code(
        what: &'static str,
        code: i16,
        member_id: &str,
        generation: i32,
        message: Option<String>,
    ) -> Option<GroupError> {
        Some(match code {
            code::NONE => return None,
            code::REBALANCE_IN_PROGRESS => GroupError::RebalanceInProgress,
            code::UNKNOWN_MEMBER_ID => GroupError::UnknownMember {
                member_id: member_id.to_owned(),
            },
            code::ILLEGAL_GENERATION => GroupError::IllegalGeneration { generation },
            code::COORDINATOR_LOAD_IN_PROGRESS
            | code::COORDINATOR_NOT_AVAILABLE
            | code::NOT_COORDINATOR => GroupError::Coordinator { code },
            code => GroupError::Broker {
                what,
                code,
                message,
            },
        })
    }
}
