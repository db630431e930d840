//! TupleData: the row images inside Insert, Update and Delete.
//!
//! ```text
//! Int16 ncols, then per column one of
//!   'n'                       NULL
//!   'u'                       unchanged TOASTed value (not sent)
//!   't' Int32 len, Byte[len]  text output
//!   'b' Int32 len, Byte[len]  binary send output
//! ```
//!
//! A 'u' appears when an Update leaves a TOASTed column alone: PostgreSQL avoids detoasting the
//! value, so the new row image says "unchanged" instead of carrying it. Under REPLICA IDENTITY
//! FULL the old image has the value only if it was not stored out of line either.

use super::reader::Reader;
use super::{DecodeError, OldTuple, TupleColumn, TupleData};

/// Reads one TupleData.
pub(super) fn read_tuple(r: &mut Reader) -> Result<TupleData, DecodeError> {
    let ncols = usize::from(r.u16("column count")?);
    // Each column takes at least its kind byte, so a count beyond what is left cannot be honest:
    // never reserve more than the bytes remaining.
    let mut columns = Vec::with_capacity(ncols.min(r.remaining()));
    for _ in 0..ncols {
        let offset = r.offset();
        let column = match r.u8("column kind")? {
            b'n' => TupleColumn::Null,
            b'u' => TupleColumn::UnchangedToast,
            b't' => TupleColumn::Text(r.counted_bytes("column length", "text column value")?),
            b'b' => TupleColumn::Binary(r.counted_bytes("column length", "binary column value")?),
            byte => {
                return Err(DecodeError::UnexpectedByte {
                    message: r.message(),
                    field: "column kind",
                    offset,
                    byte,
                    expected: "'n', 'u', 't' or 'b'",
                })
            }
        };
        columns.push(column);
    }
    Ok(TupleData(columns))
}

/// The marker byte that introduces a row image in Insert, Update and Delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    /// 'N': the new row.
    New,
    /// 'K': the old replica identity key.
    Key,
    /// 'O': the old row (REPLICA IDENTITY FULL).
    Old,
}

/// Reads a marker byte that must be one of `allowed` (described by `expected` for the error).
pub(super) fn read_marker(
    r: &mut Reader,
    allowed: &[Marker],
    expected: &'static str,
) -> Result<Marker, DecodeError> {
    let offset = r.offset();
    let byte = r.u8("tuple marker")?;
    let marker = match byte {
        b'N' => Some(Marker::New),
        b'K' => Some(Marker::Key),
        b'O' => Some(Marker::Old),
        _ => None,
    };
    match marker {
        Some(m) if allowed.contains(&m) => Ok(m),
        _ => Err(DecodeError::UnexpectedByte {
            message: r.message(),
            field: "tuple marker",
            offset,
            byte,
            expected,
        }),
    }
}

/// Reads the old row image that follows a 'K' or 'O' marker.
pub(super) fn read_old_tuple(r: &mut Reader, marker: Marker) -> Result<OldTuple, DecodeError> {
    let tuple = read_tuple(r)?;
    Ok(if marker == Marker::Old {
        OldTuple::Full(tuple)
    } else {
        OldTuple::Key(tuple)
    })
}
