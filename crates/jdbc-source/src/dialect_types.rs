//! What each database's column types are to Confluent's dialects (research §4): the JDBC type
//! pgjdbc or Connector/J reports for a column, from the type's name and modifiers as the
//! catalogs give them (`pg_type.typname`, `atttypmod`; MySQL's `DATA_TYPE`, `COLUMN_TYPE`).

use crate::types::Jdbc;

/// A PostgreSQL column: `typname` (`int4`, `numeric`, `_int4` for arrays), whether the type is
/// an enum (`typtype = 'e'`), and `atttypmod` (−1 when none).
pub fn postgres(typname: &str, is_enum: bool, typmod: i32) -> Jdbc {
    if is_enum {
        return Jdbc::Text;
    }
    match typname {
        "bool" => Jdbc::Boolean,
        "bit" => Jdbc::Bit(u32::try_from(typmod).unwrap_or(1).max(1)),
        "int2" => Jdbc::SmallInt { unsigned: false },
        "int4" => Jdbc::Integer { unsigned: false },
        "int8" | "oid" => Jdbc::BigInt,
        "float4" => Jdbc::Real,
        "float8" | "money" => Jdbc::Double,
        "numeric" => Jdbc::Numeric(numeric_typmod(typmod)),
        "bytea" => Jdbc::Binary,
        "date" => Jdbc::Date,
        "time" | "timetz" => Jdbc::Time,
        "timestamp" | "timestamptz" => Jdbc::Timestamp,
        "char" | "bpchar" | "varchar" | "text" | "name" | "xml" | "json" | "jsonb" | "uuid" => {
            Jdbc::Text
        }
        other => Jdbc::Other(other.to_owned()),
    }
}

/// `numeric(p,s)` from its type modifier (`((p << 16) | s) + 4`; PostgreSQL 15 allows a
/// negative scale, stored in 11 bits); `None` for an unconstrained `numeric`.
fn numeric_typmod(typmod: i32) -> Option<(u32, i32)> {
    if typmod < 4 {
        return None;
    }
    let t = typmod - 4;
    let precision = ((t >> 16) & 0xffff) as u32;
    let raw = t & 0x7ff;
    let scale = if raw & 0x400 != 0 { raw - 0x800 } else { raw };
    Some((precision, scale))
}

/// A MySQL or MariaDB column: `DATA_TYPE` (`int`, `decimal`), `COLUMN_TYPE` (`int(10)
/// unsigned`, `tinyint(1)`), and the numeric precision and scale when it has them.
pub fn mysql(
    data_type: &str,
    column_type: &str,
    precision: Option<u32>,
    scale: Option<i32>,
) -> Jdbc {
    let unsigned = column_type.to_ascii_lowercase().contains("unsigned");
    match data_type.to_ascii_lowercase().as_str() {
        // Connector/J reports TINYINT(1) and BIT(n) as BIT, read with getByte: INT8.
        "tinyint" | "bit" => Jdbc::TinyInt {
            unsigned: unsigned && !column_type.starts_with("tinyint(1)"),
        },
        "smallint" => Jdbc::SmallInt { unsigned },
        "mediumint" => Jdbc::Integer { unsigned: false },
        "int" | "integer" => Jdbc::Integer { unsigned },
        "bigint" => Jdbc::BigInt,
        "float" => Jdbc::Real,
        "double" | "real" => Jdbc::Double,
        "decimal" | "numeric" => Jdbc::Decimal(precision.unwrap_or(10), scale.unwrap_or(0)),
        "date" | "year" => Jdbc::Date,
        "time" => Jdbc::Time,
        "datetime" | "timestamp" => Jdbc::Timestamp,
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "json" | "enum"
        | "set" => Jdbc::Text,
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => Jdbc::Binary,
        other => Jdbc::Other(other.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_types_as_pgjdbc_reports_them() {
        assert_eq!(postgres("bool", false, -1), Jdbc::Boolean);
        assert_eq!(postgres("bit", false, 1), Jdbc::Bit(1));
        assert_eq!(postgres("bit", false, 12), Jdbc::Bit(12));
        // numeric(10,2): typmod (10 << 16 | 2) + 4.
        assert_eq!(
            postgres("numeric", false, (10 << 16 | 2) + 4),
            Jdbc::Numeric(Some((10, 2)))
        );
        // numeric(5,-2) (PostgreSQL 15): the scale's 11 bits sign-extended.
        assert_eq!(
            postgres("numeric", false, (5 << 16 | (0x800 - 2)) + 4),
            Jdbc::Numeric(Some((5, -2)))
        );
        assert_eq!(postgres("numeric", false, -1), Jdbc::Numeric(None));
        assert_eq!(postgres("mood", true, -1), Jdbc::Text);
        assert_eq!(postgres("jsonb", false, -1), Jdbc::Text);
        assert_eq!(postgres("_int4", false, -1), Jdbc::Other("_int4".into()));
        assert_eq!(
            postgres("interval", false, -1),
            Jdbc::Other("interval".into())
        );
    }

    #[test]
    fn mysql_types_as_connector_j_reports_them() {
        assert_eq!(
            mysql("tinyint", "tinyint(1)", None, None),
            Jdbc::TinyInt { unsigned: false }
        );
        assert_eq!(
            mysql("int", "int(10) unsigned", None, None),
            Jdbc::Integer { unsigned: true }
        );
        assert_eq!(
            mysql("decimal", "decimal(12,3)", Some(12), Some(3)),
            Jdbc::Decimal(12, 3)
        );
        assert_eq!(mysql("year", "year(4)", None, None), Jdbc::Date);
        assert_eq!(
            mysql("geometry", "geometry", None, None),
            Jdbc::Other("geometry".into())
        );
    }
}
