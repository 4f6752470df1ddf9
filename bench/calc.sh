#!/usr/bin/env bash
# `calc` for one month of a generated file of 1 000 000 episodes: wall time and peak memory.
# Target (issue 4): <= 2 s and <= 150 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${COUNT:-1000000}"
FILE="${FILE:-/tmp/tvistetrappa-episodes-$COUNT.csv}"
[ -f "$FILE" ] || python3 bench/episodes.py "$COUNT" > "$FILE"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/tvistetrappa"
echo "$(wc -l < "$FILE") lines, $(du -h "$FILE" | cut -f1)"
for month in 2022-06 2022-12; do
    /usr/bin/time -f "calc $month: %e s wall, %M KB peak" "$BIN" calc --episodes "$FILE" --month "$month" --format json > /dev/null
done
