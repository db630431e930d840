//! Mapping PostgreSQL column types and values to Connect schemas and values, as Debezium's
//! PostgreSQL connector does (`PostgresValueConverter` over `JdbcValueConverters`).
//!
//! A column type is resolved against the [`TypeRegistry`] into a [`PgType`]; with its typmod and
//! the [`TypeModes`] it gets a Connect schema ([`column_schema`]) and its values are decoded from
//! either wire format ([`decode_binary`], [`decode_text`]) into the same Connect value. Decoders
//! are pure and never panic; errors name the type and the problem, never the value.
//!
//! Files: `modes` (the properties), `catalog` + `builtin` (types), `mapping` (Debezium's choice
//! per type), `schema` (Connect schemas), `binary` / `text` (dispatch per wire format), one file
//! per type family (`numeric`, `temporal` + `calendar` + `interval`, `network`, `bits`,
//! `bytea`, `geometric`, `range`, `array`, `hstore`, `tsvector`), `toast` (unchanged TOAST
//! placeholders), `raw` (tokio-postgres adapter), `wire` (bounds-checked reading).

mod array;
mod binary;
mod bits;
mod builtin;
mod bytea;
mod calendar;
mod catalog;
mod geometric;
mod hstore;
mod interval;
mod mapping;
mod modes;
mod network;
mod numeric;
mod range;
mod raw;
mod schema;
mod temporal;
mod text;
mod toast;
mod tsvector;
mod wire;

use std::fmt;

use cdc_core::{Schema, Value};

pub use catalog::{PgType, PgTypeKind, TypeRegistry};
pub use modes::{
    BinaryHandling, DecimalHandling, HstoreHandling, IntervalHandling, TimePrecision, TypeModes,
};
pub use raw::RawValue;
pub use toast::unavailable_value;

use wire::Fault;

/// Which wire format a value came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    Binary,
    Text,
}

impl fmt::Display for WireFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireFormat::Binary => "binary",
            WireFormat::Text => "text",
        })
    }
}

/// A value that could not be converted. Messages name the type and the problem, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("column type {type_name} is not supported (set include.unknown.datatypes to keep such columns)")]
    Unsupported { type_name: String },
    #[error("malformed {type_name} value in {format} format: {reason}")]
    Malformed {
        type_name: String,
        format: WireFormat,
        reason: &'static str,
    },
    #[error("{type_name} value is out of range: {reason}")]
    OutOfRange {
        type_name: String,
        reason: &'static str,
    },
    #[error(
        "{type_name} value is NaN or infinite, which decimal.handling.mode=precise cannot represent; \
         set decimal.handling.mode to 'string' or 'double'"
    )]
    SpecialNumeric { type_name: String },
    #[error("{type_name} values cannot be decoded from the binary format; read them as text")]
    TextOnly { type_name: String },
}

fn convert_error(ty: &PgType, format: WireFormat, fault: Fault) -> ConvertError {
    let type_name = ty.name.clone();
    match fault {
        Fault::Malformed(reason) => ConvertError::Malformed {
            type_name,
            format,
            reason,
        },
        Fault::SpecialNumeric => ConvertError::SpecialNumeric { type_name },
        Fault::OutOfRange(reason) => ConvertError::OutOfRange { type_name, reason },
        Fault::TextOnly => ConvertError::TextOnly { type_name },
    }
}

fn resolve(ty: &PgType, typmod: i32, modes: &TypeModes) -> Result<mapping::Mapping, ConvertError> {
    mapping::resolve(ty, typmod, modes).ok_or_else(|| ConvertError::Unsupported {
        type_name: ty.name.clone(),
    })
}

/// The Connect schema Debezium gives a column of this type (`typmod` carries precision, scale
/// or length), optional when the column is nullable. `None` when Debezium skips the column: an
/// unknown type without `include.unknown.datatypes`, and the arrays Debezium has no mapping for
/// (money[], name[], interval[], varbit[], xml[], point[], refcursor[]).
pub fn column_schema(
    ty: &PgType,
    typmod: i32,
    optional: bool,
    modes: &TypeModes,
) -> Option<Schema> {
    let schema = schema::schema(&mapping::resolve(ty, typmod, modes)?, modes);
    Some(if optional { schema.optional() } else { schema })
}

/// Decodes a non-NULL value in the binary wire format (tokio-postgres query rows, COPY BINARY,
/// pgoutput with `binary = true`) into the value matching [`column_schema`].
pub fn decode_binary(
    ty: &PgType,
    typmod: i32,
    raw: &[u8],
    modes: &TypeModes,
) -> Result<Value, ConvertError> {
    let mapping = resolve(ty, typmod, modes)?;
    binary::decode(&mapping, raw, modes).map_err(|f| convert_error(ty, WireFormat::Binary, f))
}

/// Decodes a non-NULL value in the text format (pgoutput without `binary`, `SELECT col::text`)
/// into the value matching [`column_schema`].
pub fn decode_text(
    ty: &PgType,
    typmod: i32,
    raw: &str,
    modes: &TypeModes,
) -> Result<Value, ConvertError> {
    let mapping = resolve(ty, typmod, modes)?;
    text::decode(&mapping, raw, modes).map_err(|f| convert_error(ty, WireFormat::Text, f))
}

/// Whether [`decode_binary`] can decode this type's values. It cannot for unknown types kept by
/// `include.unknown.datatypes` (Debezium sends their text): read those with `col::text` and
/// [`decode_text`].
pub fn binary_supported(ty: &PgType, typmod: i32, modes: &TypeModes) -> bool {
    mapping::resolve(ty, typmod, modes).is_some_and(|m| binary::supported(&m))
}
