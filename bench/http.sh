#!/usr/bin/env bash
# Load benchmark: a signed-in page at 64 connections, on SQLite and on PostgreSQL.
#   bench/http.sh                      # the start page of a local user, 10 s per backend
#   BENCH_PATH=/organisationer DURATION=30s bench/http.sh
#   GENERATE_CASES=100000 BENCH_PATH=/arenden bench/http.sh   # see bench/cases.sh
# Needs wrk (Debian: apt-get install wrk) and, for PostgreSQL, a server at BENCH_PG_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS=$(( CONNECTIONS < 2 ? CONNECTIONS : 2 ))
BENCH_PATH="${BENCH_PATH:-/}"
# One or more users, separated by spaces; each is measured against the same database.
BENCH_USERS="${BENCH_USERS:-anna.berg@botkyrka.example}"
PG_ADMIN_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PORT="${PORT:-18181}"
GENERATE_CASES="${GENERATE_CASES:-0}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
# BIN: another build to measure in the same run (an earlier commit, say); the default is built here.
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN="${CARGO_TARGET_DIR:-target}/release/tvistetrappa"
fi
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

source bench/common.sh

run() {
    local name="$1" url="$2" data="$WORK/$1"
    mkdir -p "$data"
    DATABASE_URL="$url" DATA_DIR="$data" RUST_LOG=warn "$BIN" demo >/dev/null
    if [ "$GENERATE_CASES" -gt 0 ]; then
        printf '%-11s ' "$name"
        DATABASE_URL="$url" DATA_DIR="$data" RUST_LOG=warn "$BIN" generate --cases "$GENERATE_CASES"
    fi
    DATABASE_URL="$url" DATA_DIR="$data" RUST_LOG=warn BIND="127.0.0.1:$PORT" "$BIN" serve &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    local user session status rps p50 p99
    for user in $BENCH_USERS; do
        session=$(login_cookie "$user")
        [ -n "$session" ] || { echo "could not sign in as $user on $name" >&2; exit 1; }
        status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: tvs_session=$session" "http://127.0.0.1:$PORT$BENCH_PATH")
        [ "$status" = 200 ] || { echo "$BENCH_PATH answers $status on $name" >&2; exit 1; }
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: tvs_session=$session" "http://127.0.0.1:$PORT$BENCH_PATH" > "$WORK/$name.wrk"
        rps=$(awk '/Requests\/sec/ { print $2 }' "$WORK/$name.wrk")
        p50=$(awk '$1 == "50%" { print $2 }' "$WORK/$name.wrk")
        p99=$(awk '$1 == "99%" { print $2 }' "$WORK/$name.wrk")
        printf '%-11s %-18s %-32s %10s req/s   p50 %-9s p99 %s\n' "$name" "$BENCH_PATH" "$user" "$rps" "$p50" "$p99"
        grep -E 'Non-2xx|Socket errors' "$WORK/$name.wrk" || true
    done
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

echo "wrk, $CONNECTIONS connections, $DURATION per run ($(nproc) cores, load generator on the same machine)"
run sqlite "sqlite://$WORK/sqlite/bench.db"
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS tvs_bench WITH (FORCE)" -c "CREATE DATABASE tvs_bench"
    run postgresql "${PG_ADMIN_URL%/*}/tvs_bench"
else
    echo "postgresql  skipped: no server at 127.0.0.1:5432"
fi
