//! Column types resolved against the catalog: built-ins by OID, user types from `pg_type`.

use std::collections::HashMap;

use super::builtin::{B, BUILTIN_TYPES};

/// A column type resolved against the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct PgType {
    pub oid: u32,
    /// The unqualified `pg_type.typname` (`int4`, `_text`, `hstore`, ...).
    pub name: String,
    pub kind: PgTypeKind,
}

/// What kind of type it is (`pg_type.typtype` and `typcategory`).
#[derive(Debug, Clone, PartialEq)]
pub enum PgTypeKind {
    /// A base type: built-in (`int4`) or from an extension (`hstore`, `ltree`, `citext`).
    Base,
    /// An enum, with its labels in sort order.
    Enum {
        labels: Vec<String>,
    },
    /// A domain over `base`, with the domain's own type modifier (`typtypmod`).
    Domain {
        base: Box<PgType>,
        base_typmod: i32,
    },
    /// An array (`typcategory = 'A'`, which includes `int2vector` and `oidvector`).
    Array {
        element: Box<PgType>,
    },
    Range {
        subtype: Box<PgType>,
    },
    Multirange,
    /// A row type (`typtype = 'c'`).
    Composite,
    Pseudo,
}

impl PgType {
    pub fn new(oid: u32, name: impl Into<String>, kind: PgTypeKind) -> PgType {
        PgType {
            oid,
            name: name.into(),
            kind,
        }
    }

    /// The array element type, if this is an array.
    pub fn element(&self) -> Option<&PgType> {
        match &self.kind {
            PgTypeKind::Array { element } => Some(element),
            _ => None,
        }
    }
}

/// The types of one database: built-ins known statically, user types loaded from `pg_type`.
#[derive(Debug, Clone)]
pub struct TypeRegistry {
    types: HashMap<u32, PgType>,
}

/// One `pg_type` row, before its references are resolved.
#[derive(Debug, Clone)]
struct RawType {
    name: String,
    typtype: char,
    category: char,
    element: u32,
    base: u32,
    typmod: i32,
    range_subtype: u32,
    labels: Option<Vec<String>>,
}

/// Domains of arrays of domains...: deeper chains than this are treated as unknown.
const MAX_DEPTH: usize = 16;

const LOAD_TYPES: &str = "\
SELECT t.oid, t.typname::text, t.typtype::text, t.typcategory::text, t.typelem, t.typbasetype, \
       t.typtypmod, r.rngsubtype, \
       (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) \
          FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) \
  FROM pg_catalog.pg_type t \
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
  LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid \
 WHERE n.nspname <> 'pg_toast'";

impl TypeRegistry {
    /// The PostgreSQL 15 built-in base, array, range and multirange types.
    pub fn builtin() -> TypeRegistry {
        let raw = BUILTIN_TYPES
            .iter()
            .map(|&(oid, name, shape)| {
                let (typtype, category, element, range_subtype) = match shape {
                    B::Base => ('b', 'U', 0, 0),
                    B::Array(element) => ('b', 'A', element, 0),
                    B::Range(subtype) => ('r', 'R', 0, subtype),
                    B::Multirange => ('m', 'R', 0, 0),
                };
                let raw = RawType {
                    name: name.to_owned(),
                    typtype,
                    category,
                    element,
                    base: 0,
                    typmod: -1,
                    range_subtype,
                    labels: None,
                };
                (oid, raw)
            })
            .collect();
        TypeRegistry::from_raw(&raw)
    }

    /// Loads every type of the connected database (as Debezium's TypeRegistry does).
    pub async fn load(
        client: &tokio_postgres::Client,
    ) -> Result<TypeRegistry, tokio_postgres::Error> {
        let rows = client.query(LOAD_TYPES, &[]).await?;
        let mut raw = HashMap::with_capacity(rows.len());
        for row in rows {
            let oid: u32 = row.try_get(0)?;
            let typtype: String = row.try_get(2)?;
            let category: String = row.try_get(3)?;
            raw.insert(
                oid,
                RawType {
                    name: row.try_get(1)?,
                    typtype: typtype.chars().next().unwrap_or('b'),
                    category: category.chars().next().unwrap_or('U'),
                    element: row.try_get(4)?,
                    base: row.try_get(5)?,
                    typmod: row.try_get(6)?,
                    range_subtype: row.try_get::<_, Option<u32>>(7)?.unwrap_or(0),
                    labels: row.try_get(8)?,
                },
            );
        }
        Ok(TypeRegistry::from_raw(&raw))
    }

    fn from_raw(raw: &HashMap<u32, RawType>) -> TypeRegistry {
        let mut types = HashMap::with_capacity(raw.len());
        for &oid in raw.keys() {
            if let Some(ty) = build(oid, raw, 0) {
                types.insert(oid, ty);
            }
        }
        TypeRegistry { types }
    }

    /// The type with this OID, if the catalog has it.
    pub fn resolve(&self, oid: u32) -> Option<&PgType> {
        self.types.get(&oid)
    }

    /// The type with this unqualified name (the first found if several schemas define it).
    pub fn by_name(&self, name: &str) -> Option<&PgType> {
        self.types.values().find(|t| t.name == name)
    }

    /// Every type of the registry, in no particular order.
    pub fn types(&self) -> impl Iterator<Item = &PgType> {
        self.types.values()
    }

    /// Adds or replaces a type.
    pub fn insert(&mut self, ty: PgType) {
        self.types.insert(ty.oid, ty);
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

fn build(oid: u32, raw: &HashMap<u32, RawType>, depth: usize) -> Option<PgType> {
    let row = raw.get(&oid)?;
    let unresolved = || PgType::new(oid, row.name.clone(), PgTypeKind::Base);
    if depth > MAX_DEPTH {
        return Some(unresolved());
    }
    let nested = |other: u32| build(other, raw, depth + 1).map(Box::new);
    let kind = match row.typtype {
        'e' => PgTypeKind::Enum {
            labels: row.labels.clone().unwrap_or_default(),
        },
        'd' => match nested(row.base) {
            Some(base) => PgTypeKind::Domain {
                base,
                base_typmod: row.typmod,
            },
            None => PgTypeKind::Base,
        },
        'r' => match nested(row.range_subtype) {
            Some(subtype) => PgTypeKind::Range { subtype },
            None => PgTypeKind::Base,
        },
        'm' => PgTypeKind::Multirange,
        'c' => PgTypeKind::Composite,
        'p' => PgTypeKind::Pseudo,
        _ if row.category == 'A' && row.element != 0 => match nested(row.element) {
            Some(element) => PgTypeKind::Array { element },
            None => PgTypeKind::Base,
        },
        _ => PgTypeKind::Base,
    };
    Some(PgType::new(oid, row.name.clone(), kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_resolve_arrays_and_ranges() {
        let reg = TypeRegistry::builtin();
        let int4_array = reg.resolve(1007).unwrap();
        assert_eq!(int4_array.name, "_int4");
        assert_eq!(int4_array.element().unwrap().name, "int4");
        let tsrange = reg.resolve(3908).unwrap();
        assert!(
            matches!(&tsrange.kind, PgTypeKind::Range { subtype } if subtype.name == "timestamp")
        );
        let int2vector = reg.resolve(22).unwrap();
        assert_eq!(int2vector.element().unwrap().name, "int2");
        assert_eq!(
            reg.resolve(19).unwrap().kind,
            PgTypeKind::Base,
            "name is not an array"
        );
    }
}
