//! A pure, incremental parser of PostgreSQL's COPY BINARY format.
//!
//! Fed the chunks `COPY ... TO STDOUT (FORMAT binary)` produces, it yields one row at a time as
//! a slice of the buffered bytes, whose fields [`RawFields`] reads. It never panics on input.

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
    buf: BytesMut,
    header_done: bool,
    finished: bool,
}

impl CopyParser {
    pub fn new() -> Self {
        CopyParser::default()
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// True once the trailer (-1 field count) was read.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Called at the end of the stream: it must have ended on a row boundary.
    pub fn finish(&self) -> Result<(), CopyError> {
        if self.finished || (self.header_done && self.buf.is_empty()) {
            Ok(())
        } else {
            Err(CopyError::Truncated)
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
            if self.buf.len() < SIGNATURE.len() + 8 {
                return Ok(None);
            }
            if &self.buf[..SIGNATURE.len()] != SIGNATURE {
                return Err(CopyError::Signature);
            }
            let ext_len =
                i32::from_be_bytes([self.buf[15], self.buf[16], self.buf[17], self.buf[18]]);
            let ext_len = usize::try_from(ext_len).map_err(|_| CopyError::FieldLength(ext_len))?;
            let header = SIGNATURE.len() + 8 + ext_len;
            if self.buf.len() < header {
                return Ok(None);
            }
            self.buf.advance(header);
            self.header_done = true;
        }
        // Measure the row before consuming anything.
        if self.buf.len() < 2 {
            return Ok(None);
        }
        let count = i16::from_be_bytes([self.buf[0], self.buf[1]]);
        if count == -1 {
            self.finished = true;
            self.buf.advance(2);
            return Ok(None);
        }
        if count < 0 || count as usize != expected_fields {
            return Err(CopyError::FieldCount(count, expected_fields));
        }
        let mut pos = 2usize;
        for _ in 0..count {
            let Some(len_bytes) = self.buf.get(pos..pos + 4) else {
                return Ok(None);
            };
            let len = i32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
            pos += 4;
            if len >= 0 {
                pos += len as usize;
                if pos > self.buf.len() {
                    return Ok(None);
                }
            } else if len != -1 {
                return Err(CopyError::FieldLength(len));
            }
        }
        let mut row = self.buf.split_to(pos).freeze();
        row.advance(2);
        Ok(Some(row))
    }
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
            p.push(std::slice::from_ref(b));
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
            p.push(&d[..cut]);
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
