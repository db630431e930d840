//! The `connect` group protocol's payloads: the member metadata a worker sends in JoinGroup
//! and the assignment the leader sends each member through SyncGroup.
//!
//! ```text
//! metadata v0 ("default"):    INT16 0 | STRING url | INT64 config offset
//! metadata v1/v2:             INT16 v | STRING url | INT64 config offset
//!                             | NULLABLE_BYTES allocation (the worker's current assignment,
//!                               itself with header v; null on a first join)
//! assignment v0:              INT16 0 | INT16 error | STRING leader | STRING leader url
//!                             | INT64 config offset | ARRAY assignment
//! assignment v1/v2:           ... | NULLABLE ARRAY assignment | NULLABLE ARRAY revoked
//!                             | INT32 delay (ms); trailing fields may be missing (null, null, 0)
//! connector assignment:       STRING connector | ARRAY INT32 tasks (-1: the connector itself)
//! ```
//!
//! Connect groups an assignment by connector: each connector's instance (task -1) first, then
//! its tasks in order. For the assigned set Java iterates the connectors through a `HashSet`,
//! so with several connector instances its byte order differs from ours (connectors in the
//! order given); decoders do not depend on the order.

use crate::wire::{Reader, WireError, Writer};

/// The group's protocol type.
pub const PROTOCOL_TYPE: &str = "connect";

/// The task number that stands for the connector instance itself.
pub const CONNECTOR_TASK: i32 = -1;

/// Connect's subprotocols (`ConnectProtocolCompatibility`), chosen with `connect.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subprotocol {
    /// `connect.protocol=eager`: protocol name `default`, version 0, eager rebalancing.
    Default,
    /// `connect.protocol=compatible`: version 1, incremental cooperative rebalancing.
    Compatible,
    /// `connect.protocol=sessioned` (Connect's default): version 2, as v1 plus signed internal
    /// requests.
    Sessioned,
}

impl Subprotocol {
    /// The name in JoinGroup's protocol list.
    pub fn name(self) -> &'static str {
        match self {
            Subprotocol::Default => "default",
            Subprotocol::Compatible => "compatible",
            Subprotocol::Sessioned => "sessioned",
        }
    }

    pub fn version(self) -> i16 {
        match self {
            Subprotocol::Default => 0,
            Subprotocol::Compatible => 1,
            Subprotocol::Sessioned => 2,
        }
    }

    pub fn from_name(name: &str) -> Option<Subprotocol> {
        match name {
            "default" => Some(Subprotocol::Default),
            "compatible" => Some(Subprotocol::Compatible),
            "sessioned" => Some(Subprotocol::Sessioned),
            _ => None,
        }
    }

    /// The worker property `connect.protocol` (`eager`, `compatible`, `sessioned`).
    pub fn from_config(value: &str) -> Option<Subprotocol> {
        match value.to_ascii_lowercase().as_str() {
            "eager" => Some(Subprotocol::Default),
            "compatible" => Some(Subprotocol::Compatible),
            "sessioned" => Some(Subprotocol::Sessioned),
            _ => None,
        }
    }

    /// What a worker configured with this subprotocol offers, most preferred first.
    pub fn offered(self) -> &'static [Subprotocol] {
        match self {
            Subprotocol::Sessioned => &[
                Subprotocol::Sessioned,
                Subprotocol::Compatible,
                Subprotocol::Default,
            ],
            Subprotocol::Compatible => &[Subprotocol::Compatible, Subprotocol::Default],
            Subprotocol::Default => &[Subprotocol::Default],
        }
    }
}

/// A task of a connector (`ConnectorTaskId`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: i32,
}

impl ConnectorTaskId {
    pub fn new(connector: impl Into<String>, task: i32) -> Self {
        ConnectorTaskId {
            connector: connector.into(),
            task,
        }
    }
}

/// An assignment's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentError {
    None,
    /// The leader could not read the config topic up to the members' offset: rejoin after
    /// catching up.
    ConfigMismatch,
    Other(i16),
}

impl AssignmentError {
    fn code(self) -> i16 {
        match self {
            AssignmentError::None => 0,
            AssignmentError::ConfigMismatch => 1,
            AssignmentError::Other(c) => c,
        }
    }

    fn from_code(code: i16) -> Self {
        match code {
            0 => AssignmentError::None,
            1 => AssignmentError::ConfigMismatch,
            c => AssignmentError::Other(c),
        }
    }
}

/// What the leader assigns a member (`ConnectProtocol.Assignment`, `ExtendedAssignment`). In
/// v1/v2 `connectors` and `tasks` are what is *added*, `revoked_*` what to stop; v0 carries the
/// whole assignment and never revokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub version: i16,
    pub error: AssignmentError,
    /// The leader's member id and REST URL.
    pub leader: String,
    pub leader_url: String,
    /// The config topic offset every member must have read before starting work.
    pub config_offset: i64,
    pub connectors: Vec<String>,
    pub tasks: Vec<ConnectorTaskId>,
    pub revoked_connectors: Vec<String>,
    pub revoked_tasks: Vec<ConnectorTaskId>,
    /// After how long the member must rejoin (a scheduled rebalance), in milliseconds.
    pub delay_ms: i32,
}

/// Entries of a connector-assignment array: each connector's instance first, then its tasks,
/// connectors in order of first appearance.
fn grouped<'a>(connectors: &'a [String], tasks: &'a [ConnectorTaskId]) -> Vec<(&'a str, Vec<i32>)> {
    let mut out: Vec<(&str, Vec<i32>)> = Vec::new();
    let entry = |name: &'a str, task: i32, out: &mut Vec<(&'a str, Vec<i32>)>| match out
        .iter_mut()
        .find(|(c, _)| *c == name)
    {
        Some((_, ts)) => ts.push(task),
        None => out.push((name, vec![task])),
    };
    for c in connectors {
        if !out
            .iter()
            .any(|(n, ts)| n == c && ts.contains(&CONNECTOR_TASK))
        {
            entry(c, CONNECTOR_TASK, &mut out);
        }
    }
    for t in tasks {
        entry(&t.connector, t.task, &mut out);
    }
    out
}

fn write_grouped(w: &mut Writer, groups: &[(&str, Vec<i32>)]) {
    w.i32(groups.len() as i32);
    for (connector, tasks) in groups {
        w.string(connector);
        w.i32(tasks.len() as i32);
        for t in tasks {
            w.i32(*t);
        }
    }
}

/// Connector instances and tasks, as a connector-assignment array holds them.
type Work = (Vec<String>, Vec<ConnectorTaskId>);

/// Reads a connector-assignment array into connectors and tasks (`None`: a null array).
fn read_grouped(r: &mut Reader<'_>, field: &'static str) -> Result<Option<Work>, WireError> {
    // Each entry holds at least a string length and an array count.
    let Some(n) = r.array_len(field, 6)? else {
        return Ok(None);
    };
    let (mut connectors, mut tasks) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let connector = r.string(field)?;
        let count = r.array_len(field, 4)?.ok_or(WireError::Null { field })?;
        for _ in 0..count {
            match r.i32(field)? {
                CONNECTOR_TASK => connectors.push(connector.clone()),
                task => tasks.push(ConnectorTaskId::new(connector.clone(), task)),
            }
        }
    }
    Ok(Some((connectors, tasks)))
}

impl Assignment {
    /// Serializes with this assignment's `version` (0, or 1/2 with revocations and delay).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.i16(self.version);
        w.i16(self.error.code());
        w.string(&self.leader);
        w.string(&self.leader_url);
        w.i64(self.config_offset);
        write_grouped(&mut w, &grouped(&self.connectors, &self.tasks));
        if self.version >= 1 {
            write_grouped(
                &mut w,
                &grouped(&self.revoked_connectors, &self.revoked_tasks),
            );
            w.i32(self.delay_ms);
        }
        w.bytes
    }

    pub fn decode(bytes: &[u8]) -> Result<Assignment, WireError> {
        let mut r = Reader::new(bytes);
        let version = r.i16("version")?;
        if version < 0 {
            return Err(WireError::Version(version));
        }
        let error = AssignmentError::from_code(r.i16("error")?);
        let leader = r.string("leader")?;
        let leader_url = r.string("leader_url")?;
        let config_offset = r.i64("config_offset")?;
        let mut a = Assignment {
            version,
            error,
            leader,
            leader_url,
            config_offset,
            connectors: Vec::new(),
            tasks: Vec::new(),
            revoked_connectors: Vec::new(),
            revoked_tasks: Vec::new(),
            delay_ms: 0,
        };
        if version == 0 {
            let (c, t) = read_grouped(&mut r, "assignment")?.ok_or(WireError::Null {
                field: "assignment",
            })?;
            (a.connectors, a.tasks) = (c, t);
            return Ok(a);
        }
        // v1 and later tolerate missing trailing fields (null arrays, delay 0).
        if !r.is_empty() {
            if let Some((c, t)) = read_grouped(&mut r, "assignment")? {
                (a.connectors, a.tasks) = (c, t);
            }
        }
        if !r.is_empty() {
            if let Some((c, t)) = read_grouped(&mut r, "revoked")? {
                (a.revoked_connectors, a.revoked_tasks) = (c, t);
            }
        }
        if !r.is_empty() {
            a.delay_ms = r.i32("delay")?;
        }
        Ok(a)
    }
}

/// What a worker says about itself when it joins (`WorkerState`, `ExtendedWorkerState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerMetadata {
    /// The worker's advertised REST URL, e.g. `http://127.0.0.1:8083/`.
    pub url: String,
    /// The config topic offset the worker has read up to.
    pub config_offset: i64,
    /// The worker's whole current assignment (v1/v2; `None` on a first join).
    pub allocation: Option<Assignment>,
}

impl WorkerMetadata {
    /// The metadata for `protocol`; the allocation is written with the same version.
    pub fn encode(&self, protocol: Subprotocol) -> Vec<u8> {
        let mut w = Writer::default();
        let version = protocol.version();
        w.i16(version);
        w.string(&self.url);
        w.i64(self.config_offset);
        if version >= 1 {
            let allocation = self.allocation.as_ref().map(|a| {
                Assignment {
                    version,
                    ..a.clone()
                }
                .encode()
            });
            w.nullable_bytes(allocation.as_deref());
        }
        w.bytes
    }

    /// Reads any version; returns it with the metadata.
    pub fn decode(bytes: &[u8]) -> Result<(i16, WorkerMetadata), WireError> {
        let mut r = Reader::new(bytes);
        let version = r.i16("version")?;
        if version < 0 {
            return Err(WireError::Version(version));
        }
        let url = r.string("url")?;
        let config_offset = r.i64("config_offset")?;
        let allocation = if version >= 1 && !r.is_empty() {
            r.nullable_bytes("allocation")?
                .map(Assignment::decode)
                .transpose()?
        } else {
            None
        };
        Ok((
            version,
            WorkerMetadata {
                url,
                config_offset,
                allocation,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(version: i16) -> Assignment {
        Assignment {
            version,
            error: AssignmentError::None,
            leader: "connect-1-abc".into(),
            leader_url: "http://127.0.0.1:8083/".into(),
            config_offset: 9,
            connectors: vec!["a".into()],
            // In the grouped order decoding gives back (by connector, instance first).
            tasks: vec![
                ConnectorTaskId::new("a", 0),
                ConnectorTaskId::new("a", 1),
                ConnectorTaskId::new("b", 1),
            ],
            revoked_connectors: vec!["c".into()],
            revoked_tasks: vec![ConnectorTaskId::new("c", 0)],
            delay_ms: 3000,
        }
    }

    #[test]
    fn a_first_sessioned_join_is_the_reference_bytes() {
        // distributed.md B.2's example: url http://127.0.0.1:8083/, offset 5, no allocation.
        let m = WorkerMetadata {
            url: "http://127.0.0.1:8083/".into(),
            config_offset: 5,
            allocation: None,
        };
        let mut want = vec![0, 2, 0, 0x16];
        want.extend_from_slice(b"http://127.0.0.1:8083/");
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(m.encode(Subprotocol::Sessioned), want);
        assert_eq!(WorkerMetadata::decode(&want), Ok((2, m)));
    }

    #[test]
    fn assignments_round_trip_in_every_version() {
        for version in [1, 2] {
            let a = assignment(version);
            assert_eq!(Assignment::decode(&a.encode()), Ok(a));
        }
        let v0 = Assignment {
            revoked_connectors: vec![],
            revoked_tasks: vec![],
            delay_ms: 0,
            ..assignment(0)
        };
        assert_eq!(Assignment::decode(&v0.encode()), Ok(v0));
    }

    #[test]
    fn tasks_are_grouped_by_connector_with_the_instance_first() {
        let connectors = ["a".to_owned()];
        let tasks = [
            ConnectorTaskId::new("a", 0),
            ConnectorTaskId::new("b", 1),
            ConnectorTaskId::new("a", 1),
        ];
        let groups = grouped(&connectors, &tasks);
        assert_eq!(groups, vec![("a", vec![-1, 0, 1]), ("b", vec![1])]);
    }

    #[test]
    fn v1_tolerates_missing_trailing_fields() {
        let full = assignment(1).encode();
        // Cut after the config offset: arrays null, delay 0.
        let header = 2 + 2 + (2 + 13) + (2 + 22) + 8;
        let a = Assignment::decode(&full[..header]).unwrap();
        assert!(a.connectors.is_empty() && a.revoked_tasks.is_empty());
        assert_eq!(a.delay_ms, 0);
    }

    #[test]
    fn truncated_or_hostile_buffers_are_errors_not_panics() {
        let full = WorkerMetadata {
            url: "http://w:8083/".into(),
            config_offset: 1,
            allocation: Some(assignment(2)),
        }
        .encode(Subprotocol::Sessioned);
        for cut in 0..full.len() {
            let _ = WorkerMetadata::decode(&full[..cut]);
        }
        // An array count far beyond the buffer is refused before allocating.
        let mut bad = assignment(1).encode();
        let at = 2 + 2 + (2 + 13) + (2 + 22) + 8;
        bad[at..at + 4].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(
            Assignment::decode(&bad),
            Err(WireError::BadLength {
                field: "assignment",
                ..
            })
        ));
        assert_eq!(
            Assignment::decode(&[0xff, 0xfe]),
            Err(WireError::Version(-2))
        );
    }

    #[test]
    fn subprotocols_are_offered_most_preferred_first() {
        let names: Vec<_> = Subprotocol::from_config("sessioned")
            .unwrap()
            .offered()
            .iter()
            .map(|p| p.name())
            .collect();
        assert_eq!(names, ["sessioned", "compatible", "default"]);
        assert_eq!(
            Subprotocol::from_config("eager"),
            Some(Subprotocol::Default)
        );
        assert_eq!(Subprotocol::from_config("raft"), None);
    }
}
