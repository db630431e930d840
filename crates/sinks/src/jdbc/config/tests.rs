use super::*;

use cdc_core::config_map as map;

fn debezium(pairs: &[(&str, &str)]) -> Result<JdbcSinkConfig, ConfigErrors> {
    let mut m = map(&[
        ("connection.url", "jdbc:postgresql://db:5432/target"),
        ("connection.username", "sink"),
        ("connection.password", "pw"),
    ]);
    m.extend(map(pairs));
    JdbcSinkConfig::from_map(DEBEZIUM_CLASS, &m)
}

fn confluent(pairs: &[(&str, &str)]) -> Result<JdbcSinkConfig, ConfigErrors> {
    let mut m = map(&[
        ("connection.url", "jdbc:mysql://db:3306/target"),
        ("connection.user", "sink"),
    ]);
    m.extend(map(pairs));
    JdbcSinkConfig::from_map(CONFLUENT_CLASS, &m)
}

/// Each problem as `property: message`.
fn problems(result: Result<JdbcSinkConfig, ConfigErrors>) -> Vec<String> {
    result
        .unwrap_err()
        .0
        .into_iter()
        .map(|p| format!("{}: {}", p.property, p.message))
        .collect()
}

#[test]
fn debezium_defaults() {
    let c = debezium(&[]).unwrap();
    assert_eq!(c.flavor, Flavor::Debezium);
    assert_eq!(c.url.dialect, Dialect::Postgres);
    assert_eq!(c.user.as_deref(), Some("sink"));
    assert_eq!(c.password.as_ref().map(Secret::expose), Some("pw"));
    assert_eq!(c.insert_mode, InsertMode::Insert);
    assert_eq!(c.primary_key_mode, PrimaryKeyMode::None);
    assert!(!c.delete_enabled && !c.truncate_enabled && !c.auto_create && !c.auto_evolve);
    assert!(c.naming.lower_case, "quote.identifiers=false folds names");
    assert_eq!(c.batch_size, 500);
    assert_eq!(c.time_zone, TimeZone::UTC);
    assert_eq!((c.max_retries, c.retry_delay), (5, Duration::from_secs(1)));
    assert!(c.replace_null_with_default);
    assert!(c.cloud_events_pattern.is_some());
    assert_eq!(c.postgis_schema, "public");
    assert!(!c.exactly_once);
    assert_eq!(c.offsets_table, "tributary_sink_offsets");
    assert!(c.ignored.is_empty());
}

#[test]
fn debezium_tutorial_config() {
    let c = debezium(&[
        ("insert.mode", "upsert"),
        ("primary.key.mode", "record_key"),
        ("delete.enabled", "true"),
        ("truncate.enabled", "true"),
        ("schema.evolution", "basic"),
        ("collection.name.format", "${source.table}_m"),
        ("quote.identifiers", "true"),
        ("batch.size", "1000"),
        ("use.reduction.buffer", "true"),
        ("field.exclude.list", "t:secret"),
        ("use.time.zone", "+02:00"),
        ("tributary.exactly.once", "true"),
        (
            "connection.provider",
            "org.hibernate.engine.jdbc.connections.internal.DriverManagerConnectionProviderImpl",
        ),
        ("connection.pool.max_size", "4"),
    ])
    .unwrap();
    assert_eq!(c.insert_mode, InsertMode::Upsert);
    assert_eq!(c.primary_key_mode, PrimaryKeyMode::RecordKey);
    assert!(c.delete_enabled && c.truncate_enabled && c.auto_create && c.auto_evolve);
    assert!(c.collection_format.uses_source());
    assert!(!c.naming.lower_case);
    assert_eq!(c.batch_size, 1000);
    assert!(c.use_reduction_buffer);
    assert!(matches!(c.field_filter, FieldFilter::TopicField(_)));
    assert_eq!(c.time_zone.offset_seconds, 7200);
    assert!(c.exactly_once);
    assert_eq!(
        c.ignored,
        ["connection.pool.max_size", "connection.provider"]
    );
}

#[test]
fn debezium_unknown_values_are_errors_not_fallbacks() {
    assert_eq!(
        problems(debezium(&[
            ("insert.mode", "bogus"),
            ("primary.key.mode", "zzz"),
            ("schema.evolution", "advanced"),
            ("delete.enabled", "yes"),
            ("batch.size", "0"),
            ("use.time.zone", "Europe/Berlin"),
        ])),
        [
            "insert.mode: must be one of: insert, upsert, update",
            "primary.key.mode: must be one of: none, kafka, record_key, record_value, record_header",
            "delete.enabled: must be true or false",
            "schema.evolution: must be one of: none, basic",
            "batch.size: must be between 1 and 1048576",
            "use.time.zone: must be UTC or a fixed offset such as +02:00 (named zones with daylight saving are not supported)",
        ]
    );
}

#[test]
fn debezium_cross_field_rules() {
    assert_eq!(
        problems(debezium(&[("delete.enabled", "true")])),
        ["delete.enabled: delete.enabled=true requires primary.key.mode=record_key (deletes are keyed by the record key)"]
    );
    assert_eq!(
        problems(debezium(&[("insert.mode", "upsert")])),
        ["insert.mode: upsert and update need a primary key: set primary.key.mode to something other than none"]
    );
    assert_eq!(
        problems(debezium(&[("field.include.list", "a"), ("field.exclude.list", "b")])),
        ["field.exclude.list: cannot be used together with field.include.list; set only one of them"]
    );
    assert_eq!(
        problems(debezium(&[("primary.key.mode", "kafka"), ("primary.key.fields", "id")])),
        ["primary.key.fields: is not used with primary.key.mode none or kafka (kafka's columns are __connect_topic, __connect_partition, __connect_offset); remove it"]
    );
    assert_eq!(
        problems(debezium(&[
            ("collection.name.format", "a_${topic}"),
            ("table.name.format", "b_${topic}")
        ])),
        ["table.name.format: is the deprecated alias of collection.name.format, which is also set to another value; remove one"]
    );
    assert_eq!(
        problems(debezium(&[("collection.name.format", "${schema}")])),
        ["collection.name.format: the placeholder ${schema} is not known; valid placeholders: ${topic} and ${source.<field>}"]
    );
}

#[test]
fn debezium_unimplemented_properties_are_refused_unless_default() {
    assert!(debezium(&[
        (
            "collection.naming.strategy",
            "io.debezium.sink.naming.DefaultCollectionNamingStrategy"
        ),
        (
            "column.naming.strategy",
            "io.debezium.connector.jdbc.naming.DefaultColumnNamingStrategy"
        ),
        ("collection.table.format", "${table}"),
        ("dialect.sqlserver.identity.insert", "false"),
    ])
    .is_ok());
    assert_eq!(
        problems(debezium(&[
            ("collection.naming.strategy", "com.acme.Naming"),
            ("column.naming.strategy", "com.acme.Cols"),
            ("collection.table.format", "${schema}_${table}"),
            ("connection.provider", "com.acme.Pool"),
            ("hibernate.jdbc.batch_size", "10"),
        ])),
        [
            "collection.table.format: not supported: Tributary accepts only ${table} here (use collection.name.format)",
            "collection.naming.strategy: not supported: Tributary accepts only io.debezium.sink.naming.DefaultCollectionNamingStrategy or io.debezium.connector.jdbc.naming.DefaultTableNamingStrategy here (custom naming classes cannot run in Tributary)",
            "column.naming.strategy: not supported: Tributary accepts only io.debezium.connector.jdbc.naming.DefaultColumnNamingStrategy here (custom naming classes cannot run in Tributary)",
            "connection.provider: not supported: Tributary accepts only org.hibernate.agroal.internal.AgroalConnectionProvider or org.hibernate.c3p0.internal.C3P0ConnectionProvider or org.hibernate.engine.jdbc.connections.internal.DriverManagerConnectionProviderImpl here (Tributary keeps its own connection; these provider classes are accepted and mean the same)",
            "hibernate.jdbc.batch_size: not supported: Tributary does not use Hibernate, so hibernate.* properties cannot apply",
        ]
    );
}

#[test]
fn connection_problems_never_show_a_password() {
    let errors = debezium(&[(
        "connection.url",
        "jdbc:postgresql://db/target?password=s3cret&bogus=1",
    )])
    .unwrap_err();
    let shown = format!("{errors} {errors:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert_eq!(
        errors.0[0].value.as_deref(),
        Some("jdbc:postgresql://db/target?password=[hidden]&bogus=1")
    );
    assert_eq!(
        errors.0[0].message,
        "the URL parameter bogus is not supported; remove it from connection.url"
    );
    let errors = debezium(&[(
        "connection.url",
        "jdbc:postgresql://db/target?password=other",
    )])
    .unwrap_err();
    assert_eq!(
        problems(Err(errors.clone())),
        ["connection.password: differs from the password in connection.url; give the password in one place"]
    );
    assert!(!format!("{errors}").contains("other"));
}

#[test]
fn users_from_the_url_or_the_property() {
    let m = map(&[("connection.url", "jdbc:postgresql://db/t?user=u")]);
    let c = JdbcSinkConfig::from_map(DEBEZIUM_CLASS, &m).unwrap();
    assert_eq!(c.user.as_deref(), Some("u"));
    let m = map(&[("connection.url", "jdbc:postgresql://db/t")]);
    assert_eq!(
        problems(JdbcSinkConfig::from_map(DEBEZIUM_CLASS, &m)),
        ["connection.username: a user is required: set it here or as the user parameter of connection.url"]
    );
    assert_eq!(
        problems(debezium(&[("connection.url", "jdbc:postgresql://db/t?user=other")])),
        ["connection.username: differs from the user in connection.url (\"other\"); give the user in one place"]
    );
    let m = map(&[("connection.username", "u")]);
    assert_eq!(
        problems(JdbcSinkConfig::from_map(DEBEZIUM_CLASS, &m)),
        ["connection.url: a value is required and none was given"]
    );
}

#[test]
fn other_classes_are_refused() {
    assert_eq!(
        problems(JdbcSinkConfig::from_map("com.acme.Sink", &ConfigMap::new())),
        ["connector.class: the JDBC sink is io.debezium.connector.jdbc.JdbcSinkConnector or io.confluent.connect.jdbc.JdbcSinkConnector"]
    );
}

#[test]
fn confluent_defaults() {
    let c = confluent(&[]).unwrap();
    assert_eq!(c.flavor, Flavor::Confluent);
    assert_eq!(c.url.dialect, Dialect::MySql);
    assert_eq!(c.insert_mode, InsertMode::Insert);
    assert_eq!(c.primary_key_mode, PrimaryKeyMode::None);
    assert!(!c.auto_create && !c.auto_evolve && !c.delete_enabled && !c.truncate_enabled);
    assert!(!c.naming.lower_case);
    assert_eq!(c.batch_size, 3000);
    assert_eq!((c.max_retries, c.retry_delay), (10, Duration::from_secs(3)));
    assert_eq!(
        (c.connect_attempts, c.connect_backoff),
        (3, Duration::from_secs(10))
    );
    assert!(c.replace_null_with_default);
    assert!(c.cloud_events_pattern.is_none());
}

#[test]
fn confluent_full_config() {
    let c = confluent(&[
        ("insert.mode", "upsert"),
        ("pk.mode", "record_value"),
        ("pk.fields", "id"),
        ("fields.whitelist", "id,name"),
        ("table.name.format", "kafka_${topic}"),
        ("auto.create", "true"),
        ("auto.evolve", "true"),
        ("db.timezone", "UTC"),
        ("quote.sql.identifiers", "never"),
        ("replace.null.with.default", "false"),
        ("dialect.name", "MySqlDatabaseDialect"),
        ("max.retries", "2"),
        ("retry.backoff.ms", "100"),
    ])
    .unwrap();
    assert_eq!(c.primary_key_mode, PrimaryKeyMode::RecordValue);
    assert_eq!(c.primary_key_fields, ["id"]);
    assert!(matches!(&c.field_filter, FieldFilter::ValueWhitelist(f) if f == &["id", "name"]));
    assert!(c.auto_create && c.auto_evolve);
    assert!(
        !c.naming.lower_case,
        "MySQL keeps the case of unquoted names"
    );
    assert!(!c.replace_null_with_default);
    let pg = confluent(&[
        ("connection.url", "jdbc:postgresql://db/t"),
        ("quote.sql.identifiers", "never"),
    ])
    .unwrap();
    assert!(pg.naming.lower_case, "PostgreSQL folds unquoted names");
}

#[test]
fn confluent_kafka_mode_column_names() {
    let c = confluent(&[("pk.mode", "kafka")]).unwrap();
    assert_eq!(
        c.primary_key_fields,
        ["__connect_topic", "__connect_partition", "__connect_offset"]
    );
    let c = confluent(&[("pk.mode", "kafka"), ("pk.fields", "t,p,o")]).unwrap();
    assert_eq!(c.primary_key_fields, ["t", "p", "o"]);
    assert_eq!(
        problems(confluent(&[("pk.mode", "kafka"), ("pk.fields", "t,p")])),
        ["pk.fields: with pk.mode=kafka, must name exactly three columns (for the topic, partition and offset)"]
    );
}

#[test]
fn confluent_errors() {
    assert_eq!(
        problems(confluent(&[
            ("pk.mode", "record_header"),
            ("delete.enabled", "true"),
            ("quote.sql.identifiers", "sometimes"),
            ("table.name.format", "${source.table}"),
            ("dialect.name", "OracleDatabaseDialect"),
            ("timestamp.fields.list", "ts"),
            ("table.types", "VIEW"),
            ("timestamp.precision.mode", "nanoseconds"),
        ])),
        [
            "dialect.name: not supported: leave it empty, or name the dialect connection.url implies (PostgreSqlDatabaseDialect, MySqlDatabaseDialect)",
            "pk.mode: must be one of: none, kafka, record_key, record_value",
            "delete.enabled: delete.enabled=true requires pk.mode=record_key (deletes are keyed by the record key)",
            "table.name.format: the placeholder ${source.table} is not known; valid placeholders: ${topic}",
            "quote.sql.identifiers: must be one of: always, never",
            "table.types: not supported: Tributary accepts only TABLE here (only tables are written)",
            "timestamp.precision.mode: not supported: Tributary accepts only microseconds here (timestamps are written with microsecond precision)",
            "timestamp.fields.list: not supported: fields are typed by their schema (use a TimestampConverter transform)",
        ]
    );
    assert_eq!(
        problems(confluent(&[("insert.mode", "update")])),
        ["insert.mode: upsert and update need a primary key: set pk.mode to something other than none"]
    );
    assert_eq!(
        problems(confluent(&[("pk.fields", "id")])),
        ["pk.fields: is not used with pk.mode=none; remove it"]
    );
}

#[test]
fn time_zones() {
    for (text, secs) in [
        ("UTC", 0),
        ("Z", 0),
        ("GMT", 0),
        ("Etc/UTC", 0),
        ("+02:00", 7200),
        ("-0530", -19_800),
        ("UTC+1", 3600),
        ("GMT-03:30", -12_600),
    ] {
        assert_eq!(
            TimeZone::parse(text),
            Some(TimeZone {
                offset_seconds: secs
            }),
            "{text}"
        );
    }
    for bad in ["Europe/Paris", "+25:00", "+1:99", "CET", "+123"] {
        assert_eq!(TimeZone::parse(bad), None, "{bad}");
    }
}
