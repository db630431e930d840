//! Column definitions for CREATE TABLE and ALTER TABLE from a record's columns, per dialect
//! (the writers' shared half of `schema.evolution=basic` / `auto.create` / `auto.evolve`).

use super::column_type::{column_type, default_literal, TypeContext};
use super::config::JdbcSinkConfig;
use super::dialect::{Dialect, Ident};
use super::pg_writer::WriteError;
use super::record::Column;
use super::statement::ColumnDef;

/// A column definition built from a record's column.
pub struct Def {
    name: Ident,
    ddl: String,
    nullable: bool,
    default: Option<String>,
}

impl Def {
    pub fn as_column_def(&self) -> ColumnDef<'_> {
        ColumnDef {
            name: &self.name,
            ddl: &self.ddl,
            nullable: self.nullable,
            default: self.default.as_deref(),
        }
    }
}

/// The definitions of `columns` (`key`: primary key columns, never null).
pub fn column_defs(
    config: &JdbcSinkConfig,
    dialect: Dialect,
    columns: &[&Column],
    key: bool,
) -> Result<Vec<Def>, WriteError> {
    columns
        .iter()
        .map(|c| {
            let ctx = TypeContext {
                dialect,
                is_key: key,
                postgis_schema: &config.postgis_schema,
            };
            let t = column_type(&c.schema, &ctx)
                .map_err(|e| WriteError::Fatal(format!("column {:?}: {e}", c.name.as_str())))?;
            Ok(Def {
                name: c.name.clone(),
                default: default_literal(&c.schema, &t.ddl, dialect),
                nullable: !key && c.schema.optional,
                ddl: t.ddl,
            })
        })
        .collect()
}
