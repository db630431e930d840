//! A pure, incremental parser of PostgreSQL's COPY BINARY format.
//!
//! Fed the chunks `COPY ... TO STDOUT (FORMAT binary)` produces, it yields one row at a time as
//! a slice of those chunks, whose fields [`RawFields`] reads. It never panics on input.
//!
//! PostgreSQL sends every row in a CopyData message of its own, so a row is nearly always a
//! slice of the chunk it came in (no copy, no allocation: the row shares the chunk's buffer).
//! Only a row split across chunks is copied, into a buffer that collects the pieces.

use bytes::{Buf, Bytes, BytesMut};

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CopyError {
    #[error("COPY BINARY stream does not start with the PGCOPY signature")]
    Signature,
    #[error("COPY BINARY row has {0} fields, expected {1}")]
    FieldCount(i16, usize),
    #[error("COPY BINARY field has invalid length {0}")]
    FieldLength(i32),
    #[error("COPY BINARY stream ended in the middle of a row")]
    Truncated,
}

/// Incremental COPY BINARY parser.
#[derive(Debug, Default)]
pub struct CopyParser {
    /// The unread rest of the last chunk, when nothing is collected in `spill`.
    cur: Bytes,
    /// The pieces of a row (or header) that spans chunks; all unread input while non-empty.
    spill: BytesMut,
    header_done: bool,
    finished: bool,
}

impl CopyParser {
    pub fn new() -> Self {
        CopyParser::default()
    }

    pub fn push(&mut self, chunk: Bytes) {
        if self.spill.is_empty() && self.cur.is_empty() {
            self.cur = chunk;
        } else {
            // A row continues in this chunk: collect its pieces (copying each once).
            let cur = std::mem::take(&mut self.cur);
            self.spill.extend_from_slice(&cur);
            self.spill.extend_from_slice(&chunk);
        }
    }

    /// True once the trailer (-1 field count) was read.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Called at the end of the stream: it must have ended on a row boundary.
    pub fn finish(&self) -> Result<(), CopyError> {
        if self.finished || (self.header_done && self.unread().is_empty()) {
            Ok(())
        } else {
            Err(CopyError::Truncated)
        }
    }

    fn unread(&self) -> &[u8] {
        if self.spill.is_empty() {
            &self.cur
        } else {
            &self.spill
        }
    }

    /// The next `n` unread bytes, which are there.
    fn take(&mut self, n: usize) -> Bytes {
        if self.spill.is_empty() {
            self.cur.split_to(n)
        } else {
            self.spill.split_to(n).freeze()
        }
    }

    /// The next complete row as its fields' bytes (each an i32 length, -1 for NULL, then the
    /// value), without the field count; `Ok(None)` when more input is needed. Read the fields
    /// with [`RawFields`].
    pub fn next_raw_row(&mut self, expected_fields: usize) -> Result<Option<Bytes>, CopyError> {
        if self.finished {
            return Ok(None);
        }
        if !self.header_done {
            let Some(header) = header_len(self.unread())? else {
                return Ok(None);
            };
            self.take(header);
            self.header_done = true;
        }
        match row_len(self.unread(), expected_fields)? {
            Row::Incomplete => Ok(None),
            Row::Trailer => {
                self.finished = true;
                self.take(2);
                Ok(None)
            }
            Row::Complete(len) => {
                let mut row = self.take(len);
                row.advance(2);
                Ok(Some(row))
            }
        }
    }
}

/// The length of the file header at the start of `data`, once it is all there.
fn header_len(data: &[u8]) -> Result<Option<usize>, CopyError> {
    let Some((signature, rest)) = data.split_first_chunk::<11>() else {
        return Ok(None);
    };
    if signature != SIGNATURE {
        return Err(CopyError::Signature);
    }
    // Flags (4 bytes), then the header extension's length and the extension.
    let Some(&[_, _, _, _, a, b, c, d]) = rest.first_chunk::<8>() else {
        return Ok(None);
    };
    let ext_len = i32::from_be_bytes([a, b, c, d]);
    let ext_len = usize::try_from(ext_len).map_err(|_| CopyError::FieldLength(ext_len))?;
    let header = SIGNATURE.len() + 8 + ext_len;
    Ok((data.len() >= header).then_some(header))
}

/// What the unread input starts with.
enum Row {
    Incomplete,
    Trailer,
    /// A whole row of this many bytes, field count included.
    Complete(usize),
}

/// Measures the row at the start of `data` without consuming anything.
fn row_len(data: &[u8], expected_fields: usize) -> Result<Row, CopyError> {
    let Some(&count) = data.first_chunk::<2>() else {
        return Ok(Row::Incomplete);
    };
    let count = i16::from_be_bytes(count);
    if count == -1 {
        return Ok(Row::Trailer);
    }
    if count < 0 || count as usize != expected_fields {
        return Err(CopyError::FieldCount(count, expected_fields));
    }
    let mut pos = 2usize;
    for _ in 0..count {
        let Some(&len_bytes) = data.get(pos..).and_then(|d| d.first_chunk::<4>()) else {
            return Ok(Row::Incomplete);
        };
        let len = i32::from_be_bytes(len_bytes);
        pos += 4;
        if len >= 0 {
            pos += len as usize;
            if pos > data.len() {
                return Ok(Row::Incomplete);
            }
        } else if len != -1 {
            return Err(CopyError::FieldLength(len));
        }
    }
    Ok(Row::Complete(pos))
}

/// The fields of a row from [`CopyParser::next_raw_row`], in order: `None` for NULL. Bytes that
/// do not hold whole fields yield an error, never a panic.
#[derive(Debug, Clone)]
pub struct RawFields<'a> {
    rest: &'a [u8],
}

impl<'a> RawFields<'a> {
    pub fn new(row: &'a [u8]) -> Self {
        RawFields { rest: row }
    }
}

impl<'a> Iterator for RawFields<'a> {
    type Item = Result<Option<&'a [u8]>, CopyError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let Some((len, rest)) = self.rest.split_first_chunk::<4>() else {
            self.rest = &[];
            return Some(Err(CopyError::Truncated));
        };
        let len = i32::from_be_bytes(*len);
        if len == -1 {
            self.rest = rest;
            return Some(Ok(None));
        }
        match usize::try_from(len) {
            Ok(n) if n <= rest.len() => {
                let (field, rest) = rest.split_at(n);
                self.rest = rest;
                Some(Ok(Some(field)))
            }
            Ok(_) => {
                self.rest = &[];
                Some(Err(CopyError::Truncated))
            }
            Err(_) => {
                self.rest = &[];
                Some(Err(CopyError::FieldLength(len)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut v = SIGNATURE.to_vec();
        v.extend_from_slice(&0i32.to_be_bytes());
        v.extend_from_slice(&0i32.to_be_bytes());
        // row: (int4 7, NULL)
        v.extend_from_slice(&2i16.to_be_bytes());
        v.extend_from_slice(&4i32.to_be_bytes());
        v.extend_from_slice(&7i32.to_be_bytes());
        v.extend_from_slice(&(-1i32).to_be_bytes());
        v.extend_from_slice(&(-1i16).to_be_bytes());
        v
    }

    #[test]
    fn parses_rows_fed_byte_by_byte() {
        let data = sample();
        let mut p = CopyParser::new();
        let mut rows = Vec::new();
        for b in &data {
            p.push(Bytes::copy_from_slice(std::slice::from_ref(b)));
            while let Some(row) = p.next_raw_row(2).unwrap() {
                let fields: Vec<Option<Vec<u8>>> = RawFields::new(&row)
                    .map(|f| f.unwrap().map(<[u8]>::to_vec))
                    .collect();
                rows.push(fields);
            }
        }
        assert!(p.finished());
        p.finish().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][0].as_deref(), Some(&7i32.to_be_bytes()[..]));
        assert_eq!(rows[0][1], None);
    }

    /// Rows of `data` read after splitting it at `cuts`.
    fn rows_of(data: &[u8], cuts: &[usize]) -> Vec<Vec<Option<Vec<u8>>>> {
        let mut p = CopyParser::new();
        let mut rows = Vec::new();
        let mut from = 0;
        for &to in cuts.iter().chain([&data.len()]) {
            p.push(Bytes::copy_from_slice(&data[from..to]));
            from = to;
            while let Some(row) = p.next_raw_row(2).unwrap() {
                rows.push(
                    RawFields::new(&row)
                        .map(|f| f.unwrap().map(<[u8]>::to_vec))
                        .collect(),
                );
            }
        }
        p.finish().unwrap();
        rows
    }

    #[test]
    fn rows_split_anywhere_across_chunks_read_the_same() {
        let mut data = sample();
        // Three rows: the sample's, a longer one and one more, then the trailer.
        data.truncate(data.len() - 2);
        for v in [123_456i32, -5] {
            data.extend_from_slice(&2i16.to_be_bytes());
            data.extend_from_slice(&4i32.to_be_bytes());
            data.extend_from_slice(&v.to_be_bytes());
            data.extend_from_slice(&3i32.to_be_bytes());
            data.extend_from_slice(b"abc");
        }
        data.extend_from_slice(&(-1i16).to_be_bytes());
        let whole = rows_of(&data, &[]);
        assert_eq!(whole.len(), 3);
        for a in 0..=data.len() {
            assert_eq!(rows_of(&data, &[a]), whole, "cut at {a}");
            for b in a..=data.len() {
                assert_eq!(rows_of(&data, &[a, b]), whole, "cut at {a} and {b}");
            }
        }
    }

    #[test]
    fn a_row_in_a_chunk_of_its_own_is_read_without_copying() {
        let data = sample();
        let (header, rest) = data.split_at(SIGNATURE.len() + 8);
        let (row, trailer) = rest.split_at(rest.len() - 2);
        let mut p = CopyParser::new();
        p.push(Bytes::copy_from_slice(header));
        assert_eq!(p.next_raw_row(2).unwrap(), None);
        let chunk = Bytes::copy_from_slice(row);
        p.push(chunk.clone());
        let read = p.next_raw_row(2).unwrap().expect("a whole row");
        assert_eq!(
            read.as_ptr(),
            chunk[2..].as_ptr(),
            "the row shares the chunk"
        );
        p.push(Bytes::copy_from_slice(trailer));
        assert_eq!(p.next_raw_row(2).unwrap(), None);
        assert!(p.finished());
    }

    #[test]
    fn never_panics_on_garbage() {
        let data = sample();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..5000 {
            let mut d = data.clone();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % d.len();
            d[i] = (seed >> 32) as u8;
            let cut = (seed >> 40) as usize % (d.len() + 1);
            let mut p = CopyParser::new();
            p.push(Bytes::copy_from_slice(&d[..cut]));
            for _ in 0..4 {
                match p.next_raw_row(2) {
                    Ok(Some(row)) => RawFields::new(&row).for_each(drop),
                    _ => break,
                }
            }
            let _ = p.finish();
        }
    }
}
