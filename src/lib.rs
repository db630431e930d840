//! Tributary's worker: the embedded log, the task runtime and the connector registry.
//!
//! * [`log`]: durable topics and source offsets in the data directory (redb).

pub mod log;
