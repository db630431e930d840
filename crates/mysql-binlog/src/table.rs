//! A captured table's Connect schemas (Key, Value, Envelope) and per-column codecs, built from
//! its [`Table`] definition. Rebuilt whenever DDL changes the table.

use crate::conn::DefaultCharsets;
use std::sync::Arc;

use cdc_core::column_mapping::{SourceColumn, ValueMap};
use cdc_core::envelope::envelope_schema;
use cdc_core::{Schema, Value};

use crate::catalog::{Column, Table};
use crate::config::MySqlConfig;
use crate::convert::{ColumnCodec, ConvertError, Origin};
use crate::source_info;

/// Schemas and codecs of one captured table.
#[derive(Debug)]
pub struct TableSchema {
    pub db: String,
    pub name: String,
    /// The table's definition from the schema history (row events are checked against it).
    pub table: Table,
    pub topic: Arc<str>,
    /// One entry per table column: its codec, or `None` when `column.*.list` leaves it out.
    pub codecs: Vec<Option<ColumnCodec>>,
    /// Positions (in table columns) of the key columns.
    pub key_columns: Vec<usize>,
    pub key_schema: Option<Arc<Schema>>,
    pub value_schema: Arc<Schema>,
    pub envelope_schema: Arc<Schema>,
    /// Per value field, how `column.mask.*`/`column.truncate.*` change its values; empty when
    /// no column of the table is mapped. Keys are never mapped, as in Debezium.
    pub value_maps: Vec<Option<ValueMap>>,
}

impl TableSchema {
    /// The schema of `table`; `defaults` give the character set of a table created without one.
    pub fn new(table: &Table, cfg: &MySqlConfig, defaults: &DefaultCharsets) -> TableSchema {
        let topic_name = format!("{}.{}.{}", cfg.topic_prefix, table.db, table.name);
        let codecs: Vec<Option<ColumnCodec>> = table
            .columns
            .iter()
            .map(|c| {
                cfg.includes_column(&table.db, &table.name, &c.name)
                    .then(|| ColumnCodec::new(&with_table_charset(c, table, defaults), cfg.types))
            })
            .collect();
        let mut value = Schema::structure(format!("{topic_name}.Value")).optional();
        let table_id = format!("{}.{}", table.db, table.name);
        let mut value_maps = Vec::new();
        for (c, col) in codecs.iter().zip(&table.columns) {
            let Some(c) = c else { continue };
            let type_name = if col.json_alias {
                "LONGTEXT".to_owned()
            } else if col.unsigned {
                format!("{} UNSIGNED", col.type_name)
            } else {
                col.type_name.clone()
            };
            match cfg
                .column_mappers
                .mapping(&source_column(&table_id, col, &type_name), &c.schema)
            {
                Some(m) => {
                    value_maps.resize(value.fields.len(), None);
                    value_maps.push(m.values);
                    let mut s = c.schema.as_ref().clone();
                    s.parameters.extend(m.parameters);
                    value = value.field(c.name.clone(), s);
                }
                None => value = value.field(c.name.clone(), c.schema.clone()),
            }
        }
        if value_maps.iter().all(Option::is_none) {
            value_maps.clear();
        } else {
            value_maps.resize(value.fields.len(), None);
        }
        let value_schema = Arc::new(value);
        // `message.key.columns` replaces the primary key when one of its columns is captured.
        let custom_key = cfg
            .key_columns
            .positions(
                &format!("{}.{}", table.db, table.name),
                table.columns.iter().map(|c| c.name.as_str()),
            )
            .map(|k| {
                k.into_iter()
                    .filter(|&i| codecs.get(i).is_some_and(Option::is_some))
                    .collect::<Vec<_>>()
            })
            .filter(|k| !k.is_empty());
        let custom = custom_key.is_some();
        let key_columns: Vec<usize> = custom_key.unwrap_or_else(|| {
            table
                .primary_key
                .iter()
                .filter_map(|k| table.column_index(k))
                .filter(|&i| codecs.get(i).is_some_and(Option::is_some))
                .collect()
        });
        let key_schema = (!key_columns.is_empty()).then(|| {
            let mut key = Schema::structure(format!("{topic_name}.Key"));
            for &i in &key_columns {
                if let Some(Some(c)) = codecs.get(i) {
                    // Primary key columns are never null; custom key columns keep their schema.
                    let schema = if custom {
                        c.schema.clone()
                    } else {
                        Arc::new(c.schema.as_ref().clone().required())
                    };
                    key = key.field(c.name.clone(), schema);
                }
            }
            Arc::new(key)
        });
        let envelope_schema = envelope_schema(
            &topic_name,
            value_schema.clone(),
            source_info::schema(cfg.flavor),
        );
        TableSchema {
            db: table.db.clone(),
            name: table.name.clone(),
            table: table.clone(),
            topic: topic_name.into(),
            codecs,
            key_columns,
            key_schema,
            value_schema,
            envelope_schema,
            value_maps,
        }
    }

    /// A row's values as the column mappers change them (after its key was taken from it).
    pub fn map_values(&self, row: &mut [Value]) {
        for (v, map) in row.iter_mut().zip(&self.value_maps) {
            if let Some(map) = map {
                *v = map.apply(std::mem::replace(v, Value::Null));
            }
        }
    }

    /// Converts one row (one value per table column, in order) to the value struct's fields.
    /// A row with fewer values than columns (a table changed under us) converts what it has.
    pub fn row<'v>(
        &self,
        values: impl IntoIterator<Item = Option<&'v mysql_common::value::Value>>,
        origin: Origin,
    ) -> Result<Vec<Value>, ConvertError> {
        let mut out = Vec::with_capacity(self.codecs.len());
        let mut values = values.into_iter();
        for codec in &self.codecs {
            let v = values.next().flatten();
            if let Some(c) = codec {
                out.push(match v {
                    Some(v) => c.convert(v, origin)?,
                    None => Value::Null,
                });
            }
        }
        Ok(out)
    }

    /// The key struct of a row (value-struct fields), or `None` for tables without a key.
    pub fn key_of(&self, row: &[Value]) -> Option<Value> {
        self.key_schema.as_ref()?;
        // Map table column positions to value-struct positions.
        let fields = self
            .key_columns
            .iter()
            .map(|&i| {
                let pos = self.codecs[..i].iter().filter(|c| c.is_some()).count();
                row.get(pos).cloned().unwrap_or(Value::Null)
            })
            .collect();
        Some(Value::Struct(fields))
    }
}

/// `c` with the table's default character set when it names none (`SHOW CREATE TABLE` leaves
/// out a column's character set when it is the table's), and the table's the database's or
/// server's default when a `CREATE TABLE` named none. A character set with no decoder is
/// reported; its binlog values are read as UTF-8.
fn with_table_charset(
    c: &crate::catalog::Column,
    table: &Table,
    defaults: &DefaultCharsets,
) -> crate::catalog::Column {
    let mut c = c.clone();
    if c.charset.is_none() {
        c.charset = table
            .charset
            .clone()
            .or_else(|| defaults.for_database(&table.db).map(str::to_owned));
    }
    if let Some(cs) = c.charset.as_deref() {
        if crate::charset::Charset::of(cs).is_none() {
            tracing::warn!(table = %format!("{}.{}", table.db, table.name), column = %c.name,
                charset = cs, "no decoder for this character set: binlog values are read as UTF-8");
        }
    }
    c
}

/// The column as Debezium's MySQL DDL parser describes it to the column mappers.
fn source_column<'a>(table_id: &'a str, c: &'a Column, type_name: &'a str) -> SourceColumn<'a> {
    let mariadb_json = c.json_alias;
    // The parser gives an ENUM its longest member's length, a SET the length of all its members.
    let members = c.enum_values.iter().map(|m| m.chars().count() as i32);
    let length = match c.type_name.as_str() {
        "ENUM" => members.max(),
        "SET" => Some(members.sum::<i32>() + (c.enum_values.len() as i32 - 1).max(0)),
        _ => c.length.map(|l| l as i32),
    };
    SourceColumn {
        table_id,
        name: &c.name,
        type_name,
        length,
        scale: c.scale.map(|s| s as i32),
        // Without `include.schema.comments` (refused when true) Debezium's parser skips them.
        comment: None,
        // The JDBC types the parser gives: CHAR, VARCHAR, NCHAR, NVARCHAR (ENUM and SET are CHAR).
        character: mariadb_json
            || matches!(
                c.type_name.as_str(),
                "CHAR"
                    | "VARCHAR"
                    | "TINYTEXT"
                    | "TEXT"
                    | "MEDIUMTEXT"
                    | "LONGTEXT"
                    | "LONG"
                    | "LONG VARCHAR"
                    | "NCHAR"
                    | "NVARCHAR"
                    | "NATIONAL CHAR"
                    | "NATIONAL VARCHAR"
                    | "ENUM"
                    | "SET"
            ),
    }
}
