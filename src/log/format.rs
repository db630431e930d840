//! The on-disk record format: pure encoding and decoding, no I/O, never panics on input.
//!
//! A topic's records are stored in chunks, one storage entry per run of records appended
//! together (like Kafka's record batches), keyed by (topic id, offset of the chunk's first record).
//! All integers are little-endian.
//!
//! ```text
//! chunk   := version:u8 (=1) count:u32 record{count}
//! record  := len:u32 body                       (len = body length, to skip records quickly)
//! body    := timestamp_ms:i64 key:bytes? value:bytes? header_count:u32 header{header_count}
//! bytes?  := len:i32 data                       (len = -1: null, no data)
//! header  := name_len:u32 name(UTF-8) value_len:u32 value
//! ```

use super::{StoredRecord, StoredRecordRef};

/// The chunk format version written by this build.
pub const VERSION: u8 = 1;

/// Size of a chunk header.
pub const CHUNK_HEADER: usize = 5;

/// A chunk or record that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("unsupported chunk format version {0} (this build reads version {VERSION})")]
    Version(u8),
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("header name is not UTF-8")]
    HeaderName,
}

/// Starts a chunk in `buf` (which must be empty); records follow, then [`finish_chunk`].
pub fn start_chunk(buf: &mut Vec<u8>) {
    buf.push(VERSION);
    buf.extend_from_slice(&0u32.to_le_bytes());
}

/// Writes the record count into a chunk started with [`start_chunk`].
pub fn finish_chunk(buf: &mut [u8], count: u32) {
    if let Some(slot) = buf.get_mut(1..CHUNK_HEADER) {
        slot.copy_from_slice(&count.to_le_bytes());
    }
}

/// The encoded size of a record, its length prefix included.
pub fn encoded_len(r: &StoredRecordRef<'_>) -> usize {
    4 + body_len(r)
}

fn body_len(r: &StoredRecordRef<'_>) -> usize {
    8 + 4
        + r.key.map_or(0, <[u8]>::len)
        + 4
        + r.value.map_or(0, <[u8]>::len)
        + 4
        + r.headers
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum::<usize>()
}

/// Appends one length-prefixed record to `buf`.
pub fn encode_record(buf: &mut Vec<u8>, r: &StoredRecordRef<'_>) {
    let body = body_len(r);
    buf.reserve(4 + body);
    buf.extend_from_slice(&(body as u32).to_le_bytes());
    buf.extend_from_slice(&r.timestamp_ms.to_le_bytes());
    put_nullable(buf, r.key);
    put_nullable(buf, r.value);
    buf.extend_from_slice(&(r.headers.len() as u32).to_le_bytes());
    for (name, value) in r.headers {
        buf.extend_from_slice(&(name.len() as u32).to_le_bytes());
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(&(value.len() as u32).to_le_bytes());
        buf.extend_from_slice(value);
    }
}

fn put_nullable(buf: &mut Vec<u8>, data: Option<&[u8]>) {
    match data {
        None => buf.extend_from_slice(&(-1i32).to_le_bytes()),
        Some(d) => {
            buf.extend_from_slice(&(d.len() as i32).to_le_bytes());
            buf.extend_from_slice(d);
        }
    }
}

/// Number of records in a chunk, from its header.
pub fn chunk_count(chunk: &[u8]) -> Result<u32, FormatError> {
    let mut cur = Cursor(chunk);
    let version = cur.u8("chunk header")?;
    if version != VERSION {
        return Err(FormatError::Version(version));
    }
    cur.u32("chunk header")
}

/// Decodes the records of a chunk whose first record has offset `first_offset`, skipping those
/// before `from`, appending at most `max - out.len()` records to `out`.
pub fn decode_chunk(
    chunk: &[u8],
    first_offset: u64,
    from: u64,
    max: usize,
    out: &mut Vec<StoredRecord>,
) -> Result<(), FormatError> {
    let count = chunk_count(chunk)?;
    let mut cur = Cursor(chunk.get(CHUNK_HEADER..).unwrap_or_default());
    for i in 0..u64::from(count) {
        if out.len() >= max {
            break;
        }
        let len = cur.u32("record length")? as usize;
        let body = cur.take(len, "record")?;
        let offset = first_offset + i;
        if offset < from {
            continue;
        }
        out.push(decode_body(body, offset)?);
    }
    Ok(())
}

/// Decodes one record body (without its length prefix).
pub fn decode_body(body: &[u8], offset: u64) -> Result<StoredRecord, FormatError> {
    let mut cur = Cursor(body);
    let timestamp_ms = cur.i64("timestamp")?;
    let key = cur.nullable("key")?.map(<[u8]>::to_vec);
    let value = cur.nullable("value")?.map(<[u8]>::to_vec);
    let n = cur.u32("header count")?;
    let mut headers = Vec::with_capacity((n as usize).min(64));
    for _ in 0..n {
        let len = cur.u32("header name")? as usize;
        let name = std::str::from_utf8(cur.take(len, "header name")?)
            .map_err(|_| FormatError::HeaderName)?
            .to_owned();
        let len = cur.u32("header value")? as usize;
        headers.push((name, cur.take(len, "header value")?.to_vec()));
    }
    Ok(StoredRecord {
        offset,
        timestamp_ms,
        key,
        value,
        headers,
    })
}

/// Encodes an owned record's body with its length prefix (the socket read path reuses this).
pub fn encode_stored(buf: &mut Vec<u8>, r: &StoredRecord) {
    encode_record(
        buf,
        &StoredRecordRef {
            topic: "",
            timestamp_ms: r.timestamp_ms,
            key: r.key.as_deref(),
            value: r.value.as_deref(),
            headers: &r.headers,
        },
    );
}

/// A checked reader over a byte slice.
pub struct Cursor<'a>(pub &'a [u8]);

impl<'a> Cursor<'a> {
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FormatError> {
        if self.0.len() < n {
            return Err(FormatError::Truncated(what));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], FormatError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, FormatError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, FormatError> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64, FormatError> {
        self.array(what).map(u64::from_le_bytes)
    }

    pub fn i64(&mut self, what: &'static str) -> Result<i64, FormatError> {
        self.array(what).map(i64::from_le_bytes)
    }

    fn nullable(&mut self, what: &'static str) -> Result<Option<&'a [u8]>, FormatError> {
        let len = self.array(what).map(i32::from_le_bytes)?;
        if len < 0 {
            Ok(None)
        } else {
            self.take(len as usize, what).map(Some)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_of(records: &[StoredRecordRef<'_>]) -> Vec<u8> {
        let mut buf = Vec::new();
        start_chunk(&mut buf);
        for r in records {
            let before = buf.len();
            encode_record(&mut buf, r);
            assert_eq!(buf.len() - before, encoded_len(r));
        }
        finish_chunk(&mut buf, records.len() as u32);
        buf
    }

    #[test]
    fn records_round_trip_with_null_keys_tombstones_and_headers() {
        let headers = vec![("h".to_owned(), b"v1".to_vec()), ("é".to_owned(), vec![])];
        let recs = [
            StoredRecordRef {
                topic: "t",
                timestamp_ms: 42,
                key: Some(b"{\"id\":1}"),
                value: Some(b"{}"),
                headers: &headers,
            },
            StoredRecordRef {
                topic: "t",
                timestamp_ms: -1,
                key: None,
                value: None,
                headers: &[],
            },
            StoredRecordRef {
                topic: "t",
                timestamp_ms: 7,
                key: Some(b""),
                value: Some(b""),
                headers: &[],
            },
        ];
        let chunk = chunk_of(&recs);
        assert_eq!(chunk_count(&chunk), Ok(3));
        let mut out = Vec::new();
        decode_chunk(&chunk, 100, 0, usize::MAX, &mut out).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].offset, 100);
        assert_eq!(out[0].key.as_deref(), Some(&b"{\"id\":1}"[..]));
        assert_eq!(out[0].headers, headers);
        assert_eq!((out[1].key.clone(), out[1].value.clone()), (None, None));
        assert_eq!(out[1].timestamp_ms, -1);
        assert_eq!(out[2].key.as_deref(), Some(&b""[..]));

        let mut tail = Vec::new();
        decode_chunk(&chunk, 100, 101, 1, &mut tail).unwrap();
        assert_eq!(tail.len(), 1);
        assert_eq!(tail[0].offset, 101);
    }

    #[test]
    fn truncated_or_foreign_chunks_are_errors_not_panics() {
        let chunk = chunk_of(&[StoredRecordRef {
            topic: "t",
            timestamp_ms: 1,
            key: Some(b"k"),
            value: Some(b"value"),
            headers: &[("a".to_owned(), b"b".to_vec())],
        }]);
        for cut in 0..chunk.len() {
            let mut out = Vec::new();
            assert!(decode_chunk(&chunk[..cut], 0, 0, usize::MAX, &mut out).is_err());
        }
        let mut wrong = chunk.clone();
        wrong[0] = 9;
        assert_eq!(
            decode_chunk(&wrong, 0, 0, 10, &mut Vec::new()),
            Err(FormatError::Version(9))
        );
        // A huge declared length must not allocate or panic.
        let mut lying = chunk;
        lying[CHUNK_HEADER..CHUNK_HEADER + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_chunk(&lying, 0, 0, 10, &mut Vec::new()).is_err());
    }
}
