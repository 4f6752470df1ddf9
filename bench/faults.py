#!/usr/bin/env python3
"""Faults an operator meets, injected into a running release build (issue 13), so that the
figures in the issue's note can be measured again:

  kill9       a kill -9 under write load: every case the service acknowledged is still there
  pg-restart  PostgreSQL (a private cluster) stopped for 3 s under a signed-in reader: how
              long after it is back until pages answer 200 again
  garbage     random form bodies (valid session and CSRF token) posted to every POST route:
              no answer may be a 500
  episodes    mutated episode files through `calc` and `import`: no panic, every refusal with
              a line, stderr kept short

    bench/faults.py all              # every fault, SQLite and PostgreSQL where it applies
    bench/faults.py kill9 --rounds 5
    BIN=target/release/tvistetrappa bench/faults.py garbage

Needs only Python's standard library; PostgreSQL's server programs for pg-restart
and kill9 on PostgreSQL (BENCH_PG_URL, default the local server).
"""

import argparse
import base64
import hmac
import http.client
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "demo-losenord-2026"
ADMIN_TOTP_KEY = "KRVGS43UMV2GC5DSMFYHAYJSGAZDMYLE"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DEVIATION = {
    "kind": "deviation",
    "title": "Avsteg under last",
    "filed_by_org": "kommun-0127",
    "counterpart": "enh-sos-medicin-52",
    "commitment_id": "process.sip-called",
    "occurred_from": "2026-11-02",
    "description": "Filed by bench/faults.py.",
    "consequences": "Inga.",
}
EPISODES = """episode_id,municipality_code,district,care_type,admission_notice_at,ready_notice_at,discharged_at,needs_sip,sip_called_at
b1,0127,,somatic,2022-03-01 08:00,2022-03-10 11:59,2022-03-15 10:00,,
b2,0127,,somatic,2022-03-01 08:00,2022-03-10 12:00:01,2022-03-12 10:00,,
b3,0127,,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-20 10:00,ja,2022-03-14 10:00
hud-1,0126,,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-14 10:00,,
s1,0180,Södermalm,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-13 10:00,,
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def totp(key):
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(base64.b32decode(key), counter, "sha1").digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


class Client:
    """One browser: its cookies (the anonymous one before signing in, then the session)."""

    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, body=None, content_type="application/x-www-form-urlencoded"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.split(";")[0].partition("=")
                self.cookies[key] = rest
        conn.close()
        return response.status, response.getheader("Location") or "", text

    def form(self, path):
        status, _, page = self.request("GET", path)
        token = re.search(r'name="csrf" value="([^"]*)"', page)
        key = re.search(r'name="submission" value="([^"]*)"', page)
        return status, (token.group(1) if token else ""), (key.group(1) if key else "")

    def login(self, email):
        _, token, _ = self.form("/logga-in")
        body = urllib.parse.urlencode({"csrf": token, "email": email, "password": PASSWORD, "next": "/"})
        status, location, _ = self.request("POST", "/logga-in", body)
        if location.startswith("/logga-in/kod"):
            _, token, _ = self.form(location)
            status, location, _ = self.request("POST", "/logga-in/kod", urllib.parse.urlencode({"csrf": token, "code": totp(ADMIN_TOTP_KEY), "next": "/"}))
        if status != 303 or location.startswith("/logga-in"):
            raise SystemExit(f"could not sign in as {email}: {status} {location}")
        return self


class Server:
    def __init__(self, binary, url, data):
        self.binary, self.url, self.data, self.port, self.process = binary, url, data, free_port(), None

    def env(self):
        return dict(os.environ, DATABASE_URL=self.url, DATA_DIR=self.data, RUST_LOG="warn", BIND=f"127.0.0.1:{self.port}")

    def cli(self, *args, stdin=None):
        return subprocess.run([self.binary, *args], env=self.env(), input=stdin, capture_output=True)

    def start(self):
        self.process = subprocess.Popen([self.binary, "serve"], env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if Client(self.port).request("GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("the service did not start")

    def kill(self, sig=signal.SIGTERM):
        if self.process:
            self.process.send_signal(sig)
            self.process.wait()
            self.process = None


def databases(work, postgres):
    """(name, url) of a fresh SQLite file and, where asked and reachable, a fresh PostgreSQL database."""
    yield "sqlite", f"sqlite://{work}/faults.db"
    if postgres and subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0:
        subprocess.run(["psql", "-q", PG_ADMIN_URL, "-c", "DROP DATABASE IF EXISTS tvs_faults WITH (FORCE)", "-c", "CREATE DATABASE tvs_faults"], check=True)
        yield "postgresql", PG_ADMIN_URL.rsplit("/", 1)[0] + "/tvs_faults"


def prepared(binary, url, work):
    data = tempfile.mkdtemp(dir=work)
    server = Server(binary, url, data)
    out = server.cli("demo")
    if out.returncode != 0:
        raise SystemExit(out.stderr.decode())
    return server


def kill9(binary, work, rounds, postgres):
    for name, url in databases(work, postgres):
        server = prepared(binary, url, work)
        acknowledged, errors = [], 0
        for _ in range(rounds):
            server.start()
            stop = threading.Event()

            def file_cases():
                nonlocal errors
                client = Client(server.port).login("anna.berg@botkyrka.example")
                while not stop.is_set():
                    try:
                        _, token, key = client.form("/arenden/nytt?typ=deviation")
                        status, location, _ = client.request("POST", "/arenden/nytt", urllib.parse.urlencode(dict(DEVIATION, csrf=token, submission=key)))
                        if status == 303:
                            acknowledged.append(location.split("?")[0])
                        elif status >= 500:
                            errors += 1
                    except OSError:
                        return

            workers = [threading.Thread(target=file_cases) for _ in range(8)]
            for w in workers:
                w.start()
            time.sleep(2 + random.random())
            server.kill(signal.SIGKILL)
            stop.set()
            for w in workers:
                w.join()
        server.start()
        reader = Client(server.port).login("anna.berg@botkyrka.example")
        lost = [path for path in acknowledged if reader.request("GET", path)[0] != 200]
        server.kill()
        print(f"kill9      {name:<11} {rounds} kill -9 under 8 writers: {len(acknowledged)} cases acknowledged, {len(lost)} lost, {errors} answered 5xx")


class PrivateCluster:
    def __init__(self, work):
        versions = sorted(p for p in os.listdir("/usr/lib/postgresql") if os.path.exists(f"/usr/lib/postgresql/{p}/bin/initdb"))
        self.bin = f"/usr/lib/postgresql/{versions[-1]}/bin"
        self.dir = tempfile.mkdtemp(dir=work)
        shutil.chown(self.dir, "postgres", "postgres") if os.geteuid() == 0 else None
        self.port = free_port()
        self.run("initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def run(self, program, *args):
        command = [f"{self.bin}/{program}", *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-o", options, "-l", f"{self.dir}/log", "-w", "start")

    def stop(self, mode="fast"):
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-m", mode, "-w", "stop")

    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"


def pg_restart(binary, work, rounds):
    cluster = PrivateCluster(work)
    try:
        server = prepared(binary, cluster.url(), work).start()
        client = Client(server.port).login("lars.ek@storsthlm.example")
        for round in range(rounds):
            assert client.request("GET", "/arenden")[0] == 200
            cluster.stop()
            down = [client.request("GET", "/arenden")[0] for _ in range(3)]
            time.sleep(3)
            cluster.start()
            back, tries = time.monotonic(), 0
            while client.request("GET", "/arenden")[0] != 200:
                tries += 1
                if time.monotonic() - back > 600:
                    raise SystemExit("pages did not come back within 10 minutes")
                time.sleep(0.05)
            healed = time.monotonic() - back
            statuses = [client.request("GET", "/arenden")[0] for _ in range(20)]
            print(f"pg-restart round {round + 1}: answers while down {sorted(set(down))}, 200 again {healed:.2f} s after PostgreSQL was back, "
                  f"next 20 pages: {statuses.count(200)} × 200")
        server.kill()
    finally:
        cluster.stop("immediate")


def garbage_value(rng):
    choices = [
        "", "0", "-1", "99999999999999999999", "ö" * rng.randint(1, 5000), "\x00", "\r\n", "%00", "'; DROP TABLE cases; --",
        "<script>alert(1)</script>", "2026-02-30", "9999-12-31", "NaN", "1e309", "x" * 200_000, "kommun-0127", "hsf", "process.sip-called",
    ]
    return rng.choice(choices)


def garbage(binary, work, posts, postgres):
    fields = ["title", "description", "consequences", "counterpart", "commitment_id", "occurred_from", "occurred_to", "filed_by_org",
              "amount_sek", "payment_month", "billing_unit_id", "action", "text", "outcome", "decided_on", "version", "reference",
              "email", "name", "role", "organisation_id", "year", "amount", "month", "invoice_date", "row_key", "answer", "kind"]
    routes_file = open(f"{ROOT}/tests/app/routes.rs").read()
    routes = re.findall(r'\("POST", "([^"]+)"', routes_file)
    for name, url in databases(work, postgres):
        server = prepared(binary, url, work).start()
        rng = random.Random(13)
        counts, failures = {}, []
        sessions = [Client(server.port).login(e) for e in ("anna.berg@botkyrka.example", "maria.sund@hsf.example", "admin@tvistetrappa.example")]
        case = sessions[0].request("GET", "/arenden")[2]
        number = (re.search(r'href="/arenden/([A-Z]+-\d{4}-\d+)"', case) or [None, "X"])[1]
        for i in range(posts):
            client = rng.choice(sessions)
            path = rng.choice(routes).replace("{number}", number).replace("{id}", rng.choice(["1", "x", "kommun-0127"])).replace("{token}", "x")
            if path in ("/logga-ut", "/logga-in", "/logga-in/kod", "/konto/losenord"):
                continue
            _, token, key = client.form("/")
            body = {"csrf": token, "submission": key}
            for f in rng.sample(fields, rng.randint(1, 10)):
                # Now and then a field sent twice, as no browser sends a single-valued one.
                body[f] = garbage_value(rng) if rng.random() < 0.8 else [garbage_value(rng), garbage_value(rng)]
            status, _, text = client.request("POST", path, urllib.parse.urlencode(body, doseq=True))
            counts[status] = counts.get(status, 0) + 1
            if status >= 500 or "panicked" in text:
                failures.append((path, status))
        server.kill()
        print(f"garbage    {name:<11} {sum(counts.values())} posts: statuses {dict(sorted(counts.items()))}; 5xx or panics: {failures[:10] or 'none'}")


def mutate(rng, text):
    """One fault in an otherwise valid file: a control character, an oversized value, a
    missing cell, a wrong value, an oversized or wrong header, no rows, or a flipped byte."""
    header, *rows = text.splitlines()
    kind = rng.randrange(7)
    if kind == 5:
        return (header + "\n").encode()
    if kind == 6:
        raw = bytearray(text.encode())
        raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw)
    if kind == 4:
        names = header.split(",")
        names[rng.randrange(len(names))] = rng.choice(["y" * 1_000_000, "episode_id", "", "municipality code"])
        return ("\n".join([",".join(names), *rows]) + "\n").encode()
    row = rng.randrange(len(rows))
    cells = rows[row].split(",")
    column = rng.randrange(len(cells))
    if kind == 0:
        cells[column] += chr(rng.choice([0, 1, 7, 8, 27, 127]))
    elif kind == 1:
        cells[column] = "x" * rng.choice([300, 70_000, 3_000_000])
    elif kind == 2:
        del cells[column]
    else:
        cells[column] = rng.choice(["2022-13-01 10:00", "2022-02-30 10:00", "ja ja", "-0", "9999", '"', "Södermalm\u200b"])
    rows[row] = ",".join(cells)
    return ("\n".join([header, *rows]) + "\n").encode()


def episodes(binary, work, files):
    rng = random.Random(313)
    server = prepared(binary, f"sqlite://{work}/episodes.db", work)
    panics, unlocated, accepted, refused, longest = 0, 0, 0, 0, 0
    for _ in range(files):
        data = mutate(rng, EPISODES)
        for args in (["calc", "--episodes", "-", "--month", "2022-03", "--format", "json"], ["import", "--episodes", "-"]):
            out = server.cli(*args, stdin=data)
            stderr = out.stderr.decode("utf-8", "replace")
            longest = max(longest, len(out.stderr))
            panics += "panicked" in stderr
            if out.returncode == 0:
                accepted += 1
            else:
                refused += 1
                unlocated += not re.search(r"line \d+|the file is empty|cannot read", stderr)
    print(f"episodes   sqlite      {files} mutated files through calc and import: {accepted} accepted, {refused} refused, "
          f"{unlocated} refusals without a line, {panics} panics, longest stderr {longest} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fault", choices=["kill9", "pg-restart", "garbage", "episodes", "all"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--posts", type=int, default=666)
    parser.add_argument("--files", type=int, default=313)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    binary = os.environ.get("BIN")
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "tvistetrappa")
    work = tempfile.mkdtemp(prefix="tvs-faults-")
    os.chmod(work, 0o755)
    try:
        postgres = not args.sqlite_only
        if args.fault in ("kill9", "all"):
            kill9(binary, work, args.rounds, postgres)
        if args.fault in ("pg-restart", "all") and postgres:
            pg_restart(binary, work, args.rounds)
        if args.fault in ("garbage", "all"):
            garbage(binary, work, args.posts, postgres)
        if args.fault in ("episodes", "all"):
            episodes(binary, work, args.files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
