//! Confluent's JDBC source properties (`JdbcSourceConnectorConfig` 10.9.7, research §1) and the
//! checks of its `validate()` (§1, "validate() order"), every problem reported at once where
//! Confluent stops at the first failing step: the messages are Confluent's.
//!
//! The connection (`connection.url`, `connection.user`, `connection.password`) is read by the
//! caller with the JDBC sink's URL parser; everything else is here, pure.

use cdc_core::{ConfigErrors, ConfigMap, ConfigProblem, ConfigReader};
use regex::Regex;

use crate::sql::{Mode, Quoting};

/// `numeric.mapping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericMapping {
    None,
    PrecisionOnly,
    BestFit,
    BestFitEagerDouble,
}

/// Which tables to read.
#[derive(Debug, Clone)]
pub enum Tables {
    /// `query` (or `query.masked`): one source, topic `topic.prefix`.
    Query(String),
    /// `table.include.list` / `table.exclude.list`: full-match regexes on `schema.table`.
    Patterns {
        include: Vec<Regex>,
        exclude: Vec<Regex>,
    },
    /// `table.whitelist` (wins) or `table.blacklist`: exact names (qualified, quoted or bare).
    Legacy {
        whitelist: Vec<String>,
        blacklist: Vec<String>,
    },
}

/// The mode with the offset columns as configured (a table's own columns come from the
/// `*.mapping` properties when the new-style filters are used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeConfig {
    Bulk,
    Incrementing,
    Timestamp,
    TimestampIncrementing,
}

/// `<regex>:<columns>` of `timestamp.columns.mapping` / `incrementing.column.mapping`.
#[derive(Debug, Clone)]
pub struct ColumnMapping {
    pub tables: Regex,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct JdbcSourceConfig {
    pub mode: ModeConfig,
    pub tables: Tables,
    pub incrementing_column: String,
    pub timestamp_columns: Vec<String>,
    pub incrementing_mappings: Vec<ColumnMapping>,
    pub timestamp_mappings: Vec<ColumnMapping>,
    pub catalog_pattern: Option<String>,
    pub schema_pattern: Option<String>,
    pub table_types: Vec<String>,
    pub numeric_mapping: NumericMapping,
    pub quoting: Quoting,
    pub query_suffix: String,
    pub topic_prefix: String,
    pub timestamp_initial: Option<i64>,
    pub timestamp_delay_ms: i64,
    pub validate_non_null: bool,
    pub db_timezone: String,
    pub poll_interval_ms: i64,
    pub batch_max_rows: usize,
    pub table_poll_interval_ms: i64,
    pub query_retry_attempts: i64,
    pub connection_attempts: i64,
    pub connection_backoff_ms: i64,
}

impl JdbcSourceConfig {
    /// The mode with `table`'s offset columns: from the mappings (new-style filters), else the
    /// legacy column properties.
    pub fn mode_for(&self, table_fqn: &str) -> Mode {
        let pick = |mappings: &[ColumnMapping], legacy: Vec<String>| -> Vec<String> {
            mappings
                .iter()
                .find(|m| m.tables.is_match(table_fqn))
                .map(|m| m.columns.clone())
                .unwrap_or(legacy)
        };
        let incrementing = || {
            pick(
                &self.incrementing_mappings,
                vec![self.incrementing_column.clone()],
            )
            .into_iter()
            .next()
            .unwrap_or_default()
        };
        let timestamps = || pick(&self.timestamp_mappings, self.timestamp_columns.clone());
        match self.mode {
            ModeConfig::Bulk => Mode::Bulk,
            ModeConfig::Incrementing => Mode::Incrementing {
                column: incrementing(),
            },
            ModeConfig::Timestamp => Mode::Timestamp {
                columns: timestamps(),
            },
            ModeConfig::TimestampIncrementing => Mode::TimestampIncrementing {
                columns: timestamps(),
                incrementing: incrementing(),
            },
        }
    }

    /// Reads every property but the connection's.
    pub fn from_map(map: &ConfigMap) -> Result<JdbcSourceConfig, ConfigErrors> {
        let mut r = ConfigReader::new(map);
        let mut cross: Vec<ConfigProblem> = Vec::new();
        let problem = |property: &str, message: String| ConfigProblem {
            property: property.to_owned(),
            value: None,
            message,
        };
        let mode = match r.optional_string("mode").as_deref() {
            None => {
                r.problem("mode", "Query mode must be specified");
                ModeConfig::Bulk
            }
            Some("bulk") => ModeConfig::Bulk,
            Some("incrementing") => ModeConfig::Incrementing,
            Some("timestamp") => ModeConfig::Timestamp,
            Some("timestamp+incrementing") => ModeConfig::TimestampIncrementing,
            Some(other) => {
                r.problem(
                    "mode",
                    format!("Invalid value {other} for configuration mode: String must be one of: , bulk, timestamp, incrementing, timestamp+incrementing"),
                );
                ModeConfig::Bulk
            }
        };
        let whitelist = r.list("table.whitelist");
        let blacklist = r.list("table.blacklist");
        let include = patterns(&mut r, "table.include.list");
        let exclude = patterns(&mut r, "table.exclude.list");
        let incrementing_column = r.string("incrementing.column.name", "");
        let timestamp_columns = r.list("timestamp.column.name");
        let incrementing_mappings = mappings(&mut r, "incrementing.column.mapping", false);
        let timestamp_mappings = mappings(&mut r, "timestamp.columns.mapping", true);
        let query = r.optional_string("query");
        let masked = r
            .secret("query.masked")
            .map(|s| s.expose().trim().to_owned());
        let masked = masked.filter(|q| !q.is_empty());
        let catalog_pattern = map.get("catalog.pattern").map(|s| s.trim().to_owned());
        let schema_pattern = map.get("schema.pattern").map(|s| s.trim().to_owned());
        let _ = r.optional_string("catalog.pattern");
        let _ = r.optional_string("schema.pattern");
        let table_types = match r.list("table.types") {
            t if t.is_empty() => vec!["TABLE".to_owned()],
            t => t,
        };
        let precision_legacy = r.bool("numeric.precision.mapping", false);
        let numeric_mapping = match r.optional_string("numeric.mapping") {
            None if precision_legacy => NumericMapping::PrecisionOnly,
            None => NumericMapping::None,
            Some(v) => match numeric_mapping(&v) {
                Some(m) => m,
                None => {
                    r.problem(
                        "numeric.mapping",
                        format!("Invalid enumerator: {v} (one of none, precision_only, best_fit, best_fit_eager_double)"),
                    );
                    NumericMapping::None
                }
            },
        };
        let quoting = match r
            .string("quote.sql.identifiers", "always")
            .to_ascii_lowercase()
            .as_str()
        {
            "always" => Quoting::Always,
            "never" => Quoting::Never,
            other => {
                r.problem(
                    "quote.sql.identifiers",
                    format!("{other:?} is not a quote method; use always or never"),
                );
                Quoting::Always
            }
        };
        let query_suffix = r.string("query.suffix", "");
        let topic_prefix = r.string("topic.prefix", "");
        if topic_prefix.len() > 249 {
            r.problem(
                "topic.prefix",
                "Topic prefix must not exceed max topic name length, 249 chars",
            );
        } else if !topic_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            r.problem("topic.prefix", "Topic prefix must not contain any character other than ASCII alphanumerics, '.', '_' and '-'.");
        }
        let timestamp_initial = r
            .optional_string("timestamp.initial")
            .map(|_| r.int("timestamp.initial", -1, -1, i64::MAX));
        let timestamp_delay_ms = r.int("timestamp.delay.interval.ms", 0, 0, i64::MAX);
        let validate_non_null = r.bool("validate.non.null", true);
        let db_timezone = r.string("db.timezone", "UTC");
        if let Err(e) = crate::temporal::zone(&db_timezone) {
            r.problem("db.timezone", e);
        }
        let poll_interval_ms = r.int("poll.interval.ms", 5000, 0, i64::from(i32::MAX));
        let batch_max_rows = r.int("batch.max.rows", 1000, 1, i64::from(i32::MAX)) as usize;
        let table_poll_interval_ms = r.int("table.poll.interval.ms", 60_000, 0, i64::MAX);
        let query_retry_attempts = r.int("query.retry.attempts", -1, i64::MIN, i64::MAX);
        let connection_attempts = r.int("connection.attempts", 3, 1, i64::from(i32::MAX));
        let connection_backoff_ms = r.int("connection.backoff.ms", 10_000, 0, i64::MAX);
        for (name, allowed) in [
            (
                "dialect.name",
                &["", "PostgreSqlDatabaseDialect", "MySqlDatabaseDialect"][..],
            ),
            (
                "date.calendar.system",
                &["LEGACY", "PROLEPTIC_GREGORIAN"][..],
            ),
            ("timestamp.granularity", &["connect_logical"][..]),
            ("transaction.isolation.mode", &["DEFAULT"][..]),
            (
                "jdbc.credentials.provider.class",
                &["io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider"][..],
            ),
        ] {
            if let Some(v) = r.optional_string(name) {
                if !allowed.contains(&v.as_str()) {
                    r.problem(
                        name,
                        format!(
                            "{v:?} is not supported: Tributary accepts {}",
                            allowed
                                .iter()
                                .filter(|a| !a.is_empty())
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
        }

        // Confluent's validate(): the properties' own checks first; any problem stops here.
        r.finish()?;
        let legacy_keys = [
            ("table.whitelist", !whitelist.is_empty()),
            ("table.blacklist", !blacklist.is_empty()),
            ("timestamp.column.name", !timestamp_columns.is_empty()),
            ("incrementing.column.name", !incrementing_column.is_empty()),
        ];
        let new_keys = [
            ("table.include.list", !include.is_empty()),
            ("table.exclude.list", !exclude.is_empty()),
            ("timestamp.columns.mapping", !timestamp_mappings.is_empty()),
            (
                "incrementing.column.mapping",
                !incrementing_mappings.is_empty(),
            ),
        ];
        let any = |keys: &[(&str, bool)]| keys.iter().any(|(_, set)| *set);
        let query = match (query, masked) {
            (Some(_), Some(_)) => {
                for k in ["query", "query.masked"] {
                    cross.push(problem(k, "Both 'query' and 'query.masked' configs cannot be set at the same time. Please use only one of them.".into()));
                }
                None
            }
            (q, m) => q.or(m),
        };
        let tables = match &query {
            Some(q) => {
                let filters = [
                    ("table.whitelist", !whitelist.is_empty()),
                    ("table.blacklist", !blacklist.is_empty()),
                    ("table.include.list", !include.is_empty()),
                    ("table.exclude.list", !exclude.is_empty()),
                ];
                for (k, set) in filters {
                    if set {
                        cross.push(problem(k, "Do not specify table filtering configs with 'query'. Remove table.whitelist / table.blacklist / table.include.list / table.exclude.list.".into()));
                    }
                }
                if !Regex::new(r"(?is)^SELECT\b").is_ok_and(|re| re.is_match(q.trim())) {
                    cross.push(problem("query", "Only SELECT statements are supported for 'query'. Please provide a statement that starts with SELECT.".into()));
                }
                if matches!(
                    mode,
                    ModeConfig::Incrementing | ModeConfig::TimestampIncrementing
                ) && incrementing_column.is_empty()
                {
                    cross.push(problem("incrementing.column.name", "'incrementing.column.name' must be provided when using mode incrementing or timestamp+incrementing with a custom query.".into()));
                }
                Tables::Query(q.clone())
            }
            None => {
                let lists_legacy = !whitelist.is_empty() || !blacklist.is_empty();
                let lists_new = !include.is_empty() || !exclude.is_empty();
                let cols_legacy = !timestamp_columns.is_empty() || !incrementing_column.is_empty();
                let cols_new = !timestamp_mappings.is_empty() || !incrementing_mappings.is_empty();
                // Confluent 10.9.7 refuses any mix of the two styles. We accept one: the new
                // table lists with the legacy column names (the issue's tutorial config, which
                // older Confluent versions ran); the other mixes are ambiguous and refused.
                if (lists_legacy && lists_new)
                    || (cols_legacy && cols_new)
                    || (lists_legacy && cols_new)
                {
                    for (k, set) in legacy_keys.iter().chain(new_keys.iter()) {
                        if *set {
                            cross.push(problem(k, "Cannot mix legacy and new configuration approaches. Use either table.whitelist/table.blacklist/timestamp.column.name/incrementing.column.name or table.include.list/table.exclude.list/timestamp.columns.mapping/incrementing.column.mapping.".into()));
                        }
                    }
                    // Confluent stops at this step.
                    return Err(ConfigErrors(cross));
                } else if !any(&legacy_keys) && !any(&new_keys) {
                    for k in [
                        "table.whitelist",
                        "table.blacklist",
                        "table.include.list",
                        "table.exclude.list",
                    ] {
                        cross.push(problem(k, "At least one table filtering configuration is required. Provide one of: table.whitelist, table.blacklist, table.include.list, or table.exclude.list.".into()));
                    }
                }
                if lists_new || cols_new {
                    if !exclude.is_empty() && include.is_empty() {
                        cross.push(problem("table.exclude.list", "table.exclude.list cannot be used without table.include.list. Exclude list only applies to tables that match the include list.".into()));
                    }
                    let wants_ts = matches!(
                        mode,
                        ModeConfig::Timestamp | ModeConfig::TimestampIncrementing
                    );
                    let wants_id = matches!(
                        mode,
                        ModeConfig::Incrementing | ModeConfig::TimestampIncrementing
                    );
                    // Columns from the legacy names (the accepted mix) need no mapping.
                    if wants_ts && timestamp_mappings.is_empty() && timestamp_columns.is_empty() {
                        cross.push(problem("mode", "Timestamp column configuration must be provided when using mode 'timestamp' or 'timestamp+incrementing'. Provide 'timestamp.columns.mapping'.".into()));
                    }
                    if wants_id
                        && incrementing_mappings.is_empty()
                        && incrementing_column.is_empty()
                    {
                        cross.push(problem("mode", "Incrementing column configuration must be provided when using mode 'incrementing' or 'timestamp+incrementing'. Provide 'incrementing.column.mapping'.".into()));
                    }
                    if !wants_ts && !timestamp_mappings.is_empty() {
                        cross.push(problem("timestamp.columns.mapping", "Timestamp column configuration should not be provided if mode is not 'timestamp' or 'timestamp+incrementing'.".into()));
                    }
                    if !wants_id && !incrementing_mappings.is_empty() {
                        cross.push(problem("incrementing.column.mapping", "Incrementing column configuration should not be provided if mode is not 'incrementing' or 'timestamp+incrementing'.".into()));
                    }
                    Tables::Patterns { include, exclude }
                } else {
                    Tables::Legacy {
                        whitelist,
                        blacklist,
                    }
                }
            }
        };
        if !cross.is_empty() {
            return Err(ConfigErrors(cross));
        }
        Ok(JdbcSourceConfig {
            mode,
            tables,
            incrementing_column,
            timestamp_columns,
            incrementing_mappings,
            timestamp_mappings,
            catalog_pattern,
            schema_pattern,
            table_types,
            numeric_mapping,
            quoting,
            query_suffix,
            topic_prefix,
            timestamp_initial,
            timestamp_delay_ms,
            validate_non_null,
            db_timezone,
            poll_interval_ms,
            batch_max_rows,
            table_poll_interval_ms,
            query_retry_attempts,
            connection_attempts,
            connection_backoff_ms,
        })
    }
}

fn numeric_mapping(v: &str) -> Option<NumericMapping> {
    // Confluent's EnumRecommender: all lower- or all upper-case.
    if v != v.to_ascii_lowercase() && v != v.to_ascii_uppercase() {
        return None;
    }
    match v.to_ascii_lowercase().as_str() {
        "none" => Some(NumericMapping::None),
        "precision_only" => Some(NumericMapping::PrecisionOnly),
        "best_fit" => Some(NumericMapping::BestFit),
        "best_fit_eager_double" => Some(NumericMapping::BestFitEagerDouble),
        _ => None,
    }
}

/// RE2-style full-match patterns (`table.include.list`, `table.exclude.list`).
fn patterns(r: &mut ConfigReader<'_>, name: &str) -> Vec<Regex> {
    let items = r.list(name);
    let mut out = Vec::new();
    for item in &items {
        match Regex::new(&format!("^(?:{item})$")) {
            Ok(re) => out.push(re),
            Err(_) => {
                r.problem(
                    name,
                    format!(
                        "Must be a valid comma-separated list of regular expression patterns: {}",
                        items.join(",")
                    ),
                );
                return Vec::new();
            }
        }
    }
    out
}

/// `regex:[c1|c2]` (timestamps) or `regex:col` (incrementing), with Confluent's messages.
fn mappings(r: &mut ConfigReader<'_>, name: &str, bracketed: bool) -> Vec<ColumnMapping> {
    let mut out = Vec::new();
    for item in r.list(name) {
        let Some((regex, columns)) = item.split_once(':') else {
            let expected = if bracketed {
                "Invalid format. Expected 'regex:[col1|col2|...]'"
            } else {
                "Invalid format. Expected 'regex:columnName'"
            };
            r.problem(name, expected);
            continue;
        };
        let columns: Vec<String> = if bracketed {
            let Some(inner) = columns
                .trim()
                .strip_prefix('[')
                .and_then(|c| c.strip_suffix(']'))
            else {
                r.problem(name, "Columns list must be enclosed in square brackets");
                continue;
            };
            if inner.trim().is_empty() {
                r.problem(name, "Columns list cannot be empty");
                continue;
            }
            let cols: Vec<String> = inner.split('|').map(|c| c.trim().to_owned()).collect();
            if cols.iter().any(String::is_empty) {
                r.problem(name, "Every column name should be non-empty string");
                continue;
            }
            cols
        } else {
            if columns.trim().is_empty() {
                r.problem(name, "Column name cannot be empty");
                continue;
            }
            vec![columns.trim().to_owned()]
        };
        match Regex::new(&format!("^(?:{})$", regex.trim())) {
            Ok(tables) => out.push(ColumnMapping { tables, columns }),
            Err(e) => r.problem(
                name,
                format!("{regex:?} is not a valid regular expression: {e}"),
            ),
        }
    }
    out
}

/// Confluent's configuration definition (its names, types, defaults; the documentation
/// shortened), for `GET /connector-plugins/.../config` and `PUT .../config/validate`.
pub fn config_def() -> cdc_core::configdef::ConfigDef {
    use cdc_core::configdef::{ConfigDef, ConfigKey, ConfigType, Importance};
    use ConfigType::{Boolean, Int, List, Long, Password, String as Str};
    let keys: &[(&str, ConfigType, Option<&str>, Importance, &str)] = &[
        ("connection.url", Str, None, Importance::High, "JDBC connection URL (jdbc:postgresql://, jdbc:mysql://, jdbc:mariadb://)."),
        ("connection.user", Str, None, Importance::High, "JDBC connection user."),
        ("connection.password", Password, None, Importance::High, "JDBC connection password."),
        ("connection.attempts", Int, Some("3"), Importance::Low, "Maximum number of attempts to retrieve a valid JDBC connection."),
        ("connection.backoff.ms", Long, Some("10000"), Importance::Low, "Backoff time in milliseconds between connection attempts."),
        ("catalog.pattern", Str, None, Importance::Medium, "Catalog pattern to fetch table metadata from the database (MySQL: the database)."),
        ("schema.pattern", Str, None, Importance::Medium, "Schema pattern to fetch table metadata from the database (PostgreSQL)."),
        ("table.whitelist", List, Some(""), Importance::Medium, "List of tables to include in copying (deprecated: table.include.list)."),
        ("table.blacklist", List, Some(""), Importance::Medium, "List of tables to exclude from copying (deprecated: table.exclude.list)."),
        ("table.include.list", List, Some(""), Importance::Medium, "Regular expressions matching the fully qualified names of the tables to copy."),
        ("table.exclude.list", List, Some(""), Importance::Medium, "Regular expressions matching the fully qualified names of the tables not to copy."),
        ("numeric.precision.mapping", Boolean, Some("false"), Importance::Low, "Deprecated: numeric.mapping=precision_only."),
        ("numeric.mapping", Str, None, Importance::Low, "Map NUMERIC values by precision and optionally scale to integral or decimal types: none, precision_only, best_fit, best_fit_eager_double."),
        ("dialect.name", Str, Some(""), Importance::Low, "The database dialect (PostgreSqlDatabaseDialect, MySqlDatabaseDialect); derived from connection.url when empty."),
        ("mode", Str, Some(""), Importance::High, "bulk, timestamp, incrementing or timestamp+incrementing."),
        ("incrementing.column.name", Str, Some(""), Importance::Medium, "The name of the strictly incrementing column to use to detect new rows."),
        ("incrementing.column.mapping", List, Some(""), Importance::Medium, "<table regex>:<column> pairs: each table's incrementing column."),
        ("timestamp.column.name", List, Some(""), Importance::Medium, "Comma-separated timestamp columns; the first non-null (COALESCE) detects new and modified rows."),
        ("timestamp.columns.mapping", List, Some(""), Importance::Medium, "<table regex>:[<columns>] pairs: each table's timestamp columns."),
        ("timestamp.initial", Long, None, Importance::Low, "Epoch milliseconds to start timestamp mode from (-1: the database's current time)."),
        ("validate.non.null", Boolean, Some("true"), Importance::Low, "Verify that the offset columns are NOT NULL."),
        ("query", Str, Some(""), Importance::Medium, "Run this query instead of reading tables; its rows go to topic.prefix."),
        ("query.masked", Password, Some(""), Importance::Medium, "As query, hidden in logs and REST answers."),
        ("quote.sql.identifiers", Str, Some("always"), Importance::Medium, "always or never."),
        ("query.suffix", Str, Some(""), Importance::Low, "Suffix appended to the generated query."),
        ("query.retry.attempts", Int, Some("-1"), Importance::Low, "Times to retry a failed query (-1: forever)."),
        ("table.types", List, Some("TABLE"), Importance::Low, "Table types to read: TABLE, VIEW, MATERIALIZED VIEW, FOREIGN TABLE, PARTITIONED TABLE."),
        ("poll.interval.ms", Int, Some("5000"), Importance::High, "Frequency in ms to poll for new data in each table."),
        ("batch.max.rows", Int, Some("1000"), Importance::Low, "Rows read from the database at a time and sent per batch."),
        ("table.poll.interval.ms", Long, Some("60000"), Importance::Low, "Frequency in ms to poll for new or removed tables."),
        ("topic.prefix", Str, None, Importance::High, "Prefix of the topic names (table mode: prefix + table; query mode: the topic)."),
        ("timestamp.delay.interval.ms", Long, Some("0"), Importance::High, "How long to wait after a row with a certain timestamp appears before including it."),
        ("db.timezone", Str, Some("UTC"), Importance::Medium, "Time zone of the database's timestamps without zone (an IANA name)."),
        ("timestamp.granularity", Str, Some("connect_logical"), Importance::Low, "Only connect_logical is supported."),
        ("transaction.isolation.mode", Str, Some("DEFAULT"), Importance::Low, "Only DEFAULT (the database's own isolation level) is supported."),
    ];
    let mut def = ConfigDef::new();
    for (name, t, default, importance, doc) in keys {
        let mut k = ConfigKey::new(name, *t, doc).importance(*importance);
        if let Some(d) = default {
            k = k.default_value(d);
        }
        if matches!(*name, "connection.url" | "topic.prefix") {
            k = k.required();
        }
        def = def.define(k);
    }
    def
}

#[cfg(test)]
mod tests {
    use super::*;

    use cdc_core::config_map as map;

    fn problems(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        JdbcSourceConfig::from_map(&map(pairs))
            .unwrap_err()
            .0
            .into_iter()
            .map(|p| (p.property, p.message))
            .collect()
    }

    #[test]
    fn the_issues_two_tutorial_configs_are_read() {
        let c = JdbcSourceConfig::from_map(&map(&[
            ("table.include.list", "articles"),
            ("mode", "incrementing"),
            ("incrementing.column.mapping", "articles:id"),
            ("topic.prefix", "article-events-"),
            ("poll.interval.ms", "5000"),
        ]))
        .unwrap();
        assert_eq!(
            c.mode_for("articles"),
            Mode::Incrementing {
                column: "id".into()
            }
        );
        // The issue's first config verbatim: table.include.list with incrementing.column.name.
        // Confluent 10.9.7 refuses the mix; we read it as older versions meant it.
        let c = JdbcSourceConfig::from_map(&map(&[
            ("connection.url", "jdbc:mysql://mysql-host:3306/news"),
            ("table.include.list", "articles"),
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("topic.prefix", "article-events-"),
            ("poll.interval.ms", "5000"),
        ]))
        .unwrap();
        assert_eq!(
            c.mode_for("news.articles"),
            Mode::Incrementing {
                column: "id".into()
            }
        );
        // Other mixes stay refused, naming every key involved.
        let mixed = problems(&[
            ("table.include.list", "articles"),
            ("table.whitelist", "articles"),
            ("mode", "bulk"),
        ]);
        let named: Vec<&str> = mixed.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(named, ["table.whitelist", "table.include.list"]);
        assert!(mixed[0]
            .1
            .starts_with("Cannot mix legacy and new configuration approaches"));
        let c = JdbcSourceConfig::from_map(&map(&[
            ("table.whitelist", "products"),
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("topic.prefix", "pg-"),
            ("tasks.max", "1"),
        ]))
        .unwrap();
        assert_eq!(
            c.mode_for("public.products"),
            Mode::Incrementing {
                column: "id".into()
            }
        );
        assert_eq!(c.batch_max_rows, 1000);
        assert_eq!(c.poll_interval_ms, 5000);
    }

    #[test]
    fn confluents_validation_messages() {
        assert_eq!(
            problems(&[("table.whitelist", "t")]),
            [("mode".to_owned(), "Query mode must be specified".to_owned())]
        );
        let none = problems(&[("mode", "bulk")]);
        assert_eq!(none.len(), 4);
        assert!(none[0]
            .1
            .starts_with("At least one table filtering configuration is required"));
        let q = problems(&[
            ("mode", "incrementing"),
            ("query", "UPDATE t SET a = 1"),
            ("table.whitelist", "t"),
        ]);
        let named: Vec<&str> = q.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            named,
            ["table.whitelist", "query", "incrementing.column.name"]
        );
        let m = problems(&[
            ("mode", "timestamp"),
            ("table.include.list", "a.*"),
            ("timestamp.columns.mapping", "a.*:ts"),
        ]);
        assert_eq!(
            m,
            [(
                "timestamp.columns.mapping".to_owned(),
                "Columns list must be enclosed in square brackets".to_owned()
            )]
        );
        assert_eq!(
            problems(&[
                ("mode", "bulk"),
                ("table.whitelist", "t"),
                ("numeric.mapping", "Best_Fit")
            ])[0]
                .0,
            "numeric.mapping"
        );
        assert_eq!(
            problems(&[("mode", "bulk"), ("table.whitelist", "t"), ("topic.prefix", "a b")])[0].1,
            "Topic prefix must not contain any character other than ASCII alphanumerics, '.', '_' and '-'."
        );
    }

    #[test]
    fn timestamp_columns_come_from_the_mapping_that_matches_the_table() {
        let c = JdbcSourceConfig::from_map(&map(&[
            ("mode", "timestamp+incrementing"),
            ("table.include.list", "public\\..*"),
            (
                "timestamp.columns.mapping",
                "public\\.orders:[updated|created],public\\..*:[ts]",
            ),
            ("incrementing.column.mapping", "public\\..*:id"),
        ]))
        .unwrap();
        assert_eq!(
            c.mode_for("public.orders"),
            Mode::TimestampIncrementing {
                columns: vec!["updated".into(), "created".into()],
                incrementing: "id".into()
            }
        );
        assert_eq!(
            c.mode_for("public.items"),
            Mode::TimestampIncrementing {
                columns: vec!["ts".into()],
                incrementing: "id".into()
            }
        );
    }
}
