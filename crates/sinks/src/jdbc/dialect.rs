//! The target databases' SQL dialects: identifier quoting and the names tables and columns get.
//!
//! **Every identifier is quoted and escaped, always** (DESIGN.md §6): PostgreSQL's `"` and
//! MySQL/MariaDB's `` ` `` are doubled inside the name, so no topic, field or header name can
//! end the identifier and change the statement. An [`Ident`] can only be made through
//! [`Dialect::ident`], which refuses what no quoting can carry (empty names, NUL characters) and
//! applies the server's length rule.
//!
//! How names are chosen ([`Naming`]) follows the connector being emulated:
//!
//! | setting | Debezium / Confluent | Tributary |
//! |---|---|---|
//! | Debezium `quote.identifiers=false` (default) | names are lower-cased and written **unquoted and unescaped** (research §0.4, §3) | lower-cased, then quoted and escaped |
//! | Debezium `quote.identifiers=true` | case kept, quoted (quote characters inside names probably not doubled, **unconfirmed**) | case kept, quoted and escaped |
//! | Confluent `quote.sql.identifiers=always` (default) | case kept, quoted | same, escaped |
//! | Confluent `quote.sql.identifiers=never` | unquoted: PostgreSQL folds to lower case, MySQL keeps the case; the PG dialect lower-cases table names itself | PostgreSQL: lower-cased then quoted; MySQL: case kept, quoted |
//!
//! Debezium's lower-casing is read from `GeneralDatabaseDialect.resolveColumnName` and
//! `PostgresDatabaseDialect.tableExists` and was observed (field `Name` → column `name`); whether
//! it also holds on MySQL/MariaDB, where Hibernate may keep the case the server stores, is
//! **unconfirmed**: we lower-case there too. The visible difference from Debezium: names that
//! are keywords or contain odd characters work, and a name like `a"; drop table x; --` becomes a
//! table of that literal name instead of SQL.
//!
//! Lengths: PostgreSQL truncates identifiers longer than 63 bytes (NAMEDATALEN - 1) with only a
//! notice, so we truncate the same way (at a character boundary) to name what the server will
//! hold; MySQL and MariaDB refuse names longer than 64 characters, so we refuse them first.

use std::fmt;

/// A target database family, from the JDBC URL's subprotocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Postgres,
    MySql,
    MariaDb,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL",
            Dialect::MariaDb => "MariaDB",
        })
    }
}

/// PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1).
const PG_MAX_IDENT_BYTES: usize = 63;
/// MySQL's and MariaDB's identifier limit in characters.
const MYSQL_MAX_IDENT_CHARS: usize = 64;

/// A name the dialect can quote: not empty, no NUL, within the server's length. Shared: every
/// row of a table carries its column names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(std::sync::Arc<str>);

impl Ident {
    /// The name as the database stores it (unquoted).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name no quoting can make valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("an empty name cannot be a table or column name")]
    Empty,
    #[error("the name {name:?} contains a NUL character, which no identifier can hold")]
    Nul { name: String },
    #[error("the name {name:?} is longer than {max} characters, the limit of MySQL and MariaDB")]
    TooLong { name: String, max: usize },
    #[error("the table name {name:?} has {parts} dot-separated parts; at most {max} are allowed ({form})")]
    TooManyParts {
        name: String,
        parts: usize,
        max: usize,
        form: &'static str,
    },
}

impl Dialect {
    /// The quote character around identifiers.
    pub fn quote_char(self) -> char {
        match self {
            Dialect::Postgres => '"',
            Dialect::MySql | Dialect::MariaDb => '`',
        }
    }

    /// A checked identifier. On PostgreSQL a name over 63 bytes is truncated as the server
    /// would truncate it; on MySQL/MariaDB it is refused.
    pub fn ident(self, name: &str) -> Result<Ident, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.contains('\0') {
            return Err(NameError::Nul { name: name.into() });
        }
        match self {
            Dialect::Postgres => {
                let mut end = name.len().min(PG_MAX_IDENT_BYTES);
                while !name.is_char_boundary(end) {
                    end -= 1;
                }
                Ok(Ident(name[..end].into()))
            }
            Dialect::MySql | Dialect::MariaDb => {
                if name.chars().count() > MYSQL_MAX_IDENT_CHARS {
                    Err(NameError::TooLong {
                        name: name.into(),
                        max: MYSQL_MAX_IDENT_CHARS,
                    })
                } else {
                    Ok(Ident(name.into()))
                }
            }
        }
    }

    /// Writes `ident` quoted, with the quote character doubled inside it.
    pub fn write_quoted(self, out: &mut String, ident: &Ident) {
        let q = self.quote_char();
        out.push(q);
        for c in ident.0.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
    }

    /// `ident` quoted and escaped.
    pub fn quote(self, ident: &Ident) -> String {
        let mut out = String::with_capacity(ident.0.len() + 2);
        self.write_quoted(&mut out, ident);
        out
    }

    /// Writes a table name: `"table"`, `"schema"."table"` or `"database"."schema"."table"`.
    pub fn write_table(self, out: &mut String, table: &TableName) {
        if let Some(database) = &table.database {
            self.write_quoted(out, database);
            out.push('.');
        }
        if let Some(schema) = &table.schema {
            self.write_quoted(out, schema);
            out.push('.');
        }
        self.write_quoted(out, &table.name);
    }

    /// A table name, quoted and escaped.
    pub fn quote_table(self, table: &TableName) -> String {
        let mut out = String::new();
        self.write_table(&mut out, table);
        out
    }

    /// Writes a string literal (for DDL only: enum members, defaults; values are always bound).
    /// PostgreSQL with `standard_conforming_strings` (on since 9.1) only doubles `'`. MySQL and
    /// MariaDB also treat `\` as an escape, so it is doubled there: this assumes the session's
    /// `sql_mode` lacks `NO_BACKSLASH_ESCAPES` (with it, a doubled backslash stays two; the
    /// writer must set its session's `sql_mode` accordingly). Either way the literal cannot end
    /// early: a `'` is always doubled.
    pub fn write_string_literal(self, out: &mut String, s: &str) {
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if self != Dialect::Postgres => out.push_str("\\\\"),
                _ => out.push(c),
            }
        }
        out.push('\'');
    }

    /// The text of bound parameter `n` (1-based): `$n` on PostgreSQL, `?` on MySQL/MariaDB.
    pub fn write_placeholder(self, out: &mut String, n: usize) {
        match self {
            Dialect::Postgres => {
                out.push('$');
                out.push_str(&n.to_string());
            }
            Dialect::MySql | Dialect::MariaDb => out.push('?'),
        }
    }

    /// The most parameters one statement may bind (both protocols count them in 16 bits).
    pub fn max_parameters(self) -> usize {
        65_535
    }
}

/// A table, optionally qualified by a schema (PostgreSQL) or database (MySQL/MariaDB), and on
/// PostgreSQL also by a database, which the server only accepts when it is the connected one
/// (otherwise: "cross-database references are not implemented").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableName {
    pub database: Option<Ident>,
    pub schema: Option<Ident>,
    pub name: Ident,
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.database {
            write!(f, "{d}.")?;
        }
        if let Some(s) = &self.schema {
            write!(f, "{s}.")?;
        }
        f.write_str(self.name.as_str())
    }
}

/// How a resolved collection name and a field name become identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Naming {
    pub dialect: Dialect,
    /// Fold names to lower case (see the module doc for when).
    pub lower_case: bool,
}

impl Naming {
    /// The column for a field.
    pub fn column(&self, field: &str) -> Result<Ident, NameError> {
        self.dialect.ident(&self.fold(field))
    }

    /// The table for a resolved collection name (after `${topic}`/`${source.*}` substitution).
    /// Dots separate qualifiers, as in Debezium's `TableId.parseParts` and Confluent's
    /// `parseTableIdentifier`: `t`, `schema.t`, or on PostgreSQL `database.schema.t` (kept and
    /// written: the server refuses a database other than the connected one). On MySQL/MariaDB
    /// the qualifier is the database.
    pub fn table(&self, resolved: &str) -> Result<TableName, NameError> {
        let folded = self.fold(resolved);
        let parts: Vec<&str> = folded.split('.').collect();
        let (max, form) = match self.dialect {
            Dialect::Postgres => (3, "database.schema.table"),
            Dialect::MySql | Dialect::MariaDb => (2, "database.table"),
        };
        let (database, schema, name) = match parts.as_slice() {
            [name] => (None, None, *name),
            [schema, name] => (None, Some(*schema), *name),
            [database, schema, name] if max == 3 => (Some(*database), Some(*schema), *name),
            _ => {
                return Err(NameError::TooManyParts {
                    name: resolved.into(),
                    parts: parts.len(),
                    max,
                    form,
                })
            }
        };
        Ok(TableName {
            database: database.map(|s| self.dialect.ident(s)).transpose()?,
            schema: schema.map(|s| self.dialect.ident(s)).transpose()?,
            name: self.dialect.ident(name)?,
        })
    }

    fn fold(&self, name: &str) -> String {
        if self.lower_case {
            name.to_lowercase()
        } else {
            name.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\"; drop table x; --";

    #[test]
    fn postgres_doubles_double_quotes() {
        let d = Dialect::Postgres;
        assert_eq!(d.quote(&d.ident("t").unwrap()), "\"t\"");
        assert_eq!(
            d.quote(&d.ident(HOSTILE).unwrap()),
            "\"a\"\"; drop table x; --\""
        );
        assert_eq!(d.quote(&d.ident("\"\"").unwrap()), "\"\"\"\"\"\"");
        // A backtick means nothing to PostgreSQL.
        assert_eq!(d.quote(&d.ident("a`b").unwrap()), "\"a`b\"");
    }

    #[test]
    fn mysql_and_mariadb_double_backticks() {
        for d in [Dialect::MySql, Dialect::MariaDb] {
            assert_eq!(d.quote(&d.ident("t").unwrap()), "`t`");
            assert_eq!(
                d.quote(&d.ident("a`; drop table x; --").unwrap()),
                "`a``; drop table x; --`"
            );
            assert_eq!(
                d.quote(&d.ident(HOSTILE).unwrap()),
                "`a\"; drop table x; --`"
            );
        }
    }

    #[test]
    fn names_no_quoting_can_carry_are_refused() {
        for d in [Dialect::Postgres, Dialect::MySql] {
            assert_eq!(d.ident(""), Err(NameError::Empty));
            assert!(matches!(d.ident("a\0b"), Err(NameError::Nul { .. })));
        }
    }

    #[test]
    fn postgres_truncates_long_names_like_the_server_and_mysql_refuses_them() {
        let long = "é".repeat(40); // 80 bytes
        let pg = Dialect::Postgres.ident(&long).unwrap();
        assert_eq!(pg.as_str().len(), 62); // 31 two-byte characters: never a split character
        assert_eq!(
            Dialect::Postgres
                .ident(&"a".repeat(70))
                .unwrap()
                .as_str()
                .len(),
            63
        );
        assert!(Dialect::MySql.ident(&"a".repeat(64)).is_ok());
        let err = Dialect::MariaDb.ident(&"a".repeat(65)).unwrap_err();
        assert!(
            err.to_string().contains("longer than 64 characters"),
            "{err}"
        );
    }

    #[test]
    fn string_literals_escape_quotes_and_mysql_backslashes() {
        let mut pg = String::new();
        Dialect::Postgres.write_string_literal(&mut pg, "it's a\\b");
        assert_eq!(pg, "'it''s a\\b'");
        let mut my = String::new();
        Dialect::MySql.write_string_literal(&mut my, "it's a\\b");
        assert_eq!(my, "'it''s a\\\\b'");
    }

    #[test]
    fn placeholders_per_dialect() {
        let mut s = String::new();
        Dialect::Postgres.write_placeholder(&mut s, 12);
        Dialect::MariaDb.write_placeholder(&mut s, 12);
        assert_eq!(s, "$12?");
    }

    #[test]
    fn table_names_split_on_dots_and_fold_when_asked() {
        let fold = Naming {
            dialect: Dialect::Postgres,
            lower_case: true,
        };
        let t = fold.table("Inventory.Customers").unwrap();
        assert_eq!(
            Dialect::Postgres.quote_table(&t),
            "\"inventory\".\"customers\""
        );
        let t = fold.table("db.public.t").unwrap();
        assert_eq!(t.to_string(), "db.public.t");
        assert_eq!(Dialect::Postgres.quote_table(&t), "\"db\".\"public\".\"t\"");
        assert_eq!(fold.column("Name").unwrap().as_str(), "name");

        let keep = Naming {
            dialect: Dialect::MySql,
            lower_case: false,
        };
        let t = keep.table("Shop.Orders").unwrap();
        assert_eq!(Dialect::MySql.quote_table(&t), "`Shop`.`Orders`");
        let err = keep.table("a.b.c").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the table name \"a.b.c\" has 3 dot-separated parts; at most 2 are allowed (database.table)"
        );
        assert_eq!(keep.table(".b").unwrap_err(), NameError::Empty);
    }

    #[test]
    fn hostile_table_names_stay_one_identifier() {
        let naming = Naming {
            dialect: Dialect::Postgres,
            lower_case: false,
        };
        let t = naming.table("x\"; DROP TABLE y; --").unwrap();
        assert_eq!(
            Dialect::Postgres.quote_table(&t),
            "\"x\"\"; DROP TABLE y; --\""
        );
    }
}
