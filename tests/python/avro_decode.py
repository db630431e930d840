"""Decodes Tributary's Avro records with Confluent's own Python client and compares them with
the JsonConverter's output of the same changes.

Usage: avro_decode.py <registry url> <manifest.json>

With "bootstrap" set in the manifest, each pair names only its topics and "expected" count, and
both topics are read from that Kafka broker with confluent_kafka's own consumer.

The manifest lists pairs of topics: {"pairs": [{"avro": topic, "json": topic,
"avro_records": [[key_hex, value_hex], ...], "json_records": [[key_json, value_json], ...]}]}.
Every Avro key and value is decoded by confluent_kafka's AvroDeserializer against the registry
(schemas fetched by id through SchemaRegistryClient), turned into what Connect's JsonConverter
(schemas.enable=false) writes for the same Connect value, and compared with the JSON record of
the same key: `before`, `after`, `op` and the key must be equal. Prints one summary line and
exits non-zero on the first difference.
"""

import base64
import datetime
import decimal
import json
import math
import struct
import sys
import time

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def named_types(schema, names, namespace=None):
    """Collects named records so that references by name can be followed."""
    if isinstance(schema, list):
        for s in schema:
            named_types(s, names, namespace)
    elif isinstance(schema, dict):
        t = schema.get("type")
        if t in ("record", "enum", "fixed"):
            ns = schema.get("namespace", namespace)
            full = schema["name"] if "." in schema["name"] or not ns else ns + "." + schema["name"]
            names[full] = schema
            names.setdefault(schema["name"], schema)
            for f in schema.get("fields", []):
                named_types(f["type"], names, ns)
        elif t == "array":
            named_types(schema["items"], names, namespace)
        elif t == "map":
            named_types(schema["values"], names, namespace)


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def number(x, single):
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return f32(x) if single else x
    return x


def unscaled_bytes(n):
    length = max(1, (n.bit_length() + 8) // 8)
    return n.to_bytes(length, "big", signed=True)


def normalize(schema, value, names):
    """An Avro value (as fastavro gives it) → the JsonConverter payload of its Connect value."""
    if isinstance(schema, str) and schema in names:
        schema = names[schema]
    if isinstance(schema, list):  # union: null and one type
        if value is None:
            return None
        branch = [s for s in schema if s != "null"]
        return normalize(branch[0], value, names)
    t = schema if isinstance(schema, str) else schema.get("type")
    logical = schema.get("logicalType") if isinstance(schema, dict) else None
    if value is None:
        return None
    if isinstance(t, (dict, list)):
        return normalize(t, value, names)
    if t == "record":
        if schema.get("name") == "MapEntry":
            return value
        return {f["name"]: normalize(f["type"], value.get(f["name"]), names) for f in schema["fields"]}
    if t == "array":
        items = schema["items"]
        if isinstance(items, str) and items in names:
            items = names[items]
        if isinstance(items, dict) and items.get("type") == "record" and items.get("name") == "MapEntry":
            fields = {f["name"]: f["type"] for f in items["fields"]}
            return [[normalize(fields["key"], e["key"], names), normalize(fields["value"], e["value"], names)]
                    for e in value]
        return [normalize(items, v, names) for v in value]
    if t == "map":
        return {k: normalize(schema["values"], v, names) for k, v in value.items()}
    if t == "bytes":
        if logical == "decimal":
            scale = schema.get("scale", 0)
            assert isinstance(value, decimal.Decimal), value
            with decimal.localcontext() as ctx:
                ctx.prec = 1000  # the default 28 digits would round numeric(40, 5)
                unscaled = int(value.scaleb(scale))
            return base64.b64encode(unscaled_bytes(unscaled)).decode()
        return base64.b64encode(value).decode()
    if t == "int" and logical == "date":
        return (value - datetime.date(1970, 1, 1)).days
    if t == "int" and logical == "time-millis":
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000
    if t == "long" and logical == "timestamp-millis":
        return (value - EPOCH) // datetime.timedelta(milliseconds=1)
    if t in ("float", "double"):
        return number(value, t == "float")
    return value


def json_side(schema, value, names):
    """The JSON record's floats are made comparable the same way (float32 precision)."""
    if isinstance(schema, str) and schema in names:
        schema = names[schema]
    if value is None:
        return None
    if isinstance(schema, list):
        return json_side([s for s in schema if s != "null"][0], value, names)
    t = schema if isinstance(schema, str) else schema.get("type")
    if isinstance(t, (dict, list)):
        return json_side(t, value, names)
    if t == "record" and schema.get("name") != "MapEntry":
        return {f["name"]: json_side(f["type"], value.get(f["name"]), names) for f in schema["fields"]}
    if t == "array":
        items = schema["items"]
        if isinstance(items, str) and items in names:
            items = names[items]
        if isinstance(items, dict) and items.get("name") == "MapEntry":
            fields = {f["name"]: f["type"] for f in items["fields"]}
            return [[json_side(fields["key"], k, names), json_side(fields["value"], v, names)] for k, v in value]
        return [json_side(items, v, names) for v in value]
    if t == "map":
        return {k: json_side(schema["values"], v, names) for k, v in value.items()}
    if t in ("float", "double") and isinstance(value, (int, float)):
        return number(float(value), t == "float")
    return value


def consume(bootstrap, topic, expected):
    """Every record of `topic` as (key bytes, value bytes), read with Confluent's consumer:
    partitions assigned from the beginning (no group join), until `expected` records arrived."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "tributary-avro-test",
        "enable.auto.commit": False,
        "fetch.wait.max.ms": 100,
    })
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(partitions)])
        records = []
        deadline = time.time() + 90
        while len(records) < expected and time.time() < deadline:
            m = consumer.poll(0.5)
            if m is None:
                continue
            if m.error():
                sys.exit(f"{topic}: consumer error {m.error()}")
            records.append((m.key(), m.value()))
        if len(records) < expected:
            sys.exit(f"{topic}: read {len(records)} of {expected} records from the broker")
        return records
    finally:
        consumer.close()


def from_broker(bootstrap, pair):
    """Fills in a manifest pair's records from the broker: Avro as hex, JSON parsed."""
    avro = consume(bootstrap, pair["avro"], pair["expected"])
    plain = consume(bootstrap, pair["json"], pair["expected"])
    pair["avro_records"] = [[k.hex(), v.hex()] for k, v in avro]
    pair["json_records"] = [[json.loads(k), json.loads(v)] for k, v in plain]
    return pair


def main():
    url, manifest_path = sys.argv[1], sys.argv[2]
    manifest = json.load(open(manifest_path))
    client = SchemaRegistryClient({"url": url})
    deserializer = AvroDeserializer(client)
    decoded = 0
    schema_ids = set()
    bootstrap = manifest.get("bootstrap")
    for pair in manifest["pairs"]:
        if bootstrap:
            pair = from_broker(bootstrap, pair)
        json_by_key = {}
        for key, value in pair["json_records"]:
            json_by_key[json.dumps(key, sort_keys=True)] = value
        for key_hex, value_hex in pair["avro_records"]:
            key_bytes = bytes.fromhex(key_hex)
            value_bytes = bytes.fromhex(value_hex)
            key_ctx = SerializationContext(pair["avro"], MessageField.KEY)
            value_ctx = SerializationContext(pair["avro"], MessageField.VALUE)
            key = deserializer(key_bytes, key_ctx)
            value = deserializer(value_bytes, value_ctx)
            value_id = int.from_bytes(value_bytes[1:5], "big")
            schema_ids.add(value_id)
            writer = json.loads(client.get_schema(value_id).schema_str)
            names = {}
            named_types(writer, names)
            key_id = int.from_bytes(key_bytes[1:5], "big")
            key_schema = json.loads(client.get_schema(key_id).schema_str)
            key_names = {}
            named_types(key_schema, key_names)
            key_norm = normalize(key_schema, key, key_names)
            want = json_by_key.get(json.dumps(key_norm, sort_keys=True))
            if want is None:
                sys.exit(f"{pair['avro']}: no JSON record with key {key_norm}; JSON keys: {list(json_by_key)}")
            got = normalize(writer, value, names)
            for field in ("before", "after", "op"):
                field_schema = next(f["type"] for f in writer["fields"] if f["name"] == field)
                expected = json_side(field_schema, want.get(field), names)
                if got.get(field) != expected:
                    sys.exit(f"{pair['avro']} key {key_norm} field {field}:\n  avro: {got.get(field)!r}\n  json: {expected!r}")
            decoded += 1
    print(f"decoded {decoded} events with {len(schema_ids)} value schemas: all equal to the JsonConverter's")


if __name__ == "__main__":
    main()
