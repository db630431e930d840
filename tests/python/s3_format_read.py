"""Reads an object the S3 sink's AvroFormat or ParquetFormat wrote, with readers we did not
write (fastavro for .avro, pyarrow for .parquet), and prints what they read as JSON, each value
tagged with the type the reader gives it, so that a test compares values and types at once.

Usage: s3_format_read.py <file>

Prints {"schema": ..., "rows": [...], "metadata": {...}}:
* Avro: "schema" is the writer schema fastavro parsed (as in the file's header), "codec" the
  header's avro.codec; a value is {"<avro type>": v} (`int`, `long`, `decimal(10,2)`, `date`,
  `timestamp-millis`, ...), a record {"record <name>": {field: value}}, an array
  {"array": [...]}, a map {"map": [[key, value], ...]}.
* Parquet: "schema" is pyarrow's Arrow schema as text, "metadata" the footer's key-value
  metadata and created_by, "codecs" each column chunk's compression; a value is
  {"<arrow type>": v} (`int32`, `decimal128(10, 2)`, `timestamp[ms, tz=UTC]`, ...), a struct
  {"struct": {...}}, a list {"list": [...]}, a map {"map": [[key, value], ...]}.
Floats are written with repr() (NaN, inf and -0.0 kept), bytes as hex, decimals, dates, times
and timestamps as their str().
"""

import json
import math
import sys


def scalar(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        return repr(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, (int, str)):
        return v
    return str(v)


def avro_names(schema, names, namespace=None):
    """Every named type (record, enum, fixed) of a schema, by its name and its full name, so that
    a later reference resolves even when the branch that defined it held a null."""
    if isinstance(schema, list):
        for s in schema:
            avro_names(s, names, namespace)
    elif isinstance(schema, dict):
        t = schema.get("type")
        if t in ("record", "enum", "fixed"):
            name = schema["name"]
            namespace = schema.get("namespace", namespace)
            full = name if "." in name or not namespace else namespace + "." + name
            names[name] = schema
            names[full] = schema
            for f in schema.get("fields", []):
                avro_names(f["type"], names, namespace)
        elif t == "array":
            avro_names(schema["items"], names, namespace)
        elif t == "map":
            avro_names(schema["values"], names, namespace)
    return names


def avro_value(schema, v, names):
    if isinstance(schema, list):
        if v is None:
            return None
        branches = [s for s in schema if s != "null"]
        return avro_value(branches[0], v, names)
    if isinstance(schema, str):
        if schema in names:
            return avro_value(names[schema], v, names)
        return {schema: scalar(v)}
    t = schema["type"]
    if t == "record":
        names[schema["name"]] = schema
        return {
            "record " + schema["name"]: {
                f["name"]: avro_value(f["type"], v[f["name"]], names) for f in schema["fields"]
            }
        }
    if t == "array":
        return {"array": [avro_value(schema["items"], i, names) for i in v]}
    if t == "map":
        return {"map": [[k, avro_value(schema["values"], x, names)] for k, x in v.items()]}
    logical = schema.get("logicalType")
    if logical == "decimal":
        return {"decimal(%d,%d)" % (schema["precision"], schema.get("scale", 0)): scalar(v)}
    if logical:
        return {logical: scalar(v)}
    return avro_value(t, v, names)


def read_avro(path):
    import fastavro

    with open(path, "rb") as f:
        reader = fastavro.reader(f)
        schema = reader.writer_schema
        codec = reader.codec
        names = avro_names(schema, {})
        rows = [avro_value(schema, r, names) for r in reader]
    return {"schema": schema, "codec": codec, "rows": rows}


def arrow_value(t, v):
    import pyarrow as pa

    if v is None:
        return None
    if pa.types.is_struct(t):
        return {"struct": {t.field(i).name: arrow_value(t.field(i).type, v[t.field(i).name])
                           for i in range(t.num_fields)}}
    if pa.types.is_map(t):
        return {"map": [[arrow_value(t.key_type, k), arrow_value(t.item_type, x)] for k, x in v]}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return {"list": [arrow_value(t.value_type, i) for i in v]}
    return {str(t): scalar(v)}


def read_parquet(path):
    import pyarrow.parquet as pq

    f = pq.ParquetFile(path)
    table = f.read()
    md = f.metadata
    kv = {k.decode(): v.decode() for k, v in (md.metadata or {}).items()}
    codecs = sorted({md.row_group(g).column(c).compression
                     for g in range(md.num_row_groups) for c in range(md.num_columns)})
    rows = []
    for r in table.to_pylist():
        rows.append({field.name: arrow_value(field.type, r[field.name]) for field in table.schema})
    return {
        "schema": str(table.schema.remove_metadata()),
        "parquet_schema": str(f.schema),
        "metadata": kv,
        "created_by": md.created_by,
        "row_groups": md.num_row_groups,
        "codecs": codecs,
        "rows": rows,
    }


def main():
    path = sys.argv[1]
    out = read_avro(path) if path.endswith(".avro") else read_parquet(path)
    json.dump(out, sys.stdout, ensure_ascii=False, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
