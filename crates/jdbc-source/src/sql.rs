//! The SQL a querier runs, as kafka-connect-jdbc 10.9.7 builds it
//! (`TimestampIncrementingCriteria`, `BulkTableQuerier`, `TimestampIncrementingTableQuerier`,
//! `ExpressionBuilder`): `SELECT * FROM <table>` (or the user's query verbatim), then the mode's
//! `WHERE` with `?` parameters, its `ORDER BY`, and `query.suffix` after one space.
//!
//! In table mode offset columns are qualified by the table (`"public"."orders"."id"`); in
//! query mode they are bare. Several timestamp columns become `COALESCE(a,b)` (no space).
//! Bounds are exclusive. Embedded quote characters are not escaped, as Confluent does not
//! escape them (a name with one fails in the database, never silently).

/// The database's identifier rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlDialect {
    /// Double quotes.
    Postgres,
    /// Backticks (MySQL and MariaDB).
    MySql,
}

impl SqlDialect {
    fn quote(self) -> char {
        match self {
            SqlDialect::Postgres => '"',
            SqlDialect::MySql => '`',
        }
    }
}

/// `quote.sql.identifiers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    Always,
    Never,
}

/// A table: `schema.table` on PostgreSQL, `database.table` on MySQL (either part may be absent
/// for a bare name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId {
    pub schema: Option<String>,
    pub table: String,
}

impl TableId {
    pub fn new(schema: Option<&str>, table: &str) -> TableId {
        TableId {
            schema: schema.map(str::to_owned),
            table: table.to_owned(),
        }
    }

    /// The unquoted qualified name (`public.orders`): the offsets' partition and what table
    /// filters match.
    pub fn fqn(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.table),
            None => self.table.clone(),
        }
    }

    /// The qualified name as the dialect quotes it (`"public"."orders"`).
    pub fn quoted(&self, dialect: SqlDialect) -> String {
        let mut out = String::new();
        self.render(dialect, Quoting::Always, &mut out);
        out
    }

    fn render(&self, dialect: SqlDialect, quoting: Quoting, out: &mut String) {
        if let Some(s) = &self.schema {
            ident(s, dialect, quoting, out);
            out.push('.');
        }
        ident(&self.table, dialect, quoting, out);
    }
}

fn ident(name: &str, dialect: SqlDialect, quoting: Quoting, out: &mut String) {
    match quoting {
        Quoting::Always => {
            let q = dialect.quote();
            out.push(q);
            out.push_str(name);
            out.push(q);
        }
        Quoting::Never => out.push_str(name),
    }
}

/// `mode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Bulk,
    Incrementing {
        column: String,
    },
    Timestamp {
        columns: Vec<String>,
    },
    TimestampIncrementing {
        columns: Vec<String>,
        incrementing: String,
    },
}

/// What one execution binds to the statement's `?`s, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// The stored incrementing value (−1 when none).
    Incrementing,
    /// The stored timestamp (the epoch when none).
    Begin,
    /// The database's current time minus `timestamp.delay.interval.ms`.
    End,
}

/// A statement and the meaning of its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub sql: String,
    pub params: Vec<Param>,
    /// Where the clauses this builder added start (after the table's `SELECT` or the custom
    /// query): the only place its `?` placeholders are.
    pub base: usize,
}

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rows<'a> {
    Table(&'a TableId),
    /// `query`, used verbatim.
    Custom(&'a str),
}

/// Builds the statement of `mode` over `from`, with `suffix` (`query.suffix`, trimmed; empty
/// for none).
pub fn build(
    from: &Rows<'_>,
    mode: &Mode,
    dialect: SqlDialect,
    quoting: Quoting,
    suffix: &str,
) -> Query {
    let mut sql = String::new();
    let table = match from {
        Rows::Table(t) => {
            sql.push_str("SELECT * FROM ");
            t.render(dialect, quoting, &mut sql);
            Some(*t)
        }
        Rows::Custom(q) => {
            sql.push_str(q);
            None
        }
    };
    let column = |name: &str, out: &mut String| {
        if let Some(t) = table {
            t.render(dialect, quoting, out);
            out.push('.');
        }
        ident(name, dialect, quoting, out);
    };
    let timestamp = |columns: &[String], out: &mut String| {
        if columns.len() == 1 {
            column(&columns[0], out);
        } else {
            out.push_str("COALESCE(");
            for (i, c) in columns.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                column(c, out);
            }
            out.push(')');
        }
    };
    let base = sql.len();
    let mut params = Vec::new();
    match mode {
        Mode::Bulk => {}
        Mode::Incrementing { column: id } => {
            sql.push_str(" WHERE ");
            column(id, &mut sql);
            sql.push_str(" > ? ORDER BY ");
            column(id, &mut sql);
            sql.push_str(" ASC");
            params.push(Param::Incrementing);
        }
        Mode::Timestamp { columns } => {
            let mut ts = String::new();
            timestamp(columns, &mut ts);
            sql.push_str(&format!(" WHERE {ts} > ? AND {ts} < ? ORDER BY {ts} ASC"));
            params.extend([Param::Begin, Param::End]);
        }
        Mode::TimestampIncrementing {
            columns,
            incrementing,
        } => {
            let (mut ts, mut id) = (String::new(), String::new());
            timestamp(columns, &mut ts);
            column(incrementing, &mut id);
            sql.push_str(&format!(
                " WHERE {ts} < ? AND (({ts} = ? AND {id} > ?) OR {ts} > ?) ORDER BY {ts},{id} ASC"
            ));
            params.extend([Param::End, Param::Begin, Param::Incrementing, Param::Begin]);
        }
    }
    if !suffix.is_empty() {
        sql.push(' ');
        sql.push_str(suffix);
    }
    Query { sql, params, base }
}

impl Query {
    /// The statement with PostgreSQL's numbered placeholders (`$1`, `$2`, ...) for this
    /// builder's `?`s; a `?` in the custom query itself (a jsonb operator) is left alone.
    pub fn numbered(&self) -> String {
        let (head, tail) = self.sql.split_at(self.base.min(self.sql.len()));
        let mut out = String::with_capacity(self.sql.len() + 8);
        out.push_str(head);
        let mut n = 0;
        for c in tail.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders() -> TableId {
        TableId::new(Some("public"), "orders")
    }

    fn pg(mode: &Mode) -> Query {
        build(
            &Rows::Table(&orders()),
            mode,
            SqlDialect::Postgres,
            Quoting::Always,
            "",
        )
    }

    #[test]
    fn postgres_numbers_only_the_builders_placeholders() {
        let q = build(
            &Rows::Custom("SELECT * FROM t WHERE doc ? 'k' AND"),
            &Mode::TimestampIncrementing {
                columns: vec!["ts".into()],
                incrementing: "id".into(),
            },
            SqlDialect::Postgres,
            Quoting::Always,
            "",
        );
        assert_eq!(
            q.numbered(),
            r#"SELECT * FROM t WHERE doc ? 'k' AND WHERE "ts" < $1 AND (("ts" = $2 AND "id" > $3) OR "ts" > $4) ORDER BY "ts","id" ASC"#
        );
    }

    #[test]
    fn each_mode_writes_confluents_sql_in_table_mode() {
        assert_eq!(pg(&Mode::Bulk).sql, r#"SELECT * FROM "public"."orders""#);
        let q = pg(&Mode::Incrementing {
            column: "id".into(),
        });
        assert_eq!(
            q.sql,
            r#"SELECT * FROM "public"."orders" WHERE "public"."orders"."id" > ? ORDER BY "public"."orders"."id" ASC"#
        );
        assert_eq!(q.params, [Param::Incrementing]);
        let q = pg(&Mode::Timestamp {
            columns: vec!["ts".into()],
        });
        assert_eq!(
            q.sql,
            r#"SELECT * FROM "public"."orders" WHERE "public"."orders"."ts" > ? AND "public"."orders"."ts" < ? ORDER BY "public"."orders"."ts" ASC"#
        );
        assert_eq!(q.params, [Param::Begin, Param::End]);
        let q = pg(&Mode::TimestampIncrementing {
            columns: vec!["ts".into()],
            incrementing: "id".into(),
        });
        assert_eq!(
            q.sql,
            r#"SELECT * FROM "public"."orders" WHERE "public"."orders"."ts" < ? AND (("public"."orders"."ts" = ? AND "public"."orders"."id" > ?) OR "public"."orders"."ts" > ?) ORDER BY "public"."orders"."ts","public"."orders"."id" ASC"#
        );
        assert_eq!(
            q.params,
            [Param::End, Param::Begin, Param::Incrementing, Param::Begin]
        );
    }

    #[test]
    fn several_timestamp_columns_coalesce_and_a_query_keeps_bare_columns_and_the_suffix() {
        let q = build(
            &Rows::Custom("SELECT id, ts FROM orders"),
            &Mode::Timestamp {
                columns: vec!["updated".into(), "created".into()],
            },
            SqlDialect::MySql,
            Quoting::Always,
            "LIMIT 100",
        );
        assert_eq!(
            q.sql,
            "SELECT id, ts FROM orders WHERE COALESCE(`updated`,`created`) > ? AND COALESCE(`updated`,`created`) < ? ORDER BY COALESCE(`updated`,`created`) ASC LIMIT 100"
        );
        let q = build(
            &Rows::Table(&TableId::new(Some("shop"), "articles")),
            &Mode::Incrementing {
                column: "id".into(),
            },
            SqlDialect::MySql,
            Quoting::Never,
            "",
        );
        assert_eq!(
            q.sql,
            "SELECT * FROM shop.articles WHERE shop.articles.id > ? ORDER BY shop.articles.id ASC"
        );
        assert_eq!(orders().fqn(), "public.orders");
    }
}
