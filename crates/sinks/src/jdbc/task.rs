//! The JDBC sink task (PostgreSQL, MySQL and MariaDB targets): records → row changes
//! ([`super::record`]) → statements in one transaction per `put`, so `put` returning means the
//! rows are durable and `flush` has nothing left to do.
//!
//! Changes are written in runs: consecutive changes of the same kind to the same table with
//! the same columns go into one multi-row statement, split where a key repeats (one statement
//! cannot touch a row twice) or the parameter limit is reached. When the target refuses a
//! statement for its data (SQLSTATE classes 22 and 23), the transaction is rolled back and the
//! batch written again change by change, each under a savepoint, so only the changes the
//! target refuses are reported ([`Refused`]: the dead-letter queue's, or the task's failure)
//! and the rest are written. With `tributary.exactly.once=true` the next offset of each topic
//! partition is upserted into the bookkeeping table in the same transaction, and `open` returns
//! those positions: after any crash the target holds every change exactly once.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use cdc_core::{
    ConfigErrors, ConfigMap, ConnectorError, Positions, Refused, SinkRecord, SinkTask,
    TopicPartition,
};
use tokio_postgres::Transaction;

use super::config::{InsertMode, JdbcSinkConfig};
use super::dialect::{Dialect, Ident};
use super::my_writer::{self, MyWriter};
use super::offsets_table::OffsetsTable;
use super::pg_array::TextArray;
use super::pg_text::pg_text_into;
use super::pg_writer::{self, PgWriter, Tables, WriteError};
use super::record::{Column, Mapped, RecordMapper, Row, RowChange, RowOp};
use super::statement;

/// A JDBC sink task.
pub struct JdbcSinkTask {
    config: JdbcSinkConfig,
    connector: String,
    writer: Option<Writer>,
    offsets: Option<OffsetsTable>,
}

/// The target's connection.
enum Writer {
    Pg(PgWriter),
    My(MyWriter),
}

impl Writer {
    fn is_closed(&self) -> bool {
        match self {
            Writer::Pg(w) => w.is_closed(),
            Writer::My(w) => w.conn.is_none(),
        }
    }
}

fn transient(message: String) -> ConnectorError {
    ConnectorError::transient(std::io::Error::other(message))
}

fn to_connector_error(e: WriteError) -> ConnectorError {
    match e {
        WriteError::Transient(m) => transient(m),
        other => ConnectorError::fatal_msg(other.to_string()),
    }
}

impl JdbcSinkTask {
    /// Reads and checks the config of `class` (either JDBC sink class); opens nothing.
    pub fn from_config(class: &str, config: &ConfigMap) -> Result<Self, ConfigErrors> {
        let parsed = JdbcSinkConfig::from_map(class, config)?;
        let mut problems = Vec::new();
        let offsets = if parsed.exactly_once {
            match parsed.naming.table(&parsed.offsets_table) {
                Ok(t) => Some(OffsetsTable::new(parsed.url.dialect, t)),
                Err(e) => {
                    problems.push(cdc_core::ConfigProblem {
                        property: "tributary.exactly.once.table".into(),
                        value: Some(parsed.offsets_table.clone()),
                        message: e.to_string(),
                    });
                    None
                }
            }
        } else {
            None
        };
        if !problems.is_empty() {
            return Err(ConfigErrors(problems));
        }
        Ok(JdbcSinkTask {
            connector: config.get("name").cloned().unwrap_or_default(),
            config: parsed,
            writer: None,
            offsets,
        })
    }

    async fn writer(&mut self) -> Result<&mut Writer, ConnectorError> {
        if self.writer.as_ref().is_none_or(Writer::is_closed) {
            let mut w = match self.config.url.dialect {
                Dialect::Postgres => Writer::Pg(
                    PgWriter::connect(&self.config)
                        .await
                        .map_err(to_connector_error)?,
                ),
                Dialect::MySql | Dialect::MariaDb => Writer::My(
                    MyWriter::connect(&self.config)
                        .await
                        .map_err(to_connector_error)?,
                ),
            };
            if let Some(o) = &self.offsets {
                let created = match &mut w {
                    Writer::Pg(w) => w
                        .client
                        .batch_execute(&o.create())
                        .await
                        .map_err(|e| WriteError::from_db(&e)),
                    Writer::My(w) => w.execute(&o.create()).await,
                };
                created.map_err(to_connector_error)?;
            }
            self.writer = Some(w);
        }
        Ok(self.writer.as_mut().expect("connected above"))
    }
}

#[async_trait]
impl SinkTask for JdbcSinkTask {
    async fn open(&mut self, _: &[TopicPartition]) -> Result<Option<Positions>, ConnectorError> {
        let Some(offsets) = self.offsets.clone() else {
            return Ok(None);
        };
        let connector = self.connector.clone();
        let loaded: Vec<(String, i32, i64)> = match self.writer().await? {
            Writer::Pg(w) => w
                .client
                .query(&offsets.load(), &[&connector])
                .await
                .map_err(|e| to_connector_error(WriteError::from_db(&e)))?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect(),
            Writer::My(w) => w
                .load(&offsets.load(), &connector)
                .await
                .map_err(to_connector_error)?,
        };
        let mut positions = Positions::new();
        for (topic, partition, next) in loaded {
            let tp = TopicPartition {
                topic: topic.into(),
                partition,
            };
            positions.insert(tp, next.max(0) as u64);
        }
        Ok(Some(positions))
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<Vec<Refused>, ConnectorError> {
        let mut refused = Vec::new();
        let mut changes = Vec::new();
        {
            let mapper = RecordMapper::new(&self.config);
            for (index, r) in records.iter().enumerate() {
                match mapper.map(r) {
                    Ok(Mapped::Change(c)) => changes.push((index, c)),
                    Ok(Mapped::Skip(_)) => {}
                    Err(e) => refused.push(Refused {
                        index,
                        error: ConnectorError::fatal_msg(e.to_string()),
                    }),
                }
            }
        }
        if self.config.use_reduction_buffer {
            changes = reduce(changes);
        }
        tracing::debug!(
            changes = changes.len(),
            refused = refused.len(),
            "JDBC sink batch mapped"
        );
        // The next offset of each partition of the batch, for the bookkeeping table.
        let mut next: BTreeMap<(String, i32), i64> = BTreeMap::new();
        for r in records {
            // Where it was read, whatever topic a transform routed it to.
            let tp = r.original_topic_partition();
            let e = next
                .entry((tp.topic.to_string(), tp.partition))
                .or_default();
            *e = (*e).max(r.offset as i64 + 1);
        }
        self.writer().await?;
        let JdbcSinkTask {
            config,
            connector,
            writer,
            offsets,
        } = self;
        let bookkeeping = offsets.as_ref().map(|o| (o, connector.as_str(), &next));
        let w = writer.as_mut().expect("connected above");
        let result = match w {
            Writer::Pg(w) => put_pg(w, config, &changes, bookkeeping).await,
            Writer::My(w) => put_my(w, config, &changes, bookkeeping).await,
        };
        match result {
            Ok(more) => {
                refused.extend(more.into_iter().map(|(index, why)| Refused {
                    index,
                    error: ConnectorError::fatal_msg(why),
                }));
                refused.sort_by_key(|r| r.index);
                Ok(refused)
            }
            Err(e) => {
                // A closed connection is opened again on the next try.
                if w.is_closed() {
                    *writer = None;
                }
                Err(to_connector_error(e))
            }
        }
    }

    async fn flush(&mut self) -> Result<(), ConnectorError> {
        // Every `put` committed its transaction.
        Ok(())
    }
}

type Bookkeeping<'a> = Option<(&'a OffsetsTable, &'a str, &'a BTreeMap<(String, i32), i64>)>;

/// Writes a batch into PostgreSQL; when the target refuses some of it, again change by change,
/// so only the changes it refuses are returned (index, why) and the rest are written.
async fn put_pg(
    w: &mut PgWriter,
    config: &JdbcSinkConfig,
    changes: &[(usize, RowChange)],
    bookkeeping: Bookkeeping<'_>,
) -> Result<Vec<(usize, String)>, WriteError> {
    let result = match write(w, config, changes, bookkeeping, false).await {
        Err(WriteError::Refused(_)) => {
            w.tables.forget();
            write(w, config, changes, bookkeeping, true).await
        }
        other => other,
    };
    if result.is_err() {
        w.tables.forget();
    }
    result
}

/// [`put_pg`] for MySQL and MariaDB.
async fn put_my(
    w: &mut MyWriter,
    config: &JdbcSinkConfig,
    changes: &[(usize, RowChange)],
    bookkeeping: Bookkeeping<'_>,
) -> Result<Vec<(usize, String)>, WriteError> {
    let result = match write_my(w, config, changes, bookkeeping, false).await {
        Err(WriteError::Refused(_)) => write_my(w, config, changes, bookkeeping, true).await,
        other => other,
    };
    match &result {
        // The connection may be broken half-way through a statement: a new one is opened.
        Err(WriteError::Transient(_)) => w.conn = None,
        Err(_) => w.forget(),
        Ok(_) => {}
    }
    result
}

/// The bookkeeping rows of a batch: (connector, topic, partition, next offset).
fn bookkeeping_rows<'a>(
    bookkeeping: Bookkeeping<'a>,
) -> impl Iterator<Item = (&'a OffsetsTable, &'a str, &'a str, i32, i64)> {
    bookkeeping
        .into_iter()
        .flat_map(|(offsets, connector, next)| {
            next.iter().map(move |((topic, partition), offset)| {
                (offsets, connector, topic.as_str(), *partition, *offset)
            })
        })
}

/// [`write`] for MySQL and MariaDB: tables and columns first (DDL commits there), then one
/// transaction.
async fn write_my(
    w: &mut MyWriter,
    config: &JdbcSinkConfig,
    changes: &[(usize, RowChange)],
    bookkeeping: Bookkeeping<'_>,
    one_by_one: bool,
) -> Result<Vec<(usize, String)>, WriteError> {
    w.prepare(config, changes).await?;
    let mut tx = w.begin().await?;
    let mut refused = Vec::new();
    if one_by_one {
        for item in changes {
            my_writer::run(&mut tx, "SAVEPOINT tributary_row", Vec::new()).await?;
            match my_writer::write_run(&mut tx, config, std::slice::from_ref(item)).await {
                Ok(()) => {}
                Err(WriteError::Refused(why)) => {
                    my_writer::run(&mut tx, "ROLLBACK TO SAVEPOINT tributary_row", Vec::new())
                        .await?;
                    refused.push((item.0, why));
                }
                Err(e) => return Err(e),
            }
        }
    } else {
        for run in runs(changes) {
            my_writer::write_run(&mut tx, config, run).await?;
        }
    }
    for (offsets, connector, topic, partition, offset) in bookkeeping_rows(bookkeeping) {
        let sql = offsets
            .store(1)
            .map_err(|e| WriteError::Fatal(e.to_string()))?;
        let params = vec![
            connector.into(),
            topic.into(),
            partition.into(),
            offset.into(),
        ];
        my_writer::run(&mut tx, &sql, params).await?;
    }
    tx.commit().await.map_err(|e| my_writer::classify(&e))?;
    Ok(refused)
}

/// Writes `changes` in one transaction. With `one_by_one`, each change runs under a savepoint
/// and the ones the target refuses are returned (index, why) instead of failing the batch.
async fn write(
    w: &mut PgWriter,
    config: &JdbcSinkConfig,
    changes: &[(usize, RowChange)],
    bookkeeping: Bookkeeping<'_>,
    one_by_one: bool,
) -> Result<Vec<(usize, String)>, WriteError> {
    let tx = w
        .client
        .transaction()
        .await
        .map_err(|e| WriteError::from_db(&e))?;
    let mut refused = Vec::new();
    if one_by_one {
        for item in changes {
            let index = item.0;
            tx.batch_execute("SAVEPOINT tributary_row")
                .await
                .map_err(|e| WriteError::from_db(&e))?;
            match write_run(&tx, &mut w.tables, config, std::slice::from_ref(item)).await {
                Ok(()) => {}
                Err(WriteError::Refused(why)) => {
                    tx.batch_execute("ROLLBACK TO SAVEPOINT tributary_row")
                        .await
                        .map_err(|e| WriteError::from_db(&e))?;
                    w.tables.forget();
                    refused.push((index, why));
                }
                Err(e) => return Err(e),
            }
        }
    } else {
        for run in runs(changes) {
            write_run(&tx, &mut w.tables, config, run).await?;
        }
    }
    for (offsets, connector, topic, partition, offset) in bookkeeping_rows(bookkeeping) {
        let sql = offsets
            .store(1)
            .map_err(|e| WriteError::Fatal(e.to_string()))?;
        tx.execute(&sql, &[&connector, &topic, &partition, &offset])
            .await
            .map_err(|e| WriteError::from_db(&e))?;
    }
    tx.commit().await.map_err(|e| WriteError::from_db(&e))?;
    Ok(refused)
}

/// Debezium's `use.reduction.buffer`: of the changes to one row (table and key) in a batch,
/// only the last is written; a truncate keeps everything before it in place.
fn reduce(changes: Vec<(usize, RowChange)>) -> Vec<(usize, RowChange)> {
    let mut last: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    let mut barrier = 0;
    let key = |r: &Row| {
        let mut text = String::new();
        key_text(r, &mut text);
        text
    };
    for (i, (_, c)) in changes.iter().enumerate() {
        match row(&c.op) {
            Some(r) if !r.key.is_empty() => {
                last.insert((c.table.to_string(), key(r)), i);
            }
            _ => barrier = i,
        }
    }
    changes
        .into_iter()
        .enumerate()
        .filter(|(i, (_, c))| match row(&c.op) {
            Some(r) if !r.key.is_empty() && *i >= barrier => {
                last.get(&(c.table.to_string(), key(r))) == Some(i)
            }
            _ => true,
        })
        .map(|(_, c)| c)
        .collect()
}

/// Appends a row's key to `out` as one unambiguous text: each column's text with its length
/// in front, NULL as `-`.
fn key_text(r: &Row, out: &mut String) {
    use std::fmt::Write as _;
    let mut value = String::new();
    for c in &r.key {
        value.clear();
        if pg_text_into(&c.value, &mut value) {
            let _ = write!(out, "{}:{value}", value.len());
        } else {
            out.push('-');
        }
    }
}

/// The kind of a change, for grouping runs.
fn kind(op: &RowOp) -> u8 {
    match op {
        RowOp::Write(_) => 0,
        RowOp::Delete(_) => 1,
        RowOp::Truncate => 2,
    }
}

fn row(op: &RowOp) -> Option<&Row> {
    match op {
        RowOp::Write(r) | RowOp::Delete(r) => Some(r),
        RowOp::Truncate => None,
    }
}

/// Whether two rows have the same columns, in the same order.
fn same_columns(a: &Row, b: &Row) -> bool {
    let same = |x: &[Column], y: &[Column]| {
        x.len() == y.len() && x.iter().zip(y).all(|(x, y)| x.name == y.name)
    };
    same(&a.key, &b.key) && same(&a.values, &b.values)
}

/// Splits changes into runs one statement can write: same table, kind and columns, no key
/// twice. Keys are told apart by the hash of their text; a hash seen before in the run is
/// checked against the run's rows, so a collision never splits a run and a repeat always does.
fn runs(changes: &[(usize, RowChange)]) -> Vec<&[(usize, RowChange)]> {
    use std::hash::BuildHasher;
    let hasher = std::collections::hash_map::RandomState::new();
    let mut out = Vec::new();
    let mut start = 0;
    let mut keys: HashSet<u64> = HashSet::new();
    let (mut text, mut other) = (String::new(), String::new());
    for i in 0..changes.len() {
        let c = &changes[i].1;
        let this = row(&c.op);
        let hash = this.map(|r| {
            text.clear();
            key_text(r, &mut text);
            hasher.hash_one(text.as_str())
        });
        let mut repeats = |hash: u64| {
            keys.contains(&hash)
                && changes[start..i].iter().any(|(_, earlier)| {
                    row(&earlier.op).is_some_and(|e| {
                        other.clear();
                        key_text(e, &mut other);
                        other == text
                    })
                })
        };
        let fits = i > start && {
            let first = &changes[start].1;
            first.table == c.table
                && kind(&first.op) == kind(&c.op)
                && !matches!(c.op, RowOp::Truncate)
                && match (row(&first.op), this) {
                    (Some(f), Some(t)) => same_columns(f, t),
                    _ => false,
                }
                && hash.is_none_or(|h| !repeats(h))
        };
        if !fits && i > start {
            out.push(&changes[start..i]);
            start = i;
            keys.clear();
        }
        if let Some(h) = hash {
            keys.insert(h);
        }
    }
    if start < changes.len() {
        out.push(&changes[start..]);
    }
    out
}

/// Writes one run (changes of one kind to one table with the same columns).
async fn write_run(
    tx: &Transaction<'_>,
    tables: &mut Tables,
    config: &JdbcSinkConfig,
    run: &[(usize, RowChange)],
) -> Result<(), WriteError> {
    let Some((_, first)) = run.first() else {
        return Ok(());
    };
    let d = Dialect::Postgres;
    let table = &first.table;
    let Some(first_row) = row(&first.op) else {
        return tables
            .execute(tx, &statement::truncate(d, table), &[])
            .await
            .map(drop);
    };
    tables.ensure(tx, config, table, first_row).await?;
    let key_names: Vec<&Ident> = first_row.key.iter().map(|c| &c.name).collect();
    let value_names: Vec<&Ident> = first_row.values.iter().map(|c| &c.name).collect();
    let key_casts = tables.casts(table, &key_names);
    let value_casts = tables.casts(table, &value_names);
    let key = pg_writer::params(&key_names, &key_casts);
    let values = pg_writer::params(&value_names, &value_casts);
    let rows: Vec<&Row> = run.iter().filter_map(|(_, c)| row(&c.op)).collect();
    let fatal = |e: statement::StatementError| WriteError::Fatal(format!("table {table}: {e}"));
    // One text array per column, one element per row.
    let column = |pick: &dyn Fn(&Row) -> &[Column], i: usize| -> TextArray {
        let mut array = TextArray::with_capacity(rows.len());
        for r in &rows {
            array.push(&pick(r)[i].value);
        }
        array
    };
    let keys = || (0..key.len()).map(|i| column(&|r| &r.key, i));
    let vals = || (0..values.len()).map(|i| column(&|r| &r.values, i));
    let (sql, columns): (String, Vec<TextArray>) = match (&first.op, config.insert_mode) {
        (RowOp::Delete(_), _) => (
            statement::pg_delete_rows(table, &key).map_err(fatal)?,
            keys().collect(),
        ),
        (RowOp::Write(_), InsertMode::Insert) => {
            // Plain inserts go through COPY, PostgreSQL's bulk path.
            let all: Vec<statement::Param<'_>> = key.iter().chain(&values).copied().collect();
            let sql = statement::pg_copy(table, &all).map_err(fatal)?;
            let mut data = Vec::with_capacity(rows.len() * 64);
            let mut text = String::new();
            for r in &rows {
                for (i, c) in r.key.iter().chain(&r.values).enumerate() {
                    if i > 0 {
                        data.push(b'\t');
                    }
                    text.clear();
                    let value = pg_text_into(&c.value, &mut text).then_some(text.as_str());
                    statement::pg_copy_field(&mut data, value);
                }
                data.push(b'\n');
            }
            tables.copy_in(tx, &sql, data).await?;
            return Ok(());
        }
        (RowOp::Write(_), InsertMode::Update) => (
            statement::pg_update_rows(table, &values, &key).map_err(fatal)?,
            vals().chain(keys()).collect(),
        ),
        (RowOp::Write(_), mode) => (
            statement::pg_insert_rows(table, &key, &values, mode == InsertMode::Upsert)
                .map_err(fatal)?,
            keys().chain(vals()).collect(),
        ),
        (RowOp::Truncate, _) => return Ok(()),
    };
    tables.execute_columns(tx, &sql, &columns).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cdc_core::Schema;

    use super::*;
    use crate::jdbc::dialect::TableName;
    use crate::jdbc::record::Column;
    use crate::jdbc::SqlValue;

    fn change(id: i32, name: &str) -> RowChange {
        let d = Dialect::Postgres;
        let col = |n: &str, v: SqlValue| Column {
            name: d.ident(n).unwrap(),
            schema: Arc::new(Schema::int32()),
            value: v,
        };
        RowChange {
            table: TableName {
                database: None,
                schema: None,
                name: d.ident("t").unwrap(),
            },
            op: RowOp::Write(Row {
                key: vec![col("id", SqlValue::I32(id))],
                values: vec![col("name", SqlValue::Text(name.into()))],
            }),
        }
    }

    #[test]
    fn runs_split_where_a_key_repeats_or_the_columns_change() {
        let mut other_columns = change(9, "z");
        if let RowOp::Write(r) = &mut other_columns.op {
            r.values[0].name = Dialect::Postgres.ident("other").unwrap();
        }
        let mut null_key = change(0, "n");
        if let RowOp::Write(r) = &mut null_key.op {
            r.key[0].value = SqlValue::Null;
        }
        let changes = vec![
            (0, change(1, "a")),
            (1, change(2, "b")),
            (2, change(1, "c")),
            (3, change(3, "d")),
            (4, other_columns),
            (5, change(4, "e")),
            (6, null_key),
            (7, change(5, "f")),
        ];
        let lengths: Vec<usize> = runs(&changes).iter().map(|r| r.len()).collect();
        assert_eq!(lengths, [2, 2, 1, 3]);
    }

    #[test]
    fn key_text_tells_apart_keys_whose_joined_text_is_equal() {
        let d = Dialect::Postgres;
        let key = |a: SqlValue, b: SqlValue| Row {
            key: vec![
                Column {
                    name: d.ident("a").unwrap(),
                    schema: Arc::new(Schema::string()),
                    value: a,
                },
                Column {
                    name: d.ident("b").unwrap(),
                    schema: Arc::new(Schema::string()),
                    value: b,
                },
            ],
            values: vec![],
        };
        let text = |r: Row| {
            let mut out = String::new();
            key_text(&r, &mut out);
            out
        };
        let t = |s: &str| SqlValue::Text(s.into());
        assert_ne!(text(key(t("1:x"), t(""))), text(key(t(""), t("1:x"))));
        assert_ne!(
            text(key(t("-"), SqlValue::Null)),
            text(key(SqlValue::Null, t("-")))
        );
        assert_eq!(
            text(key(t("x"), SqlValue::Null)),
            text(key(t("x"), SqlValue::Null))
        );
    }

    #[test]
    fn the_reduction_buffer_keeps_the_last_change_of_a_row_after_the_last_truncate() {
        let truncate = RowChange {
            op: RowOp::Truncate,
            ..change(0, "")
        };
        let changes = vec![
            (0, change(1, "a")),
            (1, change(1, "b")),
            (2, truncate),
            (3, change(1, "c")),
            (4, change(2, "x")),
            (5, change(1, "d")),
        ];
        let kept: Vec<usize> = reduce(changes).into_iter().map(|(i, _)| i).collect();
        assert_eq!(kept, [0, 1, 2, 4, 5]);
    }
}
