//! Captured tables: their columns from the catalog, and the Connect schemas built from them.

use std::sync::Arc;

use cdc_core::column_mapping::ValueMap;
use cdc_core::envelope::envelope_schema;
use cdc_core::{Schema, Value};
use tokio_postgres::Client;

use crate::config::PostgresConfig;
use crate::convert::{ColumnCodec, PgType, PgTypeKind, TypeRegistry};
use crate::error::PgSourceError;
use crate::jdbc_column::{Described, JdbcColumn};
use crate::source_info;

/// One captured column.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
    pub ty: PgType,
    pub optional: bool,
    pub is_key: bool,
    /// The DEFAULT expression (`pg_get_expr`), when the column has one.
    pub default_expr: Option<String>,
    /// The resolved mapping; `None` when the column is excluded or has no mapping.
    pub codec: Option<ColumnCodec>,
}

impl Column {
    /// The column's field schema: its codec's, with Debezium's default when it gives one.
    pub fn field_schema(&self) -> Option<Schema> {
        let codec = self.codec.as_ref()?;
        let schema = codec.schema(self.optional);
        Some(
            match self
                .default_expr
                .as_deref()
                .and_then(|e| crate::defaults::column_default(&self.ty, codec, e))
            {
                Some(v) => schema.default_value(v),
                None => schema,
            },
        )
    }
}

/// A captured table with its schemas, built once and shared by every event.
#[derive(Debug)]
pub struct TableSchema {
    pub schema: String,
    pub table: String,
    pub oid: u32,
    /// Every column of the table, in attribute order (as pgoutput sends them).
    pub columns: Vec<Column>,
    /// For each table column, its position in the value struct (`None` when excluded or unmapped).
    pub value_pos: Vec<Option<usize>>,
    /// Table column indexes of the key, in key order.
    pub key_columns: Vec<usize>,
    pub topic: Arc<str>,
    pub key_schema: Option<Arc<Schema>>,
    pub value_schema: Arc<Schema>,
    pub envelope_schema: Arc<Schema>,
    /// `f` full, `d` default, `n` nothing, `i` index.
    pub replica_identity: u8,
    /// The key comes from `message.key.columns`, not from the primary key.
    pub custom_key: bool,
    /// Per value field, how `column.mask.*`/`column.truncate.*` change its values; empty when
    /// no column of the table is mapped. Keys are never mapped, as in Debezium.
    pub value_maps: Vec<Option<ValueMap>>,
}

impl TableSchema {
    /// Builds the schemas Debezium gives this table.
    pub fn build(
        cfg: &PostgresConfig,
        schema: String,
        table: String,
        oid: u32,
        mut columns: Vec<Column>,
        replica_identity: u8,
        described: Described,
    ) -> TableSchema {
        let name = format!("{}.{}.{}", cfg.topic_prefix, schema, table);
        // `message.key.columns` replaces the primary key when one of its columns exists.
        let custom_key = cfg.key_columns.positions(
            &format!("{schema}.{table}"),
            columns.iter().map(|c| c.name.as_str()),
        );
        let mut value = Schema::structure(format!("{name}.Value")).optional();
        let mut value_pos = Vec::with_capacity(columns.len());
        let mut key = Schema::structure(format!("{name}.Key"));
        let mut key_columns = Vec::new();
        let table_id = format!("{schema}.{table}");
        let mut value_maps = Vec::new();
        for (i, col) in columns.iter_mut().enumerate() {
            let in_key = custom_key.as_ref().map_or(col.is_key, |k| k.contains(&i));
            let included = in_key || cfg.includes_column(&schema, &table, &col.name);
            col.codec = if included {
                ColumnCodec::new(&col.ty, col.typmod, &cfg.types)
            } else {
                None
            };
            match col.field_schema() {
                Some(s) => {
                    if col.is_key && custom_key.is_none() {
                        key = key.field(col.name.clone(), s.clone());
                        key_columns.push(i);
                    }
                    value_pos.push(Some(value.fields.len()));
                    let mapping = cfg.column_mappers.mapping(
                        &JdbcColumn::of(col, described).source_column(&table_id, &col.name),
                        &s,
                    );
                    let s = match mapping {
                        Some(m) => {
                            value_maps.resize(value.fields.len(), None);
                            value_maps.push(m.values);
                            let mut s = s;
                            s.parameters.extend(m.parameters);
                            s
                        }
                        None => s,
                    };
                    value = value.field(col.name.clone(), s);
                }
                None => value_pos.push(None),
            }
        }
        if let Some(order) = &custom_key {
            for &i in order {
                let col = &columns[i];
                if let Some(s) = col.field_schema() {
                    key = key.field(col.name.clone(), s);
                    key_columns.push(i);
                }
            }
        }
        if value_maps.iter().all(Option::is_none) {
            value_maps.clear();
        } else {
            value_maps.resize(value.fields.len(), None);
        }
        let value_schema = Arc::new(value);
        let envelope = envelope_schema(&name, value_schema.clone(), source_info::schema());
        TableSchema {
            custom_key: custom_key.is_some(),
            schema,
            table,
            oid,
            columns,
            value_pos,
            key_schema: (!key_columns.is_empty()).then(|| Arc::new(key)),
            key_columns,
            topic: Arc::from(name.as_str()),
            value_schema,
            envelope_schema: envelope,
            replica_identity,
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

    /// Can an old tuple of the replica identity (`K`) tell a key change? Only when every key
    /// column is part of the identity; a custom key over other columns would look changed
    /// (its old values are absent) on every update.
    pub fn key_in_identity(&self) -> bool {
        self.key_columns.iter().all(|&i| self.columns[i].is_key)
    }

    /// Does this relation message's column list still match what we built from the catalog?
    pub fn matches_columns(&self, cols: &[(String, u32, i32)]) -> bool {
        self.columns.len() == cols.len()
            && self
                .columns
                .iter()
                .zip(cols)
                .all(|(c, (n, oid, m))| &c.name == n && c.type_oid == *oid && c.typmod == *m)
    }
}

/// A table found in the catalog.
#[derive(Debug, Clone)]
pub struct TableRef {
    pub oid: u32,
    pub schema: String,
    pub table: String,
}

/// Lists ordinary and partitioned tables the config captures, in schema/table order.
pub async fn list_tables(
    client: &Client,
    cfg: &PostgresConfig,
) -> Result<Vec<TableRef>, PgSourceError> {
    let rows = client
        .query(
            "SELECT c.oid, n.nspname::text, c.relname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' \
             ORDER BY 2, 3",
            &[],
        )
        .await
        .map_err(|e| PgSourceError::query("listing captured tables", e))?;
    Ok(rows
        .into_iter()
        .map(|r| TableRef {
            oid: r.get::<_, u32>(0),
            schema: r.get(1),
            table: r.get(2),
        })
        .filter(|t| cfg.captures_table(&t.schema, &t.table))
        .collect())
}

/// Reads a table's columns, primary key and replica identity from the catalog.
pub async fn load_table(
    client: &Client,
    registry: &TypeRegistry,
    cfg: &PostgresConfig,
    oid: u32,
    described: Described,
) -> Result<Option<TableSchema>, PgSourceError> {
    let Some(head) = client
        .query_opt(
            "SELECT n.nspname::text, c.relname::text, c.relreplident::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
            &[&oid],
        )
        .await
        .map_err(|e| PgSourceError::query("reading table metadata", e))?
    else {
        return Ok(None);
    };
    let schema: String = head.get(0);
    let table: String = head.get(1);
    let ident: String = head.get(2);
    let rows = client
        .query(
            "SELECT a.attname::text, a.atttypid, a.atttypmod, a.attnotnull, \
                    COALESCE(a.attnum = ANY(i.indkey::int2[]), false), \
                    array_position(i.indkey::int2[], a.attnum), \
                    pg_get_expr(d.adbin, d.adrelid) \
             FROM pg_attribute a \
             LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' \
             ORDER BY a.attnum",
            &[&oid],
        )
        .await
        .map_err(|e| PgSourceError::query("reading table columns", e))?;
    let mut columns = Vec::with_capacity(rows.len());
    let mut key_order: Vec<(i32, usize)> = Vec::new();
    for row in rows {
        let type_oid: u32 = row.get(1);
        let ty = registry
            .resolve(type_oid)
            .cloned()
            .unwrap_or_else(|| unknown_type(type_oid));
        let is_key: bool = row.get(4);
        if is_key {
            key_order.push((row.get::<_, Option<i32>>(5).unwrap_or(0), columns.len()));
        }
        columns.push(Column {
            name: row.get(0),
            type_oid,
            typmod: row.get(2),
            ty,
            optional: !row.get::<_, bool>(3),
            is_key,
            default_expr: row.get(6),
            codec: None,
        });
    }
    let mut built = TableSchema::build(
        cfg,
        schema,
        table,
        oid,
        columns,
        ident.bytes().next().unwrap_or(b'd'),
        described,
    );
    // Key fields follow the primary key's column order, as Debezium's key struct does.
    key_order.sort();
    let ordered: Vec<usize> = key_order.into_iter().map(|(_, i)| i).collect();
    if !built.custom_key && ordered != built.key_columns && ordered.len() == built.key_columns.len()
    {
        let mut key = Schema::structure(format!("{}.Key", built.topic));
        for &i in &ordered {
            let col = &built.columns[i];
            if let Some(s) = col.field_schema() {
                key = key.field(col.name.clone(), s);
            }
        }
        built.key_schema = Some(Arc::new(key));
        built.key_columns = ordered;
    }
    Ok(Some(built))
}

/// A type the catalog did not describe: mapped only with `include.unknown.datatypes`.
pub fn unknown_type(oid: u32) -> PgType {
    PgType::new(oid, format!("unknown type {oid}"), PgTypeKind::Base)
}
