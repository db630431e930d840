//! The JDBC sink's configuration, from either connector class's property names, normalized to
//! one [`JdbcSinkConfig`] the writer uses.
//!
//! Unlike Debezium (research §0.2: unknown enum values silently fall back, cross-field rules
//! only logged), every value is validated and every problem reported at once, each naming the
//! property, its value and what is valid. Properties that exist in the emulated connector but
//! that we do not implement, and that would change what is written, are refused by name unless
//! they hold their default; properties that change nothing we write (connection pools,
//! SQL Server options) are accepted and listed in [`JdbcSinkConfig::ignored`] for a warning.

mod confluent;
mod debezium;

use std::time::Duration;

use cdc_core::config::{ConfigErrors, ConfigMap, ConfigProblem, ConfigReader, NameFilter};
use cdc_core::Secret;

use super::collection::CollectionFormat;
use super::dialect::{Dialect, Naming};
use super::url::{redact, JdbcUrl};

/// Debezium's connector class.
pub const DEBEZIUM_CLASS: &str = "io.debezium.connector.jdbc.JdbcSinkConnector";
/// Confluent's connector class.
pub const CONFLUENT_CLASS: &str = "io.confluent.connect.jdbc.JdbcSinkConnector";

/// Whose property names and record handling are emulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Reads Debezium's envelope natively; flat records too.
    Debezium,
    /// Flat records only (a Debezium envelope is refused per record with a hint).
    Confluent,
}

/// `insert.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMode {
    Insert,
    Upsert,
    Update,
}

/// `primary.key.mode` / `pk.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrimaryKeyMode {
    None,
    Kafka,
    RecordKey,
    RecordValue,
    /// Debezium only.
    RecordHeader,
}

/// Which fields become columns.
#[derive(Debug, Clone, Default)]
pub enum FieldFilter {
    #[default]
    All,
    /// Debezium `field.include.list`/`field.exclude.list`: anchored regexes over
    /// `<topic>:<field>`, applied to key and value fields.
    TopicField(NameFilter),
    /// Confluent `fields.whitelist`: value field names (key fields are kept).
    ValueWhitelist(Vec<String>),
}

/// A fixed UTC offset: `use.time.zone` / `db.timezone` (named zones with daylight saving are
/// refused: we carry no time-zone database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone {
    pub offset_seconds: i32,
}

impl TimeZone {
    pub const UTC: TimeZone = TimeZone { offset_seconds: 0 };

    /// `UTC`, `Z`, `GMT`, `Etc/UTC`, `+02:00`, `UTC-05:30`, `GMT+1`.
    pub fn parse(s: &str) -> Option<TimeZone> {
        let s = s.trim();
        let rest = ["Etc/UTC", "Etc/GMT", "UTC", "UCT", "GMT", "Z"]
            .iter()
            .find_map(|p| s.strip_prefix(p))
            .unwrap_or(s);
        if rest.is_empty() {
            return Some(TimeZone::UTC);
        }
        let (sign, digits) = match rest.as_bytes().first()? {
            b'+' => (1, &rest[1..]),
            b'-' => (-1, &rest[1..]),
            _ => return None,
        };
        let (h, m) = match digits.split_once(':') {
            Some((h, m)) => (h, m),
            None if digits.len() == 4 => digits.split_at(2),
            None => (digits, "0"),
        };
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        if !(0..=18).contains(&h) || !(0..60).contains(&m) || h.to_string().len() > 2 {
            return None;
        }
        Some(TimeZone {
            offset_seconds: sign * (h * 3600 + m * 60),
        })
    }
}

/// The normalized JDBC sink config.
#[derive(Debug, Clone)]
pub struct JdbcSinkConfig {
    pub flavor: Flavor,
    pub url: JdbcUrl,
    /// The user: the property, or the URL's `user`.
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub insert_mode: InsertMode,
    pub primary_key_mode: PrimaryKeyMode,
    /// `primary.key.fields` / `pk.fields` (for Confluent's `kafka` mode, the three column names).
    pub primary_key_fields: Vec<String>,
    pub delete_enabled: bool,
    /// Debezium `truncate.enabled` (Confluent has no truncate).
    pub truncate_enabled: bool,
    /// Create missing tables (`schema.evolution=basic` / `auto.create`).
    pub auto_create: bool,
    /// Add missing columns (`schema.evolution=basic` / `auto.evolve`).
    pub auto_evolve: bool,
    pub collection_format: CollectionFormat,
    /// Table and column naming (quoting is always on; this says whether names are lower-cased).
    pub naming: Naming,
    pub field_filter: FieldFilter,
    pub batch_size: usize,
    /// Debezium `use.reduction.buffer`: keep only the last change per key within a batch.
    pub use_reduction_buffer: bool,
    /// The zone zoned values are converted to for columns without a zone (MySQL/MariaDB).
    pub time_zone: TimeZone,
    /// Retries of a failed flush before the task fails (`flush.max.retries` / `max.retries`).
    pub max_retries: u32,
    /// Delay between them (`flush.retry.delay.ms` / `retry.backoff.ms`).
    pub retry_delay: Duration,
    /// Attempts to open a connection before a start fails (Confluent `connection.attempts`).
    pub connect_attempts: u32,
    /// Delay between them (Confluent `connection.backoff.ms`).
    pub connect_backoff: Duration,
    /// Write a null field's schema default instead (Connect's `Struct.get`; Confluent's
    /// `replace.null.with.default`).
    pub replace_null_with_default: bool,
    /// Debezium `cloud.events.schema.name.pattern`: values whose schema name matches are
    /// unwrapped to their `data` field.
    pub cloud_events_pattern: Option<regex::Regex>,
    /// Debezium `dialect.postgres.postgis.schema`: qualifies `geometry`/`geography`.
    pub postgis_schema: String,
    /// `tributary.exactly.once`: positions written with the rows, in one transaction.
    pub exactly_once: bool,
    /// `tributary.exactly.once.table`: where those positions live.
    pub offsets_table: String,
    /// Properties and URL parameters accepted although they change nothing we write.
    pub ignored: Vec<String>,
}

impl JdbcSinkConfig {
    /// Reads the config of either class, without I/O, reporting every problem at once.
    pub fn from_map(class: &str, map: &ConfigMap) -> Result<JdbcSinkConfig, ConfigErrors> {
        let flavor = match class {
            DEBEZIUM_CLASS => Flavor::Debezium,
            CONFLUENT_CLASS => Flavor::Confluent,
            other => {
                return Err(ConfigErrors(vec![ConfigProblem {
                    property: "connector.class".into(),
                    value: Some(other.into()),
                    message: format!("the JDBC sink is {DEBEZIUM_CLASS} or {CONFLUENT_CLASS}"),
                }]))
            }
        };
        let mut r = ConfigReader::new(map);
        let mut url_problems = Vec::new();
        let cfg = match flavor {
            Flavor::Debezium => debezium::read(&mut r, map, &mut url_problems),
            Flavor::Confluent => confluent::read(&mut r, map, &mut url_problems),
        };
        let mut problems = match r.finish() {
            Ok(()) => Vec::new(),
            Err(e) => e.0,
        };
        problems.extend(url_problems);
        match cfg {
            Some(cfg) if problems.is_empty() => Ok(cfg),
            _ => Err(ConfigErrors(problems)),
        }
    }
}

/// Reads `connection.url` and reconciles its `user`/`password` with the properties. URL
/// problems are built here, not with `ConfigReader::problem`, which would show the raw URL
/// (and a password in it): the value shown is the URL with `password=[hidden]`.
pub fn read_connection(
    r: &mut ConfigReader<'_>,
    map: &ConfigMap,
    user_property: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<(JdbcUrl, Option<String>, Option<Secret>)> {
    let raw = r.optional_string("connection.url");
    let user = r.optional_string(user_property);
    let password = r
        .secret("connection.password")
        .filter(|p| !p.expose().is_empty());
    let url_problem = |message: String| ConfigProblem {
        property: "connection.url".into(),
        value: map.get("connection.url").map(|u| redact(u.trim())),
        message,
    };
    let Some(raw) = raw else {
        problems.push(url_problem("a value is required and none was given".into()));
        return None;
    };
    let url = match JdbcUrl::parse(&raw) {
        Ok(url) => url,
        Err(e) => {
            problems.push(url_problem(e.to_string()));
            return None;
        }
    };
    let user = match (user, &url.user) {
        (Some(p), Some(u)) if &p != u => {
            r.problem(
                user_property,
                format!(
                    "differs from the user in connection.url ({u:?}); give the user in one place"
                ),
            );
            Some(p)
        }
        (p, u) => p.or_else(|| u.clone()),
    };
    if user.is_none() {
        r.problem(
            user_property,
            "a user is required: set it here or as the user parameter of connection.url",
        );
    }
    let password = match (password, &url.password) {
        (Some(p), Some(u)) if p != *u => {
            r.problem(
                "connection.password",
                "differs from the password in connection.url; give the password in one place",
            );
            Some(p)
        }
        (p, u) => p.or_else(|| u.clone()),
    };
    Some((url, user, password))
}

/// Refuses `name` unless it is unset or holds one of `accepted` (the default first).
pub(super) fn refuse_unless(r: &mut ConfigReader<'_>, name: &str, accepted: &[&str], why: &str) {
    if let Some(v) = r.optional_string(name) {
        if !accepted.iter().any(|a| *a == v) {
            r.problem(
                name,
                format!(
                    "not supported: Tributary accepts only {} here ({why})",
                    accepted.join(" or ")
                ),
            );
        }
    }
}

/// Reads the time zone property.
pub(super) fn read_time_zone(
    r: &mut ConfigReader<'_>,
    name: &str,
    raw: Option<String>,
) -> TimeZone {
    match raw {
        None => TimeZone::UTC,
        Some(v) => TimeZone::parse(&v).unwrap_or_else(|| {
            r.problem(
                name,
                "must be UTC or a fixed offset such as +02:00 (named zones with daylight saving are not supported)",
            );
            TimeZone::UTC
        }),
    }
}

/// The rules both connectors share: deletes need `record_key`; upsert and update need a key.
pub(super) fn check_modes(
    r: &mut ConfigReader<'_>,
    insert_mode: InsertMode,
    pk_mode: PrimaryKeyMode,
    delete_enabled: bool,
    names: [&str; 3],
) {
    let [insert, pk, delete] = names;
    if delete_enabled && pk_mode != PrimaryKeyMode::RecordKey {
        r.problem(
            delete,
            format!("{delete}=true requires {pk}=record_key (deletes are keyed by the record key)"),
        );
    }
    if insert_mode != InsertMode::Insert && pk_mode == PrimaryKeyMode::None {
        r.problem(
            insert,
            format!("upsert and update need a primary key: set {pk} to something other than none"),
        );
    }
}

/// The `tributary.*` properties both forms share.
pub(super) fn read_tributary(r: &mut ConfigReader<'_>) -> (bool, String) {
    let exactly_once = r.bool("tributary.exactly.once", false);
    let table = r.string("tributary.exactly.once.table", "tributary_sink_offsets");
    (exactly_once, table)
}

/// The dialect the URL names, when it parsed.
/// `insert.mode` (both classes spell it the same).
pub(super) fn read_insert_mode(r: &mut ConfigReader<'_>) -> InsertMode {
    match r
        .one_of("insert.mode", "insert", &["insert", "upsert", "update"])
        .as_str()
    {
        "upsert" => InsertMode::Upsert,
        "update" => InsertMode::Update,
        _ => InsertMode::Insert,
    }
}

/// The primary key mode `property` names, one of `allowed` (each class has its own name and
/// set of modes).
pub(super) fn read_key_mode(
    r: &mut ConfigReader<'_>,
    property: &str,
    allowed: &[&str],
) -> PrimaryKeyMode {
    match r.one_of(property, "none", allowed).as_str() {
        "kafka" => PrimaryKeyMode::Kafka,
        "record_key" => PrimaryKeyMode::RecordKey,
        "record_value" => PrimaryKeyMode::RecordValue,
        "record_header" => PrimaryKeyMode::RecordHeader,
        _ => PrimaryKeyMode::None,
    }
}

pub(super) fn dialect_of(url: &Option<(JdbcUrl, Option<String>, Option<Secret>)>) -> Dialect {
    url.as_ref()
        .map_or(Dialect::Postgres, |(u, _, _)| u.dialect)
}

#[cfg(test)]
mod tests;
