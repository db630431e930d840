"""bench/distributed.sh's probes: record timestamps on the connectors' topics and group events in
the workers' logs. Runs with kafka-python (scripts/lib/kafka.sh's kafka_python_install).

  first-after BOOTSTRAP TOPIC AFTER_MS TIMEOUT_S
      reads TOPIC from its start until a record whose timestamp (the producer's CreateTime) is
      later than AFTER_MS; prints that timestamp and the record's source.ts_ms (the commit time
      Debezium's envelope carries; 0 when absent). Exits 1 after TIMEOUT_S.
  buckets BOOTSTRAP EVENT_MS FROM_S TO_S SPAN_END_S TOPIC...
      every record of each TOPIC (up to the end offsets at the call), counted per 1 s of record
      timestamp, bucket i holding [EVENT_MS + i*1000, EVENT_MS + (i+1)*1000): prints, one line per
      topic, "TOPIC MIN GAP c(FROM_S) ... c(TO_S - 1)" where MIN is the lowest count of the buckets
      FROM_S .. SPAN_END_S - 1 (which may reach past TO_S) and GAP the longest time in ms between
      two consecutive record timestamps in that span.
  join KIND START_MS SPAN_S NEWCOMER_LOG LOG...
      KIND is tributary ("joined the group ... generation=N", after JoinGroup) or connect
      ("Joined group at generation N", after SyncGroup). Among the join lines logged within
      SPAN_S of START_MS: G1, the newcomer's first generation, and GLAST, the last one any worker
      joined. Prints "G1 MS1 GLAST MSLAST": MS1 (MSLAST) is START_MS until the last of the logs
      (the newcomer's included) showed its join of G1 (GLAST). Exits 1 when a log lacks G1.
"""
import datetime
import json
import re
import sys
import time

TRIB = re.compile(r"^(\S+Z)\s.*joined the group.*\bgeneration=(\d+)\b")
CONNECT = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\].*Joined group at generation (\d+)\b")


def consumer(bootstrap):
    from kafka import KafkaConsumer

    return KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)


def partitions(c, topic, deadline):
    from kafka import TopicPartition

    while time.time() < deadline:
        parts = c.partitions_for_topic(topic)
        if parts:
            return [TopicPartition(topic, p) for p in sorted(parts)]
        c.topics()  # refreshes the metadata
        time.sleep(0.2)
    return None


def source_ts(value):
    try:
        v = json.loads(value)
        v = v.get("payload", v)
        return int(v["source"]["ts_ms"])
    except Exception:  # noqa: BLE001 - a tombstone or another shape: no commit time
        return 0


def first_after(bootstrap, topic, after_ms, timeout_s):
    deadline = time.time() + float(timeout_s)
    c = consumer(bootstrap)
    tps = partitions(c, topic, deadline)
    if not tps:
        return 1
    c.assign(tps)
    c.seek_to_beginning(*tps)
    while time.time() < deadline:
        for recs in c.poll(timeout_ms=200, max_records=5000).values():
            for r in recs:
                if r.timestamp > after_ms:
                    print(r.timestamp, source_ts(r.value))
                    return 0
    return 1


def buckets(bootstrap, event_ms, from_s, to_s, span_end_s, topics):
    c = consumer(bootstrap)
    for topic in topics:
        tps = partitions(c, topic, time.time() + 30)
        counts, stamps = {}, []
        if tps:
            end = c.end_offsets(tps)
            c.assign(tps)
            c.seek_to_beginning(*tps)
            left = {tp for tp in tps if end[tp] > 0}
            deadline = time.time() + 120
            while left and time.time() < deadline:
                for tp, recs in c.poll(timeout_ms=500, max_records=10000).items():
                    for r in recs:
                        if r.offset < end[tp]:
                            b = (r.timestamp - event_ms) // 1000
                            counts[b] = counts.get(b, 0) + 1
                            if from_s <= b < span_end_s:
                                stamps.append(r.timestamp)
                    if c.position(tp) >= end[tp]:
                        left.discard(tp)
        low = min(counts.get(b, 0) for b in range(from_s, span_end_s))
        stamps.sort()
        gap = max((b - a for a, b in zip(stamps, stamps[1:])), default=-1)
        print(topic, low, gap, " ".join(str(counts.get(b, 0)) for b in range(from_s, to_s)))
    return 0


def join_lines(kind, path, start_ms, span_s):
    out = []
    for line in open(path, errors="replace"):
        if kind == "tributary":
            m = TRIB.match(line)
            if not m:
                continue
            ts = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
        else:
            m = CONNECT.match(line)
            if not m:
                continue
            # Log4j's %d is the JVM's local time, the same zone as this process's.
            ts = time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%d %H:%M:%S")) + int(m.group(1)[20:]) / 1000
        ms = int(ts * 1000)
        if start_ms <= ms <= start_ms + span_s * 1000:
            out.append((int(m.group(2)), ms))
    return out


def join(kind, start_ms, span_s, newcomer, logs):
    per_log = [join_lines(kind, p, start_ms, span_s) for p in [newcomer] + logs]
    if not per_log[0]:
        return 1
    g1 = per_log[0][0][0]
    glast = max(g for lines in per_log for g, _ in lines)

    def done(g):
        at = []
        for lines in per_log:
            ms = [t for gen, t in lines if gen == g]
            if not ms:
                return None
            at.append(ms[0])
        return max(at) - start_ms

    d1, dlast = done(g1), done(glast)
    if d1 is None:
        return 1
    print(g1, d1, glast, dlast if dlast is not None else -1)
    return 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "first-after":
        return first_after(args[0], args[1], int(args[2]), args[3])
    if cmd == "buckets":
        return buckets(args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4]), args[5:])
    if cmd == "join":
        return join(args[0], int(args[1]), int(args[2]), args[3], args[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
