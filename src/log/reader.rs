//! [`LogReader`]: reads a data directory whether or not a worker is running on it.
//!
//! Each call opens the log file read-only and closes it again, so a reader never keeps a worker
//! from starting; when a worker holds the directory, the call goes to the worker's read socket.

use std::path::{Path, PathBuf};

use super::socket::RemoteLog;
use super::{EmbeddedLog, LogError, StoredRecord, TopicInfo};

pub struct LogReader {
    dir: PathBuf,
    remote: Option<RemoteLog>,
}

impl LogReader {
    pub fn new(dir: &Path) -> Self {
        LogReader {
            dir: dir.to_owned(),
            remote: None,
        }
    }

    pub fn topics(&mut self) -> Result<Vec<TopicInfo>, LogError> {
        self.with(|log| log.topics(), |remote| remote.topics())
    }

    pub fn read(
        &mut self,
        topic: &str,
        from_offset: u64,
        max: usize,
    ) -> Result<Vec<StoredRecord>, LogError> {
        self.with(
            |log| log.read(topic, from_offset, max),
            |remote| remote.read(topic, from_offset, max),
        )
    }

    fn with<T>(
        &mut self,
        local: impl FnOnce(&EmbeddedLog) -> Result<T, LogError>,
        remote: impl Fn(&mut RemoteLog) -> Result<T, LogError>,
    ) -> Result<T, LogError> {
        if let Some(r) = &mut self.remote {
            match remote(r) {
                Err(LogError::Remote { .. }) => self.remote = None, // the worker went away
                other => return other,
            }
        }
        match EmbeddedLog::open_read_only(&self.dir) {
            Ok(log) => local(&log),
            Err(LogError::Locked { .. }) => {
                let mut r = RemoteLog::connect(&self.dir)?;
                let out = remote(&mut r);
                self.remote = Some(r);
                out
            }
            Err(e) => Err(e),
        }
    }
}
