//! The S3 sink's config definition for `GET /connector-plugins/{class}/config` and
//! `/config/validate`: Confluent's property names, types, defaults and groups.

use cdc_core::configdef::{ConfigDef, ConfigKey, ConfigType, Importance};

/// Confluent's S3 sink properties Tributary reads (values it does not implement are refused by
/// the config reader, naming them).
pub fn config_def() -> ConfigDef {
    let key = |name: &str, t: ConfigType, doc: &str, group: &str, order: i32| {
        ConfigKey::new(name, t, doc).group(group, order)
    };
    let s3 = |name: &str, t: ConfigType, doc: &str, order: i32| key(name, t, doc, "S3", order);
    let st = |name: &str, t: ConfigType, doc: &str, order: i32| key(name, t, doc, "Storage", order);
    let cn =
        |name: &str, t: ConfigType, doc: &str, order: i32| key(name, t, doc, "Connector", order);
    let pa =
        |name: &str, t: ConfigType, doc: &str, order: i32| key(name, t, doc, "Partitioner", order);
    use ConfigType::*;
    ConfigDef::new()
        .define(s3("s3.bucket.name", String, "The S3 Bucket.", 1).importance(Importance::High).required())
        .define(s3("s3.region", String, "The AWS region to be used the connector.", 2).default_value("us-west-2"))
        .define(s3("s3.part.size", Int, "The Part Size in S3 Multi-part Uploads.", 3).default_value("26214400"))
        .define(s3("s3.credentials.provider.class", Class, "Credentials provider or provider chain to use for authentication to AWS.", 4).default_value("com.amazonaws.auth.DefaultAWSCredentialsProviderChain"))
        .define(s3("aws.access.key.id", String, "The AWS access key ID used to authenticate personal AWS credentials such as IAM credentials.", 5).default_value(""))
        .define(s3("aws.secret.access.key", Password, "The secret access key used to authenticate personal AWS credentials such as IAM credentials.", 6).default_value("[hidden]"))
        .define(s3("s3.compression.type", String, "Compression type for files written to S3. Applied when using JsonFormat (AvroFormat and ParquetFormat use avro.codec and parquet.codec).", 7).default_value("none").allowed(&["none", "gzip"]))
        .define(s3("s3.compression.level", Int, "Compression level for files written to S3 (-1 for the default).", 8).default_value("-1"))
        .define(s3("s3.part.retries", Int, "Maximum number of retry attempts for failed requests.", 9).default_value("3"))
        .define(s3("s3.retry.backoff.ms", Long, "How long to wait in milliseconds before attempting the first retry of a failed S3 request.", 10).default_value("200"))
        .define(s3("s3.path.style.access.enabled", Boolean, "Specifies whether or not to enable path style access to the bucket used by the connector.", 11).default_value("true"))
        .define(s3("behavior.on.null.values", String, "How to handle records with a null value (i.e. Kafka tombstone records).", 12).default_value("fail").allowed(&["ignore", "fail", "write"]))
        .define(s3("store.kafka.keys", Boolean, "Enable or disable writing keys to storage. This config is mandatory when the writing of tombstone records is enabled.", 13).default_value("false"))
        .define(s3("store.kafka.headers", Boolean, "Enable or disable writing headers to storage.", 14).default_value("false"))
        .define(s3("keys.format.class", Class, "The format class to use when writing keys to the store.", 21).default_value("io.confluent.connect.s3.format.avro.AvroFormat"))
        .define(s3("headers.format.class", Class, "The format class to use when writing headers to the store.", 22).default_value("io.confluent.connect.s3.format.avro.AvroFormat"))
        .define(s3("tombstone.encoded.partition", String, "Output s3 folder to write the tombstone records to. The configured partitioner would map tombstone records to this output folder.", 23).default_value("tombstone"))
        .define(s3("format.bytearray.extension", String, "Output file extension for ByteArrayFormat.", 15).default_value(".bin"))
        .define(s3("format.bytearray.separator", String, "String inserted between records for ByteArrayFormat (a line separator when unset).", 16))
        .define(s3("avro.codec", String, "The Avro compression codec to be used for output files. Available values: null, deflate, snappy and bzip2.", 17).default_value("null").allowed(&["null", "deflate", "snappy", "bzip2"]))
        .define(s3("parquet.codec", String, "The Parquet compression codec to be used for output files (lzo is not implemented by Tributary).", 18).default_value("snappy").allowed(&["none", "snappy", "gzip", "zstd", "lz4", "lz4_raw", "brotli"]))
        .define(s3("connect.meta.data", Boolean, "Allow the Connect converter to add its metadata to the output schema (AvroFormat, ParquetFormat; only true is implemented by Tributary).", 19).default_value("true"))
        .define(s3("enhanced.avro.schema.support", Boolean, "Enable enhanced schema support to preserve package information and Enums (AvroFormat, ParquetFormat; only false is implemented by Tributary).", 20).default_value("false"))
        .define(st("storage.class", Class, "The underlying storage layer.", 1).default_value("io.confluent.connect.s3.storage.S3Storage"))
        .define(st("store.url", String, "Store's connection URL, if applicable.", 2))
        .define(st("topics.dir", String, "Top level directory to store the data ingested from Kafka.", 3).default_value("topics"))
        .define(st("directory.delim", String, "Directory delimiter pattern", 4).default_value("/"))
        .define(st("file.delim", String, "File delimiter pattern", 5).default_value("+"))
        .define(cn("format.class", Class, "The format class to use when writing data to the store.", 1).importance(Importance::High).required())
        .define(cn("flush.size", Int, "Number of records written to store before invoking file commits.", 2).importance(Importance::High).required())
        .define(cn("rotate.interval.ms", Long, "The time interval in milliseconds to invoke file commits, by the records' timestamps.", 3).default_value("-1"))
        .define(cn("rotate.schedule.interval.ms", Long, "The time interval in milliseconds to periodically invoke file commits, by the wall clock.", 4).default_value("-1"))
        .define(cn("schema.compatibility", String, "The schema compatibility rule to use when the connector is observing schema changes.", 5).default_value("NONE").allowed(&["NONE", "BACKWARD", "FORWARD", "FULL"]))
        .define(cn("filename.offset.zero.pad.width", Int, "Width to zero-pad offsets in store's filenames if offsets are too short.", 6).default_value("10"))
        .define(pa("partitioner.class", Class, "The partitioner to use when writing data to the store.", 1).default_value("io.confluent.connect.storage.partitioner.DefaultPartitioner"))
        .define(pa("partition.field.name", List, "The name of the partitioning field when FieldPartitioner is used.", 2).default_value(""))
        .define(pa("partition.duration.ms", Long, "The duration of a partition milliseconds used by TimeBasedPartitioner.", 3).default_value("-1"))
        .define(pa("path.format", String, "This configuration is used to set the format of the data directories when partitioning with TimeBasedPartitioner.", 4).default_value(""))
        .define(pa("locale", String, "The locale to use when partitioning with TimeBasedPartitioner.", 5).default_value(""))
        .define(pa("timezone", String, "The timezone to use when partitioning with TimeBasedPartitioner.", 6).default_value(""))
        .define(pa("timestamp.extractor", String, "The extractor that gets the timestamp for records when partitioning with TimeBasedPartitioner.", 7).default_value("Wallclock"))
        .define(pa("timestamp.field", String, "The record field to be used as timestamp by the timestamp extractor.", 8).default_value("timestamp"))
}
