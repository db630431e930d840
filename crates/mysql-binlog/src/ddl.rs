//! DDL from query events and `SHOW CREATE TABLE`, applied to the [`Catalog`].
//!
//! Statements are parsed with `sqlparser`'s MySQL dialect. Only statements that change table
//! definitions matter (CREATE/ALTER/DROP/RENAME TABLE, TRUNCATE, CREATE/DROP DATABASE); others
//! (GRANT, CREATE USER, views, routines, ...) are recognised by their first words and ignored.
//! A schema statement the parser cannot handle is an error the caller reports; it is never
//! dropped silently.

use sqlparser::ast::{
    AlterTableOperation, ColumnDef, ColumnOption, CreateTable, CreateTableLikeKind,
    MySQLColumnPosition, ObjectName, ObjectType, RenameTableNameKind, Statement, TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use crate::catalog::{Catalog, Column, Table, TableId};

/// What a statement did to the catalog, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    CreateTable(TableId),
    /// `renamed_from` is set for a rename (ALTER TABLE ... RENAME or RENAME TABLE).
    AlterTable {
        id: TableId,
        renamed_from: Option<TableId>,
    },
    DropTable(TableId),
    Truncate(TableId),
    CreateDatabase(String),
    DropDatabase(String),
}

/// How a query event's statement is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `BEGIN`, `XA START`: a transaction starts.
    Begin,
    /// `COMMIT`, `XA COMMIT`, `ROLLBACK` (non-transactional tables).
    Commit,
    /// Changes table definitions.
    Schema,
    /// Anything else (grants, users, routines, views, SAVEPOINT, FLUSH, ...).
    Other,
}

/// A schema statement that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DdlError {
    #[error("the DDL parser cannot handle this statement: {reason}")]
    Unparseable { reason: String },
    #[error("{0}")]
    Unsupported(String),
}

/// The first words of a statement, upper case, comments and whitespace skipped.
fn leading_words(sql: &str, n: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = sql;
    while words.len() < n {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("/*") {
            // `/*!50001 ... */` executable comments hold real SQL; others are skipped.
            if let Some(r2) = r.strip_prefix('!') {
                rest = r2.trim_start_matches(|c: char| c.is_ascii_digit());
                continue;
            }
            match r.find("*/") {
                Some(end) => rest = &r[end + 2..],
                None => break,
            }
            continue;
        }
        if rest.starts_with("--") || rest.starts_with('#') {
            match rest.find('\n') {
                Some(end) => rest = &rest[end + 1..],
                None => break,
            }
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        words.push(rest[..end].to_ascii_uppercase());
        rest = &rest[end..];
    }
    words
}

/// Classifies a statement by its first words.
pub fn classify(sql: &str) -> Kind {
    let w = leading_words(sql, 4);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["BEGIN", ..] | ["XA", "START", ..] | ["XA", "BEGIN", ..] => Kind::Begin,
        ["COMMIT", ..] | ["XA", "COMMIT", ..] | ["ROLLBACK", ..] | ["XA", "ROLLBACK", ..] => {
            Kind::Commit
        }
        ["CREATE", "TABLE", ..]
        | ["CREATE", "TEMPORARY", "TABLE", ..]
        | ["CREATE", "OR", "REPLACE", "TABLE", ..]
        | ["ALTER", "TABLE", ..]
        | ["ALTER", "ONLINE", "TABLE", ..]
        | ["ALTER", "IGNORE", "TABLE", ..]
        | ["DROP", "TABLE", ..]
        | ["DROP", "TEMPORARY", "TABLE", ..]
        | ["RENAME", "TABLE", ..]
        | ["RENAME", "TABLES", ..]
        | ["TRUNCATE", ..]
        | ["CREATE", "DATABASE", ..]
        | ["CREATE", "SCHEMA", ..]
        | ["DROP", "DATABASE", ..]
        | ["DROP", "SCHEMA", ..] => Kind::Schema,
        _ => Kind::Other,
    }
}

/// Is this a temporary-table statement (never replicated into the schema)?
fn is_temporary(sql: &str) -> bool {
    let w = leading_words(sql, 3);
    w.get(1).is_some_and(|x| x == "TEMPORARY")
}

/// MariaDB/MySQL spellings sqlparser does not take, rewritten to equivalents it does.
fn normalise(sql: &str) -> String {
    let w = leading_words(sql, 3);
    let mut s = sql.to_owned();
    if w.len() >= 2 && w[0] == "ALTER" && (w[1] == "ONLINE" || w[1] == "IGNORE") {
        if let Some(i) = s.to_ascii_uppercase().find(&w[1]) {
            s.replace_range(i..i + w[1].len(), "");
        }
    }
    if w.len() >= 2 && w[0] == "RENAME" && w[1] == "TABLES" {
        if let Some(i) = s.to_ascii_uppercase().find("TABLES") {
            s.replace_range(i..i + 6, "TABLE");
        }
    }
    s
}

/// Applies one statement run in `default_db` to the catalog and says what it changed.
/// Statements of [`Kind::Other`] change nothing and return no changes.
pub fn apply(catalog: &mut Catalog, default_db: &str, sql: &str) -> Result<Vec<Change>, DdlError> {
    if classify(sql) != Kind::Schema || is_temporary(sql) {
        return Ok(Vec::new());
    }
    let statements = Parser::parse_sql(&MySqlDialect {}, &normalise(sql)).map_err(|e| {
        DdlError::Unparseable {
            reason: e.to_string(),
        }
    })?;
    let mut changes = Vec::new();
    for st in statements {
        apply_statement(catalog, default_db, st, &mut changes)?;
    }
    Ok(changes)
}

fn ident(s: &str) -> String {
    let s = s.trim();
    for q in ['`', '"'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].replace(&format!("{q}{q}"), &q.to_string());
        }
    }
    s.to_owned()
}

fn table_id(name: &ObjectName, default_db: &str) -> TableId {
    let parts: Vec<String> = name.0.iter().map(|p| ident(&p.to_string())).collect();
    match parts.as_slice() {
        [db, table] => TableId::new(db, table),
        [.., table] => TableId::new(default_db, table),
        [] => TableId::new(default_db, ""),
    }
}

fn apply_statement(
    catalog: &mut Catalog,
    default_db: &str,
    st: Statement,
    changes: &mut Vec<Change>,
) -> Result<(), DdlError> {
    match st {
        Statement::CreateTable(ct) => {
            if ct.temporary {
                return Ok(());
            }
            let id = table_id(&ct.name, default_db);
            if ct.if_not_exists && catalog.table(&id).is_some() {
                return Ok(());
            }
            let table = create_table(catalog, &id, &ct)?;
            catalog.put(table);
            changes.push(Change::CreateTable(id));
        }
        Statement::AlterTable {
            name, operations, ..
        } => {
            let id = table_id(&name, default_db);
            let Some(mut table) = catalog.table(&id).cloned() else {
                // A table we never saw (created before the history began and not captured).
                return Ok(());
            };
            let mut renamed_from = None;
            for op in operations {
                if let Some(new_id) = alter(&mut table, op, default_db)? {
                    renamed_from = Some(table.id());
                    table.db = new_id.db;
                    table.name = new_id.table;
                }
            }
            if let Some(old) = &renamed_from {
                catalog.remove(old);
            }
            let new_id = table.id();
            catalog.put(table);
            changes.push(Change::AlterTable {
                id: new_id,
                renamed_from,
            });
        }
        Statement::Drop {
            object_type,
            names,
            temporary,
            ..
        } => match object_type {
            ObjectType::Table if !temporary => {
                for n in &names {
                    let id = table_id(n, default_db);
                    if catalog.remove(&id).is_some() {
                        changes.push(Change::DropTable(id));
                    }
                }
            }
            ObjectType::Schema | ObjectType::Database => {
                for n in &names {
                    let db = ident(&n.to_string());
                    for id in catalog.drop_database(&db) {
                        changes.push(Change::DropTable(id));
                    }
                    changes.push(Change::DropDatabase(db));
                }
            }
            _ => {}
        },
        Statement::RenameTable(renames) => {
            for r in renames {
                let old = table_id(&r.old_name, default_db);
                let new = table_id(&r.new_name, default_db);
                if let Some(mut t) = catalog.remove(&old) {
                    t.db = new.db.clone();
                    t.name = new.table.clone();
                    catalog.put(t);
                    changes.push(Change::AlterTable {
                        id: new,
                        renamed_from: Some(old),
                    });
                }
            }
        }
        Statement::Truncate { table_names, .. } => {
            for t in table_names {
                let id = table_id(&t.name, default_db);
                if catalog.table(&id).is_some() {
                    changes.push(Change::Truncate(id));
                }
            }
        }
        Statement::CreateDatabase { db_name, .. } => {
            let db = ident(&db_name.to_string());
            catalog.databases.entry(db.clone()).or_insert(None);
            changes.push(Change::CreateDatabase(db));
        }
        Statement::CreateSchema { schema_name, .. } => {
            let db = ident(&schema_name.to_string());
            catalog.databases.entry(db.clone()).or_insert(None);
            changes.push(Change::CreateDatabase(db));
        }
        other => {
            return Err(DdlError::Unsupported(format!(
                "the statement parsed as something other than table DDL: {}",
                first_line(&other.to_string())
            )))
        }
    }
    Ok(())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn create_table(catalog: &Catalog, id: &TableId, ct: &CreateTable) -> Result<Table, DdlError> {
    if let Some(like) = &ct.like {
        let src = match like {
            CreateTableLikeKind::Parenthesized(l) | CreateTableLikeKind::Plain(l) => &l.name,
        };
        let src = table_id(src, &id.db);
        let Some(mut t) = catalog.table(&src).cloned() else {
            return Err(DdlError::Unsupported(format!(
                "CREATE TABLE {id} LIKE {src}: the source table is unknown"
            )));
        };
        t.db = id.db.clone();
        t.name = id.table.clone();
        return Ok(t);
    }
    let mut table = Table {
        db: id.db.clone(),
        name: id.table.clone(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        charset: None,
        comment: None,
    };
    for c in &ct.columns {
        let (col, pk) = column(c)?;
        if pk {
            table.primary_key = vec![col.name.clone()];
        }
        table.columns.push(col);
    }
    for constraint in &ct.constraints {
        add_constraint(&mut table, constraint);
    }
    let options = ct.table_options.to_string().to_ascii_uppercase();
    if let Some(cs) =
        option_value(&options, "CHARSET").or_else(|| option_value(&options, "CHARACTER SET"))
    {
        table.charset = Some(cs.to_ascii_lowercase());
    }
    mark_key_columns_not_null(&mut table);
    Ok(table)
}

fn option_value(options: &str, key: &str) -> Option<String> {
    let i = options.find(key)?;
    let rest = options[i + key.len()..]
        .trim_start()
        .trim_start_matches('=')
        .trim_start();
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ',')
        .unwrap_or(rest.len());
    (end > 0).then(|| rest[..end].trim_matches(['\'', '"', '`']).to_owned())
}

fn mark_key_columns_not_null(table: &mut Table) {
    for k in table.primary_key.clone() {
        if let Some(i) = table.column_index(&k) {
            table.columns[i].nullable = false;
        }
    }
}

fn add_constraint(table: &mut Table, constraint: &TableConstraint) {
    let text = constraint.to_string();
    let upper = text.to_ascii_uppercase();
    // `PRIMARY KEY (a, b)` or `CONSTRAINT x PRIMARY KEY (a(10), b)`.
    if let Some(i) = upper.find("PRIMARY KEY") {
        if let Some(cols) = paren_list(&text[i..]) {
            table.primary_key = cols
                .iter()
                .map(|c| {
                    let c = c.trim();
                    let name = c.split(['(', ' ']).next().unwrap_or(c);
                    let name = ident(name);
                    table
                        .column_index(&name)
                        .map(|i| table.columns[i].name.clone())
                        .unwrap_or(name)
                })
                .collect();
        }
        mark_key_columns_not_null(table);
    }
}

/// The items of the first parenthesised list in `s`, split at top-level commas, quotes kept.
fn paren_list(s: &str) -> Option<Vec<String>> {
    let start = s.find('(')?;
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = s[start..].chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            cur.push(c);
            if c == q {
                if chars.peek() == Some(&q) {
                    cur.push(q);
                    chars.next();
                } else {
                    quote = None;
                }
            } else if c == '\\' {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                cur.push(c);
            }
            '(' => {
                depth += 1;
                if depth > 1 {
                    cur.push(c);
                }
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    items.push(cur.trim().to_owned());
                    return Some(items);
                }
                cur.push(c);
            }
            ',' if depth == 1 => {
                items.push(cur.trim().to_owned());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    None
}

fn unquote_string(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 && (s.starts_with('\'') || s.starts_with('"')) {
        let q = &s[..1];
        let inner = &s[1..s.len() - 1];
        return inner
            .replace(&format!("{q}{q}"), q)
            .replace("\\'", "'")
            .replace("\\\\", "\\");
    }
    s.to_owned()
}

/// Parses a data type's text (`INT(11) UNSIGNED`, `ENUM('a','b')`, `DECIMAL(10,2)`,
/// `VARCHAR(20) CHARACTER SET latin1`) into the column's type fields.
pub fn parse_type(text: &str, col: &mut Column) {
    let t = text.trim();
    let name_end = t.find(['(', ' ']).unwrap_or(t.len());
    let mut name = t[..name_end].to_ascii_uppercase();
    let mut rest = &t[name_end..];
    let mut args = Vec::new();
    if rest.trim_start().starts_with('(') {
        let trimmed = rest.trim_start();
        args = paren_list(trimmed).unwrap_or_default();
        // Skip past the closing parenthesis of the argument list.
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        let mut end = trimmed.len();
        for (i, c) in trimmed.char_indices() {
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                continue;
            }
            match c {
                '\'' | '"' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &trimmed[end..];
    }
    let words: Vec<String> = rest
        .split_whitespace()
        .map(|w| w.to_ascii_uppercase())
        .collect();
    // Two-word names: DOUBLE PRECISION, LONG VARCHAR, ...
    let mut skip = 0;
    if name == "DOUBLE" && words.first().is_some_and(|w| w == "PRECISION") {
        skip = 1;
    }
    match name.as_str() {
        "INTEGER" => name = "INT".into(),
        "BOOL" | "BOOLEAN" => {
            name = "TINYINT".into();
            args = vec!["1".into()];
        }
        "DEC" | "NUMERIC" | "FIXED" => name = "DECIMAL".into(),
        "REAL" => name = "DOUBLE".into(),
        "CHARACTER" => name = "CHAR".into(),
        "NCHAR" => name = "CHAR".into(),
        "NVARCHAR" => name = "VARCHAR".into(),
        "SERIAL" => {
            name = "BIGINT".into();
            col.unsigned = true;
            col.nullable = false;
            col.auto_increment = true;
        }
        _ => {}
    }
    col.type_name = name.clone();
    if name == "ENUM" || name == "SET" {
        col.enum_values = args.iter().map(|a| unquote_string(a)).collect();
        col.length = None;
    } else {
        col.length = args.first().and_then(|a| a.trim().parse().ok());
        col.scale = args.get(1).and_then(|a| a.trim().parse().ok());
    }
    let mut i = skip;
    while i < words.len() {
        match words[i].as_str() {
            "UNSIGNED" | "ZEROFILL" => col.unsigned = true,
            "CHARACTER" | "CHARSET" => {
                let j = if words[i] == "CHARACTER" {
                    i + 2
                } else {
                    i + 1
                };
                if let Some(cs) = words.get(j) {
                    col.charset = Some(cs.to_ascii_lowercase().trim_matches('\'').to_owned());
                }
                i = j;
            }
            "BINARY" if name == "CHAR" || name == "VARCHAR" || name.ends_with("TEXT") => {
                col.charset = Some("binary".into());
            }
            _ => {}
        }
        i += 1;
    }
}

/// A column definition; the flag says it was declared `PRIMARY KEY` inline.
fn column(c: &ColumnDef) -> Result<(Column, bool), DdlError> {
    let mut col = Column {
        name: ident(&c.name.to_string()),
        type_name: String::new(),
        length: None,
        scale: None,
        unsigned: false,
        nullable: true,
        auto_increment: false,
        enum_values: Vec::new(),
        charset: None,
        default: None,
        comment: None,
        json_alias: false,
    };
    parse_type(&c.data_type.to_string(), &mut col);
    let mut pk = false;
    for opt in &c.options {
        pk |= column_option(&mut col, &opt.option);
    }
    if pk {
        col.nullable = false;
    }
    Ok((col, pk))
}

/// Applies a column option; true when it declares the primary key.
fn column_option(col: &mut Column, opt: &ColumnOption) -> bool {
    let text = opt.to_string();
    let upper = text.to_ascii_uppercase();
    match opt {
        ColumnOption::Null => col.nullable = true,
        ColumnOption::NotNull => col.nullable = false,
        ColumnOption::Default(e) => {
            let d = e.to_string();
            col.default = if d.eq_ignore_ascii_case("NULL") {
                None
            } else {
                Some(d)
            };
        }
        ColumnOption::Comment(c) => col.comment = Some(c.clone()),
        ColumnOption::CharacterSet(cs) => {
            col.charset = Some(ident(&cs.to_string()).to_ascii_lowercase())
        }
        _ => {
            if upper.contains("AUTO_INCREMENT") || upper.contains("AUTOINCREMENT") {
                col.auto_increment = true;
            }
            if upper.starts_with("PRIMARY KEY") {
                return true;
            }
            // A JSON alias on MariaDB: `CHECK (json_valid(col))`.
            if upper.starts_with("CHECK")
                && upper.contains("JSON_VALID")
                && col.type_name == "LONGTEXT"
            {
                col.type_name = "JSON".into();
                col.json_alias = true;
            }
        }
    }
    false
}

fn position(table: &Table, pos: &Option<MySQLColumnPosition>) -> usize {
    match pos {
        Some(MySQLColumnPosition::First) => 0,
        Some(MySQLColumnPosition::After(name)) => table
            .column_index(&ident(&name.to_string()))
            .map_or(table.columns.len(), |i| i + 1),
        None => table.columns.len(),
    }
}

/// Applies one ALTER TABLE operation; returns the new name of a rename.
fn alter(
    table: &mut Table,
    op: AlterTableOperation,
    default_db: &str,
) -> Result<Option<TableId>, DdlError> {
    match op {
        AlterTableOperation::AddColumn {
            column_def,
            column_position,
            if_not_exists,
            ..
        } => {
            let (col, pk) = column(&column_def)?;
            if table.column_index(&col.name).is_some() {
                if if_not_exists {
                    return Ok(None);
                }
                return Err(DdlError::Unsupported(format!(
                    "ADD COLUMN {}: the column already exists in {}",
                    col.name,
                    table.id()
                )));
            }
            let at = position(table, &column_position);
            if pk {
                table.primary_key = vec![col.name.clone()];
            }
            table.columns.insert(at.min(table.columns.len()), col);
        }
        AlterTableOperation::DropColumn { column_names, .. } => {
            for n in column_names {
                let name = ident(&n.to_string());
                if let Some(i) = table.column_index(&name) {
                    table.columns.remove(i);
                    table.primary_key.retain(|k| !k.eq_ignore_ascii_case(&name));
                }
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let old = ident(&old_column_name.to_string());
            let new = ident(&new_column_name.to_string());
            if let Some(i) = table.column_index(&old) {
                table.columns[i].name = new.clone();
            }
            for k in &mut table.primary_key {
                if k.eq_ignore_ascii_case(&old) {
                    *k = new.clone();
                }
            }
        }
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            data_type,
            options,
            column_position,
        } => {
            let old = ident(&old_name.to_string());
            replace_column(
                table,
                &old,
                &ColumnDef {
                    name: new_name,
                    data_type,
                    options: options
                        .into_iter()
                        .map(|option| sqlparser::ast::ColumnOptionDef { name: None, option })
                        .collect(),
                },
                column_position,
            )?;
        }
        AlterTableOperation::ModifyColumn {
            col_name,
            data_type,
            options,
            column_position,
        } => {
            let old = ident(&col_name.to_string());
            replace_column(
                table,
                &old,
                &ColumnDef {
                    name: col_name,
                    data_type,
                    options: options
                        .into_iter()
                        .map(|option| sqlparser::ast::ColumnOptionDef { name: None, option })
                        .collect(),
                },
                column_position,
            )?;
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            let name = ident(&column_name.to_string());
            if let Some(i) = table.column_index(&name) {
                let text = op.to_string().to_ascii_uppercase();
                if text.starts_with("SET NOT NULL") {
                    table.columns[i].nullable = false;
                } else if text.starts_with("DROP NOT NULL") {
                    table.columns[i].nullable = true;
                } else if text.starts_with("DROP DEFAULT") {
                    table.columns[i].default = None;
                } else if let Some(d) = op.to_string().strip_prefix("SET DEFAULT ") {
                    table.columns[i].default = Some(d.to_owned());
                }
            }
        }
        AlterTableOperation::AddConstraint { constraint, .. } => add_constraint(table, &constraint),
        AlterTableOperation::DropPrimaryKey { .. } => table.primary_key.clear(),
        AlterTableOperation::RenameTable { table_name } => {
            let name = match table_name {
                RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => n,
            };
            return Ok(Some(table_id(&name, default_db)));
        }
        // Indexes, constraints other than the primary key, table options, partitions,
        // ALGORITHM/LOCK: no change to the columns or the key.
        _ => {}
    }
    Ok(None)
}

fn replace_column(
    table: &mut Table,
    old: &str,
    def: &ColumnDef,
    column_position: Option<MySQLColumnPosition>,
) -> Result<(), DdlError> {
    let Some(i) = table.column_index(old) else {
        return Err(DdlError::Unsupported(format!(
            "the column {old} does not exist in {}",
            table.id()
        )));
    };
    let (col, pk) = column(def)?;
    let new_name = col.name.clone();
    table.columns.remove(i);
    let at = if column_position.is_some() {
        position(table, &column_position)
    } else {
        i
    };
    table.columns.insert(at.min(table.columns.len()), col);
    for k in &mut table.primary_key {
        if k.eq_ignore_ascii_case(old) {
            *k = new_name.clone();
        }
    }
    if pk {
        table.primary_key = vec![new_name];
    }
    mark_key_columns_not_null(table);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(sqls: &[&str]) -> Catalog {
        let mut c = Catalog::default();
        for s in sqls {
            apply(&mut c, "inv", s).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        c
    }

    /// What Tributary's own JDBC sink writes into a MariaDB target that is also captured: its
    /// DDL must parse here (the sink leaves out MariaDB's `ADD COLUMN IF NOT EXISTS`).
    #[test]
    fn the_jdbc_sinks_ddl_applies() {
        let c = cat(&[
            "CREATE TABLE IF NOT EXISTS `t` (`id` integer NOT NULL, `v` longtext NULL, PRIMARY KEY (`id`))",
            "ALTER TABLE `t` ADD COLUMN `note` longtext NULL, ADD COLUMN `a\"; drop table x; --` longtext NULL",
        ]);
        assert_eq!(names(&c, "t"), ["id", "v", "note", "a\"; drop table x; --"]);
    }

    fn names(c: &Catalog, t: &str) -> Vec<String> {
        c.table(&TableId::new("inv", t))
            .unwrap()
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    #[test]
    fn show_create_table_output_of_mariadb_is_understood() {
        let c = cat(&["CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `name` varchar(255) DEFAULT NULL,\n  `price` decimal(10,2) unsigned NOT NULL DEFAULT 0.00,\n  `e` enum('a','b''c') DEFAULT 'a',\n  `j` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`j`)),\n  `ts` timestamp(3) NOT NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3),\n  PRIMARY KEY (`id`),\n  KEY `idx` (`name`)\n) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"]);
        let t = c.table(&TableId::new("inv", "t")).unwrap();
        assert_eq!(t.primary_key, ["id"]);
        assert_eq!(t.charset.as_deref(), Some("utf8mb4"));
        let id = &t.columns[0];
        assert_eq!(
            (
                id.type_name.as_str(),
                id.length,
                id.auto_increment,
                id.nullable
            ),
            ("INT", Some(11), true, false)
        );
        let price = &t.columns[2];
        assert_eq!(
            (
                price.type_name.as_str(),
                price.length,
                price.scale,
                price.unsigned
            ),
            ("DECIMAL", Some(10), Some(2), true)
        );
        assert_eq!(t.columns[3].enum_values, ["a", "b'c"]);
        assert_eq!(t.columns[4].type_name, "JSON");
        assert_eq!(
            (t.columns[5].type_name.as_str(), t.columns[5].length),
            ("TIMESTAMP", Some(3))
        );
    }

    #[test]
    fn alter_table_changes_columns_in_place() {
        let c = cat(&[
            "create table t (id int primary key, a int, b varchar(10))",
            "alter table t add column c text after id, drop column a",
            "ALTER TABLE t MODIFY b varchar(100) NOT NULL",
            "alter table t rename column b to bb",
            "alter table t change c cc bigint unsigned first",
        ]);
        assert_eq!(names(&c, "t"), ["cc", "id", "bb"]);
        let t = c.table(&TableId::new("inv", "t")).unwrap();
        assert_eq!(t.columns[2].length, Some(100));
        assert!(!t.columns[2].nullable);
        assert!(t.columns[0].unsigned && t.columns[0].type_name == "BIGINT");
        assert_eq!(t.primary_key, ["id"]);
    }

    #[test]
    fn renames_drops_and_databases() {
        let mut c = cat(&[
            "create table t (id int primary key)",
            "create table u like t",
        ]);
        let ch = apply(&mut c, "inv", "RENAME TABLE t TO t2, u TO other.u").unwrap();
        assert_eq!(ch.len(), 2);
        assert!(c.table(&TableId::new("other", "u")).is_some());
        let ch = apply(&mut c, "inv", "alter table t2 rename to t3").unwrap();
        assert_eq!(
            ch,
            [Change::AlterTable {
                id: TableId::new("inv", "t3"),
                renamed_from: Some(TableId::new("inv", "t2"))
            }]
        );
        let ch = apply(&mut c, "inv", "DROP TABLE `t3` /* generated by server */").unwrap();
        assert_eq!(ch, [Change::DropTable(TableId::new("inv", "t3"))]);
        let ch = apply(&mut c, "x", "drop database other").unwrap();
        assert_eq!(ch.len(), 2);
        assert!(c.tables.is_empty());
    }

    #[test]
    fn other_statements_are_recognised_and_ignored() {
        let mut c = Catalog::default();
        for s in [
            "BEGIN",
            "GRANT ALL ON *.* TO x",
            "create user x",
            "FLUSH PRIVILEGES",
            "create temporary table tt (a int)",
            "CREATE VIEW v AS SELECT 1",
        ] {
            assert_eq!(apply(&mut c, "inv", s).unwrap(), []);
        }
        assert_eq!(classify("/* c */ COMMIT"), Kind::Commit);
        assert_eq!(classify("  alter online table t add x int"), Kind::Schema);
    }

    #[test]
    fn unparseable_schema_ddl_is_an_error_not_a_skip() {
        let mut c = Catalog::default();
        let err = apply(
            &mut c,
            "inv",
            "CREATE TABLE t (id int primary key, ((( nonsense",
        )
        .unwrap_err();
        assert!(matches!(err, DdlError::Unparseable { .. }), "{err}");
    }
}
