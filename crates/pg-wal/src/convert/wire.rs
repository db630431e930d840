//! A bounds-checked reader over a binary wire value, and the decoders' internal fault type.

/// Why a value could not be decoded. Reasons are static: they never carry row data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Malformed(&'static str),
    /// NaN or ±Infinity NUMERIC while decimal.handling.mode=precise.
    SpecialNumeric,
    OutOfRange(&'static str),
    /// The type has no binary decoder; read it as text.
    TextOnly,
}

pub(crate) type Decoded<T> = Result<T, Fault>;

pub(crate) const TRUNCATED: Fault = Fault::Malformed("value is truncated");
pub(crate) const TRAILING: Fault = Fault::Malformed("unexpected bytes after the value");

/// Reads big-endian fields from a byte slice, never past its end.
pub(crate) struct Wire<'a> {
    buf: &'a [u8],
}

impl<'a> Wire<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Wire<'a> {
        Wire { buf }
    }

    pub(crate) fn take(&mut self, n: usize) -> Decoded<&'a [u8]> {
        if n > self.buf.len() {
            return Err(TRUNCATED);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Decoded<[u8; N]> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Decoded<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn i16(&mut self) -> Decoded<i16> {
        Ok(i16::from_be_bytes(self.array()?))
    }
    pub(crate) fn u16(&mut self) -> Decoded<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    pub(crate) fn i32(&mut self) -> Decoded<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Decoded<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub(crate) fn i64(&mut self) -> Decoded<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    pub(crate) fn f64(&mut self) -> Decoded<f64> {
        Ok(f64::from_be_bytes(self.array()?))
    }

    /// A length-prefixed (`int32`, -1 for NULL) field.
    pub(crate) fn field(&mut self) -> Decoded<Option<&'a [u8]>> {
        let len = self.i32()?;
        if len < 0 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| TRUNCATED)?;
        self.take(len).map(Some)
    }

    /// Bytes up to (not including) the next NUL, which is consumed.
    pub(crate) fn cstring(&mut self) -> Decoded<&'a [u8]> {
        let end = self
            .buf
            .iter()
            .position(|&b| b == 0)
            .ok_or(Fault::Malformed("missing string terminator"))?;
        let s = self.take(end)?;
        self.take(1)?;
        Ok(s)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Fails unless everything was read.
    pub(crate) fn finish(&self) -> Decoded<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(TRAILING)
        }
    }
}

/// Exactly `N` bytes, big-endian, as the whole value.
pub(crate) fn exact<const N: usize>(raw: &[u8]) -> Decoded<[u8; N]> {
    match <[u8; N]>::try_from(raw) {
        Ok(a) => Ok(a),
        Err(_) if raw.len() < N => Err(TRUNCATED),
        Err(_) => Err(TRAILING),
    }
}

pub(crate) fn utf8(raw: &[u8]) -> Decoded<&str> {
    std::str::from_utf8(raw).map_err(|_| Fault::Malformed("text is not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let mut w = Wire::new(&[0, 0, 0, 5, 1, 2]);
        assert_eq!(w.field(), Err(TRUNCATED));
        let mut w = Wire::new(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(w.field(), Ok(None));
        assert!(w.finish().is_ok());
        let mut w = Wire::new(&[1]);
        assert_eq!(w.i32(), Err(TRUNCATED));
        assert_eq!(exact::<2>(&[1, 2, 3]), Err(TRAILING));
        assert_eq!(
            Wire::new(b"abc").cstring(),
            Err(Fault::Malformed("missing string terminator"))
        );
    }
}
