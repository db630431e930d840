//! A bounds-checked cursor over one message. Every read either returns what was asked for or an
//! error naming the message, the field and the offset; nothing here can panic.

use bytes::Bytes;

use super::{DecodeError, MessageKind};
use crate::lsn::Lsn;

pub(super) struct Reader {
    buf: Bytes,
    pos: usize,
    message: MessageKind,
}

impl Reader {
    /// A reader positioned just after the type byte.
    pub(super) fn new(buf: Bytes, message: MessageKind) -> Reader {
        Reader {
            buf,
            pos: 1,
            message,
        }
    }

    pub(super) fn message(&self) -> MessageKind {
        self.message
    }

    pub(super) fn offset(&self) -> usize {
        self.pos
    }

    pub(super) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(super) fn truncated(&self, field: &'static str, needed: usize) -> DecodeError {
        DecodeError::Truncated {
            message: self.message,
            field,
            offset: self.pos,
            needed,
            left: self.remaining(),
        }
    }

    /// The next `n` bytes, as a zero-copy slice of the message.
    pub(super) fn bytes(&mut self, n: usize, field: &'static str) -> Result<Bytes, DecodeError> {
        let end = self.end_of(n, field)?;
        let slice = self.buf.slice(self.pos..end);
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let end = self.end_of(N, field)?;
        let array = self
            .buf
            .get(self.pos..end)
            .and_then(|s| <[u8; N]>::try_from(s).ok())
            .ok_or_else(|| self.truncated(field, N))?;
        self.pos = end;
        Ok(array)
    }

    /// Where a read of `n` bytes would end, if that many remain.
    fn end_of(&self, n: usize, field: &'static str) -> Result<usize, DecodeError> {
        if n > self.remaining() {
            return Err(self.truncated(field, n));
        }
        self.pos
            .checked_add(n)
            .ok_or_else(|| self.truncated(field, n))
    }

    pub(super) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        self.array::<1>(field).map(|[b]| b)
    }

    pub(super) fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        self.array(field).map(u16::from_be_bytes)
    }

    pub(super) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        self.array(field).map(u32::from_be_bytes)
    }

    pub(super) fn i32(&mut self, field: &'static str) -> Result<i32, DecodeError> {
        self.array(field).map(i32::from_be_bytes)
    }

    pub(super) fn i64(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        self.array(field).map(i64::from_be_bytes)
    }

    pub(super) fn lsn(&mut self, field: &'static str) -> Result<Lsn, DecodeError> {
        self.array(field).map(|b| Lsn(u64::from_be_bytes(b)))
    }

    /// An Int32 length that must not be negative, then that many bytes.
    pub(super) fn counted_bytes(
        &mut self,
        length_field: &'static str,
        field: &'static str,
    ) -> Result<Bytes, DecodeError> {
        let offset = self.pos;
        let length = self.i32(length_field)?;
        let n = usize::try_from(length).map_err(|_| DecodeError::NegativeLength {
            message: self.message,
            field: length_field,
            offset,
            length,
        })?;
        self.bytes(n, field)
    }

    /// A NUL-terminated UTF-8 string.
    pub(super) fn string(&mut self, field: &'static str) -> Result<String, DecodeError> {
        let offset = self.pos;
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let unterminated = || DecodeError::UnterminatedString {
            message: self.message,
            field,
            offset,
        };
        let len = rest.iter().position(|&b| b == 0).ok_or_else(unterminated)?;
        let raw = rest.get(..len).ok_or_else(unterminated)?;
        let s = std::str::from_utf8(raw).map_err(|source| DecodeError::InvalidUtf8 {
            message: self.message,
            field,
            offset,
            source,
        })?;
        let s = s.to_owned();
        self.pos = self.pos.saturating_add(len).saturating_add(1);
        Ok(s)
    }

    /// A namespace name: PostgreSQL sends an empty string for `pg_catalog`.
    pub(super) fn namespace(&mut self, field: &'static str) -> Result<String, DecodeError> {
        let s = self.string(field)?;
        Ok(if s.is_empty() {
            "pg_catalog".to_owned()
        } else {
            s
        })
    }

    /// The Int32 xid that messages inside a stream block carry after the type byte.
    pub(super) fn stream_xid(&mut self, in_stream: bool) -> Result<Option<u32>, DecodeError> {
        if in_stream {
            self.u32("streamed transaction xid").map(Some)
        } else {
            Ok(None)
        }
    }

    /// The message must end here.
    pub(super) fn finish(self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            left => Err(DecodeError::TrailingBytes {
                message: self.message,
                offset: self.pos,
                left,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: &'static [u8]) -> Reader {
        Reader::new(Bytes::from_static(bytes), MessageKind::Relation)
    }

    #[test]
    fn reads_big_endian_fields_after_the_type_byte() {
        let mut r = reader(b"R\x00\x00\x01\x02\xff\xff\xff\xfeab\0");
        assert_eq!(r.u32("id").unwrap(), 0x102);
        assert_eq!(r.i32("typmod").unwrap(), -2);
        assert_eq!(r.string("name").unwrap(), "ab");
        r.finish().unwrap();
    }

    #[test]
    fn a_short_read_names_field_offset_and_what_is_left() {
        let err = reader(b"R\x00\x01").u32("relation id").unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated Relation message: needed 4 bytes for relation id at offset 1, 2 left"
        );
    }

    #[test]
    fn strings_must_be_terminated_and_utf8() {
        let err = reader(b"Rab").string("name").unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated Relation message: name at offset 1 has no terminating NUL"
        );
        let err = reader(b"R\xff\0").string("name").unwrap_err();
        assert_eq!(
            err.to_string(),
            "name in Relation message at offset 1 is not valid UTF-8"
        );
    }

    #[test]
    fn lengths_are_checked_before_reading() {
        let mut r = reader(b"R\x7f\xff\xff\xffabc");
        let err = r.counted_bytes("length", "value").unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated Relation message: needed 2147483647 bytes for value at offset 5, 3 left"
        );
        let err = reader(b"R\xff\xff\xff\xfe")
            .counted_bytes("length", "value")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "negative length -2 in Relation message at offset 1"
        );
    }

    #[test]
    fn leftover_bytes_are_reported() {
        let err = reader(b"Rxy").finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "2 unexpected bytes after the Relation message at offset 1"
        );
    }
}
