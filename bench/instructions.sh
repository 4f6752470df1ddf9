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

# Runs the command after the settings (NAME=value ...) under callgrind as the service on port
# $1, asks for $2 (signed in as $3, if given) 20 times to warm up, then $REQUESTS times counted;
# prints the instructions a request.
count() {
    local port="$1" path="$2" cookie="$3" settings=(); shift 3
    while [[ "$1" == *=* ]]; do settings+=("$1"); shift; done
    env "${settings[@]}" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$@" </dev/null >"$WORK/valgrind.log" 2>&1 & SERVER=$!
    local up=
    for _ in $(seq 1 600); do
        if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 || curl -sf "http://127.0.0.1:$port/fortunes" >/dev/null 2>&1; then up=1; break; fi
        sleep 0.1
    done
    [ -n "$up" ] || { echo "$* did not answer under valgrind within a minute:" >&2; cat "$WORK/valgrind.log" >&2; exit 1; }
    [ -z "$cookie" ] || cookie="tvs_session=$(PORT="$port" login_cookie "$cookie")"
    for _ in $(seq 1 20); do curl -s -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$port$path"; done
    callgrind_control -z "$SERVER" >/dev/null 2>&1
    for _ in $(seq 1 "$REQUESTS"); do curl -s -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$port$path"; done
    callgrind_control -d "$SERVER" >/dev/null 2>&1
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
    awk -v n="$REQUESTS" '/^summary:/ { total += $2 } END { printf "%d\n", total / n }' "$WORK"/cg.out.*
    rm -f "$WORK"/cg.out*
}

service=(DATABASE_URL="sqlite://$WORK/bench.db" DATA_DIR="$DATA" RUST_LOG=warn BIND="127.0.0.1:$PORT" "$TARGET/tvistetrappa" serve)
baseline=(DATABASE_URL="sqlite://$WORK/baseline.db" BIND="127.0.0.1:$BASE_PORT" "$TARGET/examples/baseline")
# The newest case: the first a reviewer's list shows, as in bench/compare.sh.
number=$(sqlite3 "$WORK/bench.db" "SELECT number FROM cases ORDER BY created_at DESC, id DESC LIMIT 1")
fortunes=$(count "$BASE_PORT" /fortunes "" "${baseline[@]}")
printf '%-40s %10s instructions a request\n' "baseline: Fortunes" "$fortunes"
while IFS='|' read -r name who path; do
    user=$([ "$who" = reviewer ] && echo lars.ek@storsthlm.example || echo anna.berg@botkyrka.example)
    page=$(count "$PORT" "$path" "$user" "${service[@]}")
    printf '%-40s %10s instructions a request  baseline/page %s\n' "$name" "$page" "$(awk -v a="$fortunes" -v b="$page" 'BEGIN { printf "%.3f", a / b }')"
done < <(compared_pages "$number")
