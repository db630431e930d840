//! The replication-protocol client: startup, authentication, replication commands, CopyBoth streaming.
