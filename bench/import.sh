#!/usr/bin/env bash
# Import of a generated file of 1 000 000 episodes into SQLite and into PostgreSQL (time,
# rows/s), then the monthly overview page from each database (target: <= 200 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${COUNT:-1000000}"
FILE="${FILE:-/tmp/tvistetrappa-episodes-$COUNT.csv}"
MONTH="${MONTH:-2022-06}"
PORT="${PORT:-18383}"
PG_ADMIN_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
[ -f "$FILE" ] || python3 bench/episodes.py "$COUNT" > "$FILE"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/tvistetrappa"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

run() {
    local name="$1" url="$2"
    export DATABASE_URL="$url" DATA_DIR="$WORK/$name" RUST_LOG=warn
    mkdir -p "$DATA_DIR"
    "$BIN" demo > /dev/null
    printf '%-11s ' "$name"
    "$BIN" import --episodes "$FILE" 2>/dev/null | sed 's/, sha256.*//'
    BIND="127.0.0.1:$PORT" "$BIN" serve & SERVER_PID=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
    local jar="$WORK/jar" token
    token=$(curl -s -c "$jar" "http://127.0.0.1:$PORT/logga-in" | grep -o 'name="csrf" value="[^"]*' | head -n 1 | sed 's/.*value="//')
    curl -s -b "$jar" -c "$jar" -o /dev/null "http://127.0.0.1:$PORT/logga-in" --data-urlencode "csrf=$token" \
        --data-urlencode "email=maria.sund@hsf.example" --data-urlencode "password=demo-losenord-2026"
    for i in 1 2 3 4 5; do
        curl -s -b "$jar" -o /dev/null -w "%{http_code} %{time_total}\n" "http://127.0.0.1:$PORT/betalning?manad=$MONTH"
    done | awk -v n="$name" '{ s = s " " int($2 * 1000) " ms" } END { printf "%-11s overview %s:%s\n", n, m, s }' m="$MONTH"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

run sqlite "sqlite://$WORK/sqlite/bench.db"
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS tvs_import_bench WITH (FORCE)" -c "CREATE DATABASE tvs_import_bench"
    run postgresql "${PG_ADMIN_URL%/*}/tvs_import_bench"
fi
