//! Column types → Connect schemas, as Confluent's dialects map them (research §4): the JDBC
//! type a driver reports for each PostgreSQL or MySQL column, then `addFieldToSchema`'s table,
//! `numeric.mapping` applying to `NUMERIC` only (MySQL reports `DECIMAL`, so its decimals are
//! always Connect `Decimal`). A column of a type Confluent does not map is left out of the
//! record, as Confluent leaves it out.

use cdc_core::schema::logical;
use cdc_core::Schema;

use crate::config::NumericMapping;

/// What the driver says a column is (the JDBC type Confluent's dialect sees).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jdbc {
    Boolean,
    /// `BIT` with its length (PostgreSQL `bit(n)`, MySQL `BIT(n)` and `TINYINT(1)`).
    Bit(u32),
    TinyInt {
        unsigned: bool,
    },
    SmallInt {
        unsigned: bool,
    },
    Integer {
        unsigned: bool,
    },
    BigInt,
    Real,
    Double,
    /// PostgreSQL `numeric(p,s)` (`None`: unconstrained, reported as precision 0 scale 0).
    Numeric(Option<(u32, i32)>),
    /// MySQL `DECIMAL(p,s)`.
    Decimal(u32, i32),
    Text,
    Binary,
    Date,
    Time,
    Timestamp,
    /// Anything Confluent drops (arrays, intervals, network types, ...), with its name.
    Other(String),
}

/// The Connect schema of a column (required; the caller makes it optional when the column is
/// nullable), or `None` when Confluent leaves the column out.
pub fn schema_of(t: &Jdbc, mapping: NumericMapping) -> Option<Schema> {
    Some(match t {
        Jdbc::Boolean | Jdbc::Bit(1) => Schema::boolean(),
        Jdbc::Bit(n) if *n <= 8 => Schema::int8(),
        Jdbc::Bit(_) => Schema::bytes(),
        Jdbc::TinyInt { unsigned: false } => Schema::int8(),
        Jdbc::TinyInt { unsigned: true } | Jdbc::SmallInt { unsigned: false } => Schema::int16(),
        Jdbc::SmallInt { unsigned: true } | Jdbc::Integer { unsigned: false } => Schema::int32(),
        Jdbc::Integer { unsigned: true } | Jdbc::BigInt => Schema::int64(),
        Jdbc::Real => Schema::float32(),
        Jdbc::Double => Schema::float64(),
        Jdbc::Numeric(ps) => numeric(*ps, mapping),
        Jdbc::Decimal(p, s) => decimal(*p, *s),
        Jdbc::Text => Schema::string(),
        Jdbc::Binary => Schema::bytes(),
        Jdbc::Date => Schema::int32().named(logical::CONNECT_DATE).version(1),
        Jdbc::Time => Schema::int32().named(logical::CONNECT_TIME).version(1),
        Jdbc::Timestamp => Schema::int64().named(logical::CONNECT_TIMESTAMP).version(1),
        Jdbc::Other(_) => return None,
    })
}

/// Connect's `Decimal` with Confluent's parameters (`scale`, `connect.decimal.precision`).
fn decimal(precision: u32, scale: i32) -> Schema {
    Schema::bytes()
        .named(logical::DECIMAL)
        .version(1)
        .param("scale", scale.to_string())
        .param("connect.decimal.precision", precision.to_string())
}

/// The integer type `numeric.mapping` picks for precision `p`.
fn int_for(p: u32) -> Schema {
    match p {
        p if p > 9 => Schema::int64(),
        p if p > 4 => Schema::int32(),
        p if p > 2 => Schema::int16(),
        _ => Schema::int8(),
    }
}

/// `NUMERIC` under `numeric.mapping` (research §4). An unconstrained PostgreSQL `numeric` is a
/// `Decimal` of scale 127 whatever the mapping: Confluent maps it to INT8 under the other
/// mappings and then fails reading it ("Bad value for type byte"); we keep the value.
fn numeric(ps: Option<(u32, i32)>, mapping: NumericMapping) -> Schema {
    let Some((p, s)) = ps.filter(|(p, _)| *p > 0) else {
        return decimal(0, 127);
    };
    match mapping {
        NumericMapping::None => decimal(p, s),
        NumericMapping::PrecisionOnly if s == 0 && p <= 18 => int_for(p),
        NumericMapping::PrecisionOnly => decimal(p, s),
        NumericMapping::BestFit if p <= 18 && (-84..=0).contains(&s) => int_for(p),
        NumericMapping::BestFit if p <= 18 && s > 0 => Schema::float64(),
        NumericMapping::BestFit => decimal(p, s),
        NumericMapping::BestFitEagerDouble if p <= 18 && (-84..=0).contains(&s) => int_for(p),
        NumericMapping::BestFitEagerDouble if s > 0 => Schema::float64(),
        NumericMapping::BestFitEagerDouble => decimal(p, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cdc_core::SchemaType;

    fn kind(t: Jdbc, m: NumericMapping) -> Option<(SchemaType, Option<String>)> {
        schema_of(&t, m).map(|s| (s.kind, s.name))
    }

    #[test]
    fn numeric_mapping_follows_confluents_table() {
        use NumericMapping::*;
        let dec = Some((SchemaType::Bytes, Some(logical::DECIMAL.to_owned())));
        let n = |p, s| Jdbc::Numeric(Some((p, s)));
        assert_eq!(kind(n(10, 2), None), dec);
        assert_eq!(
            kind(n(10, 0), PrecisionOnly),
            Some((SchemaType::Int64, Option::None))
        );
        assert_eq!(kind(n(10, 2), PrecisionOnly), dec);
        assert_eq!(
            kind(n(5, 0), BestFit),
            Some((SchemaType::Int32, Option::None))
        );
        assert_eq!(
            kind(n(4, 0), BestFit),
            Some((SchemaType::Int16, Option::None))
        );
        assert_eq!(
            kind(n(2, 0), BestFit),
            Some((SchemaType::Int8, Option::None))
        );
        assert_eq!(
            kind(n(10, 2), BestFit),
            Some((SchemaType::Float64, Option::None))
        );
        assert_eq!(kind(n(30, 2), BestFit), dec);
        assert_eq!(
            kind(n(30, 2), BestFitEagerDouble),
            Some((SchemaType::Float64, Option::None))
        );
        assert_eq!(kind(n(30, 0), BestFitEagerDouble), dec);
        // MySQL's DECIMAL ignores the mapping; an unconstrained numeric stays a Decimal.
        assert_eq!(kind(Jdbc::Decimal(10, 0), BestFit), dec);
        assert_eq!(kind(Jdbc::Numeric(Option::None), BestFit), dec);
        let s = schema_of(&n(10, 2), None).unwrap();
        assert_eq!(s.parameter("scale"), Some("2"));
        assert_eq!(s.parameter("connect.decimal.precision"), Some("10"));
    }

    #[test]
    fn other_types_as_the_generic_dialect_maps_them() {
        use NumericMapping::None as N;
        assert_eq!(kind(Jdbc::Bit(1), N).unwrap().0, SchemaType::Boolean);
        assert_eq!(kind(Jdbc::Bit(8), N).unwrap().0, SchemaType::Int8);
        assert_eq!(kind(Jdbc::Bit(9), N).unwrap().0, SchemaType::Bytes);
        assert_eq!(
            kind(Jdbc::Integer { unsigned: true }, N).unwrap().0,
            SchemaType::Int64
        );
        assert_eq!(
            kind(Jdbc::Timestamp, N),
            Some((
                SchemaType::Int64,
                Some(logical::CONNECT_TIMESTAMP.to_owned())
            ))
        );
        assert_eq!(kind(Jdbc::Other("interval".into()), N), Option::None);
    }
}
