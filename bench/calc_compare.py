#!/usr/bin/env python3
"""`calc` against DuckDB doing the same calculation (bench/calc.sql) over the same CSV, in one
run: best wall time of each over ROUNDS runs, calc's peak memory, and whether every unit's
figures agree.  python3 bench/calc_compare.py BIN FILE MONTH [RATE]   (needs: pip install duckdb)"""
import json
import os
import subprocess
import sys
import time

import duckdb

ROUNDS = int(os.environ.get("ROUNDS", "3"))


def duckdb_run(file, month, rate):
    sql = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "calc.sql")).read()
    con = duckdb.connect()
    con.execute("SET VARIABLE file = ?", [file])
    con.execute("SET VARIABLE month = ?", [month])
    con.execute("SET VARIABLE rate = ?", [rate])
    started = time.perf_counter()
    rows = con.execute(sql).fetchall()
    return time.perf_counter() - started, rows


def calc_run(binary, file, month, rate):
    year = month[:4]
    command = ["/usr/bin/time", "-f", "%M", binary, "calc", "--episodes", file, "--month", month, "--format", "json", "--rate", f"{year}={rate}"]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, check=True)
    elapsed = time.perf_counter() - started
    peak_kb = int(out.stderr.decode().strip().splitlines()[-1])
    return elapsed, peak_kb, json.loads(out.stdout)


def main():
    binary, file, month = sys.argv[1:4]
    rate = int(sys.argv[4]) if len(sys.argv) > 4 else 9300
    # Interleaved, so that both meet the same machine (page cache, other load).
    duck_times, calc_times, peaks = [], [], []
    for _ in range(ROUNDS):
        elapsed, rows = duckdb_run(file, month, rate)
        duck_times.append(elapsed)
        elapsed, peak, output = calc_run(binary, file, month, rate)
        calc_times.append(elapsed)
        peaks.append(peak)
    ours = {(u["municipality_code"], u["district"]): (u["episodes_total"], u["episodes_included"], u["total_days"], u["episodes_with_days"], u["amount_sek"])
            for u in output["units"] if u["model"] == "average"}
    theirs = {(r[0], r[1]): tuple(int(x) for x in r[2:]) for r in rows}
    differing = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
    calc_best, duck_best = min(calc_times), min(duck_times)
    verdict = "same figures on all %d units" % len(ours) if not differing else "DIFFERENT on %d units, e.g. %s: calc %s, duckdb %s" % (
        len(differing), differing[0], ours.get(differing[0]), theirs.get(differing[0]))
    print(f"calc {month}     calc {calc_best:.2f} s (peak {max(peaks) // 1024} MB), DuckDB {duck_best:.2f} s: "
          f"ratio {calc_best / duck_best:.2f} (target <= 1.00, peak <= 150 MB); {verdict}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
