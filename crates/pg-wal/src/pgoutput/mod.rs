//! The pgoutput logical replication message decoder (pure: bytes in, messages out).
