//! Distributed mode (issue 18), being built: the pieces that talk to Kafka. The wire formats,
//! records, settings and assignor are in `crates/connect-group`, the group membership client in
//! `crates/group-client`.
//!
//! * [`topic_log`]: Connect's internal topics (config, offsets, status) created and checked as
//!   Connect creates and checks them, read to their end, and written where the Java producer
//!   would put each key.

mod group;
mod herder;
pub mod stores;
pub mod tail;
pub mod topic_log;
pub mod worker;

pub use herder::DistributedHerder;
