#!/usr/bin/env python3
"""Writes a synthetic episode file (domain.md §5.1) for benchmarks: python3 bench/episodes.py N > file.csv"""
import random
import sys
from datetime import datetime, timedelta

CODES = ["0114", "0115", "0117", "0120", "0123", "0125", "0126", "0127", "0128", "0136", "0138", "0139", "0140",
         "0160", "0162", "0163", "0180", "0181", "0182", "0183", "0184", "0186", "0187", "0188", "0191", "0192"]
# The 13 districts of 2020-07-01 to 2023-06-30 (the file covers 2022).
DISTRICTS = ["Bromma", "Enskede-Årsta-Vantör", "Farsta", "Hässelby-Vällingby", "Kungsholmen", "Skarpnäck",
             "Skärholmen", "Södermalm", "Hägersten-Älvsjö", "Rinkeby-Kista", "Spånga-Tensta", "Norrmalm", "Östermalm"]


def main() -> None:
    count = int(sys.argv[1])
    rng = random.Random(1)
    out = sys.stdout
    out.write("episode_id,municipality_code,district,care_type,care_provider,admission_notice_at,"
              "ready_notice_at,discharged_at,needs_sip,sip_called_at,patient_declined\n")
    start = datetime(2022, 1, 1)
    end = datetime(2023, 6, 20)
    fmt = "%Y-%m-%d %H:%M"
    for i in range(count):
        code = rng.choice(CODES)
        district = rng.choice(DISTRICTS) if code == "0180" else ""
        psychiatric = rng.random() < 0.1
        ready = min(start + timedelta(minutes=rng.randrange(0, 365 * 24 * 60)), end)
        discharged = ready + timedelta(hours=rng.randrange(0, 24 * 8))
        needs_sip = rng.random() < 0.3
        sip = (ready + timedelta(days=rng.randrange(0, 6))).strftime(fmt) if needs_sip else ""
        out.write(f"ep{i},{code},{district},{'psychiatric' if psychiatric else 'somatic'},"
                  f"{'SLSO' if psychiatric else ''},{(ready - timedelta(days=3)).strftime(fmt)},"
                  f"{ready.strftime(fmt)},{discharged.strftime(fmt)},{'ja' if needs_sip else 'nej'},{sip},"
                  f"{'ja' if rng.random() < 0.02 else ''}\n")


main()
