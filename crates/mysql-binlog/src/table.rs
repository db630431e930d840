//! A captured table's Connect schemas (Key, Value, Envelope) and per-column codecs, built from
//! its [`Table`] definition. Rebuilt whenever DDL changes the table.

use crate::conn::DefaultCharsets;
use std::sync::Arc;

use cdc_core::envelope::envelope_schema;
use cdc_core::{Schema, Value};

use crate::catalog::Table;
use crate::config::MySqlConfig;
use crate::convert::{ColumnCodec, ConvertError, Origin};
use crate::source_info;

/// Schemas and codecs of one captured table.
#[derive(Debug)]
pub struct TableSchema {
    pub db: String,
    pub name: String,
    pub topic: Arc<str>,
    /// One entry per table column: its codec, or `None` when `column.*.list` leaves it out.
    pub codecs: Vec<Option<ColumnCodec>>,
    /// Positions (in table columns) of the key columns.
    pub key_columns: Vec<usize>,
    pub key_schema: Option<Arc<Schema>>,
    pub value_schema: Arc<Schema>,
    pub envelope_schema: Arc<Schema>,
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
        for c in codecs.iter().flatten() {
            value = value.field(c.name.clone(), c.schema.clone());
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
            topic: topic_name.into(),
            codecs,
            key_columns,
            key_schema,
            value_schema,
            envelope_schema,
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
