use super::*;

use cdc_core::config_map as map;

fn no_env(_: &str) -> Option<String> {
    None
}

/// The issue's config, with JsonFormat for Parquet.
fn issue_config() -> Vec<(&'static str, &'static str)> {
    vec![
        ("connector.class", CLASS),
        ("tasks.max", "4"),
        ("topics", "pg.public.orders"),
        ("s3.region", "us-east-1"),
        ("s3.bucket.name", "my-data-lake"),
        ("s3.part.size", "67108864"),
        ("storage.class", "io.confluent.connect.s3.storage.S3Storage"),
        ("format.class", JSON_FORMAT),
        ("flush.size", "10000"),
        ("rotate.interval.ms", "3600000"),
    ]
}

fn problems(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    match S3SinkConfig::from_map_with_env(&map(pairs), &no_env) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.into_iter().map(|p| (p.property, p.message)).collect(),
    }
}

#[test]
fn the_issue_config_reads_with_confluent_defaults() {
    let c = S3SinkConfig::from_map_with_env(&map(&issue_config()), &no_env).unwrap();
    assert_eq!(c.store.url, "https://s3.us-east-1.amazonaws.com");
    assert_eq!(c.store.part_size, 67_108_864);
    assert!(c.store.path_style);
    assert!(c.store.credentials.is_none());
    assert_eq!(c.flush_size, 10_000);
    assert_eq!(c.rotate_interval_ms, Some(3_600_000));
    assert_eq!(
        (
            c.topics_dir.as_str(),
            c.directory_delim.as_str(),
            c.file_delim.as_str()
        ),
        ("topics", "/", "+")
    );
    assert_eq!(c.zero_pad_width, 10);
    assert_eq!(c.null_values, NullValues::Fail);
    assert!(matches!(c.partitioner, Partitioner::Default));
}

#[test]
fn credentials_come_from_properties_else_the_aws_variables() {
    let mut pairs = issue_config();
    let env = |n: &str| match n {
        "AWS_ACCESS_KEY_ID" => Some("envkey".to_owned()),
        "AWS_SECRET_ACCESS_KEY" => Some("envsecret".to_owned()),
        _ => None,
    };
    let c = S3SinkConfig::from_map_with_env(&map(&pairs), &env).unwrap();
    assert_eq!(c.store.credentials.unwrap().0, "envkey");
    pairs.push(("aws.access.key.id", "propkey"));
    pairs.push(("aws.secret.access.key", "propsecret"));
    let c = S3SinkConfig::from_map_with_env(&map(&pairs), &env).unwrap();
    assert_eq!(c.store.credentials.unwrap().0, "propkey");
}

#[test]
fn unimplemented_values_are_refused_by_name() {
    let mut pairs = issue_config();
    pairs.retain(|(k, _)| *k != "format.class");
    pairs.extend([
        ("format.class", PARQUET_FORMAT),
        ("parquet.codec", "lzo"),
        ("enhanced.avro.schema.support", "true"),
        ("store.kafka.headers", "true"),
        ("headers.format.class", BYTE_ARRAY_FORMAT),
        ("schema.compatibility", "TRANSITIVE"),
        ("behavior.on.null.values", "write"),
        ("s3.sse.kms.key.id", "k"),
        ("partitioner.class", "com.example.MyPartitioner"),
    ]);
    let found: Vec<String> = problems(&pairs).into_iter().map(|(p, _)| p).collect();
    for p in [
        "parquet.codec",
        "enhanced.avro.schema.support",
        "headers.format.class",
        "schema.compatibility",
        "behavior.on.null.values",
        "s3.sse.kms.key.id",
    ] {
        assert!(found.iter().any(|f| f == p), "{p} not refused: {found:?}");
    }
}

#[test]
fn avro_and_parquet_formats_read_their_codecs_with_confluent_defaults() {
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = issue_config();
        pairs.retain(|(k, _)| *k != "format.class");
        pairs.extend_from_slice(extra);
        S3SinkConfig::from_map_with_env(&map(&pairs), &no_env).map(|c| c.format)
    };
    assert_eq!(
        with(&[("format.class", AVRO_FORMAT)]).unwrap(),
        FormatKind::Avro {
            codec: AvroCodec::Null
        }
    );
    assert_eq!(
        with(&[("format.class", AVRO_FORMAT), ("avro.codec", "deflate")]).unwrap(),
        FormatKind::Avro {
            codec: AvroCodec::Deflate
        }
    );
    assert_eq!(
        with(&[("format.class", PARQUET_FORMAT)]).unwrap(),
        FormatKind::Parquet {
            codec: ParquetCodec::Snappy
        }
    );
    assert_eq!(
        with(&[("format.class", PARQUET_FORMAT), ("parquet.codec", "zstd")]).unwrap(),
        FormatKind::Parquet {
            codec: ParquetCodec::Zstd
        }
    );
    // s3.compression.type applies to JsonFormat and ByteArrayFormat only, as in Confluent.
    assert!(with(&[
        ("format.class", PARQUET_FORMAT),
        ("s3.compression.type", "gzip")
    ])
    .is_ok());
    for (class, property, value) in [
        (AVRO_FORMAT, "avro.codec", "xz"),
        (AVRO_FORMAT, "avro.codec", "zstandard"),
        (PARQUET_FORMAT, "parquet.codec", "lzo"),
        (PARQUET_FORMAT, "parquet.codec", "rar"),
        (AVRO_FORMAT, "connect.meta.data", "false"),
        (PARQUET_FORMAT, "enhanced.avro.schema.support", "true"),
    ] {
        let err = with(&[("format.class", class), (property, value)]).unwrap_err();
        assert!(
            err.0.iter().any(|p| p.property == property),
            "{property}={value}: {err:?}"
        );
    }
    let err = with(&[("format.class", "com.example.OrcFormat")]).unwrap_err();
    assert!(
        err.0
            .iter()
            .any(|p| p.property == "format.class" && p.message.contains("ParquetFormat")),
        "{err:?}"
    );
}

#[test]
fn flush_size_and_format_are_required_and_part_size_bounded() {
    let found = problems(&[("s3.bucket.name", "b"), ("s3.part.size", "1000")]);
    let names: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert!(names.contains(&"flush.size"), "{found:?}");
    assert!(names.contains(&"format.class"), "{found:?}");
    assert!(names.contains(&"s3.part.size"), "{found:?}");
}

#[test]
fn time_based_partitioners_need_locale_timezone_and_a_known_extractor() {
    let mut pairs = issue_config();
    pairs.push((
        "partitioner.class",
        "io.confluent.connect.storage.partitioner.HourlyPartitioner",
    ));
    assert_eq!(problems(&pairs)[0].0, "locale");
    pairs.extend([("locale", "en-US"), ("timezone", "Mars/Olympus")]);
    assert_eq!(problems(&pairs)[0].0, "timezone");
    pairs.retain(|(k, _)| *k != "timezone");
    pairs.extend([("timezone", "UTC"), ("timestamp.extractor", "Record")]);
    let c = S3SinkConfig::from_map_with_env(&map(&pairs), &no_env).unwrap();
    assert!(c.partitioner.is_time_based());
}

#[test]
fn keys_and_headers_files_take_their_own_formats_avro_by_default() {
    let mut pairs = issue_config();
    pairs.extend([
        ("store.kafka.keys", "true"),
        ("store.kafka.headers", "true"),
        ("headers.format.class", JSON_FORMAT),
        ("behavior.on.null.values", "write"),
    ]);
    let c = S3SinkConfig::from_map_with_env(&map(&pairs), &no_env).unwrap();
    assert!(matches!(c.keys_format, Some(FormatKind::Avro { .. })));
    assert!(matches!(c.headers_format, Some(FormatKind::Json { .. })));
    assert_eq!(c.null_values, NullValues::Write);
    assert_eq!(c.tombstone_partition, "tombstone");
    // Without them, nothing beside the data files.
    let c = S3SinkConfig::from_map_with_env(&map(&issue_config()), &no_env).unwrap();
    assert!(c.keys_format.is_none() && c.headers_format.is_none());
}

#[test]
fn writing_tombstones_needs_the_keys_stored() {
    let mut pairs = issue_config();
    pairs.push(("behavior.on.null.values", "write"));
    let found = problems(&pairs);
    assert!(
        found
            .iter()
            .any(|(p, m)| p == "behavior.on.null.values" && m.contains("store.kafka.keys=true")),
        "{found:?}"
    );
}
