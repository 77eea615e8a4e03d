#!/usr/bin/env python3
"""Benchmark: team mode against the embedded archive, in the same run (issue 16): ingest of the
synthetic Telegram Desktop export into SQLite and into PostgreSQL with 1 and with 4 writers, and
search latency from a `tgscope serve` over each.

What it does:

1. Builds `tgscope` and `tgscope-bench` of this tree in release ($CARGO_TARGET_DIR or target/).
2. Writes the exports once (reused when present), under target/bench-team/:
   - `full`: `tgscope-bench gen --size SIZE --seed 7` (default 1GB, the ingest benchmark's
     export: about 473,000 posts of one channel);
   - `part-1` .. `part-4`: `gen --size SIZE/4 --seed 7+k --channel k`: four channels' exports of
     a quarter of the size each, together as big as `full` (four people ingesting four
     channels at once).
3. Starts a throwaway PostgreSQL server (initdb in target/bench-team/pg, a free port on
   loopback, default settings: fsync on; run as the `postgres` system user when this runs as
   root, as the tests do), stopped at the end.
4. Times, under `/usr/bin/time` (wall, CPU, peak RSS of each process), --runs times in turn
   (the order rotating from one run to the next; medians reported, every run kept):
   - `sqlite, issue start (79d7c84)`: the same ingest by `tgscope` of the commit before issue
     16's work (--baseline), built as benches/ingest/run.py builds it (a git worktree in
     target/bench-ingest/baseline-src): the rate that issue's PostgreSQL target names;
   - `sqlite`: `tgscope --archive DIR ingest full --no-media` into a fresh embedded archive;
   - `postgres, 1 writer`: the same into a fresh database (`--database postgres://...`);
   - `postgres, 4 writers`: four `tgscope --database ... ingest part-k --no-media` processes
     started at once into another fresh database, sharing one folder; wall time until the last
     ends, and the sum of their CPU.
   Each ingest builds the archive, its search index and the analyses (copies, networks,
   entities), as `tgscope ingest` always does. Posts per second = posts / wall.
5. Search latency: `tgscope serve` over the SQLite archive and over the 1-writer database (a
   reader account and its API token made with `tgscope user`, sent as `Authorization: Bearer`),
   each loaded by `tgscope-bench load` (--clients clients, --requests requests: search pages,
   post pages and API searches in turn), one after the other; medians and p99 per kind.

Writes target/bench-team/summary.json and summary.md and prints the Markdown.

usage: benches/team/run.py [--size 1GB] [--runs 1] [--baseline 79d7c84] [--clients 4]
                          [--requests 600]
"""
import argparse
import importlib.util
import json
import os
import platform
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
OUT = os.path.join(ROOT, "target", "bench-team")
TGSCOPE = os.path.join(TARGET, "release", "tgscope")
BENCH = os.path.join(TARGET, "release", "tgscope-bench")
BASELINE = "79d7c84"
BASELINE_NAME = f"sqlite, issue start ({BASELINE})"


def sh(cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def parse_size(text):
    m = re.fullmatch(r"(\d+)\s*([KMG]?B?)", text.strip().upper())
    if not m:
        raise SystemExit(f"--size: {text!r} is not a size like 1GB or 200MB")
    unit = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "M": 1 << 20, "MB": 1 << 20,
            "G": 1 << 30, "GB": 1 << 30}[m.group(2)]
    return int(m.group(1)) * unit


def generate(name, size, seed, channel):
    out = os.path.join(OUT, name)
    meta = os.path.join(out, "gen.json")
    if os.path.exists(meta):
        with open(meta) as f:
            return json.load(f)
    got = json.loads(sh([BENCH, "gen", "--size", str(size), "--seed", str(seed), "--channel",
                         str(channel), "--out", out], capture_output=True, text=True).stdout)
    with open(meta, "w") as f:
        json.dump(got, f)
    return got


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name):
    for version in ("17", "16", "15"):
        path = f"/usr/lib/postgresql/{version}/bin/{name}"
        if os.path.exists(path):
            return path
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"PostgreSQL's {name} is not installed (apt install postgresql)")
    return found


class Postgres:
    """A throwaway PostgreSQL server in `dir`, on a free port of loopback."""

    def __init__(self, dir):
        if os.path.exists(dir):
            shutil.rmtree(dir)
        os.makedirs(dir)
        self.dir, self.port = dir, free_port()
        self.run_as = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(dir, user.pw_uid, user.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(dir, "data")
        sh([*self.run_as, pg_bin("initdb"), "-D", data, "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-sync"], stdout=subprocess.DEVNULL)
        sh([*self.run_as, pg_bin("pg_ctl"), "-D", data, "-w", "-l", os.path.join(dir, "log"),
            "-o", f"-p {self.port} -k {dir} -c listen_addresses=127.0.0.1", "start"],
           stdout=subprocess.DEVNULL)
        self.data = data

    def database(self, name):
        sh([pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q",
            "-c", f"CREATE DATABASE {name}"])
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self):
        subprocess.run([*self.run_as, pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "stop"],
                       stdout=subprocess.DEVNULL)


def start_timed(args, log, binary=None):
    usage = tempfile.NamedTemporaryFile("r", delete=False)
    cmd = [binary or TGSCOPE, *args]
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%e %U %S %M", "-o", usage.name, *cmd],
                            stdout=subprocess.DEVNULL, stderr=log, text=True)
    return proc, usage


def finish_timed(proc, usage, log):
    code = proc.wait()
    if code != 0:
        log.seek(0)
        raise RuntimeError(f"tgscope failed ({code}):\n{log.read()[-3000:]}")
    wall, user, system, kb = usage.read().split()[-4:]
    os.unlink(usage.name)
    return {"seconds": float(wall), "cpu_seconds": round(float(user) + float(system), 2),
            "peak_rss_bytes": int(kb) * 1024}


def timed_ingests(jobs, binary=None):
    """Starts every (args) at once; their wall time until the last ends, CPU summed."""
    load = loadavg()
    logs = [tempfile.TemporaryFile("w+") for _ in jobs]
    started = time.monotonic()
    running = [start_timed(args, log, binary) for args, log in zip(jobs, logs)]
    results = [finish_timed(p, u, log) for (p, u), log in zip(running, logs)]
    wall = time.monotonic() - started
    return {"seconds": round(wall, 2),
            "cpu_seconds": round(sum(r["cpu_seconds"] for r in results), 2),
            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in results),
            "processes": results, "loadavg_start": load}


def median_run(runs):
    """The run of median wall time (the lower middle one of an even count)."""
    return sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]


def build_baseline(rev):
    """`tgscope` of `rev`, as benches/ingest/run.py builds it (shared worktree and target)."""
    spec = importlib.util.spec_from_file_location(
        "ingest_bench", os.path.join(ROOT, "benches", "ingest", "run.py"))
    ingest_bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ingest_bench)
    return ingest_bench.build_baseline(rev)


def serve(args):
    cmd = [TGSCOPE, *args, "serve", "--bind", "127.0.0.1:0"]
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise RuntimeError(f"serve did not start: {url!r}")
    return proc, url


def load(url, posts, clients, requests, token=None):
    env = dict(os.environ)
    if token:
        env["TGSCOPE_BENCH_TOKEN"] = token
    # A first pass warms the index and the caches; the second is measured.
    for measured in (False, True):
        got = sh([BENCH, "load", "--url", url, "--clients", str(clients), "--requests",
                  str(requests if measured else max(requests // 5, 30)), "--posts", str(posts)],
                 capture_output=True, text=True, env=env)
    return json.loads(got.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1GB")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--baseline", default=BASELINE)
    args = ap.parse_args()
    if args.baseline != BASELINE:
        raise SystemExit(f"--baseline: only {BASELINE} is named in the table")
    baseline, _ = build_baseline(args.baseline)
    size = parse_size(args.size)
    os.makedirs(OUT, exist_ok=True)
    sh(["cargo", "build", "--release", "-q", "-p", "tgscope-cli", "-p", "tgscope-bench"],
       cwd=ROOT)
    summary = {"machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                           "loadavg_start": loadavg()},
               "head": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT,
                                      capture_output=True, text=True).stdout.strip()}
    full = generate(f"gen-{args.size}-full", size, 7, 0)
    parts = [generate(f"gen-{args.size}-part-{k}", size // 4, 7 + k, k) for k in range(1, 5)]
    summary["exports"] = {"full": full, "parts": parts}
    work = os.path.join(OUT, "work")
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    pg = Postgres(os.path.join(OUT, "pg"))
    servers = []
    try:
        sqlite_dir = os.path.join(work, "sqlite")
        databases = {}

        def job(name, r):
            """The binary and the commands (started at once) of one ingest job of run r."""
            if name == BASELINE_NAME:
                return baseline, [["--archive", os.path.join(work, f"baseline-{r}"), "ingest",
                                   full["path"], "--no-media"]]
            if name == "sqlite":
                # The first run's archive is kept, for the search server.
                archive = sqlite_dir if r == 0 else os.path.join(work, f"sqlite-{r}")
                return TGSCOPE, [["--archive", archive, "ingest", full["path"], "--no-media"]]
            if name == "postgres, 1 writer":
                url = databases[(name, r)] = pg.database(f"one_writer_{r}")
                return TGSCOPE, [["--database", url, "--archive",
                                  os.path.join(work, f"pg-one-{r}"), "ingest", full["path"],
                                  "--no-media"]]
            url = pg.database(f"four_writers_{r}")
            return TGSCOPE, [["--database", url, "--archive", os.path.join(work, f"pg-four-{r}"),
                              "ingest", p["path"], "--no-media"] for p in parts]

        names = [BASELINE_NAME, "sqlite", "postgres, 1 writer", "postgres, 4 writers"]
        every = {name: [] for name in names}
        for r in range(args.runs):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                binary, commands = job(name, r)
                every[name].append(timed_ingests(commands, binary))
                for c in commands:
                    path = c[c.index("--archive") + 1]
                    if path != sqlite_dir and os.path.exists(path):
                        shutil.rmtree(path)
        posts = {BASELINE_NAME: full["posts"], "sqlite": full["posts"],
                 "postgres, 1 writer": full["posts"],
                 "postgres, 4 writers": sum(p["posts"] for p in parts)}
        runs = {}
        for name in names:
            r = dict(median_run(every[name]))
            r["posts"] = posts[name]
            r["posts_per_second"] = round(posts[name] / r["seconds"])
            r["every_run"] = [[x["seconds"], x["cpu_seconds"]] for x in every[name]]
            runs[name] = r
        summary["ingest"] = runs
        summary["four_writers_against_issue_start"] = round(
            runs["postgres, 4 writers"]["posts_per_second"]
            / runs[BASELINE_NAME]["posts_per_second"], 2)
        one = databases[("postgres, 1 writer", 0)]

        # Search latency: a server over each archive, loaded one after the other.
        team = ["--database", one, "--archive", os.path.join(work, "pg-server")]
        subprocess.run([TGSCOPE, *team, "user", "add", "bench", "--role", "reader",
                        "--password-stdin"], input="bench password long enough", text=True,
                       check=True, stdout=subprocess.DEVNULL)
        token = subprocess.run([TGSCOPE, *team, "user", "token", "create", "bench", "--name",
                                "load test"], capture_output=True, text=True,
                               check=True).stdout.strip().splitlines()[-1].strip()
        latency = {}
        proc, url = serve(["--archive", sqlite_dir])
        servers.append(proc)
        latency["sqlite"] = load(url, full["posts"], args.clients, args.requests)
        proc.terminate()
        proc.wait()
        proc, url = serve(team)
        servers.append(proc)
        latency["postgres"] = load(url, full["posts"], args.clients, args.requests, token)
        proc.terminate()
        proc.wait()
        summary["latency"] = latency
    finally:
        for proc in servers:
            if proc.poll() is None:
                proc.kill()
        pg.stop()
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    lines = [f"Exports: {full['posts']:,} posts in one channel, {full['bytes'] / 2**20:,.0f} MiB "
             f"(`tgscope-bench gen --size {args.size} --seed 7`), and four channels of a quarter "
             f"each ({sum(p['posts'] for p in parts):,} posts). tgscope {summary['head'][:7]}; "
             f"{summary['machine']['cores']} cores; PostgreSQL on the same machine.", "",
             f"Medians of {args.runs} run(s), in turn.", "",
             "| ingest into | wall | CPU (tgscope) | posts/s | peak RSS (largest process) | "
             "every run (wall / CPU) |",
             "|---|---|---|---|---|---|"]
    for name, r in summary["ingest"].items():
        each = ", ".join(f"{w:.2f} / {c:.2f}" for w, c in r["every_run"])
        lines.append(f"| {name} | {r['seconds']:.2f} s | {r['cpu_seconds']:.2f} s | "
                     f"{r['posts_per_second']:,} | {r['peak_rss_bytes'] / 2**20:,.0f} MiB | "
                     f"{each} |")
    lines += ["", "PostgreSQL with 4 writers against the embedded archive at the issue's start: "
                  f"{summary['four_writers_against_issue_start']:.2f}x (target: at least 1x)."]
    lines += ["", f"Search latency ({args.clients} clients, {args.requests} requests after a "
                  "warm-up pass), in ms:", "",
              "| server over | request | median | p99 | errors |", "|---|---|---|---|---|"]
    for name, m in summary["latency"].items():
        for kind, v in m.items():
            if isinstance(v, dict) and "p50_ms" in v:
                lines.append(f"| {name} | {kind} | {v['p50_ms']:.1f} | {v['p99_ms']:.1f} | "
                             f"{m['errors']} |")
    md = "\n".join(lines)
    with open(os.path.join(OUT, "summary.md"), "w") as f:
        f.write(md + "\n")
    print()
    print(md)


if __name__ == "__main__":
    main()
