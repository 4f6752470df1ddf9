#!/usr/bin/env bash
# The service against what a user would reach for instead, side by side in one run (issue 14).
# Only ratios are meant to be compared between runs and machines; absolute figures are
# printed to show what the ratio is made of.
#
#   bench/compare.sh              # pages, writes, calc and import, on SQLite and PostgreSQL
#   bench/compare.sh pages        # or: writes, calc, import (several may be given)
#   BACKENDS=sqlite CASES=20000 DURATION=5s bench/compare.sh pages
#
# pages   each page of the issue's table at 64 connections as the right user, against a bare
#         Fortunes page (examples/baseline.rs: actix-web + an r2d2 pool of diesel connections +
#         askama, nothing else) on the same backend, measured before and after the pages.
# writes  filing a case at 16 connections against the baseline inserting one row per request
#         in a transaction of its own.
# calc    `calc` of one month of a 1 000 000-episode file against DuckDB running
#         bench/calc.sql over the same CSV (bench/calc_compare.py; figures compared per unit).
# import  `import` of that file against sqlite3's `.import --csv` and psql's `\copy`.
#
# Needs wrk, sqlite3, psql and, for calc, the duckdb Python package (pip install duckdb).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
CASES="${CASES:-100000}"
EPISODES="${EPISODES:-1000000}"
BACKENDS="${BACKENDS:-sqlite postgresql}"
PG_ADMIN_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PORT="${PORT:-18181}"
BASE_PORT="${BASE_PORT:-18182}"
SECTIONS="${*:-pages writes calc import}"
REVIEWER=lars.ek@storsthlm.example
LOCAL=anna.berg@botkyrka.example

for tool in wrk sqlite3; do command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install $tool" >&2; exit 1; }; done
cargo build --release --quiet --bin tvistetrappa --example baseline
TARGET="${CARGO_TARGET_DIR:-target}/release"
BIN="$TARGET/tvistetrappa"
BASELINE="$TARGET/examples/baseline"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

stop_all() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; PIDS=(); }

# A fresh database of the backend's kind, by name.
database() {
    local backend="$1" name="$2"
    if [ "$backend" = sqlite ]; then
        echo "sqlite://$WORK/$name.db"
    else
        psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null 2>&1
        echo "${PG_ADMIN_URL%/*}/$name"
    fi
}

source bench/common.sh

# wrk against one URL: prints "req/s p50 p99 non-2xx/3xx".
measure() {
    local connections="$1" url="$2"; shift 2
    wrk -t2 -c"$connections" -d"$DURATION" --latency "$@" "$url" > "$WORK/wrk.out"
    awk '/Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
         /Non-2xx or 3xx/ { bad = $5 } END { printf "%s %s %s %d\n", rps, p50, p99, bad }' "$WORK/wrk.out"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" -v dir="$3" 'BEGIN { ok = (dir == "min") ? r >= t : r <= t; print ok ? "meets" : "BELOW" }'; }

start_baseline() {
    DATABASE_URL="$1" BIND="127.0.0.1:$BASE_PORT" "$BASELINE" & PIDS+=($!)
    wait_for "http://127.0.0.1:$BASE_PORT/fortunes"
}

start_service() {
    DATABASE_URL="$1" DATA_DIR="$2" RUST_LOG=warn BIND="127.0.0.1:$PORT" "$BIN" serve & PIDS+=($!)
    wait_for "http://127.0.0.1:$PORT/healthz"
}

row() { printf '%-11s %-40s %10s req/s  p50 %-9s p99 %-9s ratio %-6s target %s %-4s %s\n' "$@"; }

pages() {
    local backend="$1" url data base before after mean session lars anna number
    url=$(database "$backend" tvs_compare); data="$WORK/data-$backend"; mkdir -p "$data"
    DATABASE_URL="$url" DATA_DIR="$data" RUST_LOG=warn "$BIN" demo >/dev/null
    DATABASE_URL="$url" DATA_DIR="$data" RUST_LOG=warn "$BIN" generate --cases "$CASES" >/dev/null
    base=$(database "$backend" tvs_baseline)
    start_baseline "$base"
    read -r before _ _ _ < <(measure 64 "http://127.0.0.1:$BASE_PORT/fortunes")
    stop_all
    start_service "$url" "$data"
    lars="tvs_session=$(login_cookie "$REVIEWER")"; anna="tvs_session=$(login_cookie "$LOCAL")"
    number=$(curl -s -H "Cookie: $lars" "http://127.0.0.1:$PORT/arenden" | grep -o 'href="/arenden/[A-Z]*-[0-9]*-[0-9]*"' | head -n 1 | sed 's/.*arenden\///; s/"//')
    local results=()
    while IFS='|' read -r name who path; do
        cookie=$([ "$who" = reviewer ] && echo "$lars" || echo "$anna")
        read -r rps p50 p99 bad < <(measure 64 "http://127.0.0.1:$PORT$path" -H "Cookie: $cookie")
        [ "$bad" = 0 ] || echo "  $path: $bad answers that were not 2xx/3xx" >&2
        results+=("$name|$path|$rps|$p50|$p99")
    done < <(compared_pages "$number")
    stop_all
    start_baseline "$base"
    read -r after _ _ _ < <(measure 64 "http://127.0.0.1:$BASE_PORT/fortunes")
    stop_all
    mean=$(awk -v a="$before" -v b="$after" 'BEGIN { print (a + b) / 2 }')
    printf '%-11s %-40s %10s req/s  (before %s, after %s)\n' "$backend" "baseline: Fortunes" "$mean" "$before" "$after"
    local r
    for line in "${results[@]}"; do
        IFS='|' read -r name path rps p50 p99 <<<"$line"
        r=$(ratio "$rps" "$mean")
        row "$backend" "$name" "$rps" "$p50" "$p99" "$r" ">=" 0.30 "$(verdict "$r" 0.30 min)"
    done
}

writes() {
    local backend="$1" url data base baseline_rps session token rps p50 p99 bad r
    url=$(database "$backend" tvs_writes); data="$WORK/writes-$backend"; mkdir -p "$data"
    DATABASE_URL="$url" DATA_DIR="$data" RUST_LOG=warn "$BIN" demo >/dev/null
    base=$(database "$backend" tvs_baseline)
    start_baseline "$base"
    read -r baseline_rps _ _ _ < <(measure 16 "http://127.0.0.1:$BASE_PORT/fortunes" -s bench/post.lua)
    stop_all
    start_service "$url" "$data"
    session="tvs_session=$(login_cookie "$LOCAL")"
    token=$(curl -s -H "Cookie: $session" "http://127.0.0.1:$PORT/arenden/nytt?typ=deviation" | grep -o 'name="csrf" value="[^"]*' | head -n 1 | sed 's/.*value="//')
    export WRK_BODY="csrf=$token&kind=deviation&title=Avsteg+under+last&filed_by_org=kommun-0127&counterpart=enh-sos-medicin-52&commitment_id=process.sip-called&occurred_from=2026-11-02&description=Lasttest&consequences=Inga"
    read -r rps p50 p99 bad < <(measure 16 "http://127.0.0.1:$PORT/arenden/nytt" -H "Cookie: $session" -s bench/post.lua)
    unset WRK_BODY
    stop_all
    r=$(ratio "$rps" "$baseline_rps")
    printf '%-11s %-40s %10s req/s  (one-row insert per request)\n' "$backend" "baseline: insert, 16 connections" "$baseline_rps"
    row "$backend" "file a case, 16 connections" "$rps" "$p50" "$p99" "$r" "(report)" "" ""
    [ "$bad" = 0 ] || echo "  $bad filings were not answered 303" >&2
}

# Each import starts with the writes before it on disk: PostgreSQL's checkpoint of the WAL an
# import left (a gigabyte for a million rows) otherwise falls into whichever import comes next.
settle() {
    sync
    [ "$1" = sqlite ] || psql -q "$PG_ADMIN_URL" -c CHECKPOINT
}

import() {
    local backend="$1" file="$2" url data started ours theirs r
    url=$(database "$backend" tvs_import); data="$WORK/import-$backend"; mkdir -p "$data"
    DATABASE_URL="$url" DATA_DIR="$data" RUST_LOG=warn "$BIN" migrate >/dev/null
    settle "$backend"
    started=$(date +%s.%N)
    DATABASE_URL="$url" DATA_DIR="$data" RUST_LOG=warn "$BIN" import --episodes "$file" >/dev/null 2>&1
    ours=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
    local columns
    columns=$(head -n 1 "$file" | sed 's/,/ TEXT, /g; s/$/ TEXT/')
    settle "$backend"
    started=$(date +%s.%N)
    if [ "$backend" = sqlite ]; then
        sqlite3 "$WORK/raw.db" "CREATE TABLE raw ($columns);" ".import --csv --skip 1 $file raw"
    else
        local raw; raw=$(database postgresql tvs_raw)
        psql -q "$raw" -c "CREATE TABLE raw ($columns)" -c "\\copy raw FROM '$file' CSV HEADER"
    fi
    theirs=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
    r=$(ratio "$ours" "$theirs")
    local alternative; alternative=$([ "$backend" = sqlite ] && echo "sqlite3 .import" || echo "psql \\copy")
    printf '%-11s import of %s episodes: %.2f s, %s: %.2f s, ratio %s (target <= 3.0: %s)\n' \
        "$backend" "$EPISODES" "$ours" "$alternative" "$theirs" "$r" "$(verdict "$r" 3.0 max)"
}

echo "bench/compare.sh: $SECTIONS; $(nproc) cores, load generator on the same machine, $DURATION per measurement"
for section in $SECTIONS; do
    case "$section" in
        pages|writes)
            for backend in $BACKENDS; do "$section" "$backend"; done ;;
        calc|import)
            file="/tmp/tvistetrappa-episodes-$EPISODES.csv"
            [ -f "$file" ] || python3 bench/episodes.py "$EPISODES" > "$file"
            if [ "$section" = calc ]; then
                python3 bench/calc_compare.py "$BIN" "$file" 2022-06
            else
                for backend in $BACKENDS; do import "$backend" "$file"; done
            fi ;;
        *) echo "unknown section $section (pages, writes, calc, import)" >&2; exit 1 ;;
    esac
done
