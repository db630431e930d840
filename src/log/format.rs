//! The on-disk record format: pure encoding and decoding, no I/O, never panics on input.
//!
//! A topic's records are stored in chunks, one storage entry per run of records appended
//! together (like Kafka's record batches), keyed by (topic id, offset of the chunk's first record).
//! All integers are little-endian.
//!
//! ```text
//! chunk    := version:u8 (=7) count:u32 part7                          (this build writes)
//!           | version:u8 (=8) count:u32 raw_len:u32 lz4_block(part7)   (this build writes)
//!           | version:u8 (=9) count:u32 part9                          (compaction writes)
//!           | version:u8 (=10) count:u32 raw_len:u32 lz4_block(part9)  (compaction writes)
//!           | version:u8 (=5) count:u32 part5                          (read only)
//!           | version:u8 (=6) count:u32 raw_len:u32 lz4_block(part5)   (read only)
//!           | version:u8 (=3) count:u32 part3                          (read only)
//!           | version:u8 (=4) count:u32 raw_len:u32 lz4_block(part3)   (read only)
//!           | version:u8 (=1) count:u32 record1{count}                 (read only)
//!           | version:u8 (=2) count:u32 raw_len:u32 lz4_block(record1{count})   (read only)
//! part9    := records_len:u32 record9{count} dict
//! part7    := records_len:u32 record7{count} dict
//! part5    := records_len:u32 record5{count} dict
//! part3    := records_len:u32 record3{count} dict
//! dict     := n:u32 (len:u32 bytes){n}            (the distinct shared prefixes of the chunk)
//! record9  := delta:u32 horizon:i64 record7
//!                                                 (the record's offset is the chunk's key plus
//!                                                  delta, strictly increasing in a chunk;
//!                                                  horizon: when a compaction may drop the
//!                                                  record if it is a tombstone, i64::MAX: not
//!                                                  set yet)
//! record7  := len:u32 timestamp_ms:i64 key:shared7 value:shared7 headers context:u32
//! shared7  := -1:i32                              (null)
//!           | len:i32 prefix:u32 suffix:u32 data[len]
//!                                                 (0: none; k: dict entry k-1; the bytes are
//!                                                  the prefix entry, data, the suffix entry)
//! record5  := len:u32 timestamp_ms:i64 key:shared value:shared headers context:u32
//!                                                 (context 0: none; k: dict entry k-1 is a
//!                                                  `headers` list that follows the record's
//!                                                  own: the connector's context headers)
//! record3  := len:u32 timestamp_ms:i64 key:shared value:shared headers
//! shared   := -1:i32                              (null)
//!           | len:i32 prefix:u32 data[len]        (prefix 0: none; k: dict entry k-1; the
//!                                                  bytes are that entry followed by data)
//! record1  := len:u32 timestamp_ms:i64 key:bytes? value:bytes? headers
//! bytes?   := len:i32 data                        (len = -1: null, no data)
//! headers  := header_count:u32 (name_len:u32 name(UTF-8) value_len:u32 value){header_count}
//! ```
//!
//! Version 3 exists for messages that repeat a large part: JsonConverter's schema is about nine
//! tenths of every message of a table, and storing it once per chunk instead of once per record
//! cuts the bytes to copy, compress and write tenfold. Version 5 does the same for the headers
//! every record of a connector carries (Debezium's `__debezium.context.*`). Version 7 adds a
//! shared suffix: a snapshot row's `source` block and the fields after it are the same for
//! runs of rows, and storing them once per chunk leaves little more than the row's columns.
//!
//! Version 9 is what a compaction (`cleanup.policy=compact`) writes: the records it keeps have
//! gaps between their offsets, so each carries its offset (as a distance from the chunk's key),
//! and a tombstone carries its delete horizon (Kafka's KIP-534 `deleteHorizonMs`, per record).

use super::{Payload, StoredRecord, StoredRecordRef};

/// The uncompressed chunk format version written by this build.
pub const VERSION: u8 = 7;

/// The lz4-compressed form of [`VERSION`].
pub const VERSION_LZ4: u8 = 8;

/// The chunk format a compaction writes: records with their own offsets (gaps allowed).
pub const VERSION_SPARSE: u8 = 9;

/// The lz4-compressed form of [`VERSION_SPARSE`].
pub const VERSION_SPARSE_LZ4: u8 = 10;

/// A record9's horizon when none is set.
pub const NO_HORIZON: i64 = i64::MAX;

/// Chunk versions of earlier builds, still read.
const VERSION_1: u8 = 1;
const VERSION_1_LZ4: u8 = 2;
const VERSION_3: u8 = 3;
const VERSION_3_LZ4: u8 = 4;
const VERSION_5: u8 = 5;
const VERSION_5_LZ4: u8 = 6;

/// A chunk is stored compressed only when that saves at least this share (in tenths).
const WORTH_COMPRESSING_TENTHS: usize = 9;

/// Size of a chunk header (version and count).
pub const CHUNK_HEADER: usize = 5;

/// Distinct prefixes a chunk's dictionary holds; further ones are stored inline.
const MAX_PREFIXES: usize = 64;

/// A chunk or record that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("unsupported chunk format version {0} (this build reads versions 1 to 10)")]
    Version(u8),
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("header name is not UTF-8")]
    HeaderName,
    #[error("compressed chunk does not decompress to its recorded length")]
    Compression,
    #[error("record refers to shared part {0}, which the chunk does not have")]
    Prefix(u32),
    #[error("record offsets of a compacted chunk do not increase")]
    Offsets,
}

/// The shared parts (prefixes, suffixes, context blocks) of the chunk being written, recognised
/// by address.
#[derive(Debug, Default)]
pub struct Prefixes<'a> {
    entries: Vec<&'a [u8]>,
    /// The last references found, checked before the dictionary: a record's key prefix, value
    /// prefix, suffix and context are the previous record's nearly always.
    recent: [(usize, usize, u32); RECENT],
    next_recent: usize,
}

/// Entries of [`Prefixes::recent`].
const RECENT: usize = 4;

impl<'a> Prefixes<'a> {
    /// The reference to store for `part`: 0 for none, k for dictionary entry k-1; `None` when
    /// the dictionary is full (the part is then stored inline).
    fn reference(&mut self, part: &'a [u8]) -> Option<u32> {
        if part.is_empty() {
            return Some(0);
        }
        let key = (part.as_ptr() as usize, part.len());
        if let Some(&(_, _, k)) = self.recent.iter().find(|r| (r.0, r.1) == key) {
            return Some(k);
        }
        let same = |e: &&[u8]| e.as_ptr() == part.as_ptr() && e.len() == part.len();
        let k = match self.entries.iter().rposition(same) {
            Some(i) => i as u32 + 1,
            None if self.entries.len() >= MAX_PREFIXES => return None,
            None => {
                self.entries.push(part);
                self.entries.len() as u32
            }
        };
        self.recent[self.next_recent] = (key.0, key.1, k);
        self.next_recent = (self.next_recent + 1) % RECENT;
        Some(k)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.recent = Default::default();
    }
}

/// Starts a chunk in `buf` (which must be empty); records follow, then [`finish_chunk`].
pub fn start_chunk(buf: &mut Vec<u8>) {
    buf.push(VERSION);
    buf.extend_from_slice(&0u32.to_le_bytes()); // count
    buf.extend_from_slice(&0u32.to_le_bytes()); // dict_at
}

/// Starts a compacted chunk (records with their own offsets) in `buf` (which must be empty);
/// [`encode_sparse_record`]s follow, then [`finish_chunk`].
pub fn start_sparse_chunk(buf: &mut Vec<u8>) {
    buf.push(VERSION_SPARSE);
    buf.extend_from_slice(&0u32.to_le_bytes()); // count
    buf.extend_from_slice(&0u32.to_le_bytes()); // dict_at
}

/// Appends a record to a chunk started with [`start_sparse_chunk`]: its offset's distance from
/// the chunk's key (greater than the previous record's) and its tombstone delete horizon
/// ([`NO_HORIZON`]: none).
pub fn encode_sparse_record<'a>(
    buf: &mut Vec<u8>,
    delta: u32,
    horizon: i64,
    r: &StoredRecordRef<'a>,
    prefixes: &mut Prefixes<'a>,
) {
    buf.extend_from_slice(&delta.to_le_bytes());
    buf.extend_from_slice(&horizon.to_le_bytes());
    encode_record(buf, r, prefixes);
}

/// Bytes a record9 adds to a record7 ([`encoded_len`]).
pub const SPARSE_OVERHEAD: usize = 12;

/// Appends the dictionary and writes the record count and the dictionary's position into a
/// chunk started with [`start_chunk`].
pub fn finish_chunk(buf: &mut Vec<u8>, count: u32, prefixes: &Prefixes<'_>) {
    let dict_at = buf.len().saturating_sub(CHUNK_HEADER + 4) as u32;
    buf.extend_from_slice(&(prefixes.entries.len() as u32).to_le_bytes());
    for p in &prefixes.entries {
        buf.extend_from_slice(&(p.len() as u32).to_le_bytes());
        buf.extend_from_slice(p);
    }
    if let Some(slot) = buf.get_mut(1..CHUNK_HEADER) {
        slot.copy_from_slice(&count.to_le_bytes());
    }
    if let Some(slot) = buf.get_mut(CHUNK_HEADER..CHUNK_HEADER + 4) {
        slot.copy_from_slice(&dict_at.to_le_bytes());
    }
}

/// The encoded size of a record in a chunk, its length prefix included, not counting shared
/// prefixes (stored once per chunk).
pub fn encoded_len(r: &StoredRecordRef<'_>) -> usize {
    4 + body_len(r)
}

fn body_len(r: &StoredRecordRef<'_>) -> usize {
    let shared = |p: Option<Payload<'_>>| p.map_or(4, |p| 12 + p.rest.len());
    // Context headers without their encoded block are stored inline, after the record's own.
    let inline_context = if r.context_block.is_empty() {
        headers_len(r.context) - 4
    } else {
        0
    };
    8 + shared(r.key) + shared(r.value) + headers_len(r.headers) + 4 + inline_context
}

/// A header list in the `headers` encoding: the form of a chunk's context headers entry.
pub fn encode_headers(headers: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(headers_len(headers));
    put_headers(&mut out, headers, &[]);
    out
}

fn headers_len(headers: &[(String, Vec<u8>)]) -> usize {
    4 + headers
        .iter()
        .map(|(k, v)| 8 + k.len() + v.len())
        .sum::<usize>()
}

/// Appends one length-prefixed record to a chunk in `buf`, adding its prefixes to `prefixes`.
pub fn encode_record<'a>(buf: &mut Vec<u8>, r: &StoredRecordRef<'a>, prefixes: &mut Prefixes<'a>) {
    let key = r.key.map(|p| shared_refs(prefixes, p));
    let value = r.value.map(|p| shared_refs(prefixes, p));
    // A part the dictionary had no room for is stored inline.
    let inline = |x: &Option<SharedRefs<'_>>| {
        x.as_ref().map_or(0, |s| {
            s.prefix.map_or(s.payload.prefix.len(), |_| 0)
                + s.suffix.map_or(s.payload.suffix.len(), |_| 0)
        })
    };
    // The context headers go to the dictionary once per chunk; inline when it is full.
    let context = match (r.context.is_empty(), r.context_block.is_empty()) {
        (false, false) => prefixes.reference(r.context_block),
        (false, true) => None,
        (true, _) => Some(0),
    };
    // A block the dictionary had no room for is stored inline too.
    let inline_context = if context.is_none() && !r.context_block.is_empty() {
        headers_len(r.context) - 4
    } else {
        0
    };
    let body = body_len(r) + inline(&key) + inline(&value) + inline_context;
    buf.reserve(4 + body);
    buf.extend_from_slice(&(body as u32).to_le_bytes());
    buf.extend_from_slice(&r.timestamp_ms.to_le_bytes());
    put_shared(buf, key);
    put_shared(buf, value);
    match context {
        Some(_) => put_headers(buf, r.headers, &[]),
        None => put_headers(buf, r.headers, r.context),
    }
    buf.extend_from_slice(&context.unwrap_or(0).to_le_bytes());
}

/// A key or value with the dictionary references of its prefix and suffix (`None`: inline).
struct SharedRefs<'a> {
    payload: Payload<'a>,
    prefix: Option<u32>,
    suffix: Option<u32>,
}

fn shared_refs<'a>(prefixes: &mut Prefixes<'a>, payload: Payload<'a>) -> SharedRefs<'a> {
    SharedRefs {
        payload,
        prefix: prefixes.reference(payload.prefix),
        suffix: prefixes.reference(payload.suffix),
    }
}

fn put_shared(buf: &mut Vec<u8>, part: Option<SharedRefs<'_>>) {
    let Some(SharedRefs {
        payload: p,
        prefix,
        suffix,
    }) = part
    else {
        buf.extend_from_slice(&(-1i32).to_le_bytes());
        return;
    };
    let inline_prefix: &[u8] = if prefix.is_none() { p.prefix } else { &[] };
    let inline_suffix: &[u8] = if suffix.is_none() { p.suffix } else { &[] };
    let len = inline_prefix.len() + p.rest.len() + inline_suffix.len();
    buf.extend_from_slice(&(len as i32).to_le_bytes());
    buf.extend_from_slice(&prefix.unwrap_or(0).to_le_bytes());
    buf.extend_from_slice(&suffix.unwrap_or(0).to_le_bytes());
    buf.extend_from_slice(inline_prefix);
    buf.extend_from_slice(p.rest);
    buf.extend_from_slice(inline_suffix);
}

/// The headers of a record: `headers`, then `context` (one list as readers see it).
fn put_headers(buf: &mut Vec<u8>, headers: &[(String, Vec<u8>)], context: &[(String, Vec<u8>)]) {
    buf.extend_from_slice(&((headers.len() + context.len()) as u32).to_le_bytes());
    for (name, value) in headers.iter().chain(context) {
        buf.extend_from_slice(&(name.len() as u32).to_le_bytes());
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(&(value.len() as u32).to_le_bytes());
        buf.extend_from_slice(value);
    }
}

/// Number of records in a chunk, from its header.
pub fn chunk_count(chunk: &[u8]) -> Result<u32, FormatError> {
    let mut cur = Cursor(chunk);
    let version = cur.u8("chunk header")?;
    if !(VERSION_1..=VERSION_SPARSE_LZ4).contains(&version) {
        return Err(FormatError::Version(version));
    }
    cur.u32("chunk header")
}

/// The lz4-compressed form of a finished chunk, when it is worth storing instead. `scratch` is
/// a buffer kept between calls (lz4 needs an initialised output buffer; reusing one saves
/// zeroing a chunk's worth of memory every time).
pub fn compress_chunk(chunk: &[u8], scratch: &mut Vec<u8>) -> Option<Vec<u8>> {
    let version = match *chunk.first()? {
        VERSION => VERSION_LZ4,
        VERSION_SPARSE => VERSION_SPARSE_LZ4,
        VERSION_5 => VERSION_5_LZ4,
        VERSION_3 => VERSION_3_LZ4,
        VERSION_1 => VERSION_1_LZ4,
        _ => return None,
    };
    let records = chunk.get(CHUNK_HEADER..)?;
    let raw_len = u32::try_from(records.len()).ok()?;
    let bound = lz4_flex::block::get_maximum_output_size(records.len());
    if scratch.len() < bound {
        scratch.resize(bound, 0);
    }
    let written = lz4_flex::block::compress_into(records, scratch).ok()?;
    let stored = CHUNK_HEADER + 4 + written;
    if stored * 10 > chunk.len() * WORTH_COMPRESSING_TENTHS {
        return None;
    }
    let mut out = Vec::with_capacity(stored);
    out.push(version);
    out.extend_from_slice(chunk.get(1..CHUNK_HEADER)?);
    out.extend_from_slice(&raw_len.to_le_bytes());
    out.extend_from_slice(scratch.get(..written)?);
    Some(out)
}

/// The version of a chunk's records part, and that part, decompressed when needed.
fn chunk_records(chunk: &[u8]) -> Result<(u8, std::borrow::Cow<'_, [u8]>), FormatError> {
    let body = chunk.get(CHUNK_HEADER..).unwrap_or_default();
    let version = match chunk.first() {
        Some(&VERSION_1_LZ4) => VERSION_1,
        Some(&VERSION_3_LZ4) => VERSION_3,
        Some(&VERSION_5_LZ4) => VERSION_5,
        Some(&VERSION_LZ4) => VERSION,
        Some(&VERSION_SPARSE_LZ4) => VERSION_SPARSE,
        Some(&v) => return Ok((v, std::borrow::Cow::Borrowed(body))),
        None => return Err(FormatError::Truncated("chunk header")),
    };
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
    Ok((version, std::borrow::Cow::Owned(raw)))
}

/// Splits a version 3, 5 or 7 records part into its records and its dictionary.
fn split_dict(part: &[u8]) -> Result<(&[u8], Vec<&[u8]>), FormatError> {
    let mut cur = Cursor(part);
    let dict_at = cur.u32("dictionary position")? as usize;
    let records = cur.take(dict_at, "records")?;
    let n = cur.u32("dictionary size")?;
    let mut dict = Vec::with_capacity((n as usize).min(MAX_PREFIXES));
    for _ in 0..n {
        let len = cur.u32("dictionary entry")? as usize;
        dict.push(cur.take(len, "dictionary entry")?);
    }
    Ok((records, dict))
}

/// Decodes the records of a chunk whose key is `first_offset` (the offset of its first record,
/// except in a compacted chunk, whose records carry their offsets), skipping those before
/// `from`, appending at most `max - out.len()` records to `out`.
pub fn decode_chunk(
    chunk: &[u8],
    first_offset: u64,
    from: u64,
    max: usize,
    out: &mut Vec<StoredRecord>,
) -> Result<(), FormatError> {
    let room = max.saturating_sub(out.len());
    decode_records(chunk, first_offset, from, room, |r, _| out.push(r))
}

/// Every record of a chunk with its tombstone delete horizon ([`NO_HORIZON`]: none), what a
/// compaction reads.
pub fn decode_chunk_horizons(
    chunk: &[u8],
    first_offset: u64,
    out: &mut Vec<(StoredRecord, i64)>,
) -> Result<(), FormatError> {
    decode_records(chunk, first_offset, 0, usize::MAX, |r, h| out.push((r, h)))
}

fn decode_records(
    chunk: &[u8],
    first_offset: u64,
    from: u64,
    mut room: usize,
    mut push: impl FnMut(StoredRecord, i64),
) -> Result<(), FormatError> {
    let count = chunk_count(chunk)?;
    let (version, part) = chunk_records(chunk)?;
    let (records, dict) = if matches!(version, VERSION_SPARSE | VERSION | VERSION_5 | VERSION_3) {
        split_dict(&part)?
    } else {
        (&part[..], Vec::new())
    };
    let sparse = version == VERSION_SPARSE;
    let mut cur = Cursor(records);
    let mut previous: Option<u64> = None;
    for i in 0..u64::from(count) {
        if room == 0 {
            break;
        }
        let (offset, horizon) = if sparse {
            let delta = cur.u32("record offset")?;
            let horizon = cur.i64("record horizon")?;
            let offset = first_offset
                .checked_add(delta.into())
                .ok_or(FormatError::Offsets)?;
            if previous.is_some_and(|p| offset <= p) {
                return Err(FormatError::Offsets);
            }
            previous = Some(offset);
            (offset, horizon)
        } else {
            (first_offset.saturating_add(i), NO_HORIZON)
        };
        let len = cur.u32("record length")? as usize;
        let body = cur.take(len, "record")?;
        if offset < from {
            continue;
        }
        push(
            match version {
                VERSION | VERSION_SPARSE => decode_body_v3(body, offset, &dict, Layout::V7)?,
                VERSION_5 => decode_body_v3(body, offset, &dict, Layout::V5)?,
                VERSION_3 => decode_body_v3(body, offset, &dict, Layout::V3)?,
                _ => decode_body(body, offset)?,
            },
            horizon,
        );
        room -= 1;
    }
    Ok(())
}

/// The record layouts that use a chunk dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Shared prefixes.
    V3,
    /// V3 and a context-headers reference after the headers.
    V5,
    /// V5 with a shared suffix too.
    V7,
}

/// A version 3, 5 or 7 record body.
fn decode_body_v3(
    body: &[u8],
    offset: u64,
    dict: &[&[u8]],
    layout: Layout,
) -> Result<StoredRecord, FormatError> {
    let mut cur = Cursor(body);
    let timestamp_ms = cur.i64("timestamp")?;
    let suffix = layout == Layout::V7;
    let key = cur.shared("key", dict, suffix)?;
    let value = cur.shared("value", dict, suffix)?;
    let mut headers = cur.headers()?;
    if layout != Layout::V3 {
        match cur.u32("context headers")? {
            0 => {}
            k => {
                let entry = dict.get(k as usize - 1).ok_or(FormatError::Prefix(k))?;
                headers.extend(Cursor(entry).headers()?);
            }
        }
    }
    Ok(StoredRecord {
        offset,
        timestamp_ms,
        key,
        value,
        headers,
    })
}

/// Decodes one version 1 record body (without its length prefix), as the socket sends them.
pub fn decode_body(body: &[u8], offset: u64) -> Result<StoredRecord, FormatError> {
    let mut cur = Cursor(body);
    let timestamp_ms = cur.i64("timestamp")?;
    let key = cur.nullable("key")?.map(<[u8]>::to_vec);
    let value = cur.nullable("value")?.map(<[u8]>::to_vec);
    let headers = cur.headers()?;
    Ok(StoredRecord {
        offset,
        timestamp_ms,
        key,
        value,
        headers,
    })
}

/// Encodes an owned record as a version 1 body with its length prefix (the socket read path).
pub fn encode_stored(buf: &mut Vec<u8>, r: &StoredRecord) {
    let nullable = |d: &Option<Vec<u8>>| 4 + d.as_ref().map_or(0, Vec::len);
    let body = 8 + nullable(&r.key) + nullable(&r.value) + headers_len(&r.headers);
    buf.reserve(4 + body);
    buf.extend_from_slice(&(body as u32).to_le_bytes());
    buf.extend_from_slice(&r.timestamp_ms.to_le_bytes());
    put_nullable(buf, r.key.as_deref());
    put_nullable(buf, r.value.as_deref());
    put_headers(buf, &r.headers, &[]);
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

    /// A `shared` (or, with `suffix`, `shared7`) part, joined.
    fn shared(
        &mut self,
        what: &'static str,
        dict: &[&[u8]],
        suffix: bool,
    ) -> Result<Option<Vec<u8>>, FormatError> {
        let len = self.array(what).map(i32::from_le_bytes)?;
        if len < 0 {
            return Ok(None);
        }
        let entry = |reference: u32| -> Result<&[u8], FormatError> {
            match reference {
                0 => Ok(&[]),
                k => dict
                    .get(k as usize - 1)
                    .copied()
                    .ok_or(FormatError::Prefix(reference)),
            }
        };
        let prefix = entry(self.u32(what)?)?;
        let suffix = if suffix { entry(self.u32(what)?)? } else { &[] };
        let rest = self.take(len as usize, what)?;
        let mut v = Vec::with_capacity(prefix.len() + rest.len() + suffix.len());
        v.extend_from_slice(prefix);
        v.extend_from_slice(rest);
        v.extend_from_slice(suffix);
        Ok(Some(v))
    }

    fn headers(&mut self) -> Result<Vec<(String, Vec<u8>)>, FormatError> {
        let n = self.u32("header count")?;
        let mut headers = Vec::with_capacity((n as usize).min(64));
        for _ in 0..n {
            let len = self.u32("header name")? as usize;
            let name = std::str::from_utf8(self.take(len, "header name")?)
                .map_err(|_| FormatError::HeaderName)?
                .to_owned();
            let len = self.u32("header value")? as usize;
            headers.push((name, self.take(len, "header value")?.to_vec()));
        }
        Ok(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_of(records: &[StoredRecordRef<'_>]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut prefixes = Prefixes::default();
        start_chunk(&mut buf);
        for r in records {
            let before = buf.len();
            encode_record(&mut buf, r, &mut prefixes);
            assert_eq!(buf.len() - before, encoded_len(r));
        }
        finish_chunk(&mut buf, records.len() as u32, &prefixes);
        buf
    }

    fn compress(chunk: &[u8]) -> Option<Vec<u8>> {
        compress_chunk(chunk, &mut Vec::new())
    }

    #[test]
    fn records_round_trip_with_null_keys_tombstones_and_headers() {
        let headers = vec![("h".to_owned(), b"v1".to_vec()), ("é".to_owned(), vec![])];
        let context = vec![("__debezium.context.taskId".to_owned(), b"0".to_vec())];
        let block = encode_headers(&context);
        let recs = [
            StoredRecordRef {
                topic: "t",
                timestamp_ms: 42,
                key: Some(b"{\"id\":1}".into()),
                value: Some(b"{}".into()),
                headers: &headers,
                context: &context,
                context_block: &block,
            },
            StoredRecordRef {
                topic: "t",
                timestamp_ms: -1,
                key: None,
                value: None,
                headers: &[],
                context: &context,
                context_block: &[],
            },
            StoredRecordRef {
                topic: "t",
                timestamp_ms: 7,
                key: Some(b"".into()),
                value: Some(b"".into()),
                headers: &[],
                context: &[],
                context_block: &[],
            },
        ];
        let chunk = chunk_of(&recs);
        assert_eq!(chunk_count(&chunk), Ok(3));
        let mut out = Vec::new();
        decode_chunk(&chunk, 100, 0, usize::MAX, &mut out).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].offset, 100);
        assert_eq!(out[0].key.as_deref(), Some(&b"{\"id\":1}"[..]));
        // A record's own headers, then the connector's context headers.
        assert_eq!(out[0].headers, [headers.clone(), context.clone()].concat());
        assert_eq!(out[1].headers, context);
        assert_eq!((out[1].key.clone(), out[1].value.clone()), (None, None));
        assert_eq!(out[1].timestamp_ms, -1);
        assert_eq!(out[2].key.as_deref(), Some(&b""[..]));

        let mut tail = Vec::new();
        decode_chunk(&chunk, 100, 101, 1, &mut tail).unwrap();
        assert_eq!(tail.len(), 1);
        assert_eq!(tail[0].offset, 101);
    }

    #[test]
    fn shared_prefixes_and_suffixes_are_stored_once_and_read_back_joined() {
        let schema = br#"{"schema":{"type":"struct","fields":[]},"payload":"#.repeat(20);
        let other = br#"{"schema":{"type":"string"},"payload":"#.to_vec();
        let tail = br#","source":{"connector":"postgresql"},"op":"r"}}"#.repeat(5);
        let rests: Vec<Vec<u8>> = (0..100)
            .map(|i| format!("{{\"id\":{i}}}}}").into_bytes())
            .collect();
        let recs: Vec<StoredRecordRef<'_>> = rests
            .iter()
            .enumerate()
            .map(|(i, rest)| StoredRecordRef {
                topic: "t",
                timestamp_ms: i as i64,
                key: Some(Payload {
                    prefix: &other,
                    rest: b"\"k\"}",
                    suffix: &[],
                }),
                value: Some(Payload {
                    prefix: if i % 10 == 0 { &[] } else { &schema },
                    rest,
                    suffix: if i % 3 == 0 { &[] } else { &tail },
                }),
                headers: &[],
                context: &[],
                context_block: &[],
            })
            .collect();
        let chunk = chunk_of(&recs);
        assert!(
            chunk.len() < schema.len() * 2 + tail.len() * 2 + recs.len() * 64,
            "the schema and the tail are stored once: {} bytes",
            chunk.len()
        );
        for stored in [chunk.clone(), compress(&chunk).unwrap_or(chunk)] {
            let mut out = Vec::new();
            decode_chunk(&stored, 0, 0, usize::MAX, &mut out).unwrap();
            assert_eq!(out.len(), recs.len());
            for (r, o) in recs.iter().zip(&out) {
                assert_eq!(o.key, r.key.map(|p| p.to_vec()));
                assert_eq!(o.value, r.value.map(|p| p.to_vec()));
            }
        }
    }

    #[test]
    fn prefixes_and_suffixes_beyond_the_dictionary_are_stored_inline() {
        let prefixes: Vec<Vec<u8>> = (0..MAX_PREFIXES + 5)
            .map(|i| format!("prefix-{i}-").into_bytes())
            .collect();
        // The context headers arrive once the dictionary is full: they are stored inline.
        let context = vec![("c".to_owned(), b"ctx".to_vec())];
        let block = encode_headers(&context);
        let recs: Vec<StoredRecordRef<'_>> = prefixes
            .iter()
            .map(|p| StoredRecordRef {
                topic: "t",
                timestamp_ms: 0,
                key: None,
                value: Some(Payload {
                    prefix: p,
                    rest: b"rest",
                    suffix: p,
                }),
                headers: &[],
                context: &context,
                context_block: &block,
            })
            .collect();
        let mut buf = Vec::new();
        let mut dict = Prefixes::default();
        start_chunk(&mut buf);
        for r in &recs {
            encode_record(&mut buf, r, &mut dict);
        }
        finish_chunk(&mut buf, recs.len() as u32, &dict);
        let mut out = Vec::new();
        decode_chunk(&buf, 0, 0, usize::MAX, &mut out).unwrap();
        for (p, o) in prefixes.iter().zip(&out) {
            assert_eq!(o.value.as_deref(), Some(&[&p[..], b"rest", p].concat()[..]));
            assert_eq!(o.headers, context);
        }
    }

    #[test]
    fn context_headers_are_stored_once_per_chunk_after_each_records_own() {
        let context = vec![
            (
                "__debezium.context.connectorLogicalName".to_owned(),
                b"inv".to_vec(),
            ),
            ("__debezium.context.taskId".to_owned(), b"0".to_vec()),
        ];
        let block = encode_headers(&context);
        let own = vec![("__debezium.oldkey".to_owned(), b"{\"id\":1}".to_vec())];
        let rests: Vec<Vec<u8>> = (0..200).map(|i| format!("{i}").into_bytes()).collect();
        let recs: Vec<StoredRecordRef<'_>> = rests
            .iter()
            .enumerate()
            .map(|(i, rest)| StoredRecordRef {
                topic: "t",
                timestamp_ms: 0,
                key: None,
                value: Some(rest.as_slice().into()),
                headers: if i == 7 { &own } else { &[] },
                context: &context,
                context_block: &block,
            })
            .collect();
        let chunk = chunk_of(&recs);
        assert!(
            chunk.len() < block.len() + recs.len() * 40,
            "the context headers are stored once: {} bytes",
            chunk.len()
        );
        for stored in [chunk.clone(), compress(&chunk).unwrap_or(chunk)] {
            let mut out = Vec::new();
            decode_chunk(&stored, 0, 0, usize::MAX, &mut out).unwrap();
            assert_eq!(out.len(), recs.len());
            for (i, o) in out.iter().enumerate() {
                let expected = if i == 7 {
                    [own.clone(), context.clone()].concat()
                } else {
                    context.clone()
                };
                assert_eq!(o.headers, expected, "record {i}");
            }
        }
    }

    /// A version 3 record body: timestamp 9, a null key, a value of dictionary entry 1 then
    /// `}}`, one header `h: v` (version 5 adds the context reference after it).
    fn record3() -> Vec<u8> {
        let mut record = Vec::new();
        record.extend_from_slice(&9i64.to_le_bytes());
        record.extend_from_slice(&(-1i32).to_le_bytes()); // null key
        record.extend_from_slice(&2i32.to_le_bytes()); // value: 2 bytes after dict entry 1
        record.extend_from_slice(&1u32.to_le_bytes());
        record.extend_from_slice(b"}}");
        record.extend_from_slice(&1u32.to_le_bytes()); // one header
        record.extend_from_slice(&1u32.to_le_bytes());
        record.extend_from_slice(b"h");
        record.extend_from_slice(&1u32.to_le_bytes());
        record.extend_from_slice(b"v");
        record
    }

    #[test]
    fn version_3_chunks_of_the_previous_build_are_still_read() {
        // One record as the previous build wrote it: a shared-prefix value, a header, no
        // context reference; the dictionary holds the prefix.
        let record = record3();
        let mut records = (record.len() as u32).to_le_bytes().to_vec();
        records.extend_from_slice(&record);
        let mut v3 = vec![VERSION_3];
        v3.extend_from_slice(&1u32.to_le_bytes());
        v3.extend_from_slice(&(records.len() as u32).to_le_bytes());
        v3.extend_from_slice(&records);
        v3.extend_from_slice(&1u32.to_le_bytes()); // dictionary: one entry
        v3.extend_from_slice(&6u32.to_le_bytes());
        v3.extend_from_slice(b"{\"a\":{");
        let v4 = compress(&v3);
        let expected = StoredRecord {
            offset: 3,
            timestamp_ms: 9,
            key: None,
            value: Some(b"{\"a\":{}}".to_vec()),
            headers: vec![("h".to_owned(), b"v".to_vec())],
        };
        for chunk in std::iter::once(v3).chain(v4) {
            let mut out = Vec::new();
            decode_chunk(&chunk, 3, 0, 10, &mut out).unwrap();
            assert_eq!(out, std::slice::from_ref(&expected));
        }
    }

    #[test]
    fn version_5_chunks_of_the_previous_build_are_still_read() {
        // One record as the previous build wrote it: a shared-prefix value with no suffix
        // reference, a header, a context reference; the dictionary holds the prefix and the
        // context headers.
        let mut record = record3();
        record.extend_from_slice(&2u32.to_le_bytes()); // context: dict entry 2
        let mut records = (record.len() as u32).to_le_bytes().to_vec();
        records.extend_from_slice(&record);
        let context = encode_headers(&[("c".to_owned(), b"d".to_vec())]);
        let mut v5 = vec![VERSION_5];
        v5.extend_from_slice(&1u32.to_le_bytes());
        v5.extend_from_slice(&(records.len() as u32).to_le_bytes());
        v5.extend_from_slice(&records);
        v5.extend_from_slice(&2u32.to_le_bytes()); // dictionary: two entries
        v5.extend_from_slice(&6u32.to_le_bytes());
        v5.extend_from_slice(b"{\"a\":{");
        v5.extend_from_slice(&(context.len() as u32).to_le_bytes());
        v5.extend_from_slice(&context);
        let v6 = compress(&v5);
        let expected = StoredRecord {
            offset: 3,
            timestamp_ms: 9,
            key: None,
            value: Some(b"{\"a\":{}}".to_vec()),
            headers: vec![
                ("h".to_owned(), b"v".to_vec()),
                ("c".to_owned(), b"d".to_vec()),
            ],
        };
        for chunk in std::iter::once(v5).chain(v6) {
            let mut out = Vec::new();
            decode_chunk(&chunk, 3, 0, 10, &mut out).unwrap();
            assert_eq!(out, std::slice::from_ref(&expected));
        }
    }

    #[test]
    fn chunks_of_earlier_builds_are_still_read() {
        let records = [
            StoredRecord {
                offset: 0,
                timestamp_ms: 5,
                key: Some(b"k".to_vec()),
                value: Some(br#"{"a":1}"#.repeat(50)),
                headers: vec![("h".to_owned(), b"v".to_vec())],
            },
            StoredRecord {
                offset: 1,
                timestamp_ms: 6,
                key: None,
                value: None,
                headers: vec![],
            },
        ];
        let mut v1 = vec![VERSION_1];
        v1.extend_from_slice(&2u32.to_le_bytes());
        for r in &records {
            encode_stored(&mut v1, r);
        }
        let v2 = compress(&v1).expect("repetitive");
        assert_eq!(v2[0], VERSION_1_LZ4);
        for chunk in [v1, v2] {
            let mut out = Vec::new();
            decode_chunk(&chunk, 0, 0, 10, &mut out).unwrap();
            assert_eq!(out, records);
        }
    }

    #[test]
    fn truncated_or_foreign_chunks_are_errors_not_panics() {
        let chunk = chunk_of(&[StoredRecordRef {
            topic: "t",
            timestamp_ms: 1,
            key: Some(b"k".into()),
            value: Some(Payload {
                prefix: b"pre",
                rest: b"value",
                suffix: b"post",
            }),
            headers: &[("a".to_owned(), b"b".to_vec())],
            context: &[("c".to_owned(), b"d".to_vec())],
            context_block: &[],
        }]);
        for cut in 0..chunk.len() {
            let mut out = Vec::new();
            assert!(decode_chunk(&chunk[..cut], 0, 0, usize::MAX, &mut out).is_err());
        }
        let mut wrong = chunk.clone();
        wrong[0] = 11;
        assert_eq!(
            decode_chunk(&wrong, 0, 0, 10, &mut Vec::new()),
            Err(FormatError::Version(11))
        );
        // A huge declared length must not allocate or panic.
        let mut lying = chunk.clone();
        lying[CHUNK_HEADER..CHUNK_HEADER + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_chunk(&lying, 0, 0, 10, &mut Vec::new()).is_err());
        // Every byte flipped: an error or some records, never a panic.
        for i in 0..chunk.len() {
            let mut flipped = chunk.clone();
            flipped[i] ^= 0xa5;
            let _ = decode_chunk(&flipped, 0, 0, 10, &mut Vec::new());
        }
    }

    #[test]
    fn repetitive_chunks_are_stored_compressed_and_read_back_the_same() {
        let value = br#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}]},"payload":{"id":1}}"#;
        let recs: Vec<StoredRecordRef<'_>> = (0..200)
            .map(|i| StoredRecordRef {
                topic: "t",
                timestamp_ms: i,
                key: Some(b"{\"id\":1}".into()),
                value: Some(value.into()),
                headers: &[],
                context: &[],
                context_block: &[],
            })
            .collect();
        let raw = chunk_of(&recs);
        let compressed = compress(&raw).expect("repetitive JSON compresses");
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
            value: Some((&[b'x'; 4000]).into()),
            headers: &[],
            context: &[],
            context_block: &[],
        }];
        let compressed = compress(&chunk_of(&recs)).unwrap();
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
