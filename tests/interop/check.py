"""Interop checks: custlake's output read the way data teams read it.

Usage: check.py OUT INC_OUT SCHEMA_JSON TRUTH_DIR INC_TRUTH_DIR

OUT is a full export (TRUTH_DIR: what the simulator served it); INC_OUT an incremental output:
a full first run, then U8 customers changed at the source and a second run that upserted them
(INC_TRUTH_DIR: the simulator's state after it).

* Every reader's everyday one-liner opens every dataset folder and gives the catalog's
  (`_current.json`) row count per (source, tenant):
  DuckDB `read_parquet('<dir>/**/*.parquet', hive_partitioning = true)`, Spark
  `spark.read.parquet(dir)`, pandas `pd.read_parquet(dir)`, pyarrow `pq.read_table(dir)`,
  `ds.dataset(dir)` and `ds.dataset(dir, partitioning="hive")`, Polars `pl.read_parquet(dir)`,
  `pl.scan_parquet(dir)`, `pl.scan_parquet(dir + "/", hive_partitioning=True)` and
  `pl.scan_parquet('<dir>/**/*.parquet')`. Where a reader takes `source` and `tenant` from the
  folder names they must be string columns; the two calls that do not look at folder names
  (`ds.dataset(dir)` without partitioning, a Polars glob) have no such columns, as with any
  Spark or Delta table, and are counted per file path.
* Every file's schema equals `custlake schema --format json` (names, order, types, nullability,
  column descriptions in field metadata), without the partition columns.
* DuckDB: contacts joined to customers on (source, tenant, customer_id) give exactly the
  simulator's contact -> customer relationships.
* The incremental output is a table like any other: no `_deltas/` folder, and DuckDB's and
  Polars' one-liners over `<out>/customers` give one row per key, equal to the simulator's
  current customers, the changed ones as the second run fetched them.
* Polars: the raw JSON of every record equals what the simulator served, byte for byte, and
  mapped text (Chinese, emoji, long strings) round-trips exactly.
* History (the incremental output keeps it): every one-liner reads `customers_history` and
  `contacts_history` like any dataset, their files match `custlake schema`, and the README's SCD2
  view — in DuckDB and in Polars — gives as current exactly the keys and row hashes the
  `customers` dataset holds, with the second run's updates recorded as `update`.
"""

import glob
import json
import os
import sys
import time

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

OUT, INC_OUT, SCHEMA_JSON, TRUTH_DIR, INC_TRUTH_DIR = sys.argv[1:6]
# Customers of u8_demo_a run.sh changes at the source between the incremental runs.
CHANGED = 60
DATASETS = ["customers", "contacts", "rejects", "customer_links"]
# The change logs the incremental output keeps (`[output] history = true`).
HISTORY = ["customers_history", "contacts_history"]
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
    "double": pa.float64(),
    "dictionary<values=string, indices=int32, ordered=0>": pa.dictionary(pa.int32(), pa.string()),
}


def files(folder):
    return sorted(glob.glob(os.path.join(folder, "**", "*.parquet"), recursive=True))


def partition_of(path):
    """(source, tenant) of a file, from its folder names."""
    parts = dict(p.split("=", 1) for p in path.split(os.sep) if "=" in p)
    return parts["source"], parts["tenant"]


def check_file_schemas(schema, folder, dataset):
    expected = [c for c in schema["datasets"][dataset] if c.get("stored_in", "file") == "file"]
    paths = files(folder)
    if not paths:
        fail(f"{folder}: no files")
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
        meta = pq.read_metadata(path).metadata or {}
        if meta.get(b"custlake.schema_version", b"").decode() != str(schema["schema_version"]):
            fail(f"{path}: schema version {meta.get(b'custlake.schema_version')!r}")
    return len(paths)


def current_counts(out):
    """Rows per (dataset, source, tenant) as the catalog `_current.json` records them."""
    with open(os.path.join(out, "_current.json"), encoding="utf-8") as f:
        catalog = json.load(f)
    counts = {}
    for partition in catalog["partitions"]:
        if partition.get("deltas"):
            fail(f"{out}: {partition['dataset']}/{partition['tenant']} still lists increments")
        key = (partition["dataset"], partition["source"], partition["tenant"])
        counts[key] = partition["rows"]
    return counts


# --- the readers: each returns ({(source, tenant): rows}, {column: type name}) ---------------


def by_columns(pairs):
    counts = {}
    for source, tenant in pairs:
        counts[(source, tenant)] = counts.get((source, tenant), 0) + 1
    return counts


def arrow_types(schema):
    return {name: str(schema.field(name).type) for name in ("source", "tenant") if name in schema.names}


def arrow_counts(table):
    grouped = table.group_by(["source", "tenant"]).aggregate([([], "count_all")])
    return {(str(s), str(t)): n for s, t, n in zip(*[grouped.column(i).to_pylist() for i in range(3)])}


def read_duckdb(folder):
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{folder}/**/*.parquet', hive_partitioning = true)")
    types = {n: str(t) for n, t in zip(rel.columns, rel.types) if n in ("source", "tenant")}
    rows = duckdb.sql(
        f"SELECT source, tenant, count(*) FROM read_parquet('{folder}/**/*.parquet', "
        "hive_partitioning = true) GROUP BY ALL"
    ).fetchall()
    return {(s, t): n for s, t, n in rows}, types


def read_pandas(folder):
    frame = pd.read_parquet(folder)
    types = {name: str(frame[name].dtype) for name in ("source", "tenant") if name in frame}
    if "source" in frame and "tenant" in frame:
        for name in ("source", "tenant"):
            if not all(isinstance(v, str) for v in frame[name].unique()):
                fail(f"pandas {folder}: {name} values are not strings")
        counts = frame.groupby(["source", "tenant"], observed=True).size().to_dict()
        return {(str(s), str(t)): int(n) for (s, t), n in counts.items()}, types
    return {}, types


def read_pq_table(folder):
    table = pq.read_table(folder)
    return arrow_counts(table), arrow_types(table.schema)


def read_ds_hive(folder):
    table = ds.dataset(folder, partitioning="hive").to_table()
    return arrow_counts(table), arrow_types(table.schema)


def read_ds_plain(folder):
    dataset = ds.dataset(folder)
    counts = {}
    for fragment in dataset.get_fragments():
        key = partition_of(fragment.path)
        counts[key] = counts.get(key, 0) + fragment.count_rows()
    if dataset.to_table().num_rows != sum(counts.values()):
        fail(f"ds.dataset({folder}): table rows differ from its fragments'")
    return counts, arrow_types(dataset.schema)


def polars_counts(frame):
    rows = frame.group_by(["source", "tenant"]).len().iter_rows()
    return {(str(s), str(t)): n for s, t, n in rows}


def polars_types(frame):
    return {name: str(frame.schema[name]) for name in ("source", "tenant") if name in frame.schema}


def read_polars_read(folder):
    frame = pl.read_parquet(folder)
    return polars_counts(frame), polars_types(frame)


def read_polars_scan_dir(folder):
    frame = pl.scan_parquet(folder).collect()
    return polars_counts(frame), polars_types(frame)


def read_polars_scan_hive(folder):
    frame = pl.scan_parquet(folder + "/", hive_partitioning=True).collect()
    return polars_counts(frame), polars_types(frame)


def read_polars_glob(folder):
    frame = pl.scan_parquet(f"{folder}/**/*.parquet").collect()
    # No partition columns from a glob: count by the file each row came from.
    paths = pl.scan_parquet(f"{folder}/**/*.parquet", include_file_paths="path").select("path").collect()
    counts = {}
    for (path,) in paths.iter_rows():
        key = partition_of(path)
        counts[key] = counts.get(key, 0) + 1
    if frame.height != sum(counts.values()):
        fail(f"polars glob {folder}: {frame.height} rows, {sum(counts.values())} by path")
    return counts, polars_types(frame)


def spark_session():
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[1]")
        .appName("custlake-interop")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


SPARK = None


def read_spark(folder):
    frame = SPARK.read.parquet(folder)
    types = {f.name: f.dataType.simpleString() for f in frame.schema.fields if f.name in ("source", "tenant")}
    rows = frame.groupBy("source", "tenant").count().collect()
    return {(r["source"], r["tenant"]): r["count"] for r in rows}, types


READERS = [
    ("duckdb read_parquet(hive_partitioning)", read_duckdb, True),
    ("spark.read.parquet", read_spark, True),
    ("pandas read_parquet", read_pandas, True),
    ("pyarrow pq.read_table", read_pq_table, True),
    ("pyarrow ds.dataset(hive)", read_ds_hive, True),
    ("pyarrow ds.dataset", read_ds_plain, False),
    ("polars read_parquet", read_polars_read, True),
    ("polars scan_parquet(dir)", read_polars_scan_dir, True),
    ("polars scan_parquet(dir/, hive)", read_polars_scan_hive, True),
    ("polars scan_parquet(glob)", read_polars_glob, False),
]

# Type names each reader may give a partition column: strings (pyarrow and pandas infer a
# dictionary / categorical of strings, which is still a string column).
STRING_TYPES = {
    "VARCHAR", "string", "str", "object", "String",
    "dictionary<values=string, indices=int32, ordered=0>", "category", "Categorical",
}


def check_readers(out, folders):
    counts = current_counts(out)
    for folder in folders:
        want = {(s, t): n for (f, s, t), n in counts.items() if f == folder and n > 0}
        path = os.path.join(out, folder)
        for name, reader, has_columns in READERS:
            started = time.monotonic()
            try:
                got, types = reader(path)
            except Exception as error:  # noqa: BLE001 - any failure to read is the finding
                fail(f"{name} {folder}: {type(error).__name__}: {str(error)[:300]}")
                continue
            got = {k: v for k, v in got.items() if v > 0}
            if got != want:
                fail(f"{name} {folder}: counts {got} != catalog {want}")
            if has_columns:
                if set(types) != {"source", "tenant"}:
                    fail(f"{name} {folder}: no source/tenant columns ({types})")
                bad = {k: v for k, v in types.items() if v not in STRING_TYPES}
                if bad:
                    fail(f"{name} {folder}: source/tenant are not strings: {bad}")
            elif types:
                fail(f"{name} {folder}: partition columns {types} inside the files")
            print(f"{name}: {folder}: {sum(got.values())} rows in {len(got)} partitions, "
                  f"{types or 'no partition columns'} ({time.monotonic() - started:.2f} s)")


# --- joins, the current state, raw text ---------------------------------------------------------


def contact_relationships(truth):
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
    return want


def check_duckdb_join(truth):
    joined = duckdb.sql(
        f"""
        SELECT c.source, c.tenant, c.contact_id, k.customer_id
        FROM read_parquet('{OUT}/contacts/**/*.parquet', hive_partitioning = true) c
        JOIN read_parquet('{OUT}/customers/**/*.parquet', hive_partitioning = true) k
          USING (source, tenant, customer_id)
        """
    ).fetchall()
    got = set(joined)
    want = contact_relationships(truth)
    if got != want:
        fail(f"duckdb join: {len(got)} pairs, simulator relationships {len(want)}; "
             f"e.g. missing {sorted(want - got)[:3]} extra {sorted(got - want)[:3]}")
    else:
        print(f"duckdb: contacts -> customers join matches the simulator's {len(want)} relationships")


def current_u8_names(truth, tenants):
    """(tenant, customer_id) -> name of the simulator's current U8 customers of `tenants`."""
    want = {}
    for (tenant, entity), records in truth.items():
        if entity == "u8_customers" and tenant in tenants:
            for key, record in records:
                name = record.get("name")
                want[(tenant, key)] = name.strip() if isinstance(name, str) and name.strip() else None
    return want


def compare_current_state(reader, rows, truth):
    keys = [(t, k) for t, k, _, _ in rows]
    if len(keys) != len(set(keys)):
        fail(f"{reader}: a key appears twice in the incremental output")
    got = {(t, k): n for t, k, n, _ in rows}
    want = current_u8_names(truth, {t for t, _ in keys})
    if set(got) != set(want):
        fail(f"{reader}: {len(got)} keys, simulator {len(want)}")
    wrong = [k for k in want if k in got and want[k] is not None and got[k] != want[k]]
    if wrong:
        fail(f"{reader}: {len(wrong)} names differ from the simulator's current ones, e.g. {wrong[:3]}")
    runs = {r for _, _, _, r in rows}
    if len(runs) < 2:
        fail(f"{reader}: the incremental output holds rows of {len(runs)} run(s), not the upsert's")
    print(f"{reader}: the incremental output's one-liner gives {len(got)} U8 customers, one row "
          f"per key, equal to the simulator's current names, from {len(runs)} runs")


def check_current_state(truth):
    if os.path.exists(os.path.join(INC_OUT, "_deltas")):
        fail(f"{INC_OUT}: a _deltas folder was written")
    rows = duckdb.sql(
        f"SELECT tenant, customer_id, name, run_id FROM read_parquet('{INC_OUT}/customers/**/*.parquet', "
        "hive_partitioning = true) WHERE source = 'yonyou_u8'"
    ).fetchall()
    compare_current_state("duckdb", rows, truth)
    frame = (
        pl.scan_parquet(INC_OUT + "/customers/", hive_partitioning=True)
        .filter(pl.col("source") == "yonyou_u8")
        .select("tenant", "customer_id", "name", "run_id")
        .collect()
    )
    compare_current_state("polars", [tuple(r) for r in frame.iter_rows()], truth)


def check_polars_raw(truth):
    seen_kinds = {"cjk": 0, "emoji": 0, "long": 0}
    for dataset, source, entity in [
        ("customers", "yonyou_u8", "u8_customers"),
        ("contacts", "yonyou_u8", "u8_contacts"),
        ("customers", "yeastar_ycm", "ycm_customers"),
    ]:
        frame = (
            pl.scan_parquet(os.path.join(OUT, dataset))
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
                if raw != record["__json__"]:
                    fail(f"polars {dataset} {tenant} {key}: raw differs from what the simulator served")
                    continue
                seen_kinds["cjk"] += any("\u4e00" <= ch <= "\u9fff" for ch in raw)
                seen_kinds["emoji"] += any(ord(ch) > 0xFFFF for ch in raw)
                seen_kinds["long"] += len(raw) > 2000
        print(f"polars: {dataset} {source}: {len(got)} raw records byte-exact")
    names = (
        pl.scan_parquet(os.path.join(OUT, "customers"))
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


README_U8_WITH_YCM = """
SELECT u.tenant, u.customer_id, u.name, y.customer_id AS ycm_customer_id, y.name AS ycm_name,
       l.match_key, l.confidence
FROM read_parquet('<out>/customers/**/*.parquet', hive_partitioning = true) u
JOIN read_parquet('<out>/customer_links/**/*.parquet', hive_partitioning = true) l
  ON l.left_source = u.source AND l.left_tenant = u.tenant AND l.left_customer_id = u.customer_id
JOIN read_parquet('<out>/customers/**/*.parquet', hive_partitioning = true) y
  ON y.source = l.right_source AND y.tenant = l.right_tenant AND y.customer_id = l.right_customer_id
WHERE u.source = 'yonyou_u8' AND y.source = 'yeastar_ycm'
ORDER BY u.tenant, u.customer_id
"""

README_U8_MISSING_FROM_YCM = """
SELECT u.tenant, u.customer_id, u.name, u.phone, u.mobile
FROM read_parquet('<out>/customers/**/*.parquet', hive_partitioning = true) u
WHERE u.source = 'yonyou_u8'
  AND NOT EXISTS (
    SELECT 1 FROM read_parquet('<out>/customer_links/**/*.parquet', hive_partitioning = true) l
    WHERE l.left_source = 'yonyou_u8' AND l.left_tenant = u.tenant
      AND l.left_customer_id = u.customer_id
      AND l.right_source = 'yeastar_ycm' AND l.confidence = 1.0)
ORDER BY u.tenant, u.customer_id
"""


def check_links(out):
    """customer_links joins back to both sides, in DuckDB and in Polars; the README's queries run."""
    links = f"{out}/customer_links/**/*.parquet"
    customers = f"{out}/customers/**/*.parquet"
    total, orphans = duckdb.sql(
        f"""
        SELECT count(*), count(*) FILTER (WHERE l_ok.customer_id IS NULL OR r_ok.customer_id IS NULL)
        FROM read_parquet('{links}', hive_partitioning = true) l
        LEFT JOIN read_parquet('{customers}', hive_partitioning = true) l_ok
          ON l_ok.source = l.left_source AND l_ok.tenant = l.left_tenant AND l_ok.customer_id = l.left_customer_id
        LEFT JOIN read_parquet('{customers}', hive_partitioning = true) r_ok
          ON r_ok.source = l.right_source AND r_ok.tenant = l.right_tenant AND r_ok.customer_id = l.right_customer_id
        """
    ).fetchall()[0]
    if total == 0:
        fail(f"{out}: customer_links is empty")
    if orphans:
        fail(f"duckdb {out}: {orphans} of {total} links name a customer that does not exist")
    partition_mismatch = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{links}', hive_partitioning = true) "
        "WHERE source <> left_source OR tenant <> left_tenant"
    ).fetchall()[0][0]
    if partition_mismatch:
        fail(f"duckdb {out}: {partition_mismatch} links sit in another partition than their left side")
    with_ycm = duckdb.sql(README_U8_WITH_YCM.replace("<out>", out)).fetchall()
    missing = duckdb.sql(README_U8_MISSING_FROM_YCM.replace("<out>", out)).fetchall()
    u8_total = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{customers}', hive_partitioning = true) WHERE source = 'yonyou_u8'"
    ).fetchall()[0][0]
    if not with_ycm or not missing or len(missing) >= u8_total:
        fail(f"README link queries: {len(with_ycm)} U8-YCM pairs, {len(missing)} of {u8_total} U8 customers missing")
    print(f"duckdb: {out}: {total} links join back to both sides; README queries: {len(with_ycm)} "
          f"U8 customers' YCM entries, {len(missing)} of {u8_total} U8 customers missing from YCM")

    frame = pl.scan_parquet(os.path.join(out, "customer_links"))
    people = pl.scan_parquet(os.path.join(out, "customers")).select(["source", "tenant", "customer_id", "name"])
    joined = (
        frame.join(people, left_on=["left_source", "left_tenant", "left_customer_id"],
                   right_on=["source", "tenant", "customer_id"], how="inner", suffix="_left")
        .join(people, left_on=["right_source", "right_tenant", "right_customer_id"],
              right_on=["source", "tenant", "customer_id"], how="inner", suffix="_right")
        .select(pl.len())
        .collect()
        .item()
    )
    if joined != total:
        fail(f"polars {out}: {joined} of {total} links join back to both sides")
    else:
        print(f"polars: {out}: {joined} links join back to both sides")


def load_truth(folder):
    truth = {}
    for path in glob.glob(os.path.join(folder, "*.jsonl")):
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


SCD2_DUCKDB = """
    CREATE OR REPLACE VIEW customers_history AS
      SELECT * FROM read_parquet('{out}/customers_history/**/*.parquet', hive_partitioning = true);
    CREATE OR REPLACE VIEW customers_scd2 AS
    SELECT *,
           changed_at AS valid_from,
           lead(changed_at) OVER (PARTITION BY source, tenant, customer_id ORDER BY changed_at) AS valid_to,
           change = 'delete' AS is_deleted
    FROM customers_history;
"""


def check_history(out, truth_changed):
    """The README's SCD2 view of `out`'s history: current = the customers dataset."""
    con = duckdb.connect()
    con.execute(SCD2_DUCKDB.format(out=out))
    current = set(con.execute(
        "SELECT source, tenant, customer_id, row_hash FROM customers_scd2 "
        "WHERE valid_to IS NULL AND NOT is_deleted").fetchall())
    dataset = set(con.execute(
        f"SELECT source, tenant, customer_id, row_hash FROM read_parquet('{out}/customers/**/*.parquet', "
        "hive_partitioning = true)").fetchall())
    if current != dataset:
        fail(f"duckdb SCD2: current view has {len(current)} rows, customers {len(dataset)}; "
             f"{len(current ^ dataset)} differ")
    updates = con.execute(
        "SELECT count(*) FROM customers_history WHERE change = 'update' AND tenant = 'u8_demo_a'"
    ).fetchone()[0]
    if updates != truth_changed:
        fail(f"duckdb SCD2: {updates} updates of u8_demo_a recorded, the simulator changed {truth_changed}")
    # The README's Polars expression.
    history = pl.scan_parquet(out + "/customers_history")
    key = ["source", "tenant", "customer_id"]
    scd2 = history.sort("changed_at").with_columns(
        valid_from=pl.col("changed_at"),
        valid_to=pl.col("changed_at").shift(-1).over(key),
        is_deleted=pl.col("change") == "delete",
    )
    polars_current = set(
        scd2.filter(pl.col("valid_to").is_null() & ~pl.col("is_deleted"))
        .select("source", "tenant", "customer_id", "row_hash")
        .collect()
        .iter_rows()
    )
    if polars_current != dataset:
        fail(f"polars SCD2: current view has {len(polars_current)} rows, customers {len(dataset)}")
    print(f"history: SCD2 current view = customers ({len(dataset)} rows) in DuckDB and Polars; "
          f"{updates} updates recorded")


def main():
    global SPARK
    with open(SCHEMA_JSON, encoding="utf-8") as f:
        schema = json.load(f)
    truth, inc_truth = load_truth(TRUTH_DIR), load_truth(INC_TRUTH_DIR)
    if not truth or not inc_truth:
        fail("no ground truth was loaded")
    for out, datasets in ((OUT, DATASETS), (INC_OUT, DATASETS + HISTORY)):
        for dataset in datasets:
            checked = check_file_schemas(schema, os.path.join(out, dataset), dataset)
            print(f"schema: {out}/{dataset}: {checked} files match `custlake schema`")
    started = time.monotonic()
    SPARK = spark_session()
    print(f"spark: session up in {time.monotonic() - started:.1f} s ({SPARK.version})")
    try:
        check_readers(OUT, DATASETS)
        check_readers(INC_OUT, DATASETS + HISTORY)
    finally:
        SPARK.stop()
    check_duckdb_join(truth)
    check_links(OUT)
    check_links(INC_OUT)
    check_current_state(inc_truth)
    check_history(INC_OUT, CHANGED)
    check_polars_raw(truth)
    if failures:
        print(f"{len(failures)} interop failures")
        sys.exit(1)
    print("interop: all checks passed")


main()
