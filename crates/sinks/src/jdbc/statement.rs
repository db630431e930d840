//! SQL text for the writer. Every identifier goes through [`Dialect::write_quoted`]; every value
//! is a bound parameter (`$1`.. on PostgreSQL, `?` on MySQL/MariaDB), never text in the
//! statement. Parameters are numbered row by row in the column order given.
//!
//! Shapes, compared with Debezium's (research §3):
//!
//! | op | PostgreSQL | MySQL / MariaDB |
//! |---|---|---|
//! | insert | `INSERT INTO t ("k", "v") VALUES ($1, $2), ($3, $4)` | same with `?` |
//! | upsert | `... ON CONFLICT ("k") DO UPDATE SET "v" = EXCLUDED."v"`; `DO NOTHING` when every column is a key | `... ON DUPLICATE KEY UPDATE v = VALUES(v)`; key columns assigned when every column is a key |
//! | update | `UPDATE t SET "v" = $1 WHERE "k" = $2` | same |
//! | delete | one row: `DELETE FROM t WHERE "k" = $1`; several: `WHERE "k" IN ($1, $2)` or `WHERE ("a", "b") IN (($1, $2), ($3, $4))` | same |
//! | create | `CREATE TABLE IF NOT EXISTS t ("k" integer NOT NULL, "v" text NULL, PRIMARY KEY ("k"))` | same |
//! | add columns | `ALTER TABLE t ADD COLUMN IF NOT EXISTS "c" smallint NULL, ...` | without `IF NOT EXISTS` (MySQL has none; MariaDB's breaks MySQL-grammar binlog parsers) |
//! | truncate | `TRUNCATE TABLE t` | same |
//!
//! Deviations: Debezium's batches are JDBC batches of one-row statements; ours are multi-row
//! statements. `IF NOT EXISTS` lets two tasks create the same table. The MySQL upsert uses the
//! `VALUES()` form on both MySQL 8 and MariaDB 10.11 (MySQL ≥ 8.0.20 deprecates it with a
//! warning; Debezium uses the `AS new` row alias there, which MariaDB rejects). An update or
//! delete without key columns is refused (Debezium writes one without `WHERE`, touching every
//! row). Casts are written on PostgreSQL only (`$1::jsonb`); MySQL converts strings to its
//! JSON type itself.

use super::dialect::{Dialect, Ident, TableName};

/// A column in a CREATE TABLE or ALTER TABLE.
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef<'a> {
    pub name: &'a Ident,
    /// The type's DDL (from [`super::column_type::column_type`], or the catalog).
    pub ddl: &'a str,
    pub nullable: bool,
    /// A rendered literal ([`super::column_type::default_literal`]).
    pub default: Option<&'a str>,
}

/// A bound column: its name and the cast its parameter needs (PostgreSQL only). The cast is
/// written as given: it must be a type name from [`super::column_type`] or the catalog's own
/// (`format_type`) rendering, never text from a record.
#[derive(Debug, Clone, Copy)]
pub struct Param<'a> {
    pub name: &'a Ident,
    pub cast: Option<&'a str>,
}

impl<'a> Param<'a> {
    pub fn new(name: &'a Ident) -> Self {
        Param { name, cast: None }
    }
}

/// A statement that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("a statement needs at least one column")]
    NoColumns,
    #[error("{0} needs primary key columns; without them it would touch every row")]
    NoKey(&'static str),
    #[error("an update needs columns besides the primary key")]
    NothingToSet,
    #[error("a statement needs at least one row")]
    NoRows,
    #[error("{rows} rows of {columns} columns exceed the {max} parameters one statement can bind")]
    TooManyParameters {
        rows: usize,
        columns: usize,
        max: usize,
    },
}

/// How many rows of `columns` bound columns fit one statement.
pub fn max_rows(dialect: Dialect, columns: usize) -> usize {
    dialect.max_parameters() / columns.max(1)
}

struct Sql {
    d: Dialect,
    out: String,
    next: usize,
}

impl Sql {
    fn new(d: Dialect) -> Self {
        Sql {
            d,
            out: String::with_capacity(128),
            next: 1,
        }
    }
    fn s(&mut self, text: &str) -> &mut Self {
        self.out.push_str(text);
        self
    }
    fn id(&mut self, ident: &Ident) -> &mut Self {
        self.d.write_quoted(&mut self.out, ident);
        self
    }
    fn table(&mut self, t: &TableName) -> &mut Self {
        self.d.write_table(&mut self.out, t);
        self
    }
    fn param(&mut self, p: &Param<'_>) -> &mut Self {
        self.d.write_placeholder(&mut self.out, self.next);
        self.next += 1;
        if let (Dialect::Postgres, Some(cast)) = (self.d, p.cast) {
            self.out.push_str("::");
            self.out.push_str(cast);
        }
        self
    }
    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) -> &mut Self {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            each(self, item);
        }
        self
    }
    fn names(&mut self, cols: &[Param<'_>]) -> &mut Self {
        self.s("(").list(cols, |s, c| {
            s.id(c.name);
        });
        self.s(")")
    }
    fn tuple(&mut self, cols: &[Param<'_>]) -> &mut Self {
        self.s("(").list(cols, |s, c| {
            s.param(c);
        });
        self.s(")")
    }
}

fn check(d: Dialect, columns: usize, rows: usize) -> Result<(), StatementError> {
    if columns == 0 {
        return Err(StatementError::NoColumns);
    }
    if rows == 0 {
        return Err(StatementError::NoRows);
    }
    let max = d.max_parameters();
    if columns.saturating_mul(rows) > max {
        return Err(StatementError::TooManyParameters { rows, columns, max });
    }
    Ok(())
}

fn values_clause(q: &mut Sql, table: &TableName, columns: &[Param<'_>], rows: usize) {
    q.s("INSERT INTO ")
        .table(table)
        .s(" ")
        .names(columns)
        .s(" VALUES ");
    for r in 0..rows {
        if r > 0 {
            q.s(", ");
        }
        q.tuple(columns);
    }
}

/// A multi-row INSERT of `rows` rows.
pub fn insert(
    d: Dialect,
    table: &TableName,
    columns: &[Param<'_>],
    rows: usize,
) -> Result<String, StatementError> {
    check(d, columns.len(), rows)?;
    let mut q = Sql::new(d);
    values_clause(&mut q, table, columns, rows);
    Ok(q.out)
}

/// A multi-row upsert: the key columns, then the others, in each row.
pub fn upsert(
    d: Dialect,
    table: &TableName,
    key: &[Param<'_>],
    values: &[Param<'_>],
    rows: usize,
) -> Result<String, StatementError> {
    if key.is_empty() {
        return Err(StatementError::NoKey("an upsert"));
    }
    let columns: Vec<Param<'_>> = key.iter().chain(values).copied().collect();
    check(d, columns.len(), rows)?;
    let mut q = Sql::new(d);
    values_clause(&mut q, table, &columns, rows);
    match d {
        Dialect::Postgres => {
            q.s(" ON CONFLICT ").names(key);
            if values.is_empty() {
                q.s(" DO NOTHING");
            } else {
                q.s(" DO UPDATE SET ").list(values, |s, c| {
                    s.id(c.name).s(" = EXCLUDED.").id(c.name);
                });
            }
        }
        Dialect::MySql | Dialect::MariaDb => {
            let assigned = if values.is_empty() { key } else { values };
            q.s(" ON DUPLICATE KEY UPDATE ").list(assigned, |s, c| {
                s.id(c.name).s(" = VALUES(").id(c.name).s(")");
            });
        }
    }
    Ok(q.out)
}

/// A one-row UPDATE: the `values` parameters first, then the key's.
pub fn update(
    d: Dialect,
    table: &TableName,
    values: &[Param<'_>],
    key: &[Param<'_>],
) -> Result<String, StatementError> {
    if key.is_empty() {
        return Err(StatementError::NoKey("an update"));
    }
    if values.is_empty() {
        return Err(StatementError::NothingToSet);
    }
    check(d, values.len() + key.len(), 1)?;
    let mut q = Sql::new(d);
    q.s("UPDATE ").table(table).s(" SET ").list(values, |s, c| {
        s.id(c.name).s(" = ").param(c);
    });
    q.s(" WHERE ");
    key_equals(&mut q, key);
    Ok(q.out)
}

fn key_equals(q: &mut Sql, key: &[Param<'_>]) {
    for (i, c) in key.iter().enumerate() {
        if i > 0 {
            q.s(" AND ");
        }
        q.id(c.name).s(" = ").param(c);
    }
}

/// A DELETE of `rows` keys.
pub fn delete(
    d: Dialect,
    table: &TableName,
    key: &[Param<'_>],
    rows: usize,
) -> Result<String, StatementError> {
    if key.is_empty() {
        return Err(StatementError::NoKey("a delete"));
    }
    check(d, key.len(), rows)?;
    let mut q = Sql::new(d);
    q.s("DELETE FROM ").table(table).s(" WHERE ");
    match (rows, key) {
        (1, _) => key_equals(&mut q, key),
        (_, [single]) => {
            q.id(single.name).s(" IN (");
            for r in 0..rows {
                if r > 0 {
                    q.s(", ");
                }
                q.param(single);
            }
            q.s(")");
        }
        _ => {
            q.names(key).s(" IN (");
            for r in 0..rows {
                if r > 0 {
                    q.s(", ");
                }
                q.tuple(key);
            }
            q.s(")");
        }
    }
    Ok(q.out)
}

/// PostgreSQL: the columns of a run bound as one text array each, `unnest($1::text[], ...) AS
/// u(...)`, so a run of any length is one statement of one shape (prepared once per table),
/// and the server casts each element to its column's type as it would a text parameter.
fn pg_unnest(q: &mut Sql, columns: &[Param<'_>]) {
    q.s("unnest(");
    for (i, _) in columns.iter().enumerate() {
        if i > 0 {
            q.s(", ");
        }
        q.d.write_placeholder(&mut q.out, q.next);
        q.next += 1;
        q.s("::text[]");
    }
    q.s(") AS u").names(columns);
}

/// `u."c"::type`: an unnested element cast to its column's type.
fn pg_element(q: &mut Sql, c: &Param<'_>) {
    q.s("u.").id(c.name);
    if let Some(cast) = c.cast {
        q.s("::").s(cast);
    }
}

/// PostgreSQL: an INSERT (with `upsert`, the ON CONFLICT form of [`upsert`]) of a whole run:
/// `INSERT INTO t ("k", "v") SELECT u."k"::bigint, u."v"::text FROM unnest($1::text[],
/// $2::text[]) AS u("k", "v")`. One parameter per column (key columns first): the column's
/// values, one element per row.
pub fn pg_insert_rows(
    table: &TableName,
    key: &[Param<'_>],
    values: &[Param<'_>],
    upsert: bool,
) -> Result<String, StatementError> {
    if upsert && key.is_empty() {
        return Err(StatementError::NoKey("an upsert"));
    }
    let columns: Vec<Param<'_>> = key.iter().chain(values).copied().collect();
    if columns.is_empty() {
        return Err(StatementError::NoColumns);
    }
    let mut q = Sql::new(Dialect::Postgres);
    q.s("INSERT INTO ").table(table).s(" ").names(&columns);
    q.s(" SELECT ").list(&columns, pg_element);
    q.s(" FROM ");
    pg_unnest(&mut q, &columns);
    if upsert {
        q.s(" ON CONFLICT ").names(key);
        if values.is_empty() {
            q.s(" DO NOTHING");
        } else {
            q.s(" DO UPDATE SET ").list(values, |s, c| {
                s.id(c.name).s(" = EXCLUDED.").id(c.name);
            });
        }
    }
    Ok(q.out)
}

/// PostgreSQL: an UPDATE of a whole run, `UPDATE t SET "v" = u."v"::text FROM unnest(...) AS
/// u("v", "k") WHERE t."k" = u."k"::bigint`; parameters as [`pg_insert_rows`], `values` first.
pub fn pg_update_rows(
    table: &TableName,
    values: &[Param<'_>],
    key: &[Param<'_>],
) -> Result<String, StatementError> {
    if key.is_empty() {
        return Err(StatementError::NoKey("an update"));
    }
    if values.is_empty() {
        return Err(StatementError::NothingToSet);
    }
    let columns: Vec<Param<'_>> = values.iter().chain(key).copied().collect();
    let mut q = Sql::new(Dialect::Postgres);
    q.s("UPDATE ").table(table).s(" SET ").list(values, |s, c| {
        s.id(c.name).s(" = ");
        pg_element(s, c);
    });
    q.s(" FROM ");
    pg_unnest(&mut q, &columns);
    q.s(" WHERE ");
    for (i, c) in key.iter().enumerate() {
        if i > 0 {
            q.s(" AND ");
        }
        q.table(table).s(".").id(c.name).s(" = ");
        pg_element(&mut q, c);
    }
    Ok(q.out)
}

/// PostgreSQL: a DELETE of a run's keys, `DELETE FROM t WHERE ("k") IN (SELECT u."k"::bigint
/// FROM unnest($1::text[]) AS u("k"))`.
pub fn pg_delete_rows(table: &TableName, key: &[Param<'_>]) -> Result<String, StatementError> {
    if key.is_empty() {
        return Err(StatementError::NoKey("a delete"));
    }
    let mut q = Sql::new(Dialect::Postgres);
    q.s("DELETE FROM ").table(table).s(" WHERE ").names(key);
    q.s(" IN (SELECT ").list(key, pg_element).s(" FROM ");
    pg_unnest(&mut q, key);
    q.s(")");
    Ok(q.out)
}

/// PostgreSQL: `COPY t ("a", "b") FROM STDIN` (text format), the insert of a run.
pub fn pg_copy(table: &TableName, columns: &[Param<'_>]) -> Result<String, StatementError> {
    if columns.is_empty() {
        return Err(StatementError::NoColumns);
    }
    let mut q = Sql::new(Dialect::Postgres);
    q.s("COPY ")
        .table(table)
        .s(" ")
        .names(columns)
        .s(" FROM STDIN");
    Ok(q.out)
}

/// Appends one row of COPY's text format: values separated by tabs, `\N` for NULL, and
/// backslash, newline, carriage return and tab escaped, so no value can end its row or field.
pub fn pg_copy_row<'v>(out: &mut Vec<u8>, values: impl Iterator<Item = Option<&'v str>>) {
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        pg_copy_field(out, v);
    }
    out.push(b'\n');
}

/// Appends one field of COPY's text format (escaped as [`pg_copy_row`] says), without the
/// separator.
pub fn pg_copy_field(out: &mut Vec<u8>, value: Option<&str>) {
    let Some(text) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    let bytes = text.as_bytes();
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain..i]);
        out.extend_from_slice(escaped);
        plain = i + 1;
    }
    out.extend_from_slice(&bytes[plain..]);
}

/// `TRUNCATE TABLE t`.
pub fn truncate(d: Dialect, table: &TableName) -> String {
    let mut q = Sql::new(d);
    q.s("TRUNCATE TABLE ").table(table);
    q.out
}

fn column_spec(q: &mut Sql, c: &ColumnDef<'_>) {
    q.id(c.name).s(" ").s(c.ddl);
    if let Some(default) = c.default {
        q.s(" DEFAULT ").s(default);
    }
    q.s(if c.nullable { " NULL" } else { " NOT NULL" });
}

/// `CREATE TABLE IF NOT EXISTS`, with a primary key when `key` is not empty.
pub fn create_table(
    d: Dialect,
    table: &TableName,
    columns: &[ColumnDef<'_>],
    key: &[&Ident],
) -> Result<String, StatementError> {
    if columns.is_empty() {
        return Err(StatementError::NoColumns);
    }
    let mut q = Sql::new(d);
    q.s("CREATE TABLE IF NOT EXISTS ").table(table).s(" (");
    q.list(columns, column_spec);
    if !key.is_empty() {
        q.s(", PRIMARY KEY (").list(key, |s, k| {
            s.id(k);
        });
        q.s(")");
    }
    q.s(")");
    Ok(q.out)
}

/// `ALTER TABLE ... ADD COLUMN ...` for each column.
pub fn add_columns(
    d: Dialect,
    table: &TableName,
    columns: &[ColumnDef<'_>],
) -> Result<String, StatementError> {
    if columns.is_empty() {
        return Err(StatementError::NoColumns);
    }
    let add = match d {
        Dialect::Postgres => "ADD COLUMN IF NOT EXISTS ",
        // MariaDB has IF NOT EXISTS, but a CDC source on the same server parsing its binlog
        // with a MySQL grammar (Tributary's own) fails on it; the writer looks the columns up
        // first, and a race with another task is a duplicate-column error that is retried.
        Dialect::MySql | Dialect::MariaDb => "ADD COLUMN ",
    };
    let mut q = Sql::new(d);
    q.s("ALTER TABLE ")
        .table(table)
        .s(" ")
        .list(columns, |s, c| {
            s.s(add);
            column_spec(s, c);
        });
    Ok(q.out)
}

#[cfg(test)]
#[path = "statement_tests.rs"]
mod tests;
