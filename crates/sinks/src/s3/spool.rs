//! Where an open file's bytes wait until it closes: in memory while small, then in an anonymous
//! scratch file (in the system's temporary directory, `TMPDIR`), so the worker's memory does not
//! grow with `flush.size` — a JSON object of 100,000 Debezium events is about 50 MB. The
//! scratch file has no name (it is gone when closed, even after a crash), and the upload streams
//! from it.
//!
//! The bytes are the same either way; only where they wait differs.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;

/// Bytes kept in memory before the rest goes to a scratch file.
pub const IN_MEMORY: usize = 4 << 20;

/// An open file's bytes, written in order.
pub struct Spool {
    memory: Vec<u8>,
    file: Option<io::BufWriter<File>>,
    len: u64,
}

impl Default for Spool {
    fn default() -> Self {
        Spool::new()
    }
}

impl Spool {
    pub fn new() -> Spool {
        Spool {
            memory: Vec::new(),
            file: None,
            len: 0,
        }
    }

    /// The bytes written, ready to upload.
    pub fn finish(self) -> io::Result<Object> {
        match self.file {
            None => Ok(Object::Memory(self.memory.into())),
            Some(w) => {
                let file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
                Ok(Object::File {
                    file: Arc::new(file),
                    len: self.len,
                })
            }
        }
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() > IN_MEMORY {
            let mut file = io::BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        match &mut self.file {
            Some(f) => f.write_all(buf)?,
            None => self.memory.extend_from_slice(buf),
        }
        self.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// A closed object's bytes: in memory, or in a scratch file (shared, so an upload attempt
/// that is retried reads it again without a copy).
#[derive(Debug, Clone)]
pub enum Object {
    Memory(bytes::Bytes),
    File { file: Arc<File>, len: u64 },
}

impl From<Vec<u8>> for Object {
    fn from(v: Vec<u8>) -> Self {
        Object::Memory(v.into())
    }
}

impl Object {
    pub fn len(&self) -> u64 {
        match self {
            Object::Memory(b) => b.len() as u64,
            Object::File { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` bytes from `offset` (a part of a multipart upload, or a chunk of a streamed one).
    pub fn read(&self, offset: u64, len: usize) -> io::Result<bytes::Bytes> {
        match self {
            Object::Memory(b) => {
                let start = (offset as usize).min(b.len());
                let end = start.saturating_add(len).min(b.len());
                Ok(b.slice(start..end))
            }
            Object::File { file, len: total } => {
                let n = (*total).saturating_sub(offset).min(len as u64) as usize;
                let mut buf = vec![0u8; n];
                std::os::unix::fs::FileExt::read_exact_at(&**file, &mut buf, offset)?;
                Ok(buf.into())
            }
        }
    }

    /// Every byte, in memory (tests, small objects).
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        Ok(self.read(0, self.len() as usize)?.to_vec())
    }
}

impl PartialEq for Object {
    fn eq(&self, other: &Self) -> bool {
        match (self.to_vec(), other.to_vec()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Object {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_objects_stay_in_memory_and_large_ones_go_to_a_scratch_file_unchanged() {
        let mut small = Spool::new();
        small.write_all(b"abc").unwrap();
        let small = small.finish().unwrap();
        assert!(matches!(small, Object::Memory(_)));
        assert_eq!(small.to_vec().unwrap(), b"abc");

        let mut large = Spool::new();
        let mut expected = Vec::new();
        for i in 0..(IN_MEMORY / 1000 + 50) {
            let line = format!("{i:0999}\n");
            large.write_all(line.as_bytes()).unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        let large = large.finish().unwrap();
        assert!(matches!(large, Object::File { .. }));
        assert_eq!(large.len(), expected.len() as u64);
        assert_eq!(large.to_vec().unwrap(), expected);
        let part = large.read(1000, 2000).unwrap();
        assert_eq!(&part[..], &expected[1000..3000]);
        // Past the end: what is there.
        let tail = large.read(expected.len() as u64 - 10, 100).unwrap();
        assert_eq!(&tail[..], &expected[expected.len() - 10..]);
    }
}
