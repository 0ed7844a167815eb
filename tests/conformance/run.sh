#!/usr/bin/env bash
# Conformance of custlake-sim to specs/yonyou-u8.yaml and specs/yeastar-ycm.yaml.
#
# Builds and starts the simulator on a free loopback port, logs in to both vendors with the
# demo credentials, and runs schemathesis against each spec with those credentials fixed, so
# authenticated calls return real data. Checks: response schema, status code and content type
# conformance. Exits non-zero on any violation; the simulator is stopped on exit.
#
# Environment: VENV (Python venv to create/use, default .venv-conformance at the repo root),
# MAX_EXAMPLES (per operation, default 30), ST_SEED (schemathesis seed, default 1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv-conformance}"
MAX_EXAMPLES="${MAX_EXAMPLES:-30}"
ST_SEED="${ST_SEED:-1}"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
ST="$VENV/bin/schemathesis"

cargo build --quiet -p custlake-simulator --bin custlake-sim
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
SIM="$TARGET_DIR/debug/custlake-sim"

WORK="$(mktemp -d)"
SIM_PID=""
cleanup() {
    if [ -n "$SIM_PID" ]; then
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Port 0: the simulator binds a free port and prints its base URL.
"$SIM" --listen 127.0.0.1:0 --seed 7 --customers 200 --messiness heavy \
    --u8-token-lifetime-secs 86400 --ycm-token-lifetime-secs 86400 >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
BASE=""
for _ in $(seq 1 100); do
    BASE="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/sim.log" | head -n 1 || true)"
    [ -n "$BASE" ] && break
    if ! kill -0 "$SIM_PID" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ -z "$BASE" ]; then
    echo "custlake-sim did not start:" >&2
    cat "$WORK/sim.log" >&2
    exit 1
fi
echo "custlake-sim at $BASE"

json_field() {
    "$VENV/bin/python" -c 'import json, sys; v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[k]
print(v)' "$1"
}

U8_FROM=custlake_demo
U8_APP_KEY=opa_custlake_demo
U8_SECRET=demo-u8-secret
U8_TOKEN="$(curl -fsS "$BASE/system/token?from_account=$U8_FROM&app_key=$U8_APP_KEY&app_secret=$U8_SECRET" | json_field token.id)"
YCM_TOKEN="$(curl -fsS -A OpenAPI \
    --data "grant_type=client_credentials&client_id=ycm-demo-client&client_secret=demo-ycm-secret" \
    "$BASE/dm/open_api/oauth/token" | json_field access_token)"

cat >"$WORK/u8.toml" <<EOF
[parameters]
"query.from_account" = "$U8_FROM"
"query.to_account" = "demo_ent_a"
"query.app_key" = "$U8_APP_KEY"
"query.app_secret" = "$U8_SECRET"
"query.token" = "$U8_TOKEN"
"query.ds_sequence" = 1
EOF

cat >"$WORK/ycm.toml" <<EOF
headers = { Authorization = "Bearer $YCM_TOKEN", User-Agent = "OpenAPI" }
EOF

CHECKS=response_schema_conformance,status_code_conformance,content_type_conformance
status=0
records_served() {
    curl -fsS "$BASE/_sim/stats" | json_field records_served
}
run_spec() {
    local config="$1" spec="$2"
    local before
    before="$(records_served)"
    echo "== schemathesis: $spec"
    if ! "$ST" --no-color --config-file "$config" run "$spec" \
        --url "$BASE" \
        --checks "$CHECKS" \
        --phases examples,coverage,fuzzing \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$ST_SEED" \
        --workers 2 \
        --request-timeout 10; then
        status=1
    fi
    # The credentials must have worked: authenticated list calls returned records.
    local after
    after="$(records_served)"
    echo "records served during this spec's run: $((after - before))"
    if [ "$((after - before))" -le 0 ]; then
        echo "no records were served: the demo credentials were not used" >&2
        status=1
    fi
}
run_spec "$WORK/u8.toml" specs/yonyou-u8.yaml
run_spec "$WORK/ycm.toml" specs/yeastar-ycm.yaml

# The simulator must still be alive (no crash under fuzzing).
if ! kill -0 "$SIM_PID" 2>/dev/null; then
    echo "custlake-sim exited during the run:" >&2
    cat "$WORK/sim.log" >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "conformance: FAILED" >&2
else
    echo "conformance: both specs pass"
fi
exit "$status"
