//! Retries of transient failures on a source task's conversion path: a schema registry that
//! cannot be reached or answers 5xx/408/429 is asked again with exponential backoff instead of
//! failing the task. The budget is `errors.retry.timeout` (-1: forever) and the longest wait
//! `errors.retry.delay.max.ms`, as Connect names them; with Connect's default timeout 0, which
//! there means "no retries", a transient failure is retried for five minutes, so that a blip
//! of the registry does not stop capture.

use std::time::Duration;

use cdc_core::{ConfigErrors, ConfigMap, ConfigReader};

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransientRetry {
    /// How long a failure may go on being retried; `None`: forever.
    pub budget: Option<Duration>,
    /// The longest wait between attempts.
    pub max_delay: Duration,
}

/// The budget when `errors.retry.timeout` is 0 (Connect's default).
const DEFAULT_BUDGET: Duration = Duration::from_secs(300);
/// The first wait; each next one doubles, up to `max_delay`.
const FIRST_DELAY: Duration = Duration::from_millis(100);

impl Default for TransientRetry {
    fn default() -> Self {
        TransientRetry {
            budget: Some(DEFAULT_BUDGET),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl TransientRetry {
    /// `errors.retry.timeout` and `errors.retry.delay.max.ms` of a connector config.
    pub fn from_config(config: &ConfigMap) -> Result<TransientRetry, ConfigErrors> {
        let mut r = ConfigReader::new(config);
        let budget = match r.int("errors.retry.timeout", 0, -1, i64::MAX) {
            -1 => None,
            0 => Some(DEFAULT_BUDGET),
            ms => Some(Duration::from_millis(ms as u64)),
        };
        let max_delay =
            Duration::from_millis(r.int("errors.retry.delay.max.ms", 60_000, 1, i64::MAX) as u64);
        r.finish()?;
        Ok(TransientRetry { budget, max_delay })
    }

    /// The wait before attempt `attempt + 1` (attempt 0 is the first retry).
    pub fn delay(&self, attempt: u32) -> Duration {
        FIRST_DELAY
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.max_delay)
    }

    /// Whether a failure that has gone on for `elapsed` may be retried once more.
    pub fn retries_after(&self, elapsed: Duration) -> bool {
        self.budget.is_none_or(|b| elapsed < b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use cdc_core::config_map as map;

    #[test]
    fn connects_properties_set_the_budget_and_the_longest_wait() {
        let d = TransientRetry::from_config(&ConfigMap::new()).unwrap();
        assert_eq!(d, TransientRetry::default());
        let forever = TransientRetry::from_config(&map(&[
            ("errors.retry.timeout", "-1"),
            ("errors.retry.delay.max.ms", "1000"),
        ]))
        .unwrap();
        assert_eq!(forever.budget, None);
        assert!(forever.retries_after(Duration::from_secs(1 << 30)));
        assert_eq!(forever.delay(0), Duration::from_millis(100));
        assert_eq!(forever.delay(3), Duration::from_millis(800));
        assert_eq!(forever.delay(30), Duration::from_secs(1));
        let short = TransientRetry::from_config(&map(&[("errors.retry.timeout", "2000")])).unwrap();
        assert!(short.retries_after(Duration::from_millis(1999)));
        assert!(!short.retries_after(Duration::from_millis(2000)));
        let bad = TransientRetry::from_config(&map(&[("errors.retry.timeout", "-2")]));
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("errors.retry.timeout"));
    }
}
