//! pg-wal scenarios against the real PostgreSQL server started by `scripts/test.sh`.

mod convert;
mod support;
