//! The on-disk record format: pure encoding and decoding, no I/O, never panics on input.
//!
//! A topic's records are stored in chunks, one storage entry per run of records appended
//! together (like Kafka's record batches), keyed by (topic id, offset of the chunk's first record).
//! All integers are little-endian.
//!
//! ```text
//! chunk   := version:u8 (=1) count:u32 record{count}
//!          | version:u8 (=2) count:u32 raw_len:u32 lz4_block(record{count})   (compressed)
//! record  := len:u32 body                       (len = body length, to skip records quickly)
//! body    := timestamp_ms:i64 key:bytes? value:bytes? header_count:u32 header{header_count}
//! bytes?  := len:i32 data                       (len = -1: null, no data)
//! header  := name_len:u32 name(UTF-8) value_len:u32 value
//! ```

use super::{StoredRecord, StoredRecordRef};

/// The chunk format version written by this build (uncompressed).
pub const VERSION: u8 = 1;

/// The version of an lz4-compressed chunk: the records of a version 1 chunk, compressed.
pub const VERSION_LZ4: u8 = 2;

/// A chunk is stored compressed only when that saves at least this share (in tenths).
const WORTH_COMPRESSING_TENTHS: usize = 9;

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
    #[error("compressed chunk does not decompress to its recorded length")]
    Compression,
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
    if version != VERSION && version != VERSION_LZ4 {
        return Err(FormatError::Version(version));
    }
    cur.u32("chunk header")
}

/// The lz4-compressed form of a finished version 1 chunk, when it is worth storing instead.
///
/// Change events repeat their schemas and field names: with JsonConverter's schemas a chunk
/// shrinks about tenfold, which turns the log's write volume (and the kernel's page-cache
/// copying) from the bottleneck into noise.
pub fn compress_chunk(chunk: &[u8]) -> Option<Vec<u8>> {
    let records = chunk.get(CHUNK_HEADER..)?;
    let raw_len = u32::try_from(records.len()).ok()?;
    let mut out = Vec::with_capacity(
        CHUNK_HEADER + 4 + lz4_flex::block::get_maximum_output_size(records.len()),
    );
    out.push(VERSION_LZ4);
    out.extend_from_slice(chunk.get(1..CHUNK_HEADER)?);
    out.extend_from_slice(&raw_len.to_le_bytes());
    let start = out.len();
    out.resize(out.capacity(), 0);
    let written = lz4_flex::block::compress_into(records, &mut out[start..]).ok()?;
    out.truncate(start + written);
    (out.len() * 10 <= chunk.len() * WORTH_COMPRESSING_TENTHS).then_some(out)
}

/// The records part of a chunk, decompressed when needed.
fn chunk_records(chunk: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, FormatError> {
    let body = chunk.get(CHUNK_HEADER..).unwrap_or_default();
    if chunk.first() != Some(&VERSION_LZ4) {
        return Ok(std::borrow::Cow::Borrowed(body));
    }
    let mut cur = Cursor(body);
    let raw_len = cur.u32("compressed chunk length")? as usize;
    let compressed = cur.0;
    // Never trust a length read from disk for an allocation larger than lz4 can produce.
    if raw_len > compressed.len().saturating_mul(255).saturating_add(16) {
        return Err(FormatError::Compression);
    }
    let raw =
        lz4_flex::block::decompress(compressed, raw_len).map_err(|_| FormatError::Compression)?;
    if raw.len() != raw_len {
        return Err(FormatError::Compression);
    }
    Ok(std::borrow::Cow::Owned(raw))
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
    let records = chunk_records(chunk)?;
    let mut cur = Cursor(&records);
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

    #[test]
    fn repetitive_chunks_are_stored_compressed_and_read_back_the_same() {
        let value = br#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}]},"payload":{"id":1}}"#;
        let recs: Vec<StoredRecordRef<'_>> = (0..200)
            .map(|i| StoredRecordRef {
                topic: "t",
                timestamp_ms: i,
                key: Some(b"{\"id\":1}"),
                value: Some(value),
                headers: &[],
            })
            .collect();
        let raw = chunk_of(&recs);
        let compressed = compress_chunk(&raw).expect("repetitive JSON compresses");
        assert!(
            compressed.len() * 5 < raw.len(),
            "{} of {}",
            compressed.len(),
            raw.len()
        );
        assert_eq!(chunk_count(&compressed).unwrap(), 200);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        decode_chunk(&raw, 10, 0, 1000, &mut a).unwrap();
        decode_chunk(&compressed, 10, 0, 1000, &mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn damaged_compressed_chunks_are_errors_not_panics() {
        let recs = [StoredRecordRef {
            topic: "t",
            timestamp_ms: 1,
            key: None,
            value: Some(&[b'x'; 4000]),
            headers: &[],
        }];
        let compressed = compress_chunk(&chunk_of(&recs)).unwrap();
        for cut in 0..compressed.len() {
            let _ = decode_chunk(&compressed[..cut], 0, 0, 10, &mut Vec::new());
        }
        let mut lying = compressed.clone();
        lying[CHUNK_HEADER..CHUNK_HEADER + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_chunk(&lying, 0, 0, 10, &mut Vec::new()).is_err());
        let mut flipped = compressed;
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        let _ = decode_chunk(&flipped, 0, 0, 10, &mut Vec::new());
    }
}
