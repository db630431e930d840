//! [`S3SinkConfig`]: Confluent's S3 sink properties (`S3SinkConnectorConfig` and
//! storage-common's `StorageCommonConfig`, `PartitionerConfig`), with their names and defaults.
//!
//! Pure: reading the config opens nothing. Every value that would change what is written and is
//! not implemented yet is refused here, naming the property, the value and what is accepted;
//! nothing is accepted and ignored.

use cdc_core::{ConfigErrors, ConfigMap, ConfigReader, Secret};

use super::compatibility::Compatibility;
use super::format::FormatKind;
use super::format_avro::AvroCodec;
use super::format_parquet::{ParquetCodec, UnknownParquetCodec};
use super::partitioner::{Partitioner, PartitionerConfig};

/// The connector's Java class.
pub const CLASS: &str = "io.confluent.connect.s3.S3SinkConnector";

pub const JSON_FORMAT: &str = "io.confluent.connect.s3.format.json.JsonFormat";
pub const BYTE_ARRAY_FORMAT: &str = "io.confluent.connect.s3.format.bytearray.ByteArrayFormat";
pub const AVRO_FORMAT: &str = "io.confluent.connect.s3.format.avro.AvroFormat";
pub const PARQUET_FORMAT: &str = "io.confluent.connect.s3.format.parquet.ParquetFormat";
const S3_STORAGE: &str = "io.confluent.connect.s3.storage.S3Storage";
const DEFAULT_CREDENTIALS_PROVIDER: &str = "com.amazonaws.auth.DefaultAWSCredentialsProviderChain";

/// `s3.part.size`'s bounds and default (S3's minimum part, Java's `Integer.MAX_VALUE`).
pub const MIN_PART_SIZE: i64 = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE: i64 = 25 * 1024 * 1024;

/// What the sink does with a record whose value is null (a tombstone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullValues {
    /// The task fails naming the record (Confluent's default).
    Fail,
    /// The record is skipped.
    Ignore,
    /// Its key (and headers) are written in the encoded partition `tombstone.encoded.partition`;
    /// needs `store.kafka.keys`.
    Write,
}

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `store.url`, or AWS's regional endpoint.
    pub url: String,
    pub bucket: String,
    pub region: String,
    pub path_style: bool,
    /// From `aws.access.key.id`/`aws.secret.access.key`, else `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; `None`: unsigned requests.
    pub credentials: Option<(String, Secret, Option<Secret>)>,
    pub part_size: usize,
    /// `s3.part.retries`: attempts of one request before the error goes to the runtime.
    pub part_retries: u32,
    pub retry_backoff_ms: u64,
}

/// The S3 sink's configuration.
#[derive(Debug, Clone)]
pub struct S3SinkConfig {
    pub store: StoreConfig,
    pub format: FormatKind,
    pub flush_size: u64,
    /// `rotate.interval.ms` (record time; only with a time-based partitioner, as in Confluent).
    pub rotate_interval_ms: Option<i64>,
    /// `rotate.schedule.interval.ms` (wall clock).
    pub rotate_schedule_interval_ms: Option<i64>,
    pub topics_dir: String,
    pub directory_delim: String,
    pub file_delim: String,
    pub zero_pad_width: usize,
    /// `schema.compatibility`.
    pub compatibility: Compatibility,
    pub null_values: NullValues,
    /// `tombstone.encoded.partition`: where tombstones go with `behavior.on.null.values=write`.
    pub tombstone_partition: String,
    /// `store.kafka.keys`: the format of the `.keys` files (`keys.format.class`).
    pub keys_format: Option<FormatKind>,
    /// `store.kafka.headers`: the format of the `.headers` files (`headers.format.class`).
    pub headers_format: Option<FormatKind>,
    pub partitioner: Partitioner,
    /// The zone whose days `rotate.schedule.interval.ms` counts in (`timezone`).
    pub schedule_zone: Option<jiff::tz::TimeZone>,
}

impl S3SinkConfig {
    /// Reads `map` (a connector config), collecting every problem.
    pub fn from_map(map: &ConfigMap) -> Result<Self, ConfigErrors> {
        Self::from_map_with_env(map, &|name| std::env::var(name).ok())
    }

    /// [`S3SinkConfig::from_map`] reading AWS's environment variables through `env`.
    pub fn from_map_with_env(
        map: &ConfigMap,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigErrors> {
        let mut r = ConfigReader::new(map);
        let bucket = r.required_string("s3.bucket.name");
        let region = r.string("s3.region", "us-west-2");
        let url = r
            .optional_string("store.url")
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            r.problem("store.url", "must be an http:// or https:// URL");
        }
        let path_style = r.bool("s3.path.style.access.enabled", true);
        let key = r.optional_string("aws.access.key.id");
        let secret = r
            .secret("aws.secret.access.key")
            .filter(|s| !s.expose().is_empty());
        let credentials = match (key, secret) {
            (Some(k), Some(s)) => Some((k, s, None)),
            (Some(_), None) => {
                r.problem(
                    "aws.secret.access.key",
                    "must be set when aws.access.key.id is",
                );
                None
            }
            (None, Some(_)) => {
                r.problem(
                    "aws.access.key.id",
                    "must be set when aws.secret.access.key is",
                );
                None
            }
            (None, None) => {
                let var = |n: &str| env(n).filter(|v| !v.trim().is_empty());
                match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
                    (Some(k), Some(s)) => {
                        Some((k, Secret::new(s), var("AWS_SESSION_TOKEN").map(Secret::new)))
                    }
                    _ => None,
                }
            }
        };
        let provider = r.string(
            "s3.credentials.provider.class",
            DEFAULT_CREDENTIALS_PROVIDER,
        );
        if provider != DEFAULT_CREDENTIALS_PROVIDER {
            r.problem(
                "s3.credentials.provider.class",
                format!(
                    "is not implemented by Tributary yet; valid values: {DEFAULT_CREDENTIALS_PROVIDER} \
                     (aws.access.key.id/aws.secret.access.key, else AWS_ACCESS_KEY_ID, \
                     AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN)"
                ),
            );
        }
        let part_size = r.int(
            "s3.part.size",
            DEFAULT_PART_SIZE,
            MIN_PART_SIZE,
            i32::MAX as i64,
        ) as usize;
        let part_retries = r.int("s3.part.retries", 3, 0, i32::MAX as i64) as u32;
        let retry_backoff_ms = r.int("s3.retry.backoff.ms", 200, 0, i64::MAX) as u64;

        let storage = r.string("storage.class", S3_STORAGE);
        if storage != S3_STORAGE {
            r.problem("storage.class", format!("valid values: {S3_STORAGE}"));
        }
        let format = read_format(&mut r);

        let flush_size = match map.get("flush.size").map(|v| v.trim()) {
            None | Some("") => {
                r.problem("flush.size", "a value is required and none was given");
                1
            }
            Some(_) => r.int("flush.size", 1, 1, i32::MAX as i64) as u64,
        };
        let rotate_interval_ms = positive(r.int("rotate.interval.ms", -1, -1, i64::MAX));
        let rotate_schedule_interval_ms =
            positive(r.int("rotate.schedule.interval.ms", -1, -1, i64::MAX));
        let topics_dir = r.string("topics.dir", "topics");
        let directory_delim = r.string("directory.delim", "/");
        let file_delim = r.string("file.delim", "+");
        let zero_pad_width = r.int("filename.offset.zero.pad.width", 10, 0, 64) as usize;
        let null_values = match r
            .one_of(
                "behavior.on.null.values",
                "fail",
                &["ignore", "fail", "write"],
            )
            .as_str()
        {
            "ignore" => NullValues::Ignore,
            "write" => NullValues::Write,
            _ => NullValues::Fail,
        };
        let tombstone_partition = r.string("tombstone.encoded.partition", "tombstone");
        let keys_format = r.bool("store.kafka.keys", false).then(|| {
            read_format_class(&mut r, "keys.format.class", Some(AVRO_FORMAT), &ALL_FORMATS)
        });
        // Confluent has no bytes view of headers.
        let headers_format = r.bool("store.kafka.headers", false).then(|| {
            read_format_class(
                &mut r,
                "headers.format.class",
                Some(AVRO_FORMAT),
                &[JSON_FORMAT, AVRO_FORMAT, PARQUET_FORMAT],
            )
        });
        if null_values == NullValues::Write && keys_format.is_none() {
            r.problem(
                "behavior.on.null.values",
                "write keeps a tombstone's key only: it needs store.kafka.keys=true (Confluent \
                 fails the task on the first tombstone without it)",
            );
        }
        let compatibility = match Compatibility::parse(&r.string("schema.compatibility", "NONE")) {
            Some(c) => c,
            None => {
                r.problem(
                    "schema.compatibility",
                    "valid values: NONE, BACKWARD, FORWARD, FULL",
                );
                Compatibility::None
            }
        };
        refuse_unless(&mut r, "s3.object.tagging", &["false"]);
        refuse_unless(&mut r, "append.late.data", &["false"]);
        refuse_unless(&mut r, "s3.acl.canned", &[]);
        refuse_unless(&mut r, "s3.ssea.name", &[]);
        refuse_unless(&mut r, "s3.sse.kms.key.id", &[]);
        refuse_unless(&mut r, "s3.sse.customer.key", &[]);
        refuse_unless(&mut r, "s3.proxy.url", &[]);
        let partitioner = PartitionerConfig::read(&mut r, &directory_delim);
        let schedule_zone = match (rotate_schedule_interval_ms, r.optional_string("timezone")) {
            (None, _) => None,
            // An unknown zone is named below.
            (Some(_), Some(id)) => super::partitioner::zone(&id).ok(),
            (Some(_), None) => {
                r.problem(
                    "timezone",
                    "rotate.schedule.interval.ms needs a time zone (for example UTC)",
                );
                None
            }
        };
        r.finish()?;
        let partitioner = partitioner.build().map_err(|p| ConfigErrors(vec![p]))?;
        if rotate_schedule_interval_ms.is_some() && schedule_zone.is_none() {
            return Err(ConfigErrors(vec![super::partitioner::zone(
                map.get("timezone").map_or("", String::as_str),
            )
            .err()
            .unwrap_or_else(|| cdc_core::ConfigProblem {
                property: "timezone".into(),
                value: None,
                message: "is not a time zone id".into(),
            })]));
        }
        Ok(S3SinkConfig {
            store: StoreConfig {
                url,
                bucket,
                region,
                path_style,
                credentials,
                part_size,
                part_retries,
                retry_backoff_ms,
            },
            format,
            flush_size,
            rotate_interval_ms,
            rotate_schedule_interval_ms,
            topics_dir,
            directory_delim,
            file_delim,
            zero_pad_width,
            compatibility,
            null_values,
            tombstone_partition,
            keys_format,
            headers_format,
            partitioner,
            schedule_zone,
        })
    }
}

fn positive(v: i64) -> Option<i64> {
    (v > 0).then_some(v)
}

const ALL_FORMATS: [&str; 4] = [JSON_FORMAT, BYTE_ARRAY_FORMAT, AVRO_FORMAT, PARQUET_FORMAT];

/// `format.class` and the properties of the chosen format.
fn read_format(r: &mut ConfigReader<'_>) -> FormatKind {
    read_format_class(r, "format.class", None, &ALL_FORMATS)
}

/// The format class `property` names (required when `default` is `None`), one of `valid`, with
/// the chosen format's properties: the key and headers formats take the same ones
/// (`avro.codec`, `parquet.codec`, `s3.compression.type`, ...) as the data format.
fn read_format_class(
    r: &mut ConfigReader<'_>,
    property: &str,
    default: Option<&str>,
    valid: &[&str],
) -> FormatKind {
    let class = match default {
        None => r.required_string(property),
        Some(d) => r.string(property, d),
    };
    if !class.is_empty() && !valid.contains(&class.as_str()) {
        r.problem(property, format!("valid values: {}", valid.join(", ")));
        return FormatKind::Json { gzip: None };
    }
    let gzip = r.one_of("s3.compression.type", "none", &["none", "gzip"]) == "gzip";
    let level = r.int("s3.compression.level", -1, -1, 9) as i32;
    match class.as_str() {
        JSON_FORMAT => FormatKind::Json {
            gzip: gzip.then_some(level),
        },
        BYTE_ARRAY_FORMAT => {
            if gzip {
                r.problem(
                    "s3.compression.type",
                    "gzip is implemented for JsonFormat only by Tributary yet; valid values with \
                     ByteArrayFormat: none",
                );
            }
            let extension = r.string("format.bytearray.extension", ".bin");
            let separator = match r.optional_string("format.bytearray.separator") {
                Some(s) => unescape(&s),
                None => "\n".to_owned(),
            };
            FormatKind::ByteArray {
                extension,
                separator: separator.into_bytes(),
            }
        }
        AVRO_FORMAT => {
            refuse_avro_data_settings(r);
            let name = r.string("avro.codec", "null");
            match AvroCodec::parse(&name) {
                Ok(codec) => FormatKind::Avro { codec },
                Err(_) => {
                    r.problem(
                        "avro.codec",
                        "valid values: null, deflate, snappy, bzip2 (Confluent's; Avro's xz and \
                         zstandard are refused as Confluent refuses them)",
                    );
                    FormatKind::Avro {
                        codec: AvroCodec::Null,
                    }
                }
            }
        }
        PARQUET_FORMAT => {
            refuse_avro_data_settings(r);
            let name = r.string("parquet.codec", "snappy");
            match ParquetCodec::parse(&name) {
                Ok(codec) => FormatKind::Parquet { codec },
                Err(UnknownParquetCodec::Lzo) => {
                    r.problem(
                        "parquet.codec",
                        "lzo is not implemented by Tributary (there is no LZO writer; \
                         Confluent needs Hadoop's native LZO for it); valid values: none, \
                         snappy, gzip, zstd, lz4, lz4_raw, brotli",
                    );
                    FormatKind::Parquet {
                        codec: ParquetCodec::Snappy,
                    }
                }
                Err(UnknownParquetCodec::Unknown(_)) => {
                    r.problem(
                        "parquet.codec",
                        "valid values: none, snappy, gzip, zstd, lz4, lz4_raw, brotli",
                    );
                    FormatKind::Parquet {
                        codec: ParquetCodec::Snappy,
                    }
                }
            }
        }
        _ => FormatKind::Json { gzip: None },
    }
}

/// AvroData's settings that would change the Avro schema AvroFormat and ParquetFormat write:
/// only Confluent's S3 defaults are implemented (`connect.meta.data=true`,
/// `enhanced.avro.schema.support=false`). `s3.compression.type` has no effect on these formats
/// in Confluent's sink either (their codecs are `avro.codec` and `parquet.codec`).
fn refuse_avro_data_settings(r: &mut ConfigReader<'_>) {
    refuse_unless(r, "connect.meta.data", &["true"]);
    refuse_unless(r, "enhanced.avro.schema.support", &["false"]);
}

/// Java string escapes in `format.bytearray.separator` (`\n`, `\r`, `\t`), as Confluent's
/// `StringEscapeUtils.unescapeJava` reads it.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Refuses `name` unless it is unset, empty or one of `accepted` (case-insensitive).
fn refuse_unless(r: &mut ConfigReader<'_>, name: &str, accepted: &[&str]) {
    let Some(v) = r.optional_string(name) else {
        return;
    };
    if accepted.iter().any(|a| a.eq_ignore_ascii_case(&v)) {
        return;
    }
    let valid = if accepted.is_empty() {
        "unset".to_owned()
    } else {
        accepted.join(", ")
    };
    r.problem(
        name,
        format!(
            "is not implemented by Tributary yet, and running without it would change what is \
             written; valid values: {valid}"
        ),
    );
}

#[cfg(test)]
mod tests;
