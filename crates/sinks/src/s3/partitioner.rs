//! Partitioners: a record's encoded partition (the directories between `<topics.dir>/<topic>/`
//! and the file name), as storage-common's `DefaultPartitioner`, `FieldPartitioner`,
//! `TimeBasedPartitioner`, `DailyPartitioner` and `HourlyPartitioner` encode it, and the
//! timestamp extractors `Record`, `RecordField` and `Wallclock`.

use cdc_core::{ConfigProblem, ConfigReader, SinkRecord, Value};
use jiff::tz::TimeZone;

use super::path_format::PathFormat;

const PACKAGE: &str = "io.confluent.connect.storage.partitioner.";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const HOUR_MS: i64 = 60 * 60 * 1000;
const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

/// Where a time-based partitioner takes a record's time from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extractor {
    /// The record's timestamp (the topic's).
    Record,
    /// A field of the value (dotted for nested structs): `Timestamp`, int64 milliseconds, or
    /// ISO-8601 text.
    RecordField(String),
    /// The worker's clock when the record is written: not repeatable, so not exactly once.
    Wallclock,
}

/// A time-based partitioner's settings.
#[derive(Debug, Clone)]
pub struct TimeBased {
    pub duration_ms: i64,
    pub format: PathFormat,
    pub zone: TimeZone,
    pub extractor: Extractor,
}

/// A configured partitioner.
#[derive(Debug, Clone)]
pub enum Partitioner {
    /// `partition=<kafka partition>`.
    Default,
    /// `<field>=<value>` per field of `partition.field.name`, joined by `directory.delim`.
    Field {
        fields: Vec<String>,
        delim: String,
    },
    TimeBased(TimeBased),
}

/// Why a record has no partition (the task fails naming the record, as Confluent's does).
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    #[error("the record has no timestamp for timestamp.extractor=Record")]
    NoRecordTimestamp,
    #[error("timestamp.field {field:?}: {why}")]
    TimestampField { field: String, why: String },
    #[error("partition.field.name {field:?}: {why}")]
    Field { field: String, why: String },
}

impl Partitioner {
    /// Whether the partitioner reads a record's time (rotate.interval.ms applies only then).
    pub fn is_time_based(&self) -> bool {
        matches!(self, Partitioner::TimeBased(_))
    }

    /// The record's time in milliseconds, for time-based partitioners.
    pub fn timestamp(
        &self,
        record: &SinkRecord,
        now_ms: i64,
    ) -> Result<Option<i64>, PartitionError> {
        let Partitioner::TimeBased(t) = self else {
            return Ok(None);
        };
        Ok(Some(match &t.extractor {
            Extractor::Wallclock => now_ms,
            Extractor::Record => record
                .timestamp_ms
                .ok_or(PartitionError::NoRecordTimestamp)?,
            // A tombstone (behavior.on.null.values=write) has no field to read: Confluent's
            // TombstoneTimestampExtractor takes the record's timestamp.
            Extractor::RecordField(_) if record.value.is_none() => record
                .timestamp_ms
                .ok_or(PartitionError::NoRecordTimestamp)?,
            Extractor::RecordField(field) => field_timestamp(record, field)?,
        }))
    }

    /// The encoded partition of `record`, whose time (for time-based ones) is `timestamp`.
    pub fn encode(
        &self,
        record: &SinkRecord,
        timestamp: Option<i64>,
    ) -> Result<String, PartitionError> {
        match self {
            Partitioner::Default => Ok(format!("partition={}", record.partition)),
            Partitioner::Field { fields, delim } => {
                let mut parts = Vec::with_capacity(fields.len());
                for f in fields {
                    let v = field_value(record, f).map_err(|why| PartitionError::Field {
                        field: f.clone(),
                        why,
                    })?;
                    let text = match v {
                        Value::Int8(i) => i.to_string(),
                        Value::Int16(i) => i.to_string(),
                        Value::Int32(i) => i.to_string(),
                        Value::Int64(i) => i.to_string(),
                        Value::Boolean(b) => b.to_string(),
                        Value::String(s) => s.to_string(),
                        other => {
                            return Err(PartitionError::Field {
                                field: f.clone(),
                                why: format!(
                                    "type {} is not supported as a partition key",
                                    other.kind()
                                ),
                            })
                        }
                    };
                    parts.push(format!("{f}={text}"));
                }
                Ok(parts.join(delim))
            }
            Partitioner::TimeBased(t) => {
                let ts = timestamp.unwrap_or_default();
                Ok(t.format.print(&partition_start(ts, t.duration_ms, &t.zone)))
            }
        }
    }
}

/// storage-common's `TimeBasedPartitioner.getPartition`: the time, in the zone's local time,
/// truncated to a multiple of the duration, back in that zone.
fn partition_start(ts: i64, duration_ms: i64, zone: &TimeZone) -> jiff::ZonedDateTime {
    let at = jiff::Timestamp::from_millisecond(ts).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let offset_ms = i64::from(zone.to_offset(at).seconds()) * 1000;
    let local = ts + offset_ms;
    // Java's long division truncates toward zero, as Rust's does.
    let start_local = (local / duration_ms) * duration_ms;
    let civil = jiff::Timestamp::from_millisecond(start_local)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(TimeZone::UTC)
        .datetime();
    let start = zone
        .to_ambiguous_zoned_datetime(civil)
        .compatible()
        .map(|z| z.timestamp())
        .unwrap_or(at);
    start.to_zoned_datetime(zone.clone())
}

/// The value at a dotted field path of the record's value (a struct, or a map with text keys).
fn field_value<'a>(record: &'a SinkRecord, path: &str) -> Result<&'a Value, String> {
    let Some(data) = &record.value else {
        return Err("the record's value is null".to_owned());
    };
    let mut schema = data.schema.as_deref();
    let mut value = &data.value;
    for name in path.split('.') {
        match value {
            Value::Struct(values) => {
                let Some(s) = schema else {
                    return Err("the value has no schema".to_owned());
                };
                let Some(i) = s.fields.iter().position(|f| f.name == name) else {
                    return Err(format!("no field {name:?} in the value"));
                };
                schema = Some(&s.fields[i].schema);
                value = values
                    .get(i)
                    .ok_or_else(|| format!("no value for field {name:?}"))?;
            }
            Value::Map(entries) => {
                let found = entries
                    .iter()
                    .find(|(k, _)| matches!(k, Value::String(s) if &**s == name));
                let Some((_, v)) = found else {
                    return Err(format!("no key {name:?} in the value"));
                };
                schema = None;
                value = v;
            }
            _ => return Err(format!("{name:?} is not in a struct or a map")),
        }
    }
    Ok(value)
}

fn field_timestamp(record: &SinkRecord, field: &str) -> Result<i64, PartitionError> {
    let err = |why: String| PartitionError::TimestampField {
        field: field.to_owned(),
        why,
    };
    match field_value(record, field).map_err(err)? {
        Value::Int64(ms) => Ok(*ms),
        Value::String(s) => s
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .map_err(|e| err(format!("not an ISO-8601 timestamp: {e}"))),
        other => Err(err(format!(
            "a {} is not a timestamp (int64 milliseconds, {TIMESTAMP} or ISO-8601 text)",
            other.kind()
        ))),
    }
}

/// The partitioner properties as read, checked against each other by [`PartitionerConfig::build`].
#[derive(Debug)]
pub struct PartitionerConfig {
    class: String,
    fields: Vec<String>,
    delim: String,
    duration_ms: i64,
    path_format: String,
    locale: String,
    timezone: String,
    extractor: String,
    timestamp_field: String,
}

impl PartitionerConfig {
    pub fn read(r: &mut ConfigReader<'_>, delim: &str) -> Self {
        PartitionerConfig {
            class: r.string("partitioner.class", &format!("{PACKAGE}DefaultPartitioner")),
            fields: r.list("partition.field.name"),
            delim: delim.to_owned(),
            duration_ms: r.int("partition.duration.ms", -1, -1, i64::MAX),
            path_format: r.string("path.format", ""),
            locale: r.string("locale", ""),
            timezone: r.string("timezone", ""),
            extractor: r.string("timestamp.extractor", "Wallclock"),
            timestamp_field: r.string("timestamp.field", "timestamp"),
        }
    }

    /// The partitioner, or the first property that does not fit.
    pub fn build(self) -> Result<Partitioner, ConfigProblem> {
        let problem = |property: &str, value: &str, message: String| ConfigProblem {
            property: property.to_owned(),
            value: Some(value.to_owned()),
            message,
        };
        let simple = self.class.strip_prefix(PACKAGE).unwrap_or(&self.class);
        let (duration_ms, path_format) = match simple {
            "DefaultPartitioner" => return Ok(Partitioner::Default),
            "FieldPartitioner" => {
                if self.fields.is_empty() {
                    return Err(ConfigProblem {
                        property: "partition.field.name".into(),
                        value: None,
                        message: "FieldPartitioner needs at least one field name".into(),
                    });
                }
                return Ok(Partitioner::Field {
                    fields: self.fields,
                    delim: self.delim,
                });
            }
            "DailyPartitioner" => (
                DAY_MS,
                format!("'year'=YYYY{d}'month'=MM{d}'day'=dd", d = self.delim),
            ),
            "HourlyPartitioner" => (
                HOUR_MS,
                format!(
                    "'year'=YYYY{d}'month'=MM{d}'day'=dd{d}'hour'=HH",
                    d = self.delim
                ),
            ),
            "TimeBasedPartitioner" => {
                if self.duration_ms <= 0 {
                    return Err(problem(
                        "partition.duration.ms",
                        &self.duration_ms.to_string(),
                        "TimeBasedPartitioner needs a positive partition duration".into(),
                    ));
                }
                let mut format = self.path_format.clone();
                if format.is_empty() || format == self.delim {
                    return Err(problem(
                        "path.format",
                        &format,
                        "TimeBasedPartitioner needs a path format".into(),
                    ));
                }
                // storage-common drops one trailing delimiter.
                if format.ends_with(&self.delim) {
                    format.truncate(format.len() - self.delim.len());
                }
                (self.duration_ms, format)
            }
            _ => {
                return Err(problem(
                    "partitioner.class",
                    &self.class,
                    format!(
                    "is not implemented by Tributary; valid values: {PACKAGE}DefaultPartitioner, \
                         {PACKAGE}FieldPartitioner, {PACKAGE}TimeBasedPartitioner, \
                         {PACKAGE}DailyPartitioner, {PACKAGE}HourlyPartitioner"
                ),
                ))
            }
        };
        if self.locale.is_empty() {
            return Err(ConfigProblem {
                property: "locale".into(),
                value: None,
                message: format!("{simple} needs a locale (for example en-US)"),
            });
        }
        if self.timezone.is_empty() {
            return Err(ConfigProblem {
                property: "timezone".into(),
                value: None,
                message: format!("{simple} needs a time zone (for example UTC)"),
            });
        }
        let zone = zone(&self.timezone)?;
        let format = PathFormat::parse(&path_format)
            .map_err(|why| problem("path.format", &path_format, why))?;
        let extractor = match self.extractor.rsplit(['.', '$']).next().unwrap_or_default() {
            "Record" | "RecordTimestampExtractor" => Extractor::Record,
            "RecordField" | "RecordFieldTimestampExtractor" => {
                Extractor::RecordField(self.timestamp_field)
            }
            "Wallclock" | "WallclockTimestampExtractor" => Extractor::Wallclock,
            _ => {
                return Err(problem(
                    "timestamp.extractor",
                    &self.extractor,
                    "valid values: Record, RecordField, Wallclock".into(),
                ))
            }
        };
        Ok(Partitioner::TimeBased(TimeBased {
            duration_ms,
            format,
            zone,
            extractor,
        }))
    }
}

/// A Joda/Java zone id from the bundled IANA database (names are case-sensitive in Java).
pub fn zone(id: &str) -> Result<TimeZone, ConfigProblem> {
    let found = TimeZone::get(id).ok().filter(|z| {
        z.iana_name()
            .is_none_or(|n| n == id || id == "UTC" || id.eq_ignore_ascii_case("utc"))
    });
    found.ok_or_else(|| ConfigProblem {
        property: "timezone".into(),
        value: Some(id.to_owned()),
        message: "is not a time zone id (for example UTC or Europe/Paris)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zoned(ts: i64, tz: &str) -> String {
        partition_start(ts, HOUR_MS, &TimeZone::get(tz).unwrap()).to_string()
    }

    #[test]
    fn hour_partitions_start_on_the_local_hour() {
        // 2024-03-05T07:42:00Z
        assert_eq!(
            zoned(1_709_624_520_000, "UTC"),
            "2024-03-05T07:00:00+00:00[UTC]"
        );
        // India is +05:30: its hours start at :30 UTC.
        assert_eq!(
            zoned(1_709_624_520_000, "Asia/Kolkata"),
            "2024-03-05T13:00:00+05:30[Asia/Kolkata]"
        );
    }
}
