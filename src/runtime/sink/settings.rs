//! A sink connector's framework properties, as Kafka Connect reads them (`SinkConnectorConfig`,
//! `ConnectorConfig`'s `errors.*`), and the worker's `offset.flush.interval.ms`.

use std::time::Duration;

use cdc_core::{ConfigErrors, ConfigMap, ConfigReader};
use regex::Regex;

/// Which topics a sink consumes.
#[derive(Debug, Clone)]
pub enum TopicSelection {
    /// `topics`: these, in the order given.
    Listed(Vec<String>),
    /// `topics.regex`: every topic whose whole name matches (Java's `Matcher.matches`), also
    /// the ones created later.
    Pattern(Regex),
}

impl TopicSelection {
    pub fn matches(&self, topic: &str) -> bool {
        match self {
            TopicSelection::Listed(topics) => topics.iter().any(|t| t == topic),
            TopicSelection::Pattern(re) => re.is_match(topic),
        }
    }
}

/// `errors.tolerance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerance {
    /// A record that cannot be converted or written fails the task.
    None,
    /// Such a record is skipped (logged, and sent to the dead-letter queue when one is set).
    All,
}

/// `auto.offset.reset` of the sink's consumer (`consumer.override.auto.offset.reset`, else the
/// worker's `consumer.auto.offset.reset`): what happens when a partition has no committed
/// position, or its committed position was deleted by retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    /// Not set: a partition without a position starts at its first record (Connect's sink
    /// default); a position deleted by retention fails the task naming the lost range.
    Unset,
    /// Set to `earliest`: also a deleted position continues at the first record kept (with a
    /// WARN naming the lost range).
    Earliest,
    /// Set to `latest`: a partition without a position, or whose position was deleted, starts
    /// at its end (WARN naming the lost range).
    Latest,
    /// Set to `none`: a partition without a committed position, or whose position was
    /// deleted, fails the task.
    None,
}

/// The `errors.*` properties.
#[derive(Debug, Clone)]
pub struct ErrorSettings {
    pub tolerance: Tolerance,
    /// `errors.retry.timeout` (0: no retries of a failed conversion; -1: forever).
    pub retry_timeout: Option<Duration>,
    pub retry_delay_max: Duration,
    pub log_enable: bool,
    pub log_include_messages: bool,
    /// `errors.deadletterqueue.topic.name` (unset: no dead-letter queue).
    pub dlq_topic: Option<String>,
    pub dlq_replication_factor: i16,
    pub dlq_context_headers: bool,
}

/// Everything the sink runtime reads from a sink connector's config and the worker's.
#[derive(Debug, Clone)]
pub struct SinkSettings {
    /// `connector.class`, for the dead-letter queue's context headers.
    pub class: String,
    pub topics: TopicSelection,
    pub errors: ErrorSettings,
    /// Records per `put` (the consumer's `max.poll.records`, Connect's 500).
    pub max_poll_records: usize,
    /// Bytes (keys, values, headers) per `put`.
    pub max_poll_bytes: usize,
    /// How often accepted records are flushed and their positions committed (the worker's
    /// `offset.flush.interval.ms`).
    pub flush_interval: Duration,
    pub offset_reset: OffsetReset,
}

/// Connect's default `max.poll.records` for sink consumers.
const MAX_POLL_RECORDS: i64 = 500;
/// A batch's bytes: 8 MiB keeps a slow target's backlog small whatever the records' size.
const MAX_POLL_BYTES: i64 = 8 << 20;

impl SinkSettings {
    /// Reads the connector's sink properties (and `offset.flush.interval.ms` from the worker's).
    /// Every problem is reported at once, with Connect's messages where Connect has one.
    pub fn from_config(config: &ConfigMap, worker: &ConfigMap) -> Result<Self, ConfigErrors> {
        let mut r = ConfigReader::new(config);
        let listed = r.list("topics");
        let pattern = r.optional_string("topics.regex");
        let errors = read_errors(&mut r);
        let offset_reset = read_offset_reset(&mut r, worker);
        let max_poll_records = r.int(
            "consumer.override.max.poll.records",
            worker_int(worker, "consumer.max.poll.records", MAX_POLL_RECORDS),
            1,
            1 << 20,
        ) as usize;
        let max_poll_bytes = r.int(
            "tributary.sink.max.batch.bytes",
            MAX_POLL_BYTES,
            1024,
            i64::MAX,
        ) as usize;

        let topics = match (listed.is_empty(), pattern) {
            (false, Some(_)) => {
                let both =
                    "topics and topics.regex are mutually exclusive options, but both are set.";
                r.problem("topics", both);
                r.problem("topics.regex", both);
                TopicSelection::Listed(listed)
            }
            (true, None) => {
                let none = "Must configure one of topics or topics.regex";
                r.problem("topics", none);
                r.problem("topics.regex", none);
                TopicSelection::Listed(Vec::new())
            }
            (false, None) => TopicSelection::Listed(listed),
            (true, Some(p)) => match Regex::new(&format!("^(?:{p})$")) {
                Ok(re) => TopicSelection::Pattern(re),
                Err(e) => {
                    r.problem(
                        "topics.regex",
                        format!("{p:?} is not a valid regular expression: {e}"),
                    );
                    TopicSelection::Listed(Vec::new())
                }
            },
        };
        if let Some(dlq) = &errors.dlq_topic {
            match &topics {
                TopicSelection::Listed(list) if list.contains(dlq) => r.problem(
                    "topics",
                    format!(
                        "The DLQ topic '{dlq}' may not be included in the list of topics ('topics=[{}]') consumed by the connector",
                        list.join(", ")
                    ),
                ),
                TopicSelection::Pattern(re) if re.is_match(dlq) => r.problem(
                    "topics.regex",
                    format!(
                        "The DLQ topic '{dlq}' may not be included in the regex matching the topics ('topics.regex={}') consumed by the connector",
                        config.get("topics.regex").map_or("", |s| s.trim())
                    ),
                ),
                _ => {}
            }
        }
        let class = config
            .get("connector.class")
            .map_or(String::new(), |c| c.trim().to_owned());
        r.finish()?;
        let flush_ms = worker_int(worker, "offset.flush.interval.ms", 60_000).max(1);
        Ok(SinkSettings {
            class,
            topics,
            errors,
            max_poll_records,
            max_poll_bytes,
            flush_interval: Duration::from_millis(flush_ms as u64),
            offset_reset,
        })
    }
}

const OFFSET_RESET: &str = "consumer.override.auto.offset.reset";
const WORKER_OFFSET_RESET: &str = "consumer.auto.offset.reset";

/// The connector's `consumer.override.auto.offset.reset`, else the worker's
/// `consumer.auto.offset.reset` (a bad worker value is reported under its own name).
fn read_offset_reset(r: &mut ConfigReader<'_>, worker: &ConfigMap) -> OffsetReset {
    const VALUES: &[&str] = &["earliest", "latest", "none"];
    let value = match r.optional_string(OFFSET_RESET) {
        Some(_) => r.one_of(OFFSET_RESET, "earliest", VALUES),
        None => {
            let mut w = ConfigReader::new(worker);
            let v = w
                .optional_string(WORKER_OFFSET_RESET)
                .map(|_| w.one_of(WORKER_OFFSET_RESET, "earliest", VALUES));
            if let Err(errors) = w.finish() {
                for p in errors.0 {
                    r.problem(
                        OFFSET_RESET,
                        format!("the worker's {}: {}", p.property, p.message),
                    );
                }
            }
            match v {
                Some(v) => v,
                None => return OffsetReset::Unset,
            }
        }
    };
    match value.as_str() {
        "latest" => OffsetReset::Latest,
        "none" => OffsetReset::None,
        _ => OffsetReset::Earliest,
    }
}

fn read_errors(r: &mut ConfigReader<'_>) -> ErrorSettings {
    let tolerance = match r
        .one_of("errors.tolerance", "none", &["none", "all"])
        .as_str()
    {
        "all" => Tolerance::All,
        _ => Tolerance::None,
    };
    let retry_timeout = match r.int("errors.retry.timeout", 0, -1, i64::MAX) {
        -1 => None,
        ms => Some(Duration::from_millis(ms as u64)),
    };
    let retry_delay_max =
        Duration::from_millis(r.int("errors.retry.delay.max.ms", 60_000, 1, i64::MAX) as u64);
    let log_enable = r.bool("errors.log.enable", false);
    let log_include_messages = r.bool("errors.log.include.messages", false);
    let dlq_topic = r.optional_string("errors.deadletterqueue.topic.name");
    let dlq_replication_factor = r.int(
        "errors.deadletterqueue.topic.replication.factor",
        3,
        -1,
        i16::MAX as i64,
    ) as i16;
    let dlq_context_headers = r.bool("errors.deadletterqueue.context.headers.enable", false);
    ErrorSettings {
        tolerance,
        retry_timeout,
        retry_delay_max,
        log_enable,
        log_include_messages,
        dlq_topic,
        dlq_replication_factor,
        dlq_context_headers,
    }
}

/// A whole-number worker property, or `default` (the worker's own validation reports a bad
/// value; here it falls back).
fn worker_int(worker: &ConfigMap, name: &str, default: i64) -> i64 {
    worker
        .get(name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    use cdc_core::config_map as map;

    fn problems(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        SinkSettings::from_config(&map(pairs), &ConfigMap::new())
            .unwrap_err()
            .0
            .into_iter()
            .map(|p| (p.property, p.message))
            .collect()
    }

    #[test]
    fn topics_or_topics_regex_exactly_one_with_connects_messages() {
        let none = "Must configure one of topics or topics.regex".to_owned();
        assert_eq!(
            problems(&[]),
            vec![
                ("topics".into(), none.clone()),
                ("topics.regex".into(), none)
            ]
        );
        let both =
            "topics and topics.regex are mutually exclusive options, but both are set.".to_owned();
        assert_eq!(
            problems(&[("topics", "a"), ("topics.regex", "a.*")]),
            vec![
                ("topics".into(), both.clone()),
                ("topics.regex".into(), both)
            ]
        );
        let s =
            SinkSettings::from_config(&map(&[("topics", " a, b ,")]), &ConfigMap::new()).unwrap();
        assert!(matches!(&s.topics, TopicSelection::Listed(t) if t == &["a", "b"]));
    }

    #[test]
    fn topics_regex_matches_whole_names() {
        let s = SinkSettings::from_config(
            &map(&[("topics.regex", "db\\.public\\..*")]),
            &ConfigMap::new(),
        )
        .unwrap();
        assert!(s.topics.matches("db.public.orders"));
        assert!(!s.topics.matches("xdb.public.orders"));
        assert_eq!(problems(&[("topics.regex", "(")])[0].0, "topics.regex");
    }

    #[test]
    fn the_dead_letter_queue_may_not_be_consumed() {
        let p = problems(&[
            ("topics", "a,dlq"),
            ("errors.deadletterqueue.topic.name", "dlq"),
        ]);
        assert_eq!(
            p[0],
            (
                "topics".into(),
                "The DLQ topic 'dlq' may not be included in the list of topics ('topics=[a, dlq]') consumed by the connector".into()
            )
        );
        let p = problems(&[
            ("topics.regex", "d.*"),
            ("errors.deadletterqueue.topic.name", "dlq"),
        ]);
        assert_eq!(p[0].0, "topics.regex");
    }

    #[test]
    fn a_dead_letter_queue_is_read_on_either_backend() {
        let config = map(&[
            ("topics", "a"),
            ("errors.deadletterqueue.topic.name", "dlq"),
        ]);
        assert!(SinkSettings::from_config(&config, &ConfigMap::new()).is_ok());
        let kafka = map(&[("bootstrap.servers", "k:9092")]);
        let s = SinkSettings::from_config(&config, &kafka).unwrap();
        assert_eq!(s.errors.dlq_topic.as_deref(), Some("dlq"));
    }

    #[test]
    fn auto_offset_reset_from_the_connector_else_the_worker() {
        let read = |c: &[(&str, &str)], w: &[(&str, &str)]| {
            SinkSettings::from_config(&map(&[&[("topics", "a")], c].concat()), &map(w))
                .map(|s| s.offset_reset)
        };
        assert_eq!(read(&[], &[]).unwrap(), OffsetReset::Unset);
        let o = "consumer.override.auto.offset.reset";
        assert_eq!(
            read(&[(o, "earliest")], &[]).unwrap(),
            OffsetReset::Earliest
        );
        assert_eq!(read(&[(o, "LATEST")], &[]).unwrap(), OffsetReset::Latest);
        assert_eq!(read(&[(o, "none")], &[]).unwrap(), OffsetReset::None);
        let w = "consumer.auto.offset.reset";
        assert_eq!(read(&[], &[(w, "latest")]).unwrap(), OffsetReset::Latest);
        assert_eq!(
            read(&[(o, "none")], &[(w, "latest")]).unwrap(),
            OffsetReset::None
        );
        let bad = read(&[(o, "oldest")], &[]).unwrap_err();
        assert_eq!(bad.0[0].property, o);
        assert_eq!(bad.0[0].message, "must be one of: earliest, latest, none");
        assert!(read(&[], &[(w, "x")]).is_err());
    }

    #[test]
    fn errors_properties_have_connects_defaults() {
        let s = SinkSettings::from_config(&map(&[("topics", "a")]), &ConfigMap::new()).unwrap();
        let e = &s.errors;
        assert_eq!(e.tolerance, Tolerance::None);
        assert_eq!(e.retry_timeout, Some(Duration::ZERO));
        assert_eq!(e.retry_delay_max, Duration::from_secs(60));
        assert!(!e.log_enable && !e.log_include_messages && !e.dlq_context_headers);
        assert_eq!(
            (e.dlq_topic.as_deref(), e.dlq_replication_factor),
            (None, 3)
        );
        assert_eq!(
            (s.max_poll_records, s.flush_interval),
            (500, Duration::from_secs(60))
        );
        let bad = problems(&[("topics", "a"), ("errors.tolerance", "some")]);
        assert_eq!(
            bad,
            vec![(
                "errors.tolerance".into(),
                "must be one of: none, all".into()
            )]
        );
        let worker = map(&[
            ("offset.flush.interval.ms", "250"),
            ("consumer.max.poll.records", "7"),
        ]);
        let s = SinkSettings::from_config(
            &map(&[("topics", "a"), ("errors.retry.timeout", "-1")]),
            &worker,
        )
        .unwrap();
        assert_eq!(s.errors.retry_timeout, None);
        assert_eq!(
            (s.max_poll_records, s.flush_interval),
            (7, Duration::from_millis(250))
        );
    }
}
