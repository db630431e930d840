//! Tributary's worker: the embedded log and the task runtime.
//!
//! * [`log`]: durable topics and source offsets in the data directory (redb).
//! * [`runtime`]: runs a source connector task onto the log, committing offsets in order.

pub mod log;
pub mod runtime;
