//! Connect schemas for each mapping, as Debezium's builders make them (type, name, version,
//! doc, parameters, field order).

use cdc_core::schema::logical;
use cdc_core::Schema;

use super::mapping::Mapping;
use super::modes::{
    BinaryHandling, DecimalHandling, HstoreHandling, IntervalHandling, TimePrecision, TypeModes,
};

/// Debezium logical names cdc-core does not list.
pub(crate) mod names {
    pub const ISO_DATE: &str = "io.debezium.time.IsoDate";
    pub const ISO_TIME: &str = "io.debezium.time.IsoTime";
    pub const ISO_TIMESTAMP: &str = "io.debezium.time.IsoTimestamp";
    pub const TSVECTOR: &str = "io.debezium.data.Tsvector";
    pub const CIRCLE: &str = "io.debezium.data.geometry.Circle";
    pub const LINE: &str = "io.debezium.data.geometry.Line";
}

fn doc(mut schema: Schema, text: &str) -> Schema {
    schema.doc = Some(text.to_owned());
    schema
}

/// `io.debezium.data.geometry.Point`: required unless the column is nullable.
pub(crate) fn point() -> Schema {
    doc(
        Schema::structure(logical::POINT).version(1),
        "Geometry (POINT)",
    )
    .field("x", Schema::float64())
    .field("y", Schema::float64())
    .field("wkb", Schema::bytes().optional())
    .field("srid", Schema::int32().optional())
}

/// `io.debezium.data.geometry.Geometry` (version 2): its builder is always optional.
fn geometry() -> Schema {
    doc(Schema::structure(logical::GEOMETRY).version(2), "Geometry")
        .optional()
        .field("wkb", Schema::bytes())
        .field("srid", Schema::int32().optional())
        .field(
            "extensions",
            Schema::map(Schema::string(), Schema::string()).optional(),
        )
}

fn circle() -> Schema {
    doc(
        Schema::structure(names::CIRCLE).version(1),
        "Geometry (CIRCLE)",
    )
    .optional()
    .field("center", point())
    .field("radius", Schema::float64())
}

fn line() -> Schema {
    doc(Schema::structure(names::LINE).version(1), "Geometry (LINE)")
        .optional()
        .field("a", Schema::float64())
        .field("b", Schema::float64())
        .field("c", Schema::float64())
}

fn variable_scale_decimal() -> Schema {
    doc(
        Schema::structure(logical::VARIABLE_SCALE_DECIMAL).version(1),
        "Variable scaled decimal",
    )
    .field("scale", Schema::int32())
    .field("value", Schema::bytes())
}

/// Connect's `Decimal.builder(scale)`.
fn decimal(scale: i32) -> Schema {
    Schema::bytes()
        .named(logical::DECIMAL)
        .param("scale", scale.to_string())
        .version(1)
}

fn named(schema: Schema, name: &str) -> Schema {
    schema.named(name).version(1)
}

pub(crate) fn binary(mode: BinaryHandling) -> Schema {
    match mode {
        BinaryHandling::Bytes => Schema::bytes(),
        BinaryHandling::Base64 | BinaryHandling::Base64UrlSafe | BinaryHandling::Hex => {
            Schema::string()
        }
    }
}

fn date(modes: &TypeModes) -> Schema {
    match modes.time_precision {
        TimePrecision::Connect => named(Schema::int32(), logical::CONNECT_DATE),
        TimePrecision::IsoString => named(Schema::string(), names::ISO_DATE),
        _ => named(Schema::int32(), logical::DATE),
    }
}

fn time(precision: i32, modes: &TypeModes) -> Schema {
    let millis = || named(Schema::int32(), logical::TIME);
    let micros = || named(Schema::int64(), logical::MICRO_TIME);
    let nanos = || named(Schema::int64(), logical::NANO_TIME);
    match modes.time_precision {
        TimePrecision::Adaptive if precision <= 3 => millis(),
        TimePrecision::Adaptive if precision <= 6 => micros(),
        TimePrecision::Adaptive => nanos(),
        TimePrecision::AdaptiveTimeMicroseconds | TimePrecision::Microseconds => micros(),
        TimePrecision::Nanoseconds => nanos(),
        TimePrecision::IsoString => named(Schema::string(), names::ISO_TIME),
        TimePrecision::Connect => named(Schema::int32(), logical::CONNECT_TIME),
    }
}

fn timestamp(precision: i32, modes: &TypeModes) -> Schema {
    let millis = || named(Schema::int64(), logical::TIMESTAMP);
    let micros = || named(Schema::int64(), logical::MICRO_TIMESTAMP);
    let nanos = || named(Schema::int64(), logical::NANO_TIMESTAMP);
    match modes.time_precision {
        TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds if precision <= 3 => {
            millis()
        }
        TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds if precision <= 6 => {
            micros()
        }
        TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds => nanos(),
        TimePrecision::Microseconds => micros(),
        TimePrecision::Nanoseconds => nanos(),
        TimePrecision::IsoString => named(Schema::string(), names::ISO_TIMESTAMP),
        TimePrecision::Connect => named(Schema::int64(), logical::CONNECT_TIMESTAMP),
    }
}

/// The schema of a mapping, required (except the geometry structs, which Debezium always makes
/// optional); the caller makes it optional for a nullable column.
pub(crate) fn schema(mapping: &Mapping, modes: &TypeModes) -> Schema {
    match mapping {
        Mapping::Bool => Schema::boolean(),
        Mapping::Int16 => Schema::int16(),
        Mapping::Int32 => Schema::int32(),
        Mapping::Int64 | Mapping::Oid => Schema::int64(),
        Mapping::Float32 => Schema::float32(),
        Mapping::Float64 => Schema::float64(),
        Mapping::Numeric {
            precision,
            scale,
            variable,
        } => match modes.decimal {
            DecimalHandling::Precise if *variable => variable_scale_decimal(),
            DecimalHandling::Precise => {
                decimal(*scale).param("connect.decimal.precision", precision.to_string())
            }
            DecimalHandling::Double => Schema::float64(),
            DecimalHandling::String => Schema::string(),
        },
        Mapping::Money => match modes.decimal {
            DecimalHandling::Precise => decimal(i32::from(modes.money_fraction_digits)),
            DecimalHandling::Double => Schema::float64(),
            DecimalHandling::String => Schema::string(),
        },
        Mapping::Text
        | Mapping::Isbn
        | Mapping::Char
        | Mapping::Inet
        | Mapping::Cidr
        | Mapping::MacAddr
        | Mapping::MacAddr8
        | Mapping::Range(_) => Schema::string(),
        Mapping::Bytea | Mapping::Unknown => binary(modes.binary),
        Mapping::Date => date(modes),
        Mapping::Time { precision } => time(*precision, modes),
        Mapping::Timestamp { precision } => timestamp(*precision, modes),
        Mapping::TimeTz => named(Schema::string(), logical::ZONED_TIME),
        Mapping::TimestampTz { .. } => named(Schema::string(), logical::ZONED_TIMESTAMP),
        Mapping::Interval => match modes.interval {
            IntervalHandling::Numeric => named(Schema::int64(), logical::MICRO_DURATION),
            IntervalHandling::String => named(Schema::string(), logical::INTERVAL),
        },
        Mapping::Json | Mapping::Jsonb => named(Schema::string(), logical::JSON),
        Mapping::Xml => named(Schema::string(), logical::XML),
        Mapping::Uuid => named(Schema::string(), logical::UUID),
        Mapping::Tsvector => named(Schema::string(), names::TSVECTOR),
        Mapping::Ltree => named(Schema::string(), logical::LTREE),
        Mapping::Bits { length } if *length > 1 => Schema::bytes()
            .named(logical::BITS)
            .version(1)
            .param("length", length.to_string()),
        Mapping::Bits { .. } => Schema::boolean(),
        Mapping::Point => point(),
        Mapping::Box | Mapping::Lseg | Mapping::Path | Mapping::Polygon => geometry(),
        Mapping::Circle => circle(),
        Mapping::Line => line(),
        Mapping::Hstore => match modes.hstore {
            HstoreHandling::Json => named(Schema::string(), logical::JSON),
            // "keys are not nullable, but values are"
            HstoreHandling::Map => Schema::map(Schema::string(), Schema::string().optional()),
        },
        Mapping::Enum { allowed } => Schema::string()
            .named(logical::ENUM)
            .version(1)
            .param("allowed", allowed.clone()),
        Mapping::Array {
            element,
            element_optional,
        } => {
            let items = schema(element, modes);
            Schema::array(if *element_optional {
                items.optional()
            } else {
                items
            })
        }
    }
}
