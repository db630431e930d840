//! A sink task's own thread for its blocking work: reading the embedded log, converting a
//! batch, and dropping the batch once it is written.
//!
//! Records are allocated where they are read and converted; freeing them on another thread
//! (the async worker that ran `put`) is the allocator's slow path, which cost the JDBC sink
//! about an eighth of its CPU when the blocking pool's threads took turns. One thread per task
//! allocates and frees them all.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use cdc_core::ConnectorError;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// The handle of a task's thread; the thread ends when every handle is dropped.
#[derive(Clone)]
pub struct Lane {
    jobs: mpsc::Sender<Job>,
}

impl Lane {
    /// Starts the thread, named after the connector.
    pub fn spawn(connector: &str) -> std::io::Result<Lane> {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name(format!("sink-{connector}"))
            .spawn(move || {
                for job in rx {
                    // A panicking job fails its caller (its answer is never sent); the thread
                    // goes on for the next.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            })?;
        Ok(Lane { jobs })
    }

    /// Runs `f` on the thread and waits for its result. `what` names the work in the error a
    /// panic becomes.
    pub async fn run<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ConnectorError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| ConnectorError::fatal_msg(format!("{what}: the sink thread is gone")))?;
        rx.await
            .map_err(|_| ConnectorError::fatal_msg(format!("{what} panicked (see the log)")))
    }

    /// Drops `value` on the thread, after the jobs sent before.
    pub fn drop_later<T: Send + 'static>(&self, value: T) {
        // When the thread is gone, the value is dropped here instead.
        let _ = self.jobs.send(Box::new(move || drop(value)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_in_order_on_one_thread_and_survives_a_panic() {
        let lane = Lane::spawn("t").unwrap();
        let first = lane
            .run("first", || std::thread::current().id())
            .await
            .unwrap();
        let panicked = lane.run("the job", || -> u8 { panic!("boom") }).await;
        assert!(panicked
            .unwrap_err()
            .to_string()
            .contains("the job panicked"));
        let (tx, rx) = std::sync::mpsc::channel();
        struct Tell(std::sync::mpsc::Sender<std::thread::ThreadId>);
        impl Drop for Tell {
            fn drop(&mut self) {
                let _ = self.0.send(std::thread::current().id());
            }
        }
        lane.drop_later(Tell(tx));
        let second = lane
            .run("second", || std::thread::current().id())
            .await
            .unwrap();
        assert_eq!(first, second);
        assert_eq!(rx.recv().unwrap(), first);
        assert_ne!(first, std::thread::current().id());
    }
}
