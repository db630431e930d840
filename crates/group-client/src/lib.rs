//! A client for Kafka's classic group membership protocol with a protocol type of our choosing,
//! the one Kafka Connect's workers use (`connect`): librdkafka only joins `consumer` groups.
//! Kafka's coordinator does all the consensus: who is in the group, its generation, its leader.
//!
//! * [`Connection`]: one broker, framing and correlation ids, each API at the highest version
//!   both sides speak (ApiVersions), messages from the `kafka-protocol` codec;
//! * [`GroupMember`]: finds the group's coordinator and joins (`JoinGroup`, with the
//!   `MEMBER_ID_REQUIRED` round trip), syncs (`SyncGroup`: the leader hands out the
//!   assignments), heartbeats and leaves; every broker error is a [`GroupError`] saying what
//!   the caller must do (rejoin, rediscover the coordinator, or give up);
//! * [`Session`]: heartbeats between rebalances and says when to rejoin, or that the member
//!   is fenced (evicted, or no heartbeat succeeded for a session timeout) and must stop all
//!   its work.
//!
//! Connections are plaintext, TLS (rustls) and/or SASL (`PLAIN`, `SCRAM-SHA-256`,
//! `SCRAM-SHA-512`) as [`Security`] says.

mod conn;
mod error;
mod member;
mod security;
mod session;

pub use conn::Connection;
pub use error::GroupError;
pub use member::{GroupConfig, GroupMember, Joined, Member};
pub use security::{Mechanism, Sasl, Scram, ScramError, Security};
pub use session::{judge, Lease, Session, SessionState};
