//! Reading a column's raw binary bytes from a tokio-postgres row.

use std::error::Error;

use postgres_types::{FromSql, Type};

/// A column's binary wire bytes, whatever its type: `row.try_get::<_, Option<RawValue>>(i)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawValue<'a>(pub &'a [u8]);

impl<'a> FromSql<'a> for RawValue<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(RawValue(raw))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}
