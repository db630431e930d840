//! `io.debezium.connector.jdbc.JdbcSinkConnector`'s properties (Debezium 3.6, research §1.1).

use std::time::Duration;

use cdc_core::config::{read_filter, ConfigMap, ConfigProblem, ConfigReader};

use super::{
    check_modes, dialect_of, read_connection, read_insert_mode, read_key_mode, read_time_zone,
    read_tributary, refuse_unless, FieldFilter, Flavor, JdbcSinkConfig, PrimaryKeyMode,
};
use crate::jdbc::collection::CollectionFormat;
use crate::jdbc::dialect::Naming;

const DEFAULT_COLLECTION_STRATEGY: &str = "io.debezium.sink.naming.DefaultCollectionNamingStrategy";
const DEFAULT_COLUMN_STRATEGY: &str =
    "io.debezium.connector.jdbc.naming.DefaultColumnNamingStrategy";
const DEFAULT_CLOUD_EVENTS: &str = r".*CloudEvents\.Envelope$";

pub(super) fn read(
    r: &mut ConfigReader<'_>,
    map: &ConfigMap,
    url_problems: &mut Vec<ConfigProblem>,
) -> Option<JdbcSinkConfig> {
    let conn = read_connection(r, map, "connection.username", url_problems);
    let dialect = dialect_of(&conn);

    let insert_mode = read_insert_mode(r);
    let pk_mode = read_key_mode(
        r,
        "primary.key.mode",
        &[
            "none",
            "kafka",
            "record_key",
            "record_value",
            "record_header",
        ],
    );
    let pk_fields = r.list("primary.key.fields");
    if !pk_fields.is_empty() && matches!(pk_mode, PrimaryKeyMode::None | PrimaryKeyMode::Kafka) {
        r.problem(
            "primary.key.fields",
            "is not used with primary.key.mode none or kafka (kafka's columns are __connect_topic, __connect_partition, __connect_offset); remove it",
        );
    }
    let delete_enabled = r.bool("delete.enabled", false);
    let truncate_enabled = r.bool("truncate.enabled", false);
    check_modes(
        r,
        insert_mode,
        pk_mode,
        delete_enabled,
        ["insert.mode", "primary.key.mode", "delete.enabled"],
    );
    let evolve = r.one_of("schema.evolution", "none", &["none", "basic"]) == "basic";

    // collection.name.format, with table.name.format as its deprecated alias.
    let (format_name, format) = match (
        r.optional_string("collection.name.format"),
        r.optional_string("table.name.format"),
    ) {
        (Some(f), Some(old)) if f != old => {
            r.problem(
                "table.name.format",
                "is the deprecated alias of collection.name.format, which is also set to another value; remove one",
            );
            ("collection.name.format", f)
        }
        (Some(f), _) => ("collection.name.format", f),
        (None, Some(old)) => ("table.name.format", old),
        (None, None) => ("collection.name.format", "${topic}".to_owned()),
    };
    let collection_format = match CollectionFormat::parse(&format, Flavor::Debezium) {
        Ok(f) => Some(f),
        Err(e) => {
            r.problem(format_name, e);
            None
        }
    };
    refuse_unless(
        r,
        "collection.table.format",
        &["${table}"],
        "use collection.name.format",
    );
    for name in ["collection.naming.strategy", "table.naming.strategy"] {
        refuse_unless(
            r,
            name,
            &[
                DEFAULT_COLLECTION_STRATEGY,
                "io.debezium.connector.jdbc.naming.DefaultTableNamingStrategy",
            ],
            "custom naming classes cannot run in Tributary",
        );
    }
    refuse_unless(
        r,
        "column.naming.strategy",
        &[DEFAULT_COLUMN_STRATEGY],
        "custom naming classes cannot run in Tributary",
    );
    let quote_identifiers = r.bool("quote.identifiers", false);

    let field_filter = read_filter(r, "field.include.list", "field.exclude.list");
    let field_filter = if field_filter.is_empty() {
        FieldFilter::All
    } else {
        FieldFilter::TopicField(field_filter)
    };

    let batch_size = r.int("batch.size", 500, 1, 1 << 20) as usize;
    let use_reduction_buffer = r.bool("use.reduction.buffer", false);
    let zone = match (
        r.optional_string("use.time.zone"),
        r.optional_string("database.time_zone"),
    ) {
        (Some(z), _) => read_time_zone(r, "use.time.zone", Some(z)),
        (None, old) => read_time_zone(r, "database.time_zone", old),
    };
    let max_retries = r.int("flush.max.retries", 5, 0, i64::from(i32::MAX)) as u32;
    let retry_delay = r.int("flush.retry.delay.ms", 1000, 0, i64::MAX) as u64;

    let postgis_schema = r.string("dialect.postgres.postgis.schema", "public");
    let cloud_events = r.string("cloud.events.schema.name.pattern", DEFAULT_CLOUD_EVENTS);
    let cloud_events_pattern = match regex::Regex::new(&cloud_events) {
        Ok(re) => Some(re),
        Err(e) => {
            r.problem(
                "cloud.events.schema.name.pattern",
                format!("is not a valid regular expression: {e}"),
            );
            None
        }
    };

    let mut ignored = Vec::new();
    // Pools and retry switches: nothing they do changes what is written.
    for (name, min) in [
        ("connection.pool.min_size", 0),
        ("connection.pool.max_size", 1),
        ("connection.pool.timeout", 0),
    ] {
        if r.optional_string(name).is_some() {
            r.int(name, 0, min, i64::MAX);
            ignored.push(name.to_owned());
        }
    }
    refuse_unless(
        r,
        "connection.provider",
        &[
            "org.hibernate.agroal.internal.AgroalConnectionProvider",
            "org.hibernate.c3p0.internal.C3P0ConnectionProvider",
            "org.hibernate.engine.jdbc.connections.internal.DriverManagerConnectionProviderImpl",
        ],
        "Tributary keeps its own connection; these provider classes are accepted and mean the same",
    );
    if r.optional_string("connection.provider").is_some() {
        ignored.push("connection.provider".into());
    }
    // We retry connection errors always (a superset of connection.restart.on.errors=true).
    if r.optional_string("connection.restart.on.errors").is_some() {
        r.bool("connection.restart.on.errors", false);
        ignored.push("connection.restart.on.errors".into());
    }
    // An UNNEST insert is a faster path to the same rows; ours are multi-row inserts.
    if r.optional_string("dialect.postgres.unnest.insert.enabled")
        .is_some()
    {
        r.bool("dialect.postgres.unnest.insert.enabled", false);
        ignored.push("dialect.postgres.unnest.insert.enabled".into());
    }
    refuse_unless(
        r,
        "dialect.sqlserver.identity.insert",
        &["false"],
        "SQL Server is not a supported target",
    );
    for name in map.keys().filter(|k| k.starts_with("hibernate.")) {
        r.problem(
            name,
            "not supported: Tributary does not use Hibernate, so hibernate.* properties cannot apply",
        );
    }
    let (exactly_once, offsets_table) = read_tributary(r);

    let (url, user, password) = conn?;
    ignored.extend(
        url.ignored
            .iter()
            .map(|p| format!("connection.url parameter {p}")),
    );
    Some(JdbcSinkConfig {
        flavor: Flavor::Debezium,
        url,
        user,
        password,
        insert_mode,
        primary_key_mode: pk_mode,
        primary_key_fields: pk_fields,
        delete_enabled,
        truncate_enabled,
        auto_create: evolve,
        auto_evolve: evolve,
        collection_format: collection_format?,
        naming: Naming {
            dialect,
            lower_case: !quote_identifiers,
        },
        field_filter,
        batch_size,
        use_reduction_buffer,
        time_zone: zone,
        max_retries,
        retry_delay: Duration::from_millis(retry_delay),
        // Debezium has no such settings; Confluent's defaults.
        connect_attempts: 3,
        connect_backoff: Duration::from_millis(10_000),
        // Connect's Struct.get returns the schema default for a null field.
        replace_null_with_default: true,
        cloud_events_pattern,
        postgis_schema,
        exactly_once,
        offsets_table,
        ignored,
    })
}
