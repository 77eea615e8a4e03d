"""Reads a tgscope Parquet file with pyarrow and with DuckDB and checks it against the JSON Lines
export of the same command: the same columns in the same order, the documented types, and the
same rows and values, field by field (nulls, nested structs, lists and maps included).

Usage: python read_with_pyarrow_duckdb.py RECORDS.jsonl RECORDS.parquet

Any of tgscope's Parquet lists can be checked: posts and search hits (whose documented types are
checked one by one), and channels, captures, copy clusters, entities and a network's nodes and
edges (whose top-level types are checked against the JSON values: integers INT64, floats
DOUBLE or FLOAT, texts STRING, booleans BOOLEAN).

Prints one JSON object (what each reader saw) and exits 0 when everything matches; on the
first difference it prints where (reader, record, field path) and exits 1. The command line's
tests run it (crates/cli/tests/cli/parquet.rs) with the Python that TGSCOPE_PARQUET_PYTHON
names; .ci/run makes one with pyarrow and duckdb from PyPI in a virtual environment.
"""

import json
import struct
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def as_f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def same(where, expected, got):
    """Compares a JSON Lines value with what a reader gave, after `normalize`."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            fail(f"{where}: JSON Lines has an object, the reader {got!r}")
        if list(expected) != list(got):
            fail(f"{where}: keys {list(expected)} in JSON Lines, {list(got)} read")
        for key in expected:
            same(f"{where}.{key}", expected[key], got[key])
    elif isinstance(expected, list):
        if not isinstance(got, list) or len(expected) != len(got):
            fail(f"{where}: JSON Lines has {expected!r}, the reader {got!r}")
        for i, (e, g) in enumerate(zip(expected, got)):
            same(f"{where}[{i}]", e, g)
    elif isinstance(expected, float) or isinstance(got, float):
        if not isinstance(got, float) or as_f32(expected) != as_f32(got):
            fail(f"{where}: JSON Lines has {expected!r}, the reader {got!r}")
    elif type(expected) is not type(got) or expected != got:
        fail(f"{where}: JSON Lines has {expected!r}, the reader {got!r}")


def normalize_arrow(value, arrow_type):
    """pyarrow gives maps as lists of (key, value) tuples: turn them into dicts."""
    if value is None:
        return None
    if pa.types.is_map(arrow_type):
        return {k: normalize_arrow(v, arrow_type.item_type) for k, v in value}
    if pa.types.is_struct(arrow_type):
        return {
            arrow_type.field(i).name: normalize_arrow(
                value[arrow_type.field(i).name], arrow_type.field(i).type
            )
            for i in range(arrow_type.num_fields)
        }
    if pa.types.is_list(arrow_type):
        return [normalize_arrow(v, arrow_type.value_type) for v in value]
    return value


def normalize_duckdb(value):
    """DuckDB gives maps as dicts already, and `{'key': [...], 'value': [...]}` in old versions;
    its structs are dicts in column order."""
    if isinstance(value, dict):
        if set(value) == {"key", "value"} and isinstance(value["key"], list):
            return {k: normalize_duckdb(v) for k, v in zip(value["key"], value["value"])}
        return {k: normalize_duckdb(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize_duckdb(v) for v in value]
    return value


# The documented Arrow types of the leaves and lists (docs/export.md, "Parquet").
STRING = pa.string()
INT64 = pa.int64()
BOOL = pa.bool_()


def check_leaf_types(schema, records):
    """Every top-level column has the Arrow type of its JSON values."""
    for field in schema:
        values = [r[field.name] for r in records if r[field.name] is not None]
        if not values:
            continue
        value = values[0]
        if isinstance(value, bool):
            wanted = [BOOL]
        elif isinstance(value, int) and all(isinstance(v, int) for v in values):
            wanted = [INT64]
        elif isinstance(value, (int, float)):
            wanted = [pa.float64(), pa.float32()]
        elif isinstance(value, str):
            wanted = [STRING]
        elif isinstance(value, list):
            if not pa.types.is_list(field.type):
                fail(f"pyarrow: {field.name} is {field.type}, JSON has a list")
            continue
        else:
            if not (pa.types.is_struct(field.type) or pa.types.is_map(field.type)):
                fail(f"pyarrow: {field.name} is {field.type}, JSON has an object")
            continue
        if field.type not in wanted:
            fail(f"pyarrow: {field.name} is {field.type}, JSON has {value!r}")


def check_arrow_types(schema):
    def expect(path, arrow_type, wanted):
        if arrow_type != wanted:
            fail(f"pyarrow: {path} is {arrow_type}, documented {wanted}")

    fields = {f.name: f for f in schema}
    if "raw_text" not in fields:
        return  # not a post: check_leaf_types covers it
    expect("id", fields["id"].type, INT64)
    expect("text", fields["text"].type, STRING)
    expect("date", fields["date"].type, STRING)
    expect("unviewable", fields["unviewable"].type, BOOL)
    expect("hashtags", fields["hashtags"].type.value_type, STRING)
    if not pa.types.is_struct(fields["forwarded_from"].type):
        fail(f"pyarrow: forwarded_from is {fields['forwarded_from'].type}")
    media = fields["media"].type.value_type
    if not pa.types.is_map(media.field("attrs").type):
        fail(f"pyarrow: media.attrs is {media.field('attrs').type}")
    spans = fields["named_entities"].type.value_type.field("spans").type
    expect("named_entities.spans", spans.value_type.value_type, INT64)
    for name in ["id", "channel", "text", "raw_text", "unviewable", "version", "versions",
                 "hashtags", "links", "media", "captures", "reactions", "entities"]:
        if fields[name].nullable:
            fail(f"pyarrow: {name} is nullable; JSON Lines never has it null")
    for name in ["channel_title", "message_id", "date", "date_inferred", "forwarded_from",
                 "views", "edited", "sender", "reply_to", "cluster", "copy_of"]:
        if not fields[name].nullable:
            fail(f"pyarrow: {name} is not nullable; JSON Lines may have it null")
    if "score" in fields:
        expect("score", fields["score"].type, pa.float32())
        expect("snippet", fields["snippet"].type, STRING)
        expect("highlights", fields["highlights"].type.value_type.value_type, INT64)


def main():
    jsonl_path, parquet_path = sys.argv[1], sys.argv[2]
    with open(jsonl_path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    if not records:
        fail("the JSON Lines file is empty: nothing to compare")
    keys = list(records[0])

    # pyarrow
    table = pq.read_table(parquet_path)
    if table.column_names != keys:
        fail(f"pyarrow: columns {table.column_names}, JSON Lines fields {keys}")
    check_arrow_types(table.schema)
    check_leaf_types(table.schema, records)
    rows = table.to_pylist()
    if len(rows) != len(records):
        fail(f"pyarrow: {len(rows)} rows, {len(records)} JSON Lines records")
    for i, (record, row) in enumerate(zip(records, rows)):
        row = {f.name: normalize_arrow(row[f.name], f.type) for f in table.schema}
        same(f"pyarrow: record {i}", record, row)
    metadata = pq.read_metadata(parquet_path)
    codecs = sorted(
        {
            metadata.row_group(g).column(c).compression
            for g in range(metadata.num_row_groups)
            for c in range(metadata.num_columns)
        }
    )

    # DuckDB
    con = duckdb.connect()
    relation = con.sql("SELECT * FROM read_parquet(?)", params=[parquet_path])
    if relation.columns != keys:
        fail(f"duckdb: columns {relation.columns}, JSON Lines fields {keys}")
    types = dict(zip(relation.columns, (str(t) for t in relation.types)))
    post = "raw_text" in types
    for name, wanted in [] if not post else [("id", "BIGINT"), ("text", "VARCHAR"), ("hashtags", "VARCHAR[]"),
                         ("unviewable", "BOOLEAN"), ("named_entities", None)]:
        if wanted is not None and types[name] != wanted:
            fail(f"duckdb: {name} is {types[name]}, documented {wanted}")
    if post and "MAP(VARCHAR, VARCHAR)" not in types["media"]:
        fail(f"duckdb: media is {types['media']}: attrs should be MAP(VARCHAR, VARCHAR)")
    if post and "BIGINT[][]" not in types["named_entities"]:
        fail(f"duckdb: named_entities is {types['named_entities']}: spans should be BIGINT[][]")
    duck_rows = relation.fetchall()
    if len(duck_rows) != len(records):
        fail(f"duckdb: {len(duck_rows)} rows, {len(records)} JSON Lines records")
    for i, (record, row) in enumerate(zip(records, duck_rows)):
        row = {k: normalize_duckdb(v) for k, v in zip(relation.columns, row)}
        same(f"duckdb: record {i}", record, row)
    # A query over the nested columns, as a user would write it.
    hashtags = None
    if post:
        hashtags = con.execute(
            "SELECT count(*) FROM (SELECT unnest(hashtags) FROM read_parquet(?))",
            [parquet_path],
        ).fetchall()[0][0]
        if hashtags != sum(len(r["hashtags"]) for r in records):
            fail(f"duckdb: {hashtags} hashtags unnested")

    print(json.dumps({
        "rows": len(records),
        "columns": len(keys),
        "row_groups": metadata.num_row_groups,
        "codecs": codecs,
        "pyarrow": pa.__version__,
        "duckdb": duckdb.__version__,
        "hashtags": hashtags,
    }))


if __name__ == "__main__":
    main()
