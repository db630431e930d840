//! Which Debezium mapping a column type gets: the decision `PostgresValueConverter.schemaBuilder`
//! makes, kept as data so the schema builder and both decoders agree.

use super::builtin::oid;
use super::catalog::{PgType, PgTypeKind};
use super::modes::TypeModes;

/// The Debezium mapping of one column (or array element) type, with what its typmod implies.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mapping {
    Bool,
    Int16,
    Int32,
    Int64,
    /// `oid`: an unsigned 32-bit value carried as int64.
    Oid,
    Float32,
    Float64,
    /// `variable` is an unconstrained NUMERIC (VariableScaleDecimal in precise mode).
    Numeric {
        precision: i32,
        scale: i32,
        variable: bool,
    },
    Money,
    /// text, varchar, bpchar, name, citext.
    Text,
    /// The isn extension's isbn, which Debezium sends as text; it has no binary form.
    Isbn,
    /// The single-byte `"char"` type.
    Char,
    Bytea,
    Date,
    /// `precision` is the fractional-second digits (6 when unconstrained).
    Time {
        precision: i32,
    },
    TimeTz,
    Timestamp {
        precision: i32,
    },
    /// `fraction` is the fractional-second digits ZonedTimestamp always prints (6 when unconstrained).
    TimestampTz {
        fraction: i32,
    },
    Interval,
    Json,
    Jsonb,
    Xml,
    Uuid,
    Tsvector,
    Ltree,
    Inet,
    Cidr,
    MacAddr,
    MacAddr8,
    /// bit and varbit: `io.debezium.data.Bits` when `length > 1`, else boolean.
    Bits {
        length: i32,
    },
    Range(RangeKind),
    Point,
    Box,
    Lseg,
    Path,
    Polygon,
    Circle,
    Line,
    Hstore,
    Enum {
        allowed: String,
    },
    Array {
        element: Box<Mapping>,
        element_optional: bool,
    },
    /// A type Debezium does not know, kept because `include.unknown.datatypes` is on: the
    /// binary-mode form of its text representation.
    Unknown,
}

/// The built-in range types Debezium maps (to their text form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeKind {
    Int4,
    Int8,
    Num,
    Ts,
    TsTz,
    Date,
}

/// Fractional digits of a time/timestamp typmod (pgjdbc's `getScale`: 6 when unconstrained).
fn time_precision(typmod: i32) -> i32 {
    if typmod < 0 {
        6
    } else {
        typmod
    }
}

/// Precision and scale of a NUMERIC typmod.
///
/// pgjdbc reads the scale as 16 bits, so PostgreSQL 15's negative scales (`numeric(5,-2)`) come out
/// as 2046 and more in Debezium; we decode the 11-bit signed scale and use scale 0 for them (their
/// values are integers), which keeps the value exact.
fn numeric_typmod(typmod: i32) -> Option<(i32, i32)> {
    if typmod < 4 {
        return None;
    }
    let t = typmod - 4;
    let precision = (t >> 16) & 0xffff;
    let raw_scale = t & 0x7ff;
    let scale = if raw_scale & 0x400 != 0 { 0 } else { raw_scale };
    Some((precision, scale))
}

/// The mapping of a column of type `ty`, or `None` when Debezium skips the column.
pub(crate) fn resolve(ty: &PgType, typmod: i32, modes: &TypeModes) -> Option<Mapping> {
    resolve_at(ty, typmod, modes, 0)
}

fn unknown(modes: &TypeModes) -> Option<Mapping> {
    modes.include_unknown_datatypes.then_some(Mapping::Unknown)
}

fn resolve_at(ty: &PgType, typmod: i32, modes: &TypeModes, depth: usize) -> Option<Mapping> {
    if depth > 16 {
        return unknown(modes);
    }
    match &ty.kind {
        // Debezium gives a domain column its root type's OID with the domain's length and scale.
        PgTypeKind::Domain { base, base_typmod } => {
            let typmod = if typmod >= 0 { typmod } else { *base_typmod };
            resolve_at(base, typmod, modes, depth + 1)
        }
        PgTypeKind::Enum { labels } => Some(Mapping::Enum {
            allowed: labels.join(","),
        }),
        PgTypeKind::Array { element } => array(ty, element, typmod, modes, depth),
        PgTypeKind::Range { .. } => match range_kind(ty.oid) {
            Some(kind) => Some(Mapping::Range(kind)),
            None => unknown(modes),
        },
        PgTypeKind::Base => base(ty, typmod, modes),
        PgTypeKind::Multirange | PgTypeKind::Composite | PgTypeKind::Pseudo => unknown(modes),
    }
}

fn range_kind(type_oid: u32) -> Option<RangeKind> {
    Some(match type_oid {
        oid::INT4RANGE => RangeKind::Int4,
        oid::INT8RANGE => RangeKind::Int8,
        oid::NUMRANGE => RangeKind::Num,
        oid::TSRANGE => RangeKind::Ts,
        oid::TSTZRANGE => RangeKind::TsTz,
        oid::DATERANGE => RangeKind::Date,
        _ => return None,
    })
}

fn base(ty: &PgType, typmod: i32, modes: &TypeModes) -> Option<Mapping> {
    let mapping = match ty.oid {
        oid::BOOL => Mapping::Bool,
        oid::INT2 => Mapping::Int16,
        oid::INT4 => Mapping::Int32,
        oid::INT8 => Mapping::Int64,
        oid::OID => Mapping::Oid,
        oid::FLOAT4 => Mapping::Float32,
        oid::FLOAT8 => Mapping::Float64,
        oid::NUMERIC => match numeric_typmod(typmod) {
            Some((precision, scale)) => Mapping::Numeric {
                precision,
                scale,
                variable: false,
            },
            None => Mapping::Numeric {
                precision: 0,
                scale: 0,
                variable: true,
            },
        },
        oid::MONEY => Mapping::Money,
        oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::NAME => Mapping::Text,
        oid::CHAR => Mapping::Char,
        oid::BYTEA => Mapping::Bytea,
        oid::DATE => Mapping::Date,
        oid::TIME => Mapping::Time {
            precision: time_precision(typmod),
        },
        oid::TIMETZ => Mapping::TimeTz,
        oid::TIMESTAMP => Mapping::Timestamp {
            precision: time_precision(typmod),
        },
        oid::TIMESTAMPTZ => Mapping::TimestampTz {
            fraction: time_precision(typmod),
        },
        oid::INTERVAL => Mapping::Interval,
        oid::JSON => Mapping::Json,
        oid::JSONB => Mapping::Jsonb,
        oid::XML => Mapping::Xml,
        oid::UUID => Mapping::Uuid,
        oid::TSVECTOR => Mapping::Tsvector,
        oid::INET => Mapping::Inet,
        oid::CIDR => Mapping::Cidr,
        oid::MACADDR => Mapping::MacAddr,
        oid::MACADDR8 => Mapping::MacAddr8,
        // pgjdbc reports bit's typmod as its length, and an unconstrained varbit as
        // Integer.MAX_VALUE ("unknown length").
        oid::BIT => Mapping::Bits { length: typmod },
        oid::VARBIT => Mapping::Bits {
            length: if typmod < 0 { i32::MAX } else { typmod },
        },
        oid::POINT => Mapping::Point,
        oid::BOX => Mapping::Box,
        oid::LSEG => Mapping::Lseg,
        oid::PATH => Mapping::Path,
        oid::POLYGON => Mapping::Polygon,
        oid::CIRCLE => Mapping::Circle,
        oid::LINE => Mapping::Line,
        // Extension types, which Debezium recognizes by name.
        _ => match ty.name.as_str() {
            "citext" => Mapping::Text,
            "isbn" => Mapping::Isbn,
            "hstore" => Mapping::Hstore,
            "ltree" => Mapping::Ltree,
            _ => return unknown(modes),
        },
    };
    Some(mapping)
}

fn array(
    ty: &PgType,
    element: &PgType,
    typmod: i32,
    modes: &TypeModes,
    depth: usize,
) -> Option<Mapping> {
    match ty.oid {
        // "These array types still need to be implemented": Debezium drops these columns,
        // whatever include.unknown.datatypes says.
        oid::MONEY_ARRAY
        | oid::NAME_ARRAY
        | oid::INTERVAL_ARRAY
        | oid::VARBIT_ARRAY
        | oid::XML_ARRAY
        | oid::POINT_ARRAY
        | oid::REFCURSOR_ARRAY => return None,
        _ => {}
    }
    let listed_by_oid = matches!(
        element.oid,
        oid::INT2
            | oid::INT4
            | oid::INT8
            | oid::OID
            | oid::CHAR
            | oid::VARCHAR
            | oid::TEXT
            | oid::BPCHAR
            | oid::INET
            | oid::CIDR
            | oid::MACADDR
            | oid::MACADDR8
            | oid::TSRANGE
            | oid::TSTZRANGE
            | oid::DATERANGE
            | oid::INT4RANGE
            | oid::NUMRANGE
            | oid::INT8RANGE
            | oid::NUMERIC
            | oid::FLOAT4
            | oid::FLOAT8
            | oid::BOOL
            | oid::DATE
            | oid::UUID
            | oid::JSONB
            | oid::JSON
            | oid::TIME
            | oid::TIMETZ
            | oid::TIMESTAMP
            | oid::TIMESTAMPTZ
            | oid::BYTEA
            // bit[] gets a Bits (or boolean) schema in Debezium while its values are lists,
            // which Connect rejects; we give it an array of the element mapping instead.
            | oid::BIT
    ) && ty.name.starts_with('_');
    let listed_by_name = matches!(ty.name.as_str(), "_hstore" | "_citext" | "_ltree");
    if listed_by_oid || listed_by_name {
        let element = resolve_at(element, typmod, modes, depth + 1)?;
        return Some(Mapping::Array {
            element: Box::new(element),
            element_optional: true,
        });
    }
    let element_mapping = match &element.kind {
        // Enum arrays: `SchemaBuilder.array(Enum.builder(..))`, a required element.
        PgTypeKind::Enum { labels } => Mapping::Enum {
            allowed: labels.join(","),
        },
        // The element column gets the domain's JDBC type (DISTINCT), which Debezium cannot map:
        // "this does not work for array columns of domain types".
        PgTypeKind::Domain { .. } => unknown(modes)?,
        _ => match resolve_at(element, typmod, modes, depth + 1) {
            Some(mapping) => mapping,
            None => unknown(modes)?,
        },
    };
    Some(Mapping::Array {
        element: Box::new(element_mapping),
        element_optional: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_typmods() {
        // numeric(10,2): ((10 << 16) | 2) + 4
        assert_eq!(numeric_typmod((10 << 16 | 2) + 4), Some((10, 2)));
        assert_eq!(numeric_typmod(-1), None);
        // numeric(5,-2): the scale is 11-bit two's complement
        assert_eq!(numeric_typmod((5 << 16 | 0x7fe) + 4), Some((5, 0)));
    }
}
