#!/usr/bin/env bash
# The case list with 100 000 cases in the database, at 64 connections, on SQLite and on
# PostgreSQL: once for a county-wide reviewer, once for a municipality's local user.
# Target (issue 3) on SQLite: >= 5 000 req/s and p99 <= 25 ms.
set -euo pipefail
cd "$(dirname "$0")"
export GENERATE_CASES="${GENERATE_CASES:-100000}" BENCH_PATH="${BENCH_PATH:-/arenden}"
BENCH_USERS="lars.ek@storsthlm.example anna.berg@botkyrka.example" ./http.sh
