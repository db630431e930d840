//! The connector's own copy of the table definitions: binlog row events carry no column names,
//! so every captured table's columns are kept here, changed by the DDL the binlog carries
//! (see [`crate::ddl`]) and persisted with its position in the schema history
//! (see [`crate::history`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One column, as its DDL declared it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// Upper-case type name without arguments: `INT`, `VARCHAR`, `DECIMAL`, `ENUM`, ...
    pub type_name: String,
    /// The first type argument: length, precision, fractional seconds or bits.
    pub length: Option<u32>,
    /// The second type argument (DECIMAL scale).
    pub scale: Option<u32>,
    pub unsigned: bool,
    pub nullable: bool,
    pub auto_increment: bool,
    /// ENUM and SET members, in declaration order.
    pub enum_values: Vec<String>,
    pub charset: Option<String>,
    /// The DEFAULT expression as written.
    pub default: Option<String>,
    pub comment: Option<String>,
    /// MariaDB's JSON: a LONGTEXT with a `json_valid` CHECK, which Debezium's MySqlConnector
    /// takes for the LONGTEXT it is (its column mappers see a character column).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub json_alias: bool,
}

impl Column {
    /// The type as `typeName(length,scale)` (Debezium's `typeExpression`).
    pub fn type_expression(&self) -> String {
        match (self.length, self.scale) {
            (Some(l), Some(s)) => format!("{}({l},{s})", self.type_name),
            (Some(l), None) => format!("{}({l})", self.type_name),
            _ => self.type_name.clone(),
        }
    }
}

/// A table: its columns in order and its primary key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub db: String,
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub charset: Option<String>,
    pub comment: Option<String>,
}

impl Table {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub fn id(&self) -> TableId {
        TableId::new(&self.db, &self.name)
    }
}

/// A `db.table` name. MySQL compares table names case-sensitively on Linux; we keep them as
/// written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TableId {
    pub db: String,
    pub table: String,
}

impl TableId {
    pub fn new(db: &str, table: &str) -> TableId {
        TableId {
            db: db.to_owned(),
            table: table.to_owned(),
        }
    }
}

impl std::fmt::Display for TableId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.db, self.table)
    }
}

/// Every known database and table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Database name → default character set.
    pub databases: BTreeMap<String, Option<String>>,
    pub tables: BTreeMap<TableId, Table>,
}

impl Catalog {
    pub fn table(&self, id: &TableId) -> Option<&Table> {
        self.tables.get(id)
    }

    pub fn put(&mut self, table: Table) {
        self.databases.entry(table.db.clone()).or_insert(None);
        self.tables.insert(table.id(), table);
    }

    pub fn remove(&mut self, id: &TableId) -> Option<Table> {
        self.tables.remove(id)
    }

    pub fn drop_database(&mut self, db: &str) -> Vec<TableId> {
        self.databases.remove(db);
        let gone: Vec<TableId> = self.tables.keys().filter(|k| k.db == db).cloned().collect();
        for id in &gone {
            self.tables.remove(id);
        }
        gone
    }
}
