//! Connect's `TimestampConverter$Key`/`$Value`: a timestamp field (or the whole key or value)
//! between Connect's Date, Time and Timestamp, Unix time (`unix.precision`) and text
//! (`format`, a `SimpleDateFormat` pattern), in UTC.

use std::sync::Arc;

use cdc_core::{ConfigErrors, ConfigMap, Field, Schema, SchemaAndValue, SchemaType, Value};

use crate::chain::Props;
use crate::date_format::DateFormat;
use crate::structs::{field_value, map_get, map_put, require_map, struct_basics, SchemaMemo, Side};
use crate::{ConnectRecord, Transform};

pub const CLASSES: &[&str] = &[
    "org.apache.kafka.connect.transforms.TimestampConverter$Key",
    "org.apache.kafka.connect.transforms.TimestampConverter$Value",
];

const DATE: &str = "org.apache.kafka.connect.data.Date";
const TIME: &str = "org.apache.kafka.connect.data.Time";
const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Unix,
    Date,
    Time,
    Timestamp,
}

struct TimestampConverter {
    side: Side,
    field: String,
    target: Kind,
    format: Option<DateFormat>,
    pattern: String,
    /// Milliseconds per unit of Unix time, or units per millisecond (negative).
    precision: &'static str,
    replace: bool,
    schemas: SchemaMemo,
}

/// The transform `class` configured from `prefix`'s properties; `None` for a class not here.
pub fn build(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Option<Result<Box<dyn Transform>, ConfigErrors>> {
    let side = match Side::split(class)? {
        ("org.apache.kafka.connect.transforms.TimestampConverter", side) => side,
        _ => return None,
    };
    let mut p = Props::new(config, prefix);
    let field = p.raw(config, "field").unwrap_or_default();
    let target = match p.raw(config, "target.type").as_deref() {
        Some("string") => Kind::Text,
        Some("unix") => Kind::Unix,
        Some("Date") => Kind::Date,
        Some("Time") => Kind::Time,
        Some("Timestamp") => Kind::Timestamp,
        Some(_) => {
            p.problem(
                "target.type",
                "Invalid value, must be one of [string, unix, Date, Time, Timestamp]",
            );
            Kind::Timestamp
        }
        None => {
            p.problem(
                "target.type",
                "Missing required configuration \"target.type\" which has no default value.",
            );
            Kind::Timestamp
        }
    };
    let pattern = p.raw(config, "format").unwrap_or_default();
    if target == Kind::Text && pattern.trim().is_empty() {
        p.problem("format", "TimestampConverter requires format option to be specified when using string timestamps");
    }
    let format = (!pattern.trim().is_empty()).then(|| DateFormat::new(&pattern));
    let precision = match p
        .one_of(
            "unix.precision",
            "milliseconds",
            &["seconds", "milliseconds", "microseconds", "nanoseconds"],
        )
        .as_str()
    {
        "seconds" => "seconds",
        "microseconds" => "microseconds",
        "nanoseconds" => "nanoseconds",
        _ => "milliseconds",
    };
    let replace = p.bool("replace.null.with.default", true);
    Some(p.finish().map(|()| {
        Box::new(TimestampConverter {
            side,
            field,
            target,
            format,
            pattern,
            precision,
            replace,
            schemas: SchemaMemo::default(),
        }) as Box<dyn Transform>
    }))
}

impl TimestampConverter {
    fn kind_of(schema: &Schema) -> Result<Kind, String> {
        Ok(match (schema.name.as_deref(), schema.kind) {
            (Some(TIMESTAMP), _) => Kind::Timestamp,
            (Some(DATE), _) => Kind::Date,
            (Some(TIME), _) => Kind::Time,
            (_, SchemaType::String) => Kind::Text,
            (_, SchemaType::Int64) => Kind::Unix,
            _ => return Err("Schema does not correspond to a known timestamp type format".into()),
        })
    }

    fn infer(v: &Value) -> Result<Kind, String> {
        match v {
            Value::Int64(_) | Value::Int32(_) => Ok(Kind::Unix),
            Value::String(_) => Ok(Kind::Text),
            other => Err(format!(
                "TimestampConverter does not support class {} objects as timestamps",
                crate::structs::java_class(other, None)
            )),
        }
    }

    /// The value as milliseconds since the epoch, read as `kind`.
    fn to_raw(&self, v: &Value, kind: Kind) -> Result<i64, String> {
        Ok(match (kind, v) {
            (Kind::Text, Value::String(s)) => {
                let f = self.format.as_ref().ok_or("TimestampConverter requires format option to be specified when using string timestamps")?;
                f.parse_text(s).map_err(|_| {
                    format!(
                        "Could not parse timestamp: value ({s}) does not match pattern ({})",
                        self.pattern
                    )
                })?
            }
            (Kind::Unix, Value::Int64(n)) => match self.precision {
                "seconds" => n * 1000,
                "microseconds" => n / 1000,
                "nanoseconds" => n / 1_000_000,
                _ => *n,
            },
            (Kind::Unix, Value::Int32(n)) if self.precision == "milliseconds" => i64::from(*n),
            (Kind::Date, Value::Int32(days)) => i64::from(*days) * 86_400_000,
            (Kind::Time, Value::Int32(ms)) => i64::from(*ms),
            (Kind::Timestamp, Value::Int64(ms)) => *ms,
            (_, other) => {
                return Err(format!(
                    "Expected a timestamp, but found class {}",
                    crate::structs::java_class(other, None)
                ))
            }
        })
    }

    fn to_target(&self, ms: i64) -> Result<Value, String> {
        Ok(match self.target {
            Kind::Text => {
                let f = self.format.as_ref().ok_or("no format")?;
                Value::String(f.format(ms)?.into())
            }
            Kind::Unix => Value::Int64(match self.precision {
                "seconds" => ms.div_euclid(1000),
                "microseconds" => ms * 1000,
                "nanoseconds" => ms * 1_000_000,
                _ => ms,
            }),
            Kind::Date => Value::Int32(ms.div_euclid(86_400_000) as i32),
            Kind::Time => Value::Int32(ms.rem_euclid(86_400_000) as i32),
            Kind::Timestamp => Value::Int64(ms),
        })
    }

    fn target_schema(&self, optional: bool) -> Schema {
        let (kind, name) = match self.target {
            Kind::Text => (SchemaType::String, None),
            Kind::Unix => (SchemaType::Int64, None),
            Kind::Date => (SchemaType::Int32, Some(DATE)),
            Kind::Time => (SchemaType::Int32, Some(TIME)),
            Kind::Timestamp => (SchemaType::Int64, Some(TIMESTAMP)),
        };
        let mut s = Schema::new(kind);
        s.optional = optional;
        if let Some(n) = name {
            s.name = Some(n.into());
            s.version = Some(1);
        }
        s
    }

    fn convert(&self, v: &Value, kind: Option<Kind>) -> Result<Value, String> {
        if v.is_null() {
            return Ok(Value::Null);
        }
        let kind = match kind {
            Some(k) => k,
            None => Self::infer(v)?,
        };
        self.to_target(self.to_raw(v, kind)?)
    }
}

impl Transform for TimestampConverter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        const PURPOSE: &str = "converting timestamp formats";
        let null = SchemaAndValue {
            schema: None,
            value: Value::Null,
        };
        let current = self.side.get(&record).unwrap_or(&null);
        let updated = match &current.schema {
            None if self.field.is_empty() || current.value.is_null() => SchemaAndValue {
                schema: None,
                value: self.convert(&current.value, None)?,
            },
            None => {
                let entries = require_map(&current.value, PURPOSE)?;
                let mut out = entries.to_vec();
                let v = map_get(entries, &self.field)
                    .cloned()
                    .unwrap_or(Value::Null);
                map_put(&mut out, &self.field, self.convert(&v, None)?);
                SchemaAndValue {
                    schema: None,
                    value: Value::Map(out),
                }
            }
            Some(schema) if self.field.is_empty() => SchemaAndValue {
                schema: Some(Arc::new(self.target_schema(schema.optional))),
                value: self.convert(&current.value, Some(Self::kind_of(schema)?))?,
            },
            Some(schema) => {
                let updated = self.schemas.get_or(schema, || {
                    let mut out = struct_basics(schema);
                    out.optional = schema.optional;
                    out.fields = schema
                        .fields
                        .iter()
                        .map(|f| Field {
                            name: f.name.clone(),
                            schema: if f.name == self.field {
                                Arc::new(self.target_schema(f.schema.optional))
                            } else {
                                f.schema.clone()
                            },
                        })
                        .collect();
                    out
                });
                let value = match &current.value {
                    Value::Null => Value::Null,
                    Value::Struct(values) => {
                        let mut out = Vec::with_capacity(values.len());
                        for (f, v) in schema.fields.iter().zip(values) {
                            let v = field_value(f, v, self.replace);
                            out.push(if f.name == self.field {
                                self.convert(&v, Some(Self::kind_of(&f.schema)?))?
                            } else {
                                v
                            });
                        }
                        Value::Struct(out)
                    }
                    other => {
                        return Err(format!(
                            "Only Struct objects supported for [{PURPOSE}], found: {}",
                            crate::structs::java_class(other, Some(schema))
                        ))
                    }
                };
                SchemaAndValue {
                    schema: Some(updated),
                    value,
                }
            }
        };
        self.side.set(&mut record, Some(updated));
        Ok(Some(record))
    }
}
