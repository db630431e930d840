//! The pgoutput decoder against messages captured from PostgreSQL 15.
//!
//! The fixtures in `data/pgoutput/` come from `capture.sh` there (the SQL interface to logical
//! decoding, one message per line); `v4_hand_built.hex` is built by hand from the documented
//! layout, since PostgreSQL 15 cannot speak protocol 4. These tests need no server.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use bytes::Bytes;
use pg_wal::pgoutput::{
    decode, DecodeError, Decoder, MessageKind, OldTuple, PgOutputMessage, Relation,
    ReplicaIdentity, StreamAbort, TupleColumn, TupleData,
};
use pg_wal::Lsn;

/// Every fixture with the protocol version it was captured with.
const FIXTURES: [(&str, u32); 5] = [
    ("v1_text.hex", 1),
    ("v1_binary.hex", 1),
    ("v2_stream.hex", 2),
    ("v3_two_phase.hex", 3),
    ("v4_hand_built.hex", 4),
];

/// One captured message and the comment line naming it.
struct Captured {
    comment: String,
    bytes: Bytes,
}

fn load(name: &str) -> Vec<Captured> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "data",
        "pgoutput",
        name,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut comment = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.strip_prefix('#') {
            Some(c) => comment = c.trim().to_owned(),
            None => out.push(Captured {
                comment: comment.clone(),
                bytes: Bytes::from(unhex(line)),
            }),
        }
    }
    out
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd-length hex line");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digits"))
        .collect()
}

/// Decodes a fixture in order, as a replication session would.
fn decode_all(name: &str, version: u32) -> Vec<PgOutputMessage> {
    let mut decoder = Decoder::new(version);
    load(name)
        .into_iter()
        .map(|c| {
            decoder
                .decode(c.bytes)
                .unwrap_or_else(|e| panic!("{name}: {}: {e}", c.comment))
        })
        .collect()
}

/// The payloads of every message of one variant, in order.
macro_rules! pick {
    ($msgs:expr, $variant:ident) => {
        $msgs
            .iter()
            .filter_map(|m| match m {
                PgOutputMessage::$variant(x) => Some(x),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
}

fn relation<'a>(msgs: &'a [PgOutputMessage], name: &str) -> &'a Relation {
    pick!(msgs, Relation)
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no Relation {name}"))
}

fn lsn(s: &str) -> Lsn {
    s.parse().expect("an LSN")
}

fn text(s: &str) -> TupleColumn {
    TupleColumn::Text(Bytes::copy_from_slice(s.as_bytes()))
}

fn row(cols: &[TupleColumn]) -> TupleData {
    TupleData(cols.to_vec())
}

#[test]
fn every_message_type_is_covered_and_every_fixture_decodes_exactly() {
    let mut seen = BTreeSet::new();
    for (name, version) in FIXTURES {
        for m in decode_all(name, version) {
            seen.insert(m.kind().tag());
        }
    }
    let all: BTreeSet<u8> = b"BCORYIUDTMSEcAbPKrp".iter().copied().collect();
    assert_eq!(
        seen,
        all,
        "missing: {:?}",
        all.difference(&seen)
            .map(|&t| t as char)
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_transaction_begins_inserts_updates_deletes_and_commits() {
    let msgs = decode_all("v1_text.hex", 1);
    let begin = pick!(msgs, Begin)[0];
    assert_eq!((begin.xid, begin.final_lsn), (839, lsn("0/30041D0")));
    let commit = pick!(msgs, Commit)[0];
    assert_eq!(commit.flags, 0);
    assert_eq!(commit.commit_lsn, begin.final_lsn);
    assert_eq!(commit.end_lsn, lsn("0/3004200"));
    assert_eq!(commit.commit_ts, begin.commit_ts);
    assert_eq!(commit.commit_ts, 848_570_283_583_347);

    let t_basic = relation(&msgs, "t_basic");
    assert_eq!((t_basic.namespace.as_str(), t_basic.xid), ("public", None));
    assert_eq!(t_basic.replica_identity, ReplicaIdentity::Default);
    let cols: Vec<_> = t_basic
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.is_key, c.type_oid, c.type_modifier))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", true, 23, -1),
            ("name", false, 25, -1),
            ("note", false, 25, -1),
            ("m", false, 16630, -1)
        ]
    );

    let inserts = pick!(msgs, Insert);
    assert_eq!(inserts[0].relation_id, t_basic.id);
    assert_eq!(
        inserts[0].new,
        row(&[text("1"), text("alpha"), TupleColumn::Null, text("happy")])
    );
    assert_eq!(
        inserts[1].new,
        row(&[text("2"), text("beta"), text("b"), TupleColumn::Null])
    );

    // The key did not change: no old tuple. Then it did: the old key, other columns null.
    let updates = pick!(msgs, Update);
    assert_eq!(updates[0].old, None);
    assert_eq!(
        updates[0].new,
        row(&[text("1"), text("alpha"), text("noted"), text("happy")])
    );
    let null = TupleColumn::Null;
    assert_eq!(
        updates[1].old,
        Some(OldTuple::Key(row(&[
            text("2"),
            null.clone(),
            null.clone(),
            null.clone()
        ])))
    );
    assert_eq!(
        updates[1].new,
        row(&[text("20"), text("beta"), text("b"), null.clone()])
    );
    assert_eq!(
        pick!(msgs, Delete)[0].old,
        OldTuple::Key(row(&[text("20"), null.clone(), null.clone(), null]))
    );
}

#[test]
fn replica_identity_full_sends_whole_old_rows() {
    let msgs = decode_all("v1_text.hex", 1);
    let t_full = relation(&msgs, "t_full");
    assert_eq!(t_full.replica_identity, ReplicaIdentity::Full);
    assert!(
        t_full.columns.iter().all(|c| c.is_key),
        "every column is part of a FULL identity"
    );
    let update = pick!(msgs, Update)
        .into_iter()
        .find(|u| u.relation_id == t_full.id)
        .expect("an Update of t_full");
    assert_eq!(
        update.old,
        Some(OldTuple::Full(row(&[text("1"), text("one")])))
    );
    assert_eq!(update.new, row(&[text("1"), text("uno")]));
    let delete = pick!(msgs, Delete)
        .into_iter()
        .find(|d| d.relation_id == t_full.id)
        .expect("a Delete of t_full");
    assert_eq!(delete.old, OldTuple::Full(row(&[text("1"), text("uno")])));
}

#[test]
fn replica_identity_using_index_and_nothing() {
    let msgs = decode_all("v1_text.hex", 1);
    let t_index = relation(&msgs, "t_index");
    assert_eq!(t_index.replica_identity, ReplicaIdentity::Index);
    let keys: Vec<_> = t_index.columns.iter().map(|c| c.is_key).collect();
    assert_eq!(
        keys,
        [false, true, false],
        "only the index column `code` is the key"
    );
    let update = pick!(msgs, Update)
        .into_iter()
        .find(|u| u.relation_id == t_index.id)
        .expect("an Update of t_index");
    assert_eq!(
        update.old,
        Some(OldTuple::Key(row(&[
            TupleColumn::Null,
            text("k1"),
            TupleColumn::Null
        ])))
    );
    assert_eq!(
        relation(&msgs, "t_nothing").replica_identity,
        ReplicaIdentity::Nothing
    );
}

#[test]
fn update_leaving_a_toasted_column_alone_marks_it_unchanged() {
    let msgs = decode_all("v1_text.hex", 1);
    let t_toast = relation(&msgs, "t_toast");
    let insert = pick!(msgs, Insert)
        .into_iter()
        .find(|i| i.relation_id == t_toast.id)
        .expect("an Insert of t_toast");
    assert_eq!(insert.new.0[2], text(&"x".repeat(4000)));
    let update = pick!(msgs, Update)
        .into_iter()
        .find(|u| u.relation_id == t_toast.id)
        .expect("an Update of t_toast");
    assert_eq!(update.old, None);
    assert_eq!(
        update.new,
        row(&[text("1"), text("2"), TupleColumn::UnchangedToast])
    );
}

#[test]
fn truncate_carries_cascade_and_restart_identity() {
    let msgs = decode_all("v1_text.hex", 1);
    let (parent, child) = (
        relation(&msgs, "t_parent").id,
        relation(&msgs, "t_child").id,
    );
    let (full, basic) = (relation(&msgs, "t_full").id, relation(&msgs, "t_basic").id);
    let truncates: Vec<_> = pick!(msgs, Truncate)
        .into_iter()
        .map(|t| (t.xid, t.cascade, t.restart_identity, t.relation_ids.clone()))
        .collect();
    assert_eq!(
        truncates,
        [
            (None, false, false, vec![full]),
            (None, true, false, vec![parent, child]),
            (None, false, true, vec![basic]),
            (None, true, true, vec![parent, child]),
        ]
    );
}

#[test]
fn logical_messages_transactional_and_not() {
    let msgs = decode_all("v1_text.hex", 1);
    let messages = pick!(msgs, Message);
    let (inside, outside) = (messages[0], messages[1]);
    assert!(inside.transactional);
    assert_eq!((inside.xid, inside.prefix.as_str()), (None, "tributary"));
    assert_eq!(inside.content, Bytes::from_static(b"transactional content"));
    assert_eq!(inside.lsn, lsn("0/30041D0"));
    assert!(!outside.transactional);
    assert_eq!(
        outside.content,
        Bytes::from_static(b"\x00\xff"),
        "content is bytes, not a string"
    );
    assert_eq!(outside.lsn, lsn("0/3004240"));
    // A non-transactional message is sent on its own, between transactions.
    let position = msgs
        .iter()
        .position(|m| matches!(m, PgOutputMessage::Message(m) if !m.transactional));
    let position = position.expect("a non-transactional message");
    assert!(matches!(msgs[position - 1], PgOutputMessage::Commit(_)));
    assert!(matches!(msgs[position + 1], PgOutputMessage::Begin(_)));
}

#[test]
fn a_custom_type_is_announced_before_the_relation_using_it() {
    let msgs = decode_all("v1_text.hex", 1);
    assert!(
        matches!(msgs[1], PgOutputMessage::Type(_))
            && matches!(msgs[2], PgOutputMessage::Relation(_))
    );
    let ty = pick!(msgs, Type)[0];
    assert_eq!(
        (ty.xid, ty.id, ty.namespace.as_str(), ty.name.as_str()),
        (None, 16630, "public", "mood")
    );
    assert_eq!(relation(&msgs, "t_basic").columns[3].type_oid, ty.id);
}

#[test]
fn a_replayed_transaction_names_its_origin_after_begin() {
    let msgs = decode_all("v1_text.hex", 1);
    let at = msgs
        .iter()
        .position(|m| matches!(m, PgOutputMessage::Origin(_)))
        .expect("an Origin");
    assert!(matches!(msgs[at - 1], PgOutputMessage::Begin(_)));
    let origin = pick!(msgs, Origin)[0];
    assert_eq!(
        (origin.commit_lsn, origin.name.as_str()),
        (lsn("0/12345678"), "tributary_origin")
    );
}

#[test]
fn binary_format_sends_each_type_send_output() {
    let msgs = decode_all("v1_binary.hex", 1);
    let insert = pick!(msgs, Insert)[0];
    let bin = |b: &'static [u8]| TupleColumn::Binary(Bytes::from_static(b));
    assert_eq!(insert.new.0[0], bin(b"\0\0\0\x01"), "int4 1");
    assert_eq!(insert.new.0[1], bin(b"\xde\xad\xbe\xef"), "bytea");
    // timestamptz: µs since 2000-01-01, 2024-01-02 03:04:05.678901 UTC.
    let ts = 757_479_845_678_901_i64.to_be_bytes();
    assert_eq!(
        insert.new.0[2],
        TupleColumn::Binary(Bytes::copy_from_slice(&ts))
    );
    assert_eq!(
        insert.new.0[3],
        bin(b"\0\x02\0\0\0\0\0\x01\0\x0c\x13\x88"),
        "numeric 12.5"
    );
    assert!(
        matches!(&insert.new.0[4], TupleColumn::Binary(b) if b.len() == 44),
        "int4[] {{1,2,3}}"
    );
    assert_eq!(insert.new.0[5], TupleColumn::Null);
    assert_eq!(
        pick!(msgs, Update)[0].new.0[3],
        bin(b"\0\x01\0\0\x40\0\0\0\0\x01"),
        "numeric -1"
    );
}

#[test]
fn messages_inside_a_stream_block_carry_the_xid() {
    let msgs = decode_all("v2_stream.hex", 2);
    let starts = pick!(msgs, StreamStart);
    assert_eq!((starts[0].xid, starts[0].first_segment), (868, true));
    assert_eq!((starts[1].xid, starts[1].first_segment), (868, false));

    // Everything of the first streamed transaction, up to its Stream Commit.
    let end = msgs
        .iter()
        .position(|m| matches!(m, PgOutputMessage::StreamCommit(_)))
        .expect("a Stream Commit");
    let first = &msgs[..end];
    let xids: BTreeSet<Option<u32>> = first
        .iter()
        .filter_map(|m| match m {
            PgOutputMessage::Relation(x) => Some(x.xid),
            PgOutputMessage::Type(x) => Some(x.xid),
            PgOutputMessage::Insert(x) => Some(x.xid),
            PgOutputMessage::Update(x) => Some(x.xid),
            PgOutputMessage::Delete(x) => Some(x.xid),
            PgOutputMessage::Truncate(x) => Some(x.xid),
            PgOutputMessage::Message(x) => Some(x.xid),
            _ => None,
        })
        .collect();
    assert_eq!(xids, BTreeSet::from([Some(868)]));
    let kinds: BTreeSet<MessageKind> = first.iter().map(PgOutputMessage::kind).collect();
    for kind in [
        MessageKind::Type,
        MessageKind::Update,
        MessageKind::Delete,
        MessageKind::Truncate,
        MessageKind::Message,
    ] {
        assert!(kinds.contains(&kind), "{kind} inside the stream block");
    }
    let message = pick!(first, Message)[0];
    assert_eq!(
        (message.transactional, message.content.as_ref()),
        (true, &b"in stream"[..])
    );

    let commit = pick!(msgs, StreamCommit)[0];
    assert_eq!((commit.xid, commit.flags), (868, 0));
    assert_eq!(
        (commit.commit_lsn, commit.end_lsn),
        (lsn("0/38E3A48"), lsn("0/38E3B18"))
    );
}

#[test]
fn streamed_transactions_and_subtransactions_abort() {
    let msgs = decode_all("v2_stream.hex", 2);
    let aborts: Vec<StreamAbort> = pick!(msgs, StreamAbort).into_iter().cloned().collect();
    let abort = |xid, subxid| StreamAbort {
        xid,
        subxid,
        abort_lsn: None,
        abort_ts: None,
    };
    // A whole transaction (xid = subxid), then a subtransaction of 870 that rolled back to a savepoint.
    assert_eq!(aborts, [abort(869, 869), abort(870, 871)]);
    // Inside the block, a subtransaction's changes carry its own xid, not the top-level one.
    let sub = pick!(msgs, Relation)
        .into_iter()
        .filter(|r| r.xid == Some(871))
        .count();
    assert!(sub > 0, "messages of subtransaction 871");
    assert_eq!(pick!(msgs, StreamCommit)[1].xid, 870);
}

#[test]
fn two_phase_prepare_then_commit_or_rollback() {
    let msgs = decode_all("v3_two_phase.hex", 3);
    let begins = pick!(msgs, BeginPrepare);
    let prepares = pick!(msgs, Prepare);
    assert_eq!((begins[0].xid, begins[0].gid.as_str()), (730, "tx-commit"));
    assert_eq!(
        (begins[0].prepare_lsn, begins[0].end_lsn),
        (lsn("0/1925808"), lsn("0/1925908"))
    );
    assert_eq!(
        (prepares[0].flags, prepares[0].xid, prepares[0].gid.as_str()),
        (0, 730, "tx-commit")
    );
    assert_eq!(
        (prepares[0].prepare_lsn, prepares[0].end_lsn),
        (begins[0].prepare_lsn, begins[0].end_lsn)
    );
    assert_eq!(prepares[0].prepare_ts, begins[0].prepare_ts);

    let committed = pick!(msgs, CommitPrepared)[0];
    assert_eq!(
        (committed.xid, committed.gid.as_str(), committed.flags),
        (730, "tx-commit", 0)
    );
    assert_eq!(
        (committed.commit_lsn, committed.end_lsn),
        (lsn("0/1925908"), lsn("0/1925948"))
    );
    assert!(committed.commit_ts >= prepares[0].prepare_ts);

    let rolled = pick!(msgs, RollbackPrepared)[0];
    assert_eq!(
        (rolled.xid, rolled.gid.as_str(), rolled.flags),
        (731, "tx-rollback", 0)
    );
    assert_eq!(rolled.prepare_end_lsn, prepares[1].end_lsn);
    assert_eq!(rolled.rollback_end_lsn, lsn("0/1925B10"));
    assert_eq!(rolled.prepare_ts, prepares[1].prepare_ts);
    assert!(rolled.rollback_ts >= rolled.prepare_ts);
}

#[test]
fn a_streamed_transaction_is_prepared_with_stream_prepare() {
    let msgs = decode_all("v3_two_phase.hex", 3);
    let prepared = pick!(msgs, StreamPrepare)[0];
    assert_eq!((prepared.xid, prepared.gid.as_str()), (732, "tx-stream"));
    assert_eq!(
        (prepared.prepare_lsn, prepared.end_lsn),
        (lsn("0/19A8868"), lsn("0/19A8968"))
    );
    let last = pick!(msgs, CommitPrepared)[1];
    assert_eq!(
        (last.xid, last.gid.as_str(), last.commit_lsn),
        (732, "tx-stream", prepared.end_lsn)
    );
}

#[test]
fn protocol_4_stream_abort_may_carry_abort_lsn_and_time() {
    let msgs = decode_all("v4_hand_built.hex", 4);
    let aborts: Vec<StreamAbort> = pick!(msgs, StreamAbort).into_iter().cloned().collect();
    assert_eq!(
        aborts,
        [
            StreamAbort {
                xid: 791,
                subxid: 792,
                abort_lsn: Some(lsn("0/1A2B3C4")),
                abort_ts: Some(757_479_845_678_901)
            },
            StreamAbort {
                xid: 791,
                subxid: 791,
                abort_lsn: None,
                abort_ts: None
            },
        ]
    );
    // Before protocol 4 the extra fields do not exist: they are trailing garbage.
    let parallel = load("v4_hand_built.hex").remove(0).bytes;
    assert_eq!(
        decode(parallel.clone(), false, 3).unwrap_err(),
        DecodeError::TrailingBytes {
            message: MessageKind::StreamAbort,
            offset: 9,
            left: 16
        }
    );
    // Half the abort info is a truncation.
    let err = decode(parallel.slice(..17), false, 4).unwrap_err();
    assert_eq!(
        err.to_string(),
        "truncated Stream Abort message: needed 8 bytes for abort timestamp at offset 17, 0 left"
    );
}

#[test]
fn values_are_slices_of_the_input_not_copies() {
    let captured = load("v1_text.hex");
    let input = captured
        .iter()
        .find(|c| c.bytes.len() > 4000)
        .expect("the TOAST insert")
        .bytes
        .clone();
    let range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
    let PgOutputMessage::Insert(insert) = decode(input.clone(), false, 1).expect("decodes") else {
        panic!("expected an Insert");
    };
    let TupleColumn::Text(big) = &insert.new.0[2] else {
        panic!("expected text")
    };
    assert!(
        range.contains(&(big.as_ptr() as usize)),
        "the value points into the message"
    );
}

#[test]
fn the_stream_flag_decides_whether_an_xid_is_read() {
    // The same in-stream Insert, decoded as if outside a block, misreads the xid as the relation
    // id and then fails on the tuple marker.
    let captured = load("v2_stream.hex");
    let insert = captured
        .iter()
        .find(|c| c.bytes.first() == Some(&b'I'))
        .expect("an Insert")
        .bytes
        .clone();
    assert!(decode(insert.clone(), true, 2).is_ok());
    let err = decode(insert, false, 2).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::UnexpectedByte {
                field: "tuple marker",
                offset: 5,
                ..
            }
        ),
        "{err}"
    );
}

/// A tiny xorshift64 generator: deterministic, no dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Mutates a message: flipped bits, "interesting" bytes and 32-bit values, insertions, deletions.
fn mutate(rng: &mut XorShift, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len());
        match rng.below(6) {
            0 if !out.is_empty() => out[at] ^= 1 << rng.below(8),
            1 if !out.is_empty() => {
                out[at] = [0x00, 0xff, 0x7f, 0x80, 0x01, b'N', b't'][rng.below(7)]
            }
            2 if out.len() >= 4 => {
                let at = rng.below(out.len() - 3);
                let value = [u32::MAX, i32::MAX as u32, 0x8000_0000, 0xffff, 0][rng.below(5)];
                out[at..at + 4].copy_from_slice(&value.to_be_bytes());
            }
            3 => out.insert(at.min(out.len()), rng.next() as u8),
            4 if !out.is_empty() => {
                out.remove(at);
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Decodes `input` in every mode, failing the test with the input's hex if anything panics.
fn decode_every_way(input: &Bytes) -> usize {
    let mut ok = 0;
    for in_stream in [false, true] {
        for version in 0..=5 {
            let result = catch_unwind(AssertUnwindSafe(|| {
                decode(input.clone(), in_stream, version)
            }));
            match result {
                Ok(Ok(_)) => ok += 1,
                Ok(Err(_)) => {}
                Err(_) => panic!(
                    "decode panicked (in_stream {in_stream}, version {version}) on {}",
                    input.iter().map(|b| format!("{b:02x}")).collect::<String>()
                ),
            }
        }
    }
    ok
}

#[test]
fn no_truncation_or_mutation_of_a_captured_message_makes_decode_panic() {
    let corpus: Vec<Bytes> = FIXTURES
        .iter()
        .flat_map(|(name, _)| load(name))
        .map(|c| c.bytes)
        .collect();
    for message in &corpus {
        for len in 0..=message.len() {
            decode_every_way(&message.slice(..len));
        }
    }
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut decoded = 0;
    for _ in 0..5000 {
        let original = &corpus[rng.below(corpus.len())];
        decoded += decode_every_way(&Bytes::from(mutate(&mut rng, original)));
    }
    // The mutations must not all be rejected at the first byte: some still decode.
    assert!(decoded > 0);
}
