//! Which query errors a querier retries (research §6). Confluent retries every `SQLException`
//! but a `SQLNonTransientException` for up to `query.retry.attempts` (−1: forever); pgjdbc
//! reports everything as a plain `SQLException`, so a misspelt column or a missing privilege on
//! PostgreSQL is retried forever. We decide by SQLSTATE class on both databases: what cannot
//! heal by waiting fails the task at once, naming the code (a deliberate departure,
//! `docs/decisions/jdbc-source.md`).

/// What to do about a query that failed with `sqlstate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Try again after `poll.interval.ms` (counted against `query.retry.attempts`).
    Retry,
    /// Fail the task: a person must change the config, the schema or the grants.
    Fail,
}

/// By SQLSTATE class: connection problems (08), rollbacks and serialization failures (40),
/// lack of resources (53), operator intervention such as a restart (57) and system errors
/// (58) heal by waiting; syntax and access rules (42), authorization (28), invalid data and
/// the rest do not.
pub fn on_error(sqlstate: &str) -> OnError {
    match sqlstate.get(..2) {
        Some("08" | "40" | "53" | "57" | "58" | "HY") => OnError::Retry,
        _ => OnError::Fail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_waiting_can_heal_is_retried_and_the_rest_fails() {
        assert_eq!(on_error("08006"), OnError::Retry); // connection failure
        assert_eq!(on_error("40001"), OnError::Retry); // serialization failure
        assert_eq!(on_error("57P01"), OnError::Retry); // admin shutdown
        assert_eq!(on_error("42703"), OnError::Fail); // undefined column
        assert_eq!(on_error("42501"), OnError::Fail); // insufficient privilege
        assert_eq!(on_error("28000"), OnError::Fail); // invalid authorization
        assert_eq!(on_error(""), OnError::Fail);
    }
}
