"""Interop checks: custlake's output read the way data teams read it.

Usage: check.py OUT SCHEMA_JSON GROUND_TRUTH_DIR

* pyarrow reads every file of every dataset; each schema equals `custlake schema --format json`
  (names, order, types, nullability, column descriptions in field metadata), and the whole
  dataset reads with Hive partitioning.
* DuckDB `read_parquet(..., hive_partitioning = true)` returns the manifest's row counts per
  dataset, source and tenant; contacts joined to customers on (source, tenant, customer_id)
  give exactly the simulator's contact -> customer relationships.
* Polars scans the files lazily; the raw JSON of every record equals what the simulator served,
  byte for byte, and mapped text (Chinese, emoji, long strings) round-trips exactly.
"""

import glob
import json
import os
import sys

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

OUT, SCHEMA_JSON, TRUTH_DIR = sys.argv[1:4]
DATASETS = ["customers", "contacts", "rejects"]
KEY = {"customers": "customer_id", "contacts": "contact_id"}
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


# pyarrow type for each type name `custlake schema --format json` uses (pyarrow's own spelling).
TYPES = {
    "string": pa.string(),
    "bool": pa.bool_(),
    "int64": pa.int64(),
    "date32[day]": pa.date32(),
    "timestamp[us, tz=UTC]": pa.timestamp("us", tz="UTC"),
    "map<string, string>": pa.map_(pa.string(), pa.string()),
    "dictionary<values=string, indices=int32, ordered=0>": pa.dictionary(pa.int32(), pa.string()),
}


def files(dataset):
    return sorted(glob.glob(os.path.join(OUT, dataset, "**", "*.parquet"), recursive=True))


def check_pyarrow(schema):
    for dataset in DATASETS:
        expected = schema["datasets"][dataset]
        paths = files(dataset)
        if not paths:
            fail(f"{dataset}: no files")
        for path in paths:
            actual = pq.read_schema(path)
            names = [f.name for f in actual]
            if names != [c["name"] for c in expected]:
                fail(f"{path}: columns {names} != {[c['name'] for c in expected]}")
                continue
            for field, column in zip(actual, expected):
                want = TYPES.get(column["type"])
                if want is None:
                    fail(f"{dataset}.{field.name}: unknown type name {column['type']!r}")
                elif not field.type.equals(want):
                    fail(f"{dataset}.{field.name}: type {field.type} != {column['type']}")
                if field.nullable != column["nullable"]:
                    fail(f"{dataset}.{field.name}: nullable {field.nullable} != {column['nullable']}")
                description = (field.metadata or {}).get(b"description", b"").decode()
                if description != column["description"]:
                    fail(f"{dataset}.{field.name}: description {description!r} != {column['description']!r}")
            pq.read_table(path)  # every file reads completely
        # The whole dataset, Hive partitions included. source/tenant are dictionary columns in
        # the files, so the partition fields are inferred as dictionaries too.
        partitioning = ds.HivePartitioning.discover(infer_dictionary=True)
        table = ds.dataset(os.path.join(OUT, dataset), format="parquet", partitioning=partitioning).to_table()
        print(f"pyarrow: {dataset}: {table.num_rows} rows, schema checked in {len(paths)} files")


def manifest():
    paths = sorted(glob.glob(os.path.join(OUT, "_manifests", "*.json")))
    with open(paths[-1], encoding="utf-8") as f:
        return json.load(f)


def check_duckdb(truth):
    expected = {}
    for f in manifest()["files"]:
        key = (f["dataset"], f["source"], f["tenant"])
        expected[key] = expected.get(key, 0) + f["rows"]
    for dataset in DATASETS:
        rows = duckdb.sql(
            f"SELECT source, tenant, count(*) FROM read_parquet('{OUT}/{dataset}/**/*.parquet', "
            "hive_partitioning = true) GROUP BY ALL"
        ).fetchall()
        got = {(dataset, s, t): n for s, t, n in rows}
        want = {k: v for k, v in expected.items() if k[0] == dataset and v > 0}
        if got != want:
            fail(f"duckdb {dataset}: counts {got} != manifest {want}")
        else:
            print(f"duckdb: {dataset}: counts match the manifest {sorted(got.values())}")

    joined = duckdb.sql(
        f"""
        SELECT c.source, c.tenant, c.contact_id, k.customer_id
        FROM read_parquet('{OUT}/contacts/**/*.parquet', hive_partitioning = true) c
        JOIN read_parquet('{OUT}/customers/**/*.parquet', hive_partitioning = true) k
          ON c.source = k.source AND c.tenant = k.tenant AND c.customer_id = k.customer_id
        """
    ).fetchall()
    got = {(s, t, contact, customer) for s, t, contact, customer in joined}
    want = set()
    for (tenant, entity), records in truth.items():
        if entity == "u8_contacts":
            customers = {key for key, _ in truth.get((tenant, "u8_customers"), [])}
            for key, record in records:
                ccuscode = record.get("ccuscode")
                if isinstance(ccuscode, (str, int)) and str(ccuscode).strip() in customers:
                    want.add(("yonyou_u8", tenant, key, str(ccuscode).strip()))
        elif entity == "ycm_customers":
            for key, _ in records:
                want.add(("yeastar_ycm", tenant, key, key))
    if got != want:
        fail(f"duckdb join: {len(got)} pairs, simulator relationships {len(want)}; "
             f"e.g. missing {sorted(want - got)[:3]} extra {sorted(got - want)[:3]}")
    else:
        print(f"duckdb: contacts -> customers join matches the simulator's {len(want)} relationships")


def check_polars(truth):
    seen_kinds = {"cjk": 0, "emoji": 0, "long": 0}
    for dataset, source, entity in [
        ("customers", "yonyou_u8", "u8_customers"),
        ("contacts", "yonyou_u8", "u8_contacts"),
        ("customers", "yeastar_ycm", "ycm_customers"),
    ]:
        frame = (
            pl.scan_parquet(os.path.join(OUT, dataset, "**", "*.parquet"), hive_partitioning=True)
            .filter(pl.col("source") == source)
            .select(["tenant", KEY[dataset], "raw"])
            .collect()
        )
        got = {(t, k): raw for t, k, raw in frame.iter_rows()}
        for (tenant, ent), records in truth.items():
            if ent != entity:
                continue
            for key, record in records:
                raw = got.get((tenant, key))
                want = record["__json__"]
                if raw != want:
                    fail(f"polars {dataset} {tenant} {key}: raw differs from what the simulator served")
                    continue
                seen_kinds["cjk"] += any("\u4e00" <= ch <= "\u9fff" for ch in raw)
                seen_kinds["emoji"] += any(ord(ch) > 0xFFFF for ch in raw)
                seen_kinds["long"] += len(raw) > 2000
        print(f"polars: {dataset} {source}: {len(got)} raw records byte-exact")
    # Mapped text columns keep Chinese and emoji exactly (names are trimmed, nothing else).
    names = (
        pl.scan_parquet(os.path.join(OUT, "customers", "**", "*.parquet"), hive_partitioning=True)
        .filter(pl.col("source") == "yonyou_u8")
        .select(["tenant", "customer_id", "name"])
        .collect()
    )
    by_key = {(t, k): n for t, k, n in names.iter_rows()}
    checked = 0
    for (tenant, entity), records in truth.items():
        if entity != "u8_customers":
            continue
        for key, record in records:
            name = record.get("name")
            if isinstance(name, str) and name.strip() and by_key.get((tenant, key)) is not None:
                checked += 1
                if by_key[(tenant, key)] != name.strip():
                    fail(f"polars name of {tenant} {key}: {by_key[(tenant, key)]!r} != {name.strip()!r}")
    print(f"polars: {checked} mapped names equal the served text; coverage {seen_kinds}")
    for kind, count in seen_kinds.items():
        if count == 0:
            fail(f"no record with {kind} text was exercised; raise the simulator's unicode_edge_rate")


def load_truth():
    truth = {}
    for path in glob.glob(os.path.join(TRUTH_DIR, "*.jsonl")):
        tenant, entity = os.path.basename(path)[: -len(".jsonl")].split("__")
        records = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                item = json.loads(line)
                if item.get("key") is None:
                    continue
                record = json.loads(item["json"])
                if not isinstance(record, dict):
                    continue
                record["__json__"] = item["json"]
                records.append((item["key"].strip(), record))
        truth[(tenant, entity)] = records
    return truth


def main():
    with open(SCHEMA_JSON, encoding="utf-8") as f:
        schema = json.load(f)
    truth = load_truth()
    if not truth:
        fail("no ground truth was loaded")
    check_pyarrow(schema)
    check_duckdb(truth)
    check_polars(truth)
    if failures:
        print(f"{len(failures)} interop failures")
        sys.exit(1)
    print("interop: all checks passed")


main()
