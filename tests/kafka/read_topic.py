"""Reads every record of a topic with kafka-python (a client Tributary did not write).

    python read_topic.py <bootstrap> <topic> <expected>

Subscribes in a consumer group of its own, reads from the beginning until at least <expected>
records arrived and every partition is read up to its end offset (high watermark), and prints
one JSON object per record: partition, offset, key and value as UTF-8 text (null when absent),
headers as [[name, text]].
"""
import json
import os
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def text(b):
    return None if b is None else b.decode("utf-8")


def main():
    bootstrap, topic, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"tributary-tests-kafka-python-{os.getpid()}-{time.time_ns()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    deadline = time.time() + 60
    parts = consumer.partitions_for_topic(topic)
    while not parts:
        if time.time() > deadline:
            sys.exit(f"topic {topic} not found")
        time.sleep(0.2)
        parts = consumer.partitions_for_topic(topic)
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    consumer.subscribe([topic])
    rows = []
    nxt = {}
    while True:
        if time.time() > deadline + 120:
            sys.exit(f"read {len(rows)} records of {topic}, expected at least {expected}")
        if len(rows) >= expected:
            ends = consumer.end_offsets(tps)
            if all(nxt.get(tp.partition, 0) >= end for tp, end in ends.items()):
                break
        for tp, msgs in consumer.poll(timeout_ms=500).items():
            for m in msgs:
                nxt[m.partition] = m.offset + 1
                rows.append({
                    "partition": m.partition,
                    "offset": m.offset,
                    "key": text(m.key),
                    "value": text(m.value),
                    "headers": [[k, text(v)] for k, v in (m.headers or [])],
                })
    consumer.close()
    for r in sorted(rows, key=lambda r: (r["partition"], r["offset"])):
        print(json.dumps(r))


if __name__ == "__main__":
    main()
