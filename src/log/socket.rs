//! The read path for other processes: while a worker holds a data directory (redb locks the file
//! for one process), it answers reads on the Unix socket `tributary.sock` in that directory.
//!
//! Requests are single lines; every answer is one frame `status:u8 len:u32(LE) payload`.
//!
//! ```text
//! topics\n                      → ok: (name_len:u32 name records:u64 next_offset:u64)*
//! read <from> <max> <topic>\n   → ok: (offset:u64 record)*   record as in `format` (length-prefixed)
//! status 1 = unknown topic (payload: its name), 2 = any other error (payload: the message)
//! ```

use std::io::{BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;

use super::format::{self, Cursor};
use super::{EmbeddedLog, LogError, StoredRecord, TopicInfo};
use cdc_core::error::error_chain;

/// The socket's file name inside the data directory.
pub const SOCKET_NAME: &str = "tributary.sock";

/// Most records one read request returns.
pub const MAX_READ: usize = 10_000;

const OK: u8 = 0;
const UNKNOWN_TOPIC: u8 = 1;
const FAILED: u8 = 2;

pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join(SOCKET_NAME)
}

/// Binds the socket of `log`'s data directory. Call only while holding the log (the lock proves
/// any socket file left there is stale).
pub fn bind(log: &EmbeddedLog) -> std::io::Result<UnixListener> {
    let path = socket_path(log.dir());
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&path)?;
    // Its owner only (the data directory is 0700 as well): reads of every topic go through it.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Answers reads until `shutdown`, then removes the socket file.
pub async fn serve(log: EmbeddedLog, listener: UnixListener, shutdown: CancellationToken) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(connection(log.clone(), stream));
                }
                Err(error) => {
                    tracing::warn!(%error, "read socket accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
    let _ = std::fs::remove_file(socket_path(log.dir()));
}

/// Longest request line: a `read` names a topic (Kafka allows 249 bytes) and two numbers.
pub const MAX_REQUEST_LINE: usize = 1024;

async fn connection(log: EmbeddedLog, stream: tokio::net::UnixStream) {
    use tokio::io::AsyncReadExt;
    let (read, mut write) = stream.into_split();
    let mut reader = tokio::io::BufReader::new(read);
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        // At most one byte past the longest line: a longer one is refused, not buffered. The
        // limit wraps the connection's own buffer, so bytes after the line stay for the next.
        let mut limited = (&mut reader).take(MAX_REQUEST_LINE as u64 + 1);
        match limited.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') {
            if line.len() > MAX_REQUEST_LINE {
                let message = format!("request line longer than {MAX_REQUEST_LINE} bytes");
                let _ = write.write_all(&frame(FAILED, message.as_bytes())).await;
            }
            break;
        }
        line.pop();
        let Ok(text) = String::from_utf8(std::mem::take(&mut line)) else {
            if write
                .write_all(&frame(FAILED, b"request line is not UTF-8"))
                .await
                .is_err()
            {
                break;
            }
            continue;
        };
        let log = log.clone();
        let frame = tokio::task::spawn_blocking(move || answer(&log, &text))
            .await
            .unwrap_or_else(|e| frame(FAILED, e.to_string().as_bytes()));
        if write.write_all(&frame).await.is_err() {
            break;
        }
    }
}

fn frame(status: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload.len());
    out.push(status);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn answer(log: &EmbeddedLog, line: &str) -> Vec<u8> {
    let mut parts = line.splitn(4, ' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("topics"), None, None, None) => match log.topics() {
            Ok(topics) => {
                let mut out = Vec::new();
                for t in topics {
                    out.extend_from_slice(&(t.name.len() as u32).to_le_bytes());
                    out.extend_from_slice(t.name.as_bytes());
                    out.extend_from_slice(&t.records.to_le_bytes());
                    out.extend_from_slice(&t.next_offset.to_le_bytes());
                }
                frame(OK, &out)
            }
            Err(e) => frame(FAILED, e.to_string().as_bytes()),
        },
        (Some("read"), Some(from), Some(max), Some(topic)) => {
            let (Ok(from), Ok(max)) = (from.parse::<u64>(), max.parse::<usize>()) else {
                return frame(FAILED, b"malformed read request");
            };
            match log.read(topic, from, max.min(MAX_READ)) {
                Ok(records) => {
                    let mut out = Vec::new();
                    for r in &records {
                        out.extend_from_slice(&r.offset.to_le_bytes());
                        format::encode_stored(&mut out, r);
                    }
                    frame(OK, &out)
                }
                Err(LogError::UnknownTopic(t)) => frame(UNKNOWN_TOPIC, t.as_bytes()),
                Err(e) => frame(FAILED, error_chain(&e).as_bytes()),
            }
        }
        _ => frame(FAILED, b"unknown request"),
    }
}

/// A connection to a running worker's read socket.
pub struct RemoteLog {
    path: PathBuf,
    stream: BufReader<UnixStream>,
}

impl RemoteLog {
    pub fn connect(dir: &Path) -> Result<Self, LogError> {
        let path = socket_path(dir);
        let stream = UnixStream::connect(&path).map_err(|source| LogError::Remote {
            path: path.clone(),
            source,
        })?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        Ok(RemoteLog {
            path,
            stream: BufReader::new(stream),
        })
    }

    fn request(&mut self, line: &str) -> Result<(u8, Vec<u8>), LogError> {
        let io = |source| LogError::Remote {
            path: self.path.clone(),
            source,
        };
        let s = self.stream.get_mut();
        s.write_all(line.as_bytes()).map_err(io)?;
        s.write_all(b"\n").map_err(io)?;
        let mut head = [0u8; 5];
        self.stream.read_exact(&mut head).map_err(io)?;
        let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
        // Read as it comes rather than allocated up front from a length nobody checked.
        let mut payload = Vec::with_capacity(len.min(1 << 20));
        (&mut self.stream)
            .take(len as u64)
            .read_to_end(&mut payload)
            .map_err(io)?;
        if payload.len() != len {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("answer cut short: {} of {len} bytes", payload.len()),
            )));
        }
        Ok((head[0], payload))
    }

    fn failed(&self, status: u8, payload: &[u8]) -> LogError {
        let message = String::from_utf8_lossy(payload).into_owned();
        match status {
            UNKNOWN_TOPIC => LogError::UnknownTopic(message),
            _ => LogError::RemoteFailed(message),
        }
    }

    fn malformed(&self) -> LogError {
        LogError::Remote {
            path: self.path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed answer"),
        }
    }

    pub fn topics(&mut self) -> Result<Vec<TopicInfo>, LogError> {
        let (status, payload) = self.request("topics")?;
        if status != OK {
            return Err(self.failed(status, &payload));
        }
        let mut cur = Cursor(&payload);
        let mut out = Vec::new();
        let mut parse = || -> Result<(), format::FormatError> {
            while !cur.is_empty() {
                let len = cur.u32("topic name")? as usize;
                let name = String::from_utf8_lossy(cur.take(len, "topic name")?).into_owned();
                let records = cur.u64("topic")?;
                let next_offset = cur.u64("topic")?;
                out.push(TopicInfo {
                    name,
                    partitions: 1,
                    records,
                    next_offset,
                });
            }
            Ok(())
        };
        parse().map_err(|_| self.malformed())?;
        Ok(out)
    }

    pub fn read(
        &mut self,
        topic: &str,
        from_offset: u64,
        max: usize,
    ) -> Result<Vec<StoredRecord>, LogError> {
        let (status, payload) = self.request(&format!("read {from_offset} {max} {topic}"))?;
        if status != OK {
            return Err(self.failed(status, &payload));
        }
        let mut cur = Cursor(&payload);
        let mut out = Vec::new();
        let mut parse = || -> Result<(), format::FormatError> {
            while !cur.is_empty() {
                let offset = cur.u64("offset")?;
                let len = cur.u32("record length")? as usize;
                out.push(format::decode_body(cur.take(len, "record")?, offset)?);
            }
            Ok(())
        };
        parse().map_err(|_| self.malformed())?;
        Ok(out)
    }
}
