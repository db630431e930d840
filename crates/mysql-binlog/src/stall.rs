//! A frozen database must not look RUNNING forever: MySQL/MariaDB's side of the stall watch
//! ([`cdc_core::stall`]).
//!
//! The streamer publishes the binlog position it has read up to (a few times a second, and
//! whenever the stream is idle); the watch asks the server, on a connection of its own, for
//! its binlog position (`SHOW MASTER STATUS`). The task is behind when the server's binlog is
//! past the position read: a binlog connection that no longer receives events while the server
//! writes (a dead network path, a stuck dump thread). Unlike a PostgreSQL slot nothing on the
//! server remembers a binlog reader's position, so the position *read* is compared, not the
//! one committed: events of tables the connector does not capture move it too, and an idle
//! server is never mistaken for a stall.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use cdc_core::stall::{Sample, Sampler, StallWatch};
use cdc_core::{SourceOffset, StatusNote};
use tokio::sync::watch;

use crate::config::MySqlConfig;
use crate::conn;
use crate::offset::BinlogPos;

/// The binlog position the streamer has read up to, shared with the stall watch (`None`
/// before streaming starts).
#[derive(Debug, Clone, Default)]
pub struct ReadPosition(Arc<Mutex<Option<BinlogPos>>>);

impl ReadPosition {
    /// The streamer read up to `pos` in `file`.
    pub fn set(&self, file: &str, pos: u64) {
        let mut read = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match read.as_mut() {
            Some(r) if r.file == file => r.pos = pos,
            _ => *read = Some(BinlogPos::new(file, pos)),
        }
    }

    pub fn get(&self) -> Option<BinlogPos> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The watch of one source, when `tributary.stall.warning.ms` is on.
pub(crate) fn start_watch(
    cfg: &MySqlConfig,
    read: ReadPosition,
    committed: watch::Receiver<Option<SourceOffset>>,
    note: StatusNote,
) -> Option<StallWatch> {
    let threshold = cfg.stall_warning?.max(Duration::from_secs(1));
    let sampler = BinlogSampler {
        cfg: cfg.clone(),
        read,
        conn: None,
    };
    let what = format!("binlog of {}:{}", cfg.hostname, cfg.port);
    Some(StallWatch::start(threshold, committed, note, sampler, what))
}

struct BinlogSampler {
    cfg: MySqlConfig,
    read: ReadPosition,
    /// The watch's connection and whether the server is MariaDB.
    conn: Option<(mysql_async::Conn, bool)>,
}

#[async_trait]
impl Sampler for BinlogSampler {
    type Position = BinlogPos;

    async fn sample(&mut self) -> Result<Sample<BinlogPos>, String> {
        let (mut c, mariadb) = match self.conn.take() {
            Some(c) => c,
            None => {
                let mut c = conn::connect(&self.cfg).await.map_err(|e| e.to_string())?;
                let server = conn::check_server(&mut c)
                    .await
                    .map_err(|e| e.to_string())?;
                (c, server.mariadb)
            }
        };
        let (file, pos, _) = conn::master_position(&mut c, mariadb)
            .await
            .map_err(|e| e.to_string())?;
        self.conn = Some((c, mariadb));
        let current = BinlogPos::new(&file, pos);
        let behind = self.read.get().and_then(|read| behind(&read, &current));
        Ok(Sample::At { current, behind })
    }

    fn reset(&mut self) {
        self.conn = None;
    }
}

/// The stall note's "while ..." when `read` is before the server's `current` position.
fn behind(read: &BinlogPos, current: &BinlogPos) -> Option<String> {
    if read >= current {
        return None;
    }
    Some(if read.file == current.file {
        format!(
            "the binlog is read up to {read}, {} bytes behind the server's {current}",
            current.pos - read.pos
        )
    } else {
        format!("the binlog is read up to {read}, behind the server's {current}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_position_behind_the_server_names_both() {
        let read = BinlogPos::new("binlog.000003", 1200);
        assert_eq!(
            behind(&read, &BinlogPos::new("binlog.000003", 5000)).as_deref(),
            Some("the binlog is read up to binlog.000003:1200, 3800 bytes behind the server's binlog.000003:5000")
        );
        assert_eq!(
            behind(&read, &BinlogPos::new("binlog.000005", 4)).as_deref(),
            Some(
                "the binlog is read up to binlog.000003:1200, behind the server's binlog.000005:4"
            )
        );
    }

    #[test]
    fn a_read_position_at_the_server_is_not_behind() {
        let read = BinlogPos::new("binlog.000003", 1200);
        assert_eq!(behind(&read, &read.clone()), None);
        assert_eq!(behind(&read, &BinlogPos::new("binlog.000002", 9000)), None);
    }

    #[test]
    fn the_read_position_follows_the_streamer_across_files() {
        let read = ReadPosition::default();
        assert_eq!(read.get(), None);
        read.set("binlog.000001", 400);
        read.set("binlog.000001", 800);
        assert_eq!(read.get(), Some(BinlogPos::new("binlog.000001", 800)));
        read.set("binlog.000002", 4);
        assert_eq!(read.get(), Some(BinlogPos::new("binlog.000002", 4)));
    }
}
