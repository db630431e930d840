"""Reads every record of a topic with kafka-python (a client Tributary did not write).

    python read_topic.py <bootstrap> <topic> <expected>

Assigns every partition directly (no consumer group), reads from the beginning until at least
<expected> records arrived and then nothing more for two seconds (end offsets are not used:
tansu 0.6 reports a high watermark that counts record batches), and prints one JSON object per
record: partition, offset, key and value as UTF-8 text (null when absent), headers as
[[name, text]].
"""
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def text(b):
    return None if b is None else b.decode("utf-8")


def main():
    bootstrap, topic, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    deadline = time.time() + 60
    parts = consumer.partitions_for_topic(topic)
    while not parts:
        if time.time() > deadline:
            sys.exit(f"topic {topic} not found")
        time.sleep(0.2)
        parts = consumer.partitions_for_topic(topic)
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    rows = []
    last = time.time()
    while len(rows) < expected or time.time() - last < 2:
        if time.time() > deadline + 120:
            break
        for tp, msgs in consumer.poll(timeout_ms=500).items():
            for m in msgs:
                last = time.time()
                rows.append({
                    "partition": m.partition,
                    "offset": m.offset,
                    "key": text(m.key),
                    "value": text(m.value),
                    "headers": [[k, text(v)] for k, v in (m.headers or [])],
                })
    for r in sorted(rows, key=lambda r: (r["partition"], r["offset"])):
        print(json.dumps(r))


if __name__ == "__main__":
    main()
