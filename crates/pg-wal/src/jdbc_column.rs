//! A column as PostgreSQL's JDBC driver describes it (`DatabaseMetaData.getColumns`), which is
//! what Debezium's column mappers see: the type name, `COLUMN_SIZE`, `DECIMAL_DIGITS` and
//! whether the JDBC type is a character one. The rules are pgjdbc's `TypeInfoCache`.

use cdc_core::column_mapping::SourceColumn;

use crate::convert::{PgType, PgTypeKind};
use crate::table::Column;

const INT2: u32 = 21;
const INT4: u32 = 23;
const OID: u32 = 26;
const INT8: u32 = 20;
const FLOAT4: u32 = 700;
const FLOAT8: u32 = 701;
const NUMERIC: u32 = 1700;
const CHAR: u32 = 18;
const BOOL: u32 = 16;
const NAME: u32 = 19;
const TEXT: u32 = 25;
const BPCHAR: u32 = 1042;
const VARCHAR: u32 = 1043;
const DATE: u32 = 1082;
const TIME: u32 = 1083;
const TIMETZ: u32 = 1266;
const TIMESTAMP: u32 = 1114;
const TIMESTAMPTZ: u32 = 1184;
const INTERVAL: u32 = 1186;
const BIT: u32 = 1560;
const VARBIT: u32 = 1562;
/// pgjdbc's `unknownLength` default.
const UNKNOWN_LENGTH: i32 = i32::MAX;

/// Where Debezium took a table's column metadata from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Described {
    /// `DatabaseMetaData.getColumns` (the snapshot's tables).
    Jdbc,
    /// pgoutput's relation message (every table once streaming): the type's own name (no
    /// `serial`), lengths from the type modifier without pgjdbc's display-size fallback, and
    /// always a scale.
    Relation,
}

/// What Debezium's `Column` holds for a PostgreSQL column, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JdbcColumn {
    pub type_name: String,
    pub length: i32,
    pub scale: Option<i32>,
    pub character: bool,
}

impl JdbcColumn {
    pub fn of(col: &Column, described: Described) -> JdbcColumn {
        if described == Described::Relation {
            return Self::of_relation(col);
        }
        // pgjdbc names an integer column defaulting to a sequence after its serial type.
        let serial = col
            .default_expr
            .as_deref()
            .is_some_and(|d| d.contains("nextval("));
        let type_name = match (col.ty.name.as_str(), serial) {
            ("int4", true) => "serial".to_owned(),
            ("int8", true) => "bigserial".to_owned(),
            ("int2", true) => "smallserial".to_owned(),
            (name, _) => name.to_owned(),
        };
        let (length, scale) = match &col.ty.kind {
            // Debezium resolves a domain's length and scale through its base type.
            PgTypeKind::Domain { base, base_typmod } => {
                let oid = root(base).oid;
                let typmod = if *base_typmod == -1 {
                    col.typmod
                } else {
                    *base_typmod
                };
                (precision(oid, typmod), Some(scale(oid, typmod)))
            }
            kind => {
                let oid = match kind {
                    PgTypeKind::Array { element } => element.oid,
                    _ => col.ty.oid,
                };
                let numeric = col.ty.oid == NUMERIC;
                let mut size = precision(oid, col.typmod);
                if !numeric && size == 0 {
                    size = display_size(oid, col.typmod);
                }
                let digits = (!(numeric && col.typmod == -1)).then(|| scale(oid, col.typmod));
                (size, digits)
            }
        };
        JdbcColumn {
            type_name,
            length,
            scale,
            character: is_character(&col.ty),
        }
    }

    /// Debezium's `ColumnMetaData` of a pgoutput relation column.
    fn of_relation(col: &Column) -> JdbcColumn {
        let (length, scale) = if col.typmod != -1 {
            // pgjdbc knows a domain's own oid as no type: its precision is the unknown length.
            let oid = match &col.ty.kind {
                PgTypeKind::Domain { .. } => 0,
                PgTypeKind::Array { element } => element.oid,
                _ => col.ty.oid,
            };
            (precision(oid, col.typmod), scale(oid, col.typmod))
        } else {
            default_length_and_scale(&col.ty)
        };
        JdbcColumn {
            type_name: col.ty.name.clone(),
            length,
            scale: Some(scale),
            character: is_character(&col.ty),
        }
    }

    pub fn source_column<'a>(&'a self, table_id: &'a str, name: &'a str) -> SourceColumn<'a> {
        SourceColumn {
            table_id,
            name,
            type_name: &self.type_name,
            length: (self.length != -1).then_some(self.length),
            scale: self.scale,
            comment: None,
            character: self.character,
        }
    }
}

/// `PostgresType.getDefaultLength()` and `getDefaultScale()`: a domain's from its base type
/// (with the domain's own modifier when it has one), others from pgjdbc without a modifier.
fn default_length_and_scale(ty: &PgType) -> (i32, i32) {
    match &ty.kind {
        PgTypeKind::Domain { base, base_typmod } if *base_typmod == -1 => {
            default_length_and_scale(base)
        }
        PgTypeKind::Domain { base, base_typmod } => {
            let mut size = precision(base.oid, *base_typmod);
            if size == 0 {
                size = display_size(base.oid, *base_typmod);
            }
            (size, scale(base.oid, *base_typmod))
        }
        kind => {
            let oid = match kind {
                PgTypeKind::Array { element } => element.oid,
                _ => ty.oid,
            };
            let mut size = precision(oid, -1);
            if size == 0 {
                size = display_size(oid, -1);
            }
            (size, scale(oid, -1))
        }
    }
}

fn root(ty: &PgType) -> &PgType {
    match &ty.kind {
        PgTypeKind::Domain { base, .. } => root(base),
        _ => ty,
    }
}

/// Debezium's JDBC type is its root type's: CHAR or VARCHAR for the character types and enums.
fn is_character(ty: &PgType) -> bool {
    let ty = root(ty);
    matches!(ty.kind, PgTypeKind::Enum { .. })
        || (matches!(ty.kind, PgTypeKind::Base)
            && matches!(ty.oid, CHAR | BPCHAR | VARCHAR | TEXT | NAME))
}

fn precision(oid: u32, typmod: i32) -> i32 {
    match oid {
        INT2 => 5,
        OID | INT4 => 10,
        INT8 => 19,
        FLOAT4 => 8,
        FLOAT8 => 17,
        NUMERIC if typmod == -1 => 0,
        NUMERIC => ((typmod - 4) as u32 >> 16) as i32,
        CHAR | BOOL => 1,
        BPCHAR | VARCHAR if typmod == -1 => UNKNOWN_LENGTH,
        BPCHAR | VARCHAR => typmod - 4,
        DATE | TIME | TIMETZ | INTERVAL | TIMESTAMP | TIMESTAMPTZ => display_size(oid, typmod),
        BIT => typmod,
        VARBIT if typmod == -1 => UNKNOWN_LENGTH,
        VARBIT => typmod,
        _ => UNKNOWN_LENGTH,
    }
}

fn scale(oid: u32, typmod: i32) -> i32 {
    match oid {
        FLOAT4 => 8,
        FLOAT8 => 17,
        NUMERIC if typmod == -1 => 0,
        NUMERIC => (typmod - 4) & 0xffff,
        TIME | TIMETZ | TIMESTAMP | TIMESTAMPTZ if typmod == -1 => 6,
        TIME | TIMETZ | TIMESTAMP | TIMESTAMPTZ => typmod,
        INTERVAL if typmod == -1 => 6,
        INTERVAL => typmod & 0xffff,
        _ => 0,
    }
}

fn display_size(oid: u32, typmod: i32) -> i32 {
    match oid {
        INT2 => 6,
        INT4 => 11,
        OID => 10,
        INT8 => 20,
        FLOAT4 => 15,
        FLOAT8 => 25,
        CHAR | BOOL => 1,
        DATE => 13,
        TIME | TIMETZ | TIMESTAMP | TIMESTAMPTZ => {
            let seconds = match typmod {
                -1 => 7,
                0 => 0,
                1 => 3,
                n => n + 1,
            };
            match oid {
                TIME => 8 + seconds,
                TIMETZ => 8 + seconds + 6,
                TIMESTAMP => 22 + seconds,
                _ => 22 + seconds + 6,
            }
        }
        INTERVAL => 49,
        VARCHAR | BPCHAR if typmod == -1 => UNKNOWN_LENGTH,
        VARCHAR | BPCHAR => typmod - 4,
        NUMERIC if typmod == -1 => 131089,
        NUMERIC => {
            let precision = ((typmod - 4) >> 16) & 0xffff;
            let scale = (typmod - 4) & 0xffff;
            1 + precision + i32::from(scale != 0)
        }
        BIT => typmod,
        VARBIT if typmod == -1 => UNKNOWN_LENGTH,
        VARBIT => typmod,
        _ => UNKNOWN_LENGTH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(oid: u32, name: &str, typmod: i32) -> Column {
        Column {
            name: "c".into(),
            type_oid: oid,
            typmod,
            ty: PgType {
                oid,
                name: name.into(),
                kind: PgTypeKind::Base,
            },
            optional: true,
            is_key: false,
            default_expr: None,
            codec: None,
        }
    }

    #[test]
    fn lengths_and_scales_are_pgjdbcs() {
        let vc = JdbcColumn::of(&column(VARCHAR, "varchar", 24), Described::Jdbc);
        assert_eq!((vc.length, vc.scale, vc.character), (20, Some(0), true));
        let text = JdbcColumn::of(&column(TEXT, "text", -1), Described::Jdbc);
        assert_eq!((text.length, text.character), (i32::MAX, true));
        let num = JdbcColumn::of(
            &column(NUMERIC, "numeric", (40 << 16) + 5 + 4),
            Described::Jdbc,
        );
        assert_eq!((num.length, num.scale), (40, Some(5)));
        let numv = JdbcColumn::of(&column(NUMERIC, "numeric", -1), Described::Jdbc);
        assert_eq!((numv.length, numv.scale), (0, None));
        let ts = JdbcColumn::of(&column(TIMESTAMP, "timestamp", 3), Described::Jdbc);
        assert_eq!((ts.length, ts.scale, ts.character), (26, Some(3), false));
        let mut id = column(INT4, "int4", -1);
        id.default_expr = Some("nextval('t_id_seq'::regclass)".into());
        assert_eq!(JdbcColumn::of(&id, Described::Jdbc).type_name, "serial");
    }
}
