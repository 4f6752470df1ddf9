#!/usr/bin/env bash
# The instructions the server runs for one request of each page in bench/compare.sh's table,
# and for the Fortunes baseline's page, counted by valgrind's callgrind on SQLite (issue 14).
# Pages a second vary by a fifth between runs on a shared machine; an instruction count is the
# same for the same binary, data and requests whatever else the machine does, so it shows a
# change's effect where compare.sh's runs cannot. What it leaves out: the kernel's work
# (sending the page) and waiting. SQLite only: on PostgreSQL the database works in other
# processes.
#
#   bench/instructions.sh                     # 20 000 generated cases
#   CASES=100000 REQUESTS=200 bench/instructions.sh
#   DATABASE=/path/to/copy.db DATA=/path/to/data bench/instructions.sh   # a database made before
#
# Prints each page's instructions a request and the baseline's divided by them (the share of
# the baseline's speed the page would reach if both were bound by instructions alone).
set -euo pipefail
cd "$(dirname "$0")/.."

CASES="${CASES:-20000}"
REQUESTS="${REQUESTS:-100}"
PORT="${PORT:-18191}"
BASE_PORT="${BASE_PORT:-18192}"
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
cargo build --release --quiet --bin tvistetrappa --example baseline
TARGET="${CARGO_TARGET_DIR:-target}/release"
WORK=$(mktemp -d)
SERVER=
cleanup() { [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
source bench/common.sh

if [ -n "${DATABASE:-}" ]; then
    cp "$DATABASE" "$WORK/bench.db"; DATA="${DATA:?DATA: the data directory made with DATABASE}"
else
    DATA="$WORK/data"; mkdir -p "$DATA"
    DATABASE_URL="sqlite://$WORK/bench.db" DATA_DIR="$DATA" RUST_LOG=warn "$TARGET/tvistetrappa" demo >/dev/null
    DATABASE_URL="sqlite://$WORK/bench.db" DATA_DIR="$DATA" RUST_LOG=warn "$TARGET/tvistetrappa" generate --cases "$CASES" >/dev/null
fi

# Starts the command after the settings (NAME=value ...) under callgrind; it is up once URL $1
# answers.
start_counted() {
    local ready="$1" settings=(); shift
    while [[ "$1" == *=* ]]; do settings+=("$1"); shift; done
    env "${settings[@]}" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$@" </dev/null >"$WORK/valgrind.log" 2>&1 & SERVER=$!
    wait_for "$ready" 1200 || { cat "$WORK/valgrind.log" >&2; exit 1; }
}

stop_counted() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=; rm -f "$WORK"/cg.out*; }

# Asks for URL $1 (with cookie $2) 20 times to warm up, then $REQUESTS times counted; prints
# the instructions a request.
count() {
    local url="$1" cookie="$2"
    for _ in $(seq 1 20); do curl -s -o /dev/null -H "Cookie: $cookie" "$url"; done
    callgrind_control -z "$SERVER" >/dev/null 2>&1
    for _ in $(seq 1 "$REQUESTS"); do curl -s -o /dev/null -H "Cookie: $cookie" "$url"; done
    callgrind_control -d "$SERVER" >/dev/null 2>&1
    awk -v n="$REQUESTS" '/^summary:/ { total += $2 } END { printf "%d\n", total / n }' "$WORK"/cg.out.*
    rm -f "$WORK"/cg.out.*
}

# The newest case: the first a reviewer's list shows, as in bench/compare.sh.
number=$(sqlite3 "$WORK/bench.db" "SELECT number FROM cases ORDER BY created_at DESC, id DESC LIMIT 1")

start_counted "http://127.0.0.1:$BASE_PORT/fortunes" DATABASE_URL="sqlite://$WORK/baseline.db" BIND="127.0.0.1:$BASE_PORT" "$TARGET/examples/baseline"
fortunes=$(count "http://127.0.0.1:$BASE_PORT/fortunes" "")
stop_counted
printf '%-40s %10s instructions a request\n' "baseline: Fortunes" "$fortunes"

start_counted "http://127.0.0.1:$PORT/healthz" DATABASE_URL="sqlite://$WORK/bench.db" DATA_DIR="$DATA" RUST_LOG=warn BIND="127.0.0.1:$PORT" "$TARGET/tvistetrappa" serve
reviewer="tvs_session=$(login_cookie lars.ek@storsthlm.example)"
local_user="tvs_session=$(login_cookie anna.berg@botkyrka.example)"
while IFS='|' read -r name who path; do
    page=$(count "http://127.0.0.1:$PORT$path" "$([ "$who" = reviewer ] && echo "$reviewer" || echo "$local_user")")
    printf '%-40s %10s instructions a request  baseline/page %s\n' "$name" "$page" "$(awk -v a="$fortunes" -v b="$page" 'BEGIN { printf "%.3f", a / b }')"
done < <(compared_pages "$number")
stop_counted
