//! Kafka's protocol primitives (`org.apache.kafka.common.protocol.types`), big-endian: INT16,
//! INT32, INT64, STRING (int16 length + UTF-8), NULLABLE_STRING (length -1 = null),
//! NULLABLE_BYTES (int32 length, -1 = null), and arrays (int32 count, -1 = null).

/// A buffer that does not hold what its schema says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("{field}: the buffer ends at byte {at}, {needed} more bytes were expected")]
    Truncated {
        field: &'static str,
        at: usize,
        needed: usize,
    },
    #[error("{field}: length {length} at byte {at} is invalid")]
    BadLength {
        field: &'static str,
        at: usize,
        length: i64,
    },
    #[error("{field}: the string at byte {at} is not UTF-8")]
    NotUtf8 { field: &'static str, at: usize },
    #[error("{field}: null where Connect's schema does not allow it")]
    Null { field: &'static str },
    #[error("unsupported Connect protocol version {0} (Connect reads 0 and above; this reader knows 0, 1 and 2)")]
    Version(i16),
}

/// A length prefix: -1 is null, other negatives are refused.
fn nullable_length(field: &'static str, at: usize, len: i64) -> Result<Option<usize>, WireError> {
    match len {
        -1 => Ok(None),
        n if n < 0 => Err(WireError::BadLength {
            field,
            at,
            length: n,
        }),
        n => Ok(Some(n as usize)),
    }
}

/// Reads fields in order from a byte slice.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// Whether every byte was read (Connect's optional trailing fields are then missing).
    pub fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], WireError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(WireError::Truncated {
                field,
                at: self.at,
                needed: n - (self.bytes.len() - self.at.min(self.bytes.len())),
            });
        };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    pub fn i16(&mut self, field: &'static str) -> Result<i16, WireError> {
        let b = self.take(2, field)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    pub fn i32(&mut self, field: &'static str) -> Result<i32, WireError> {
        let b = self.take(4, field)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn i64(&mut self, field: &'static str) -> Result<i64, WireError> {
        let b = self.take(8, field)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }

    /// A STRING (or a NULLABLE_STRING, when null is `None`).
    pub fn nullable_string(&mut self, field: &'static str) -> Result<Option<String>, WireError> {
        let at = self.at;
        let len = self.i16(field)?;
        let Some(len) = nullable_length(field, at, len.into())? else {
            return Ok(None);
        };
        let bytes = self.take(len, field)?;
        std::str::from_utf8(bytes)
            .map(|s| Some(s.to_owned()))
            .map_err(|_| WireError::NotUtf8 { field, at })
    }

    pub fn string(&mut self, field: &'static str) -> Result<String, WireError> {
        self.nullable_string(field)?
            .ok_or(WireError::Null { field })
    }

    pub fn nullable_bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, WireError> {
        let at = self.at;
        let len = self.i32(field)?;
        match nullable_length(field, at, len.into())? {
            None => Ok(None),
            Some(len) => self.take(len, field).map(Some),
        }
    }

    /// An array's count (`None`: a null array). A count larger than the bytes left could hold
    /// (at least `min_size` bytes each) is refused before anything is allocated.
    pub fn array_len(
        &mut self,
        field: &'static str,
        min_size: usize,
    ) -> Result<Option<usize>, WireError> {
        let at = self.at;
        let n = self.i32(field)?;
        if n == -1 {
            return Ok(None);
        }
        let left = self.bytes.len() - self.at;
        if n < 0 || (n as usize).saturating_mul(min_size) > left {
            return Err(WireError::BadLength {
                field,
                at,
                length: n.into(),
            });
        }
        Ok(Some(n as usize))
    }
}

/// Appends fields to a byte vector.
#[derive(Default)]
pub(crate) struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn i16(&mut self, v: i16) {
        self.bytes.extend_from_slice(&v.to_be_bytes());
    }

    pub fn i32(&mut self, v: i32) {
        self.bytes.extend_from_slice(&v.to_be_bytes());
    }

    pub fn i64(&mut self, v: i64) {
        self.bytes.extend_from_slice(&v.to_be_bytes());
    }

    /// A STRING; longer than Kafka's int16 limit is the caller's error (URLs and connector
    /// names are far shorter), written truncated to the limit at a character boundary.
    pub fn string(&mut self, s: &str) {
        let mut end = s.len().min(i16::MAX as usize);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.i16(end as i16);
        self.bytes.extend_from_slice(&s.as_bytes()[..end]);
    }

    pub fn nullable_bytes(&mut self, b: Option<&[u8]>) {
        match b {
            None => self.i32(-1),
            Some(b) => {
                self.i32(b.len() as i32);
                self.bytes.extend_from_slice(b);
            }
        }
    }
}
