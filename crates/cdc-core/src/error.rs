//! Error classes: transient errors are retried with backoff, fatal ones fail the task.

use std::fmt;

/// What the runtime should do with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reconnect and resume with backoff; the task stays RUNNING.
    Transient,
    /// A person must fix something; the task goes FAILED with this error as its trace.
    Fatal,
}

/// Implemented by connector error types to say how they should be handled.
pub trait Classify {
    fn retry(&self) -> Retry;
}

/// The error a connector task ends with.
#[derive(Debug)]
pub struct ConnectorError {
    retry: Retry,
    inner: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl ConnectorError {
    pub fn new<E>(retry: Retry, err: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        ConnectorError {
            retry,
            inner: Box::new(err),
        }
    }

    pub fn transient<E>(err: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::new(Retry::Transient, err)
    }

    pub fn fatal<E>(err: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::new(Retry::Fatal, err)
    }

    pub fn fatal_msg(message: impl Into<String>) -> Self {
        Self::fatal(Message(message.into()))
    }

    pub fn retry(&self) -> Retry {
        self.retry
    }

    /// The message with every cause, `a: b: c`, as a status `trace` shows it.
    pub fn chain(&self) -> String {
        let mut out = self.inner.to_string();
        let mut cur = self.inner.source();
        while let Some(cause) = cur {
            let s = cause.to_string();
            if !out.contains(&s) {
                out.push_str(": ");
                out.push_str(&s);
            }
            cur = cause.source();
        }
        out
    }
}

/// An error with its causes, `: `-separated (every cause, unlike [`ConnectorError::chain`],
/// which leaves out a cause its message already holds).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.chain())
    }
}

impl<E> From<E> for ConnectorError
where
    E: Classify + std::error::Error + Send + Sync + 'static,
{
    fn from(err: E) -> Self {
        ConnectorError::new(err.retry(), err)
    }
}

/// A plain message error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Message(pub String);
