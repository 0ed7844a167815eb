#!/usr/bin/env bash
# Interop: export from a separately started custlake-sim, then let DuckDB, Spark, pandas,
# pyarrow and Polars read the output with their everyday one-liners (tests/interop/check.py):
# a full export, and an incremental output whose second run upserted the changed customers. Then the same as Delta
# Lake tables (`format = "delta"`), read by DuckDB's delta extension, Polars and the deltalake
# package (tests/interop/check_delta.py): a full export and an incremental upsert. Run by
# .ci/run; runnable alone.
#
# Environment: VENV (Python venv with tests/requirements.txt; created if missing). Spark needs
# a Java runtime (`java` on PATH); .ci/run installs one when it is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv-ci}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet -r tests/requirements.txt
fi
PY="$VENV/bin/python"

cargo build --quiet -p custlake -p custlake-simulator
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET_DIR/debug"

WORK="$(mktemp -d)"
SIM_PID=""
cleanup() {
    if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Mild messiness with frequent Unicode edge cases (emoji, full-width, control chars, long text).
"$BIN/custlake-sim" --listen 127.0.0.1:0 --seed 11 --customers 3000 --contacts-per-customer 2 \
    --ycm-customers 2000 --messiness mild --unicode-edge-rate 0.2 >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
BASE=""
for _ in $(seq 1 100); do
    BASE="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/sim.log" | head -n 1 || true)"
    [ -n "$BASE" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
done
[ -n "$BASE" ] || { echo "custlake-sim did not start:" >&2; cat "$WORK/sim.log" >&2; exit 1; }

cat >"$WORK/custlake.toml" <<TOML
[output]
path = "$WORK/out"

[[sources]]
name = "u8_demo_a"
kind = "yonyou_u8"
base_url = "$BASE"
from_account = "custlake_demo"
to_account = "demo_ent_a"
app_key = "opa_custlake_demo"
requests_per_second = 2000

[[sources]]
name = "u8_demo_b"
kind = "yonyou_u8"
base_url = "$BASE"
from_account = "custlake_demo"
to_account = "demo_ent_b"
ds_sequence = 1
app_key = "opa_custlake_demo"
requests_per_second = 2000

[[sources]]
name = "ycm_demo"
kind = "yeastar_ycm"
base_url = "$BASE"
client_id = "ycm-demo-client"
requests_per_second = 2000
TOML

CUSTLAKE_U8_DEMO_A_APP_SECRET=demo-u8-secret CUSTLAKE_U8_DEMO_B_APP_SECRET=demo-u8-secret \
CUSTLAKE_YCM_DEMO_CLIENT_SECRET=demo-ycm-secret \
    "$BIN/custlake" --no-progress -q export --config "$WORK/custlake.toml"
"$BIN/custlake" schema --format json >"$WORK/schema.json"

fetch_truth() {
    mkdir -p "$1"
    for pair in u8_demo_a:u8_customers u8_demo_a:u8_contacts u8_demo_b:u8_customers u8_demo_b:u8_contacts ycm_demo:ycm_customers; do
        tenant="${pair%%:*}"; entity="${pair##*:}"
        curl -fsS "$BASE/_sim/ground_truth/$tenant/$entity" >"$1/${tenant}__${entity}.jsonl"
    done
}
fetch_truth "$WORK/truth"

# An incremental output with history on: a first (full) run, 2% of u8_demo_a's customers edited
# at the source, a second run that upserts them into the partitions (no `_deltas/`) and appends
# their changes to customers_history.
sed -e "s|path = \"$WORK/out\"|path = \"$WORK/inc\"\nhistory = true|" \
    -e 's|^kind = "yonyou_u8"$|kind = "yonyou_u8"\nmode = "incremental"|' \
    "$WORK/custlake.toml" >"$WORK/incremental.toml"
incremental_run() {
    CUSTLAKE_U8_DEMO_A_APP_SECRET=demo-u8-secret CUSTLAKE_U8_DEMO_B_APP_SECRET=demo-u8-secret \
    CUSTLAKE_YCM_DEMO_CLIENT_SECRET=demo-ycm-secret \
        "$BIN/custlake" --no-progress -q export --config "$WORK/incremental.toml"
}
incremental_run
curl -fsS -X POST "$BASE/_sim/change/u8_demo_a?count=60" >/dev/null
incremental_run
fetch_truth "$WORK/inc-truth"

"$PY" tests/interop/check.py "$WORK/out" "$WORK/inc" "$WORK/schema.json" "$WORK/truth" "$WORK/inc-truth"

# Delta outputs (`[output] format = "delta"`) from the same simulator and sources: a full export,
# and an incremental output (U8 sources upsert) with a first run, 60 of u8_demo_a's customers
# changed at the source, and a second run; tests/interop/check_delta.py reads both with DuckDB's
# delta extension, Polars and the deltalake package. Its first run starts from the simulator's
# state after the parquet part's change, which is a full snapshot like any first run.
delta_run() {
    CUSTLAKE_U8_DEMO_A_APP_SECRET=demo-u8-secret CUSTLAKE_U8_DEMO_B_APP_SECRET=demo-u8-secret \
    CUSTLAKE_YCM_DEMO_CLIENT_SECRET=demo-ycm-secret \
        "$BIN/custlake" --no-progress -q export --config "$1"
}
sed -e "s|^path = \"$WORK/out\"$|format = \"delta\"\npath = \"$WORK/delta\"|" \
    "$WORK/custlake.toml" >"$WORK/delta.toml"
sed -e "s|^path = \"$WORK/inc\"$|format = \"delta\"\npath = \"$WORK/delta-inc\"|" \
    "$WORK/incremental.toml" >"$WORK/delta-inc.toml"
grep -q '^format = "delta"$' "$WORK/delta.toml" && grep -q '^format = "delta"$' "$WORK/delta-inc.toml" \
    || { echo "interop: could not derive the delta configs from $WORK/custlake.toml" >&2; exit 1; }
delta_run "$WORK/delta.toml"
delta_run "$WORK/delta-inc.toml"
curl -fsS -X POST "$BASE/_sim/change/u8_demo_a?count=60" >/dev/null
delta_run "$WORK/delta-inc.toml"

"$PY" tests/interop/check_delta.py "$WORK/delta" "$WORK/delta-inc"
