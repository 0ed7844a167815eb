"""The README's SCD2 view of customers_history in DuckDB, as of given instants.

usage: scd2_as_of.py parquet|delta OUT AT_MICROS...
Prints a JSON list, one entry per instant: [[tenant, customer_id, raw], ...] of the customers
valid then (not deleted). A Delta table is read with the deltalake package into Arrow first.
"""

import json
import sys

import duckdb

fmt, out, instants = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
con = duckdb.connect()
if fmt == "parquet":
    con.sql(
        f"CREATE VIEW customers_history AS SELECT * FROM "
        f"read_parquet('{out}/customers_history/**/*.parquet', hive_partitioning = true)"
    )
else:
    from deltalake import DeltaTable

    history = DeltaTable(f"{out}/customers_history").to_pyarrow_table()
    con.register("customers_history", history)

# The README's SCD2 view: each change is a version of its key, valid from its changed_at until
# the key's next change; the last change of a deleted key is the delete.
con.sql(
    """
    CREATE VIEW customers_scd2 AS
    SELECT *,
           changed_at AS valid_from,
           lead(changed_at) OVER (PARTITION BY source, tenant, customer_id ORDER BY changed_at)
               AS valid_to,
           change = 'delete' AS is_deleted
    FROM customers_history
    """
)
views = []
for at in instants:
    rows = con.execute(
        """
        SELECT tenant, customer_id, raw FROM customers_scd2
        WHERE valid_from <= make_timestamptz(?::BIGINT)
          AND (valid_to IS NULL OR valid_to > make_timestamptz(?::BIGINT))
          AND NOT is_deleted
        ORDER BY tenant, customer_id
        """,
        [at, at],
    ).fetchall()
    views.append([[str(t), str(k), r] for t, k, r in rows])
print(json.dumps(views))
