//! `io.confluent.connect.jdbc.JdbcSinkConnector`'s properties (`JdbcSinkConfig.java`, research §5.1).

use std::time::Duration;

use cdc_core::config::{ConfigMap, ConfigProblem, ConfigReader};

use super::{
    check_modes, dialect_of, read_connection, read_insert_mode, read_key_mode, read_time_zone,
    read_tributary, refuse_unless, FieldFilter, Flavor, JdbcSinkConfig, PrimaryKeyMode,
};
use crate::jdbc::collection::CollectionFormat;
use crate::jdbc::dialect::{Dialect, Naming};

/// Confluent's `kafka` mode column names.
pub const KAFKA_PK_DEFAULTS: [&str; 3] =
    ["__connect_topic", "__connect_partition", "__connect_offset"];

pub(super) fn read(
    r: &mut ConfigReader<'_>,
    map: &ConfigMap,
    url_problems: &mut Vec<ConfigProblem>,
) -> Option<JdbcSinkConfig> {
    let conn = read_connection(r, map, "connection.user", url_problems);
    let dialect = dialect_of(&conn);
    let connect_attempts = r.int("connection.attempts", 3, 1, i64::from(i32::MAX)) as u32;
    let connect_backoff = r.int("connection.backoff.ms", 10_000, 0, i64::MAX) as u64;

    let dialect_name = r.optional_string("dialect.name");
    if let Some(name) = &dialect_name {
        let matches = matches!(
            (name.as_str(), dialect),
            ("PostgreSqlDatabaseDialect", Dialect::Postgres)
                | ("MySqlDatabaseDialect", Dialect::MySql | Dialect::MariaDb)
        );
        if !matches {
            r.problem(
                "dialect.name",
                "not supported: leave it empty, or name the dialect connection.url implies (PostgreSqlDatabaseDialect, MySqlDatabaseDialect)",
            );
        }
    }

    let insert_mode = read_insert_mode(r);
    let pk_mode = read_key_mode(
        r,
        "pk.mode",
        &["none", "kafka", "record_key", "record_value"],
    );
    let mut pk_fields = r.list("pk.fields");
    match pk_mode {
        PrimaryKeyMode::Kafka if pk_fields.is_empty() => {
            pk_fields = KAFKA_PK_DEFAULTS.map(str::to_owned).to_vec();
        }
        PrimaryKeyMode::Kafka if pk_fields.len() != 3 => r.problem(
            "pk.fields",
            "with pk.mode=kafka, must name exactly three columns (for the topic, partition and offset)",
        ),
        PrimaryKeyMode::None if !pk_fields.is_empty() => r.problem(
            "pk.fields",
            "is not used with pk.mode=none; remove it",
        ),
        _ => {}
    }
    let delete_enabled = r.bool("delete.enabled", false);
    check_modes(
        r,
        insert_mode,
        pk_mode,
        delete_enabled,
        ["insert.mode", "pk.mode", "delete.enabled"],
    );
    let whitelist = r.list("fields.whitelist");
    let field_filter = if whitelist.is_empty() {
        FieldFilter::All
    } else {
        FieldFilter::ValueWhitelist(whitelist)
    };

    let format = r.string("table.name.format", "${topic}");
    let collection_format = match CollectionFormat::parse(&format, Flavor::Confluent) {
        Ok(f) => Some(f),
        Err(e) => {
            r.problem("table.name.format", e);
            None
        }
    };
    let auto_create = r.bool("auto.create", false);
    let auto_evolve = r.bool("auto.evolve", false);
    let quote = r.one_of("quote.sql.identifiers", "always", &["always", "never"]);
    let batch_size = r.int("batch.size", 3000, 1, 1 << 20) as usize;
    let max_retries = r.int("max.retries", 10, 0, i64::from(i32::MAX)) as u32;
    let retry_delay = r.int("retry.backoff.ms", 3000, 0, i64::MAX) as u64;
    let zone_raw = r.optional_string("db.timezone");
    let time_zone = read_time_zone(r, "db.timezone", zone_raw);
    let replace_null_with_default = r.bool("replace.null.with.default", true);

    refuse_unless(r, "table.types", &["TABLE"], "only tables are written");
    refuse_unless(
        r,
        "timestamp.precision.mode",
        &["microseconds"],
        "timestamps are written with microsecond precision",
    );
    if r.optional_string("timestamp.fields.list").is_some() {
        r.problem(
            "timestamp.fields.list",
            "not supported: fields are typed by their schema (use a TimestampConverter transform)",
        );
    }
    refuse_unless(
        r,
        "date.timezone",
        &["DB_TIMEZONE"],
        "dates are written in db.timezone",
    );
    refuse_unless(
        r,
        "string.output.value.column.name",
        &["record_value"],
        "string record values are not written",
    );
    refuse_unless(
        r,
        "credentials.provider.class",
        &["io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider"],
        "credentials come from connection.user and connection.password",
    );
    let mut ignored = Vec::new();
    // The legacy Julian calendar before 1582 is not emulated: dates are proleptic Gregorian.
    if r.optional_string("date.calendar.system").is_some() {
        r.one_of(
            "date.calendar.system",
            "LEGACY",
            &["LEGACY", "PROLEPTIC_GREGORIAN"],
        );
        ignored.push("date.calendar.system".to_owned());
    }
    for name in ["trim.sensitive.log", "mssql.use.merge.holdlock"] {
        if r.optional_string(name).is_some() {
            r.bool(name, true);
            ignored.push(name.to_owned());
        }
    }
    let (exactly_once, offsets_table) = read_tributary(r);

    let (url, user, password) = conn?;
    ignored.extend(
        url.ignored
            .iter()
            .map(|p| format!("connection.url parameter {p}")),
    );
    Some(JdbcSinkConfig {
        flavor: Flavor::Confluent,
        url,
        user,
        password,
        insert_mode,
        primary_key_mode: pk_mode,
        primary_key_fields: pk_fields,
        delete_enabled,
        truncate_enabled: false,
        auto_create,
        auto_evolve,
        collection_format: collection_format?,
        naming: Naming {
            dialect,
            // Unquoted names fold to lower case on PostgreSQL only (and Confluent's PG dialect
            // lower-cases table names itself); MySQL keeps the case.
            lower_case: quote == "never" && dialect == Dialect::Postgres,
        },
        field_filter,
        batch_size,
        use_reduction_buffer: false,
        time_zone,
        max_retries,
        retry_delay: Duration::from_millis(retry_delay),
        connect_attempts,
        connect_backoff: Duration::from_millis(connect_backoff),
        replace_null_with_default,
        cloud_events_pattern: None,
        postgis_schema: "public".into(),
        exactly_once,
        offsets_table,
        ignored,
    })
}
