#!/usr/bin/env bash
# The follow-up reports with 100 000 cases filed this year, one request at a time (so the
# latency is the time to build one report), on SQLite and on PostgreSQL: the case report
# for the year as a county-wide reviewer, then its XLSX download.
# Target (issue 6): the report for one year with 100 000 cases in <= 1 s.
set -euo pipefail
cd "$(dirname "$0")"
year=$(date +%Y)
export GENERATE_CASES="${GENERATE_CASES:-100000}" CONNECTIONS=1 DURATION="${DURATION:-15s}"
export BENCH_USERS="lars.ek@storsthlm.example"
BENCH_PATH="/rapporter/arenden?fran=$year-01-01&till=$year-12-31" ./http.sh
BENCH_PATH="/rapporter/arenden.xlsx?fran=$year-01-01&till=$year-12-31" ./http.sh
