//! A rows event checked against the table the schema history describes, and its row images
//! turned into one value per table column — never a silent NULL, never a shifted column.
//!
//! * [`check_table_map`]: binlog rows carry no column names, only the TABLE_MAP's column count
//!   and types; a count or a type that disagrees with the history (a DDL the connector did not
//!   see) would put values into the wrong columns, so it is reported instead.
//! * [`image`]: a row image's values by column, placed by the image's column bitmap; binary
//!   JSON decoded to text (a value that cannot be decoded is an error naming the column); a
//!   MySQL partial JSON update applied to the before image's document.
//!
//! * [`inconsistent`], [`unreadable`]: what `inconsistent.schema.handling.mode` and
//!   `event.processing.failure.handling.mode` make of an event that disagrees or cannot be read.
//!
//! Pure: no I/O (a skipped event is logged), never panics on input.

use mysql_common::binlog::events::TableMapEvent;
use mysql_common::binlog::row::BinlogRow;
use mysql_common::binlog::value::BinlogValue;
use mysql_common::constants::ColumnType;
use mysql_common::value::Value as My;

use tracing::{debug, warn};

use crate::catalog::{Column, Table, TableId};
use crate::config::FailureMode;
use crate::error::MySqlSourceError;
use crate::json::Json;
use crate::offset::BinlogPos;

/// One column's value in a row image.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Value(My),
    /// A MySQL JSON column's document (kept whole so a partial update can apply to it).
    Json(Json),
}

impl Field {
    /// The value the column codecs convert (a JSON document as its text).
    pub fn into_value(self) -> My {
        match self {
            Field::Value(v) => v,
            Field::Json(j) => My::Bytes(j.to_text().into_bytes()),
        }
    }
}

/// A value of a row image that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {name} (position {position}): {reason}")]
pub struct FieldError {
    /// The column's name in the schema history.
    pub name: String,
    /// Its position in the table, from 1.
    pub position: usize,
    pub reason: String,
}

/// Checks a TABLE_MAP against `table`: the same number of columns, and each column's binlog
/// type one its declared type can be written as. The error says what disagrees.
pub fn check_table_map(table: &Table, tme: &TableMapEvent<'_>) -> Result<(), String> {
    let binlog_count = tme.columns_count();
    if binlog_count != table.columns.len() as u64 {
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "the binlog's TABLE_MAP has {binlog_count} columns, the schema history's definition has {} ({})",
            table.columns.len(),
            names.join(", ")
        ));
    }
    for (i, col) in table.columns.iter().enumerate() {
        let Some(expected) = binlog_types(col) else {
            continue;
        };
        let actual = match tme.get_column_type(i) {
            Ok(Some(t)) => t,
            Ok(None) => return Err(format!("the TABLE_MAP has no type for column {}", i + 1)),
            Err(e) => {
                return Err(format!(
                    "the TABLE_MAP's type of column {} ({}) is unknown: {e}",
                    i + 1,
                    col.name
                ))
            }
        };
        if !expected.contains(&actual) {
            return Err(format!(
                "column {} ({}) is {} in the schema history, but the binlog carries a {actual:?} value there",
                i + 1,
                col.name,
                col.type_expression()
            ));
        }
    }
    Ok(())
}

const CHARS: &[ColumnType] = &[
    ColumnType::MYSQL_TYPE_STRING,
    ColumnType::MYSQL_TYPE_VAR_STRING,
    ColumnType::MYSQL_TYPE_VARCHAR,
];
const BLOBS: &[ColumnType] = &[
    ColumnType::MYSQL_TYPE_BLOB,
    ColumnType::MYSQL_TYPE_TINY_BLOB,
    ColumnType::MYSQL_TYPE_MEDIUM_BLOB,
    ColumnType::MYSQL_TYPE_LONG_BLOB,
];
const JSON: &[ColumnType] = &[
    ColumnType::MYSQL_TYPE_JSON,
    // MariaDB's JSON is a LONGTEXT.
    ColumnType::MYSQL_TYPE_BLOB,
    ColumnType::MYSQL_TYPE_TINY_BLOB,
    ColumnType::MYSQL_TYPE_MEDIUM_BLOB,
    ColumnType::MYSQL_TYPE_LONG_BLOB,
];

/// The binlog types a column of this declared type is written as; `None` for types the check
/// leaves alone (MariaDB's INET6, UUID, VECTOR, ...).
fn binlog_types(c: &Column) -> Option<&'static [ColumnType]> {
    use ColumnType::*;
    Some(match c.type_name.as_str() {
        "TINYINT" | "BOOL" | "BOOLEAN" => &[MYSQL_TYPE_TINY],
        "SMALLINT" => &[MYSQL_TYPE_SHORT],
        "MEDIUMINT" | "MIDDLEINT" => &[MYSQL_TYPE_INT24],
        "INT" => &[MYSQL_TYPE_LONG],
        "BIGINT" => &[MYSQL_TYPE_LONGLONG],
        // FLOAT(p) with p > 24 is a DOUBLE.
        "FLOAT" => &[MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE],
        // REAL is a FLOAT under the REAL_AS_FLOAT SQL mode.
        "DOUBLE" => &[MYSQL_TYPE_DOUBLE, MYSQL_TYPE_FLOAT],
        "DECIMAL" => &[MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_DECIMAL],
        "BIT" => &[MYSQL_TYPE_BIT],
        "DATE" => &[MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE],
        "TIME" => &[MYSQL_TYPE_TIME, MYSQL_TYPE_TIME2],
        "DATETIME" => &[MYSQL_TYPE_DATETIME, MYSQL_TYPE_DATETIME2],
        "TIMESTAMP" => &[MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_TIMESTAMP2],
        "YEAR" => &[MYSQL_TYPE_YEAR],
        "CHAR" | "VARCHAR" | "BINARY" | "VARBINARY" => CHARS,
        "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB"
        | "LONGBLOB" | "LONG" | "LONG VARCHAR" | "LONG VARBINARY" => BLOBS,
        "ENUM" => &[MYSQL_TYPE_ENUM, MYSQL_TYPE_STRING],
        "SET" => &[MYSQL_TYPE_SET, MYSQL_TYPE_STRING],
        "JSON" => JSON,
        "GEOMETRY" | "POINT" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING"
        | "MULTIPOLYGON" | "GEOMETRYCOLLECTION" | "GEOMCOLLECTION" => &[MYSQL_TYPE_GEOMETRY],
        _ => return None,
    })
}

/// The values of one row image, one per column of `table` (checked by [`check_table_map`]):
/// `present` says whether a column is in the image (its column bitmap), `before` the row's before image (for a partial JSON
/// update in the after image). A column the image leaves out is an error (the server check
/// requires `binlog_row_image=FULL`), not a NULL.
pub fn image(
    mut row: BinlogRow,
    present: impl Fn(usize) -> bool,
    table: &Table,
    before: Option<&[Field]>,
) -> Result<Vec<Field>, FieldError> {
    let mut out = Vec::with_capacity(table.columns.len());
    // The image holds the values of the columns its bitmap names, in order; every column is
    // in it (checked below), so the i-th value is the i-th column's.
    for (i, col) in table.columns.iter().enumerate() {
        let err = |reason: String| FieldError {
            name: col.name.clone(),
            position: i + 1,
            reason,
        };
        if !present(i) {
            return Err(err(
                "the row image leaves the column out; set binlog_row_image=FULL on the server"
                    .into(),
            ));
        }
        let value = row
            .take(i)
            .ok_or_else(|| err("the row image has no value for the column".into()))?;
        out.push(match value {
            BinlogValue::Value(v) => Field::Value(v),
            BinlogValue::Jsonb(j) => Field::Json(
                Json::from_binary(&j)
                    .map_err(|e| err(format!("the JSON value cannot be decoded: {e}")))?,
            ),
            BinlogValue::JsonDiff(diffs) => {
                let mut doc = match before.and_then(|b| b.get(i)) {
                    Some(Field::Json(j)) => j.clone(),
                    Some(Field::Value(My::NULL)) => {
                        return Err(err(
                            "a partial JSON update of a NULL document (MySQL never writes one)"
                                .into(),
                        ))
                    }
                    _ => {
                        return Err(err(
                            "a partial JSON update without the document it changes in the before image; set binlog_row_image=FULL, or binlog_row_value_options='' for full JSON values"
                                .into(),
                        ))
                    }
                };
                doc.apply(&diffs).map_err(|e| err(e.to_string()))?;
                Field::Json(doc)
            }
        });
    }
    Ok(out)
}

/// One row of a rows event: its index in the event and its converted images (`None` for an
/// image the event does not have, or for rows read only to be counted).
#[derive(Debug)]
pub struct Change {
    pub row: u64,
    pub before: Option<Vec<cdc_core::Value>>,
    pub after: Option<Vec<cdc_core::Value>>,
}

/// Why a rows event cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The bytes of a row cannot be decoded.
    #[error("{0}")]
    Decode(String),
    /// A value cannot be read (binary JSON, a partial JSON update, a column left out).
    #[error(transparent)]
    Field(FieldError),
    /// A value cannot be converted to its Connect type.
    #[error(transparent)]
    Convert(crate::convert::ConvertError),
}

/// Reads every row of `rows` from `skip_rows` on, before any is emitted, so that a row that
/// cannot be read leaves the whole event out (not half of it) when the connector is told to
/// skip such events. With `convert` false the rows are decoded and counted only (an
/// operation `skipped.operations` leaves out).
pub fn read(
    rows: &mysql_common::binlog::events::RowsEventData<'_>,
    tme: &TableMapEvent<'_>,
    schema: &crate::table::TableSchema,
    skip_rows: u64,
    convert: bool,
) -> Result<Vec<Change>, ReadError> {
    let before_bits = rows.columns_before_image();
    let after_bits = rows.columns_after_image();
    let in_before = |c: usize| before_bits.is_none_or(|b| b.get(c).is_some_and(|x| *x));
    let in_after = |c: usize| after_bits.is_none_or(|b| b.get(c).is_some_and(|x| *x));
    let values = |fields: Vec<Field>| -> Result<Vec<cdc_core::Value>, ReadError> {
        let values: Vec<My> = fields.into_iter().map(Field::into_value).collect();
        schema
            .row(values.iter().map(Some), crate::convert::Origin::Binlog)
            .map_err(ReadError::Convert)
    };
    let mut out = Vec::new();
    for (i, row) in rows.rows(tme).enumerate() {
        let (before, after) = row.map_err(|e| ReadError::Decode(e.to_string()))?;
        let i = i as u64;
        if i < skip_rows {
            continue;
        }
        if !convert {
            out.push(Change {
                row: i,
                before: None,
                after: None,
            });
            continue;
        }
        let before = before
            .map(|r| image(r, in_before, &schema.table, None))
            .transpose()
            .map_err(ReadError::Field)?;
        let after = after
            .map(|r| image(r, in_after, &schema.table, before.as_deref()))
            .transpose()
            .map_err(ReadError::Field)?;
        out.push(Change {
            row: i,
            before: before.map(values).transpose()?,
            after: after.map(values).transpose()?,
        });
    }
    Ok(out)
}

/// `inconsistent.schema.handling.mode` for a row event (at `start`, ending at `end`) of a
/// captured table the history does not know (`reason` None) or whose TABLE_MAP disagrees with
/// it: the task's error, or `Ok` to skip the event (with a warning under `warn`).
pub fn inconsistent(
    mode: FailureMode,
    id: &TableId,
    start: &BinlogPos,
    end: u64,
    reason: Option<String>,
) -> Result<(), MySqlSourceError> {
    let what = reason
        .clone()
        .unwrap_or_else(|| "the schema history does not know the table".to_owned());
    match (mode, reason) {
        (FailureMode::Fail, None) => Err(MySqlSourceError::UnknownTable {
            pos: start.clone(),
            table: id.to_string(),
        }),
        (FailureMode::Fail, Some(reason)) => Err(MySqlSourceError::InconsistentSchema {
            table: id.to_string(),
            pos: start.clone(),
            end,
            reason,
        }),
        (FailureMode::Warn, _) => {
            warn!(table = %id, position = %start, end, reason = %what,
                "skipping a row event that does not match the schema history (inconsistent.schema.handling.mode=warn); take a new snapshot to capture the table again");
            Ok(())
        }
        (FailureMode::Skip, _) => {
            debug!(table = %id, position = %start, reason = %what,
                "skipping a row event that does not match the schema history (inconsistent.schema.handling.mode=skip)");
            Ok(())
        }
    }
}

/// `event.processing.failure.handling.mode` for a row event that cannot be read: the task's
/// error, or `Ok` to skip the whole event (with a warning under `warn`).
pub fn unreadable(
    mode: FailureMode,
    id: &TableId,
    start: &BinlogPos,
    end: u64,
    e: ReadError,
) -> Result<(), MySqlSourceError> {
    match mode {
        FailureMode::Fail => Err(match e {
            ReadError::Field(f) => MySqlSourceError::Row {
                table: id.to_string(),
                column: f.name,
                position: f.position,
                pos: start.clone(),
                end,
                reason: f.reason,
            },
            other => MySqlSourceError::Decode {
                pos: start.clone(),
                reason: format!("a row of table {id}: {other} (event.processing.failure.handling.mode=warn or skip skips such events)"),
            },
        }),
        FailureMode::Warn => {
            warn!(table = %id, position = %start, end, error = %e,
                "skipping a row event that cannot be read (event.processing.failure.handling.mode=warn)");
            Ok(())
        }
        FailureMode::Skip => {
            debug!(table = %id, position = %start, error = %e,
                "skipping a row event that cannot be read (event.processing.failure.handling.mode=skip)");
            Ok(())
        }
    }
}
