"""Interop checks for Delta outputs: custlake's Delta tables read the way data teams read them.

Usage: check_delta.py OUT_FULL OUT_INC

OUT_FULL is a full export with `[output] format = "delta"`; OUT_INC a Delta output whose U8
sources ran incrementally (a first run, changes at the source, a second run that upserts).
For each output and table (customers, contacts, rejects, customer_links):

* The expected rows per (source, tenant) come from the run manifests: the newest manifest
  (`_manifests/<run_id>.json`, by file name, which sorts by time) whose `delta_commits` names
  that (table, source, tenant) gives its `rows`.
* Three offline readers open the table and must give exactly those rows per (source, tenant),
  with `source` and `tenant` as string columns, and one row per (source, tenant, key) for
  customers (customer_id) and contacts (contact_id):
  DuckDB's delta extension `delta_scan(path)`, installed from the `duckdb-extension-delta`
  wheel's own `.duckdb_extension` file (no download); Polars `pl.scan_delta(path)`; the
  `deltalake` package's `DeltaTable(path).to_pyarrow_table()`.
* The data files hold no `source`/`tenant` column (the partition values carry them).
* Every column of the table schema has a `comment` (its description), and the latest commit's
  info carries `custlake.run_id`, naming a run of this output.
* OUT_INC keeps history: `customers_history` and `contacts_history` are read the same way, and
  the README's SCD2 view over `delta_scan` gives as current exactly the customers table's keys
  and row hashes.
"""

import glob
import importlib.util
import json
import os
import sys
import tempfile
import time

import duckdb
import polars as pl
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable

OUTPUTS = sys.argv[1:3]
TABLES = ["customers", "contacts", "rejects", "customer_links"]
# The change logs an output keeps with `[output] history = true` (the incremental one here).
HISTORY = ["customers_history", "contacts_history"]
KEY = {"customers": "customer_id", "contacts": "contact_id"}
PARTITION_COLUMNS = ("source", "tenant")
# Type names each reader gives a string column.
STRING_TYPES = {"VARCHAR", "String", "string", "large_string", "string_view"}
OUTCOMES = {"committed", "unchanged", "already_applied", "skipped"}
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def manifests(out):
    """(run_id, manifest) of every run of `out`, oldest first."""
    paths = sorted(glob.glob(os.path.join(out, "_manifests", "*.json")))
    runs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            runs.append((os.path.basename(path)[: -len(".json")], json.load(f)))
    return runs


def tables_of(out):
    """The tables `out` must hold: the datasets, and the change logs when it keeps history."""
    return TABLES + (HISTORY if out == OUTPUTS[1] else [])


def expected_rows(out, runs):
    """{table: {(source, tenant): rows}} from the newest manifest naming each partition."""
    expected = {table: {} for table in tables_of(out)}
    for run_id, manifest in runs:
        commits = manifest.get("delta_commits") or []
        if not commits:
            fail(f"{out}: manifest {run_id} has no delta_commits")
        for commit in commits:
            missing = [k for k in ("table", "source", "tenant", "outcome", "rows") if k not in commit]
            if missing:
                fail(f"{out}: manifest {run_id}: delta_commits entry {commit} lacks {missing}")
                continue
            if commit["outcome"] not in OUTCOMES:
                fail(f"{out}: manifest {run_id}: unknown outcome {commit['outcome']!r} in {commit}")
            if commit["table"] in expected:
                expected[commit["table"]][(commit["source"], commit["tenant"])] = commit["rows"]
    for table in tables_of(out):
        if not expected[table]:
            fail(f"{out}: no manifest names a partition of {table}")
    return {table: {k: n for k, n in parts.items() if n > 0} for table, parts in expected.items()}


def outcome_summary(runs):
    lines = []
    for run_id, manifest in runs:
        counts = {}
        for commit in manifest.get("delta_commits") or []:
            counts[commit.get("outcome")] = counts.get(commit.get("outcome"), 0) + 1
        lines.append(f"  run {run_id}: " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())))
    return "\n".join(lines)


# --- the readers: each returns ({(source, tenant): rows}, {column: type name}, duplicate keys) ---


def delta_extension_file():
    """The `.duckdb_extension` file inside the installed duckdb-extension-delta wheel."""
    spec = importlib.util.find_spec("duckdb_extension_delta")
    if spec is None:
        sys.exit("the duckdb-extension-delta package is not installed (tests/requirements.txt)")
    roots = list(spec.submodule_search_locations or [os.path.dirname(spec.origin)])
    found = sorted(p for root in roots for p in glob.glob(os.path.join(root, "**", "delta.duckdb_extension"),
                                                         recursive=True))
    wanted = [p for p in found if f"{os.sep}v{duckdb.__version__}{os.sep}" in p] or found
    if not wanted:
        sys.exit(f"no delta.duckdb_extension file under {roots}")
    return wanted[0]


def duckdb_connection(extension_dir):
    # No autoinstall and a private extension directory: the extension comes from the wheel
    # or not at all, never from the network or a cached download.
    con = duckdb.connect(config={
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "extension_directory": extension_dir,
    })
    con.execute("SET enable_progress_bar = false")
    path = delta_extension_file()
    con.install_extension(path)
    con.load_extension("delta")
    return con, path


DUCKDB = None


def read_duckdb(path, key):
    scan = f"delta_scan('{path}')"
    described = DUCKDB.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    types = {name: kind for name, kind, *_ in described if name in PARTITION_COLUMNS}
    rows = DUCKDB.sql(f"SELECT source, tenant, count(*) FROM {scan} GROUP BY ALL").fetchall()
    duplicates = 0
    if key:
        duplicates = DUCKDB.sql(
            f"SELECT count(*) FROM (SELECT source, tenant, {key} FROM {scan} GROUP BY ALL HAVING count(*) > 1)"
        ).fetchall()[0][0]
    return {(s, t): n for s, t, n in rows}, types, duplicates


def read_polars(path, key):
    frame = pl.scan_delta(path)
    schema = frame.collect_schema()
    types = {name: str(schema[name]) for name in PARTITION_COLUMNS if name in schema}
    rows = frame.group_by(list(PARTITION_COLUMNS)).len().collect().iter_rows()
    duplicates = 0
    if key:
        duplicates = (
            frame.group_by([*PARTITION_COLUMNS, key]).len().filter(pl.col("len") > 1).select(pl.len())
            .collect().item()
        )
    return {(s, t): n for s, t, n in rows}, types, duplicates


def read_deltalake(path, key):
    table = DeltaTable(path).to_pyarrow_table()
    types = {name: str(table.schema.field(name).type) for name in PARTITION_COLUMNS if name in table.schema.names}
    grouped = table.group_by(list(PARTITION_COLUMNS)).aggregate([([], "count_all")])
    rows = zip(*[grouped.column(name).to_pylist() for name in (*PARTITION_COLUMNS, "count_all")])
    duplicates = 0
    if key:
        per_key = table.group_by([*PARTITION_COLUMNS, key]).aggregate([([], "count_all")])
        duplicates = len(per_key.filter(pc.greater(per_key["count_all"], 1)))
    return {(s, t): n for s, t, n in rows}, types, duplicates


READERS = [
    ("duckdb delta_scan", read_duckdb),
    ("polars scan_delta", read_polars),
    ("deltalake to_pyarrow_table", read_deltalake),
]


# --- the table itself: files, comments, history ------------------------------------------------


def check_table_metadata(out, table, run_ids):
    path = os.path.join(out, table)
    dt = DeltaTable(path)
    if dt.metadata().partition_columns != list(PARTITION_COLUMNS):
        fail(f"{path}: partition columns {dt.metadata().partition_columns} != {list(PARTITION_COLUMNS)}")
    uncommented = [f.name for f in dt.schema().fields if not (f.metadata or {}).get("comment")]
    if uncommented:
        fail(f"{path}: columns without a comment: {uncommented}")
    key = KEY.get(table)
    if key and key not in [f.name for f in dt.schema().fields]:
        fail(f"{path}: no {key} column in the table schema")
    in_files = set()
    uris = dt.file_uris()
    for uri in uris:
        names = pq.read_schema(uri.removeprefix("file://")).names
        in_files |= set(names) & set(PARTITION_COLUMNS)
    if in_files:
        fail(f"{path}: data files hold partition columns {sorted(in_files)}")
    latest = dt.history(1)[0]
    run_id = latest.get("custlake.run_id")
    if not run_id:
        fail(f"{path}: latest commit (version {latest.get('version')}) has no custlake.run_id: "
             f"{sorted(latest)}")
    elif run_id not in run_ids:
        fail(f"{path}: latest commit's custlake.run_id {run_id!r} is no run in {out}/_manifests")
    return dt.version(), len(uris), run_id


def check_output(out):
    runs = manifests(out)
    if not runs:
        fail(f"{out}: no run manifests")
        return []
    print(f"{out}: {len(runs)} run(s)\n{outcome_summary(runs)}")
    expected = expected_rows(out, runs)
    run_ids = {run_id for run_id, _ in runs}
    rows = []
    for table in tables_of(out):
        path = os.path.join(out, table)
        want = expected[table]
        try:
            version, files, run_id = check_table_metadata(out, table, run_ids)
        except Exception as error:  # noqa: BLE001 - any failure to open the table is the finding
            fail(f"deltalake {path}: {type(error).__name__}: {str(error)[:300]}")
            version, files, run_id = "?", "?", "?"
        for name, reader in READERS:
            started = time.monotonic()
            try:
                got, types, duplicates = reader(path, KEY.get(table))
            except Exception as error:  # noqa: BLE001 - any failure to read is the finding
                fail(f"{name} {path}: {type(error).__name__}: {str(error)[:300]}")
                continue
            got = {k: v for k, v in got.items() if v > 0}
            if got != want:
                differ = {k: (got.get(k), want.get(k)) for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)}
                fail(f"{name} {path}: rows per (source, tenant) differ from the manifests "
                     f"(read, manifest): {differ}")
            if set(types) != set(PARTITION_COLUMNS):
                fail(f"{name} {path}: no source/tenant columns ({types})")
            bad = {k: v for k, v in types.items() if v not in STRING_TYPES}
            if bad:
                fail(f"{name} {path}: source/tenant are not strings: {bad}")
            if duplicates:
                fail(f"{name} {path}: {duplicates} (source, tenant, {KEY[table]}) keys appear more than once")
            rows.append((os.path.basename(out), table, name, sum(got.values()), len(got),
                         "/".join(sorted(set(types.values()))), duplicates if KEY.get(table) else "-",
                         version, files, run_id, time.monotonic() - started))
    return rows


def check_history(out):
    """The README's SCD2 view over `delta_scan`: its current rows are the customers table's."""
    DUCKDB.execute(f"""
        CREATE OR REPLACE VIEW customers_scd2 AS
        SELECT *,
               changed_at AS valid_from,
               lead(changed_at) OVER (PARTITION BY source, tenant, customer_id ORDER BY changed_at) AS valid_to,
               change = 'delete' AS is_deleted
        FROM delta_scan('{out}/customers_history')""")
    current = set(DUCKDB.execute(
        "SELECT source, tenant, customer_id, row_hash FROM customers_scd2 "
        "WHERE valid_to IS NULL AND NOT is_deleted").fetchall())
    table = set(DUCKDB.execute(
        f"SELECT source, tenant, customer_id, row_hash FROM delta_scan('{out}/customers')").fetchall())
    if current != table:
        fail(f"{out}: SCD2 current view has {len(current)} rows, customers {len(table)}; "
             f"{len(current ^ table)} differ")
    updates = DUCKDB.execute(
        f"SELECT count(*) FROM delta_scan('{out}/customers_history') WHERE change = 'update'"
    ).fetchone()[0]
    if updates == 0:
        fail(f"{out}: the upsert's changes are not in customers_history")
    print(f"{out}: SCD2 current view over delta_scan = customers ({len(table)} rows), {updates} updates")


def main():
    global DUCKDB
    if len(OUTPUTS) != 2:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory(prefix="duckdb-ext-") as extension_dir:
        started = time.monotonic()
        DUCKDB, extension = duckdb_connection(extension_dir)
        print(f"duckdb {duckdb.__version__}: delta extension from {extension} "
              f"({time.monotonic() - started:.1f} s)")
        rows = []
        for out in OUTPUTS:
            rows += check_output(out)
        check_history(OUTPUTS[1])
        DUCKDB.close()
    header = ("output", "table", "reader", "rows", "parts", "src/tenant type", "dup keys",
              "version", "files", "latest run_id", "s")
    cells = [header] + [tuple(f"{c:.2f}" if isinstance(c, float) else str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    if failures:
        print(f"{len(failures)} delta interop failures")
        sys.exit(1)
    print("delta interop: all checks passed")


main()
