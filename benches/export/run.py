#!/usr/bin/env python3
"""Benchmark: `tgscope export` of a 1M-post archive to JSON Lines, CSV and Parquet, against
DuckDB converting the JSON Lines export to Parquet, in the same run (issue 15).

What it does:

1. Creates a venv under target/bench-venv-export (once) with duckdb==2.0.1 and pyarrow==26.0.1
   from PyPI.
2. Builds `tgscope` (package tgscope-cli) and `tgscope-bench` in release (in $CARGO_TARGET_DIR
   when it is set, else target/).
3. Makes the archive once, in target/bench-export/archive-N (N = --posts, default 1,000,000): a
   synthetic Telegram Desktop export of one channel (`tgscope-bench gen --size S --seed 7`; the
   generator writes a single channel and takes a size, not a post count: S starts at 2,270 bytes
   per post and grows until the export holds at least N posts), ingested by `tgscope --archive
   DIR ingest result.json -q --no-media` (timed, not part of the benchmark), and its post count
   read from `tgscope stats --format json`. The archive is reused when archive.json records the
   same N and seed and the stats' post count equals the export's (a complete ingest); --regen
   makes it again. The export's folder is deleted after a successful ingest (the archive keeps
   its raw bytes).
   Then a second channel that reposts the first --copies posts of the first (default 200,000):
   `tgscope-bench gen` with the same seed and a smaller size writes the same posts in the same
   order, and this script renames the channel (name, id, authors) and moves every date one hour
   later, line by line; ingested the same way, it gives copy clusters of two posts (a forward
   stays a forward of the same source), so that the export also writes every clustered post's
   cluster and relation, as in an archive of many channels. Recorded as archive.json's
   "copier" (added to an archive made before it existed).
4. Reads the archive's files once (into the page cache), then runs --runs rounds (default 3).
   Each round runs the four jobs below, in an order that rotates by one each round (round 1:
   jsonl, csv, parquet, duckdb; round 2: csv, parquet, duckdb, jsonl; ...), so that no job always
   follows the same one. Each job writes a fresh file in target/bench-export/out-N (the file is
   deleted before the job) and runs under `/usr/bin/time -f "%e %U %S %M"` (wall, user + system
   CPU, peak RSS of the process):
   - `tgscope --archive DIR export --format jsonl|csv|parquet -o FILE -q` (each takes -o);
   - DuckDB: this script run by the venv's Python in a process of its own, connecting an
     in-memory database and running `COPY (SELECT * FROM read_json('posts.jsonl',
     format='newline_delimited')) TO 'duckdb.parquet' (FORMAT parquet, COMPRESSION zstd)` with
     DuckDB's default threads (one per core; the run records `current_setting('threads')` and
     the memory limit). Its wall and memory include starting Python and importing duckdb
     (measured once beforehand as a process that only imports duckdb, and reported).
   The load average (1, 5 and 15 min) is recorded before each job. Every job reports the median
   wall and CPU of its runs, the largest peak RSS and the file's size.
5. Checks the files of the last round: JSON Lines lines and CSV rows (parsed with Python's csv
   module; header excluded) equal the stats' post count; tgscope's Parquet file read by pyarrow
   (row count from the footer, row groups, columns) and counted by DuckDB (`count(*)` from
   read_parquet) equals the JSONL's line count; so does DuckDB's own Parquet file.

tgscope runs with its allocator's default settings (mimalloc; MIMALLOC_PURGE_DELAY is not set):
each export is a single process with a single stage, and its peak RSS is what a user sees.

Timings are wall-clock; CPU seconds and the load average are reported beside them because
other work may share the machine. Writes target/bench-export/summary.json and summary.md and
prints the Markdown.

usage: benches/export/run.py [--posts N] [--copies C] [--runs R] [--regen] [--keep-outputs]
   e.g. benches/export/run.py --posts 50000   (a trial), benches/export/run.py (1M posts)
"""
import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
BIN = os.path.join(TARGET, "release")
TGSCOPE = os.path.join(BIN, "tgscope")
BENCH = os.path.join(BIN, "tgscope-bench")
VENV = os.path.join(ROOT, "target", "bench-venv-export")
VENV_PY = os.path.join(VENV, "bin", "python")
DUCKDB_VERSION = "2.0.1"
PYARROW_VERSION = "26.0.1"
OUT = os.path.join(ROOT, "target", "bench-export")
SEED = 7
# Bytes of the synthetic export per post at seed 7 start from this: it gives about 2,263
# (113,249,058 bytes for 50,041 posts); 2,270 leaves room (1,000,927 posts for 1M).
BYTES_PER_POST = 2270
JOBS = ["jsonl", "csv", "parquet", "duckdb"]
FILES = {"jsonl": "posts.jsonl", "csv": "posts.csv", "parquet": "posts.parquet",
         "duckdb": "duckdb.parquet"}
LABELS = {"jsonl": "tgscope export --format jsonl", "csv": "tgscope export --format csv",
          "parquet": "tgscope export --format parquet",
          "duckdb": "DuckDB: the JSONL export to Parquet (zstd)"}
TARGET_RSS = 300 * 10**6


# --------------------------------------------------------------------------------------------
# Peer mode: run with the venv's Python.

def peer_convert(args):
    """DuckDB converts the JSONL export to Parquet; prints its settings and the COPY's time."""
    import duckdb
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    threads, memory_limit = con.execute(
        "SELECT current_setting('threads'), current_setting('memory_limit')").fetchone()
    start = time.perf_counter()
    con.execute(f"COPY (SELECT * FROM read_json({sql_str(args.jsonl)}, "
                f"format='newline_delimited')) TO {sql_str(args.out)} "
                f"(FORMAT parquet, COMPRESSION zstd)")
    seconds = time.perf_counter() - start
    print(json.dumps({"duckdb_version": duckdb.__version__, "threads": threads,
                      "memory_limit": memory_limit, "copy_seconds": round(seconds, 3)}))


def peer_import(_args):
    """Only imports duckdb: the start-up cost inside the DuckDB job's figures."""
    import duckdb
    print(json.dumps({"duckdb_version": duckdb.__version__}))


def peer_check(args):
    """Row counts of both Parquet files, by pyarrow (footer) and DuckDB (count(*))."""
    import duckdb
    import pyarrow
    import pyarrow.parquet as pq
    out = {"pyarrow_version": pyarrow.__version__, "duckdb_version": duckdb.__version__}
    con = duckdb.connect()
    for name, path in (("tgscope", args.parquet), ("duckdb", args.duckdb_parquet)):
        meta = pq.ParquetFile(path).metadata
        compressions = sorted({meta.row_group(0).column(i).compression
                               for i in range(meta.num_columns)}) if meta.num_row_groups else []
        out[name] = {
            "pyarrow_rows": meta.num_rows,
            "row_groups": meta.num_row_groups,
            "rows_per_group_max": max((meta.row_group(i).num_rows
                                       for i in range(meta.num_row_groups)), default=0),
            "leaf_columns": meta.num_columns,
            "top_level_columns": len(pq.read_schema(path).names),
            "compression": compressions,
            "created_by": meta.created_by,
            "duckdb_rows": con.execute(
                f"SELECT count(*) FROM read_parquet({sql_str(path)})").fetchone()[0],
        }
    print(json.dumps(out))


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------
# The driver.

def sh(cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd, env=None):
    """Runs a command under /usr/bin/time: wall and CPU seconds (user + system) and peak RSS
    (GNU time's, measured by a small parent so that this script's memory does not count), and
    its stdout."""
    print("$", " ".join(cmd), flush=True)
    with tempfile.NamedTemporaryFile("r") as usage, tempfile.TemporaryFile("w+") as out, \
            tempfile.TemporaryFile("w+") as err:
        got = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", usage.name, *cmd],
                             stdout=out, stderr=err, text=True, env=env)
        out.seek(0)
        err.seek(0)
        if got.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed ({got.returncode}):\n{err.read()[-3000:]}")
        wall, user, system, kb = usage.read().split()[-4:]
        return {"seconds": float(wall), "cpu_seconds": round(float(user) + float(system), 2),
                "peak_rss_bytes": int(kb) * 1024}, out.read()


def ensure_venv():
    if not os.path.exists(VENV_PY):
        sh([sys.executable, "-m", "venv", VENV])
    have = subprocess.run(
        [VENV_PY, "-c", "import duckdb, pyarrow, sys; "
         f"sys.exit(duckdb.__version__ != '{DUCKDB_VERSION}' "
         f"or pyarrow.__version__ != '{PYARROW_VERSION}')"], capture_output=True)
    if have.returncode != 0:
        sh([VENV_PY, "-m", "pip", "install", "-q", f"duckdb=={DUCKDB_VERSION}",
            f"pyarrow=={PYARROW_VERSION}"])


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def mib(b):
    return f"{b / 2**20:,.0f} MiB"


def size_label(b):
    return f"{b / 2**30:.2f} GiB" if b >= 2**30 else f"{b / 2**20:,.0f} MiB"


def stats_posts(archive):
    out = sh([TGSCOPE, "--archive", archive, "stats", "--format", "json", "-q"],
             capture_output=True, text=True).stdout
    return json.loads(out)


def make_archive(n, regen):
    """The archive of at least n posts (reused when complete); returns (dir, its record)."""
    d = os.path.join(OUT, f"archive-{n}")
    archive = os.path.join(d, "archive")
    meta_path = os.path.join(d, "archive.json")
    if not regen and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("posts_requested") == n and meta.get("seed") == SEED:
            stats = stats_posts(archive)
            if stats["posts"] == meta["gen"]["posts"] + meta.get("copier", {}).get("posts", 0):
                meta["reused"] = True
                return archive, meta
        print(f"# {meta_path} does not match or the archive is incomplete: making it again",
              file=sys.stderr)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    export = os.path.join(d, "export")
    size = n * BYTES_PER_POST
    for _ in range(5):
        gen = json.loads(sh([BENCH, "gen", "--size", str(size), "--seed", str(SEED), "--out",
                             export], capture_output=True, text=True).stdout)
        if gen["posts"] >= n:
            break
        size = int(size * n / gen["posts"] * 1.002) + 1
    else:
        sys.exit(f"tgscope-bench gen gave {gen['posts']} posts at {size} bytes, fewer than {n}")
    load = loadavg()
    cost, report = timed([TGSCOPE, "--archive", archive, "ingest", gen["path"], "-q",
                          "--no-media", "--report", "json"])
    cost["loadavg_start"] = load
    report = json.loads(report)
    stats = stats_posts(archive)
    if stats["posts"] != gen["posts"]:
        sys.exit(f"the archive holds {stats['posts']} posts, the export {gen['posts']}")
    meta = {"posts_requested": n, "seed": SEED, "gen_size": size, "gen": gen,
            "ingest": cost, "ingest_posts_new": report["posts_new"], "reused": False}
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    shutil.rmtree(export)
    return archive, meta


COPIER_NAME = "Эхо сводки | Brief Echo"
COPIER_ID = 1734250918


def copier_export(src, dst):
    """Writes the export at src as another channel's (name, id, authors renamed) with every
    date one hour later: the first channel's posts reposted. Returns the source channel's id."""
    import re
    date = re.compile(r'^(\s*"(?:date|edited)": ")(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(",?)$')
    unix = re.compile(r'^(\s*"(?:date|edited)_unixtime": ")(\d+)(",?)$')
    source_id = None
    name = None
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        header = True
        for line in fin:
            line = line.rstrip("\n")
            if header:
                if line.startswith(' "name": '):
                    name = json.loads(line[len(' "name": '):].rstrip(","))
                    line = f' "name": {json.dumps(COPIER_NAME, ensure_ascii=False)},'
                elif line.startswith(' "id": '):
                    source_id = int(line[len(' "id": '):].rstrip(","))
                    line = f' "id": {COPIER_ID},'
                elif line.startswith(' "messages"'):
                    header = False
            elif (m := date.match(line)):
                t = time.strptime(m.group(2), "%Y-%m-%dT%H:%M:%S")
                later = time.strftime("%Y-%m-%dT%H:%M:%S",
                                      time.gmtime(__import__("calendar").timegm(t) + 3600))
                line = m.group(1) + later + m.group(3)
            elif (m := unix.match(line)):
                line = m.group(1) + str(int(m.group(2)) + 3600) + m.group(3)
            elif line.lstrip().startswith('"from": ') and name is not None:
                indent = line[:len(line) - len(line.lstrip())]
                comma = "," if line.endswith(",") else ""
                if json.loads(line.lstrip()[len('"from": '):].rstrip(",")) == name:
                    line = f'{indent}"from": {json.dumps(COPIER_NAME, ensure_ascii=False)}{comma}'
            elif source_id and f'"channel{source_id}"' in line and '"from_id"' in line:
                line = line.replace(f'"channel{source_id}"', f'"channel{COPIER_ID}"')
            fout.write(line + "\n")
    if source_id is None:
        sys.exit(f"{src}: no channel id in the export's header")
    return source_id


def add_copier(archive, meta, copies):
    """Ingests the second channel (reposts of the first `copies` posts) unless it is there."""
    if meta.get("copier", {}).get("posts_requested") == copies:
        return meta
    d = os.path.dirname(archive)
    export = os.path.join(d, "copier-gen")
    size = copies * BYTES_PER_POST
    for _ in range(5):
        gen = json.loads(sh([BENCH, "gen", "--size", str(size), "--seed", str(SEED), "--out",
                             export], capture_output=True, text=True).stdout)
        if gen["posts"] >= copies:
            break
        size = int(size * copies / gen["posts"] * 1.002) + 1
    copier = os.path.join(d, "copier")
    os.makedirs(copier, exist_ok=True)
    path = os.path.join(copier, "result.json")
    copier_export(gen["path"], path)
    shutil.rmtree(export)
    load = loadavg()
    cost, report = timed([TGSCOPE, "--archive", archive, "ingest", path, "-q", "--no-media",
                          "--report", "json"])
    cost["loadavg_start"] = load
    report = json.loads(report)
    stats = stats_posts(archive)
    if stats["posts"] != meta["gen"]["posts"] + gen["posts"]:
        sys.exit(f"the archive holds {stats['posts']} posts, the exports "
                 f"{meta['gen']['posts']} + {gen['posts']}")
    meta = dict(meta, copier={"posts_requested": copies, "gen_size": size,
                              "posts": gen["posts"], "ingest": cost,
                              "ingest_posts_new": report["posts_new"]})
    with open(os.path.join(d, "archive.json"), "w") as f:
        json.dump(meta, f, indent=1)
    shutil.rmtree(copier)
    return meta


def dir_bytes(d):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)


def warm(d):
    """Reads every file of the archive once, so that the first job does not pay for the disk."""
    for r, _, fs in os.walk(d):
        for f in fs:
            with open(os.path.join(r, f), "rb") as fh:
                while fh.read(1 << 24):
                    pass


def run_job(job, archive, out):
    path = os.path.join(out, FILES[job])
    if os.path.exists(path):
        os.remove(path)
    if job == "duckdb":
        cmd = [VENV_PY, os.path.abspath(__file__), "--peer", "convert",
               "--jsonl", os.path.join(out, FILES["jsonl"]), "--out", path]
    else:
        cmd = [TGSCOPE, "--archive", archive, "export", "--format", job, "-o", path, "-q"]
    load = loadavg()
    cost, stdout = timed(cmd)
    cost["loadavg_start"] = load
    cost["file_bytes"] = os.path.getsize(path)
    if job == "duckdb":
        cost["duckdb"] = json.loads(stdout)
    return cost


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
    return n


def count_clustered(path):
    """Lines of the JSONL export whose post is in a copy cluster, and the clusters."""
    posts, firsts = 0, 0
    with open(path, "rb") as f:
        for line in f:
            if b'"cluster":null' not in line:
                posts += 1
                firsts += b'"relation":"first"' in line
    return {"posts": posts, "clusters": firsts}


def count_csv_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return sum(1 for _ in reader), len(header)


def summarize(runs):
    return {"runs": len(runs),
            "seconds_median": round(statistics.median(r["seconds"] for r in runs), 2),
            "seconds_min": min(r["seconds"] for r in runs),
            "seconds_max": max(r["seconds"] for r in runs),
            "cpu_seconds_median": round(statistics.median(r["cpu_seconds"] for r in runs), 2),
            "peak_rss_bytes_max": max(r["peak_rss_bytes"] for r in runs),
            "peak_rss_bytes_median": statistics.median(r["peak_rss_bytes"] for r in runs),
            "file_bytes": runs[-1]["file_bytes"]}


def targets(s):
    j, p = s["jobs"]["jsonl"]["summary"], s["jobs"]["parquet"]["summary"]
    big = s["archive"]["posts"] >= 1_000_000
    scope = "" if big else f" (measured at {s['archive']['posts']:,} posts, not 1M)"
    return [
        ("Parquet export no slower than JSONL export" + scope,
         p["seconds_median"] <= j["seconds_median"],
         f"median wall {p['seconds_median']:.2f} s against {j['seconds_median']:.2f} s; CPU "
         f"{p['cpu_seconds_median']:.2f} s against {j['cpu_seconds_median']:.2f} s"),
        ("Parquet export in <= 300 MB of memory" + scope,
         p["peak_rss_bytes_max"] <= TARGET_RSS,
         f"largest peak RSS of {p['runs']} runs {p['peak_rss_bytes_max'] / 1e6:.0f} MB "
         f"({mib(p['peak_rss_bytes_max'])})"),
    ]


def markdown(s):
    a = s["archive"]
    lines = []
    copier = a.get("copier")
    k = s["clustered_posts"]
    lines.append(f"Archive: {a['posts']:,} posts ({a['forwards']:,} forwards): "
                 f"{a['gen']['posts']:,} of one channel, from a synthetic Desktop export of "
                 f"{size_label(a['gen']['bytes'])} (`tgscope-bench gen --size {a['gen_size']} "
                 f"--seed {a['seed']}`)"
                 + (f", and {copier['posts']:,} of a second channel that reposts the "
                    f"first {copier['posts']:,} posts of the first an hour later (`--copies "
                    f"{copier['posts_requested']}`; ingest {copier['ingest']['seconds']:.0f} s)"
                    if copier else "")
                 + f"; {k['posts']:,} posts are in {k['clusters']:,} copy clusters, and the "
                 f"export writes each one's cluster and relation; the archive "
                 f"takes {size_label(a['archive_bytes'])} on disk (SQLite database "
                 f"{size_label(a['database_bytes'])}). Ingest "
                 f"{a['ingest']['seconds']:.0f} s"
                 + (" (an earlier run; the archive was reused)" if a["reused"] else "") + ".")
    lines.append("")
    m = s["machine"]
    d = s["duckdb"]
    lines.append(f"Machine: {m['cores']} cores, {m['platform']}; load average at the start "
                 f"{' '.join(f'{x:.2f}' for x in m['loadavg_start'])}. DuckDB "
                 f"{d['duckdb_version']} with {d['threads']} threads (its default: one per "
                 f"core), memory limit {d['memory_limit']}; its figures include starting Python "
                 f"and importing duckdb ({s['duckdb_import']['seconds']:.2f} s, "
                 f"{mib(s['duckdb_import']['peak_rss_bytes'])} alone). tgscope "
                 f"{s['git']['head'][:7]}.")
    lines.append("")
    lines.append("| job | wall (median; min–max) | CPU (median) | peak RSS (largest) | size | "
                 "rows | posts/s (median wall) |")
    lines.append("|---|---|---|---|---|---|---|")
    for job in JOBS:
        x = s["jobs"][job]["summary"]
        lines.append(
            f"| {LABELS[job]} | {x['seconds_median']:.2f} s ({x['seconds_min']:.2f}–"
            f"{x['seconds_max']:.2f}) | {x['cpu_seconds_median']:.2f} s | "
            f"{mib(x['peak_rss_bytes_max'])} | {size_label(x['file_bytes'])} "
            f"({x['file_bytes']:,} B) | {s['rows'][job]:,} | "
            f"{a['posts'] / x['seconds_median']:,.0f} |")
    lines.append("")
    lines.append("Every run, in order (wall s / CPU s / peak RSS / load average before it):")
    lines.append("")
    lines.append("| # | job | wall | CPU | peak RSS | load |")
    lines.append("|---|---|---|---|---|---|")
    for i, (job, r) in enumerate(s["order"], 1):
        lines.append(f"| {i} | {job} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | "
                     f"{mib(r['peak_rss_bytes'])} | "
                     f"{' '.join(f'{x:.2f}' for x in r['loadavg_start'])} |")
    lines.append("")
    c = s["check"]
    lines.append(
        f"Rows: `tgscope stats` {a['posts']:,} posts; JSONL {s['rows']['jsonl']:,} lines; CSV "
        f"{s['rows']['csv']:,} rows ({s['csv_columns']} columns, parsed by Python's csv "
        f"module); tgscope's Parquet {c['tgscope']['pyarrow_rows']:,} rows by pyarrow "
        f"{c['pyarrow_version']}, {c['tgscope']['duckdb_rows']:,} by DuckDB "
        f"({c['tgscope']['row_groups']} row groups of at most "
        f"{c['tgscope']['rows_per_group_max']:,} rows, {c['tgscope']['top_level_columns']} "
        f"columns, {c['tgscope']['leaf_columns']} leaf columns, "
        f"{'/'.join(c['tgscope']['compression'])}); DuckDB's Parquet "
        f"{c['duckdb']['pyarrow_rows']:,} rows ({c['duckdb']['row_groups']} row groups, "
        f"{c['duckdb']['top_level_columns']} columns, {c['duckdb']['leaf_columns']} leaf "
        f"columns, {'/'.join(c['duckdb']['compression'])}). All equal: "
        f"{s['rows_equal']}.")
    lines.append("")
    lines.append("**Targets**")
    lines.append("")
    for name, met, detail in s["targets"]:
        lines.append(f"- {'met' if met else 'NOT met'}: {name} ({detail})")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000,
                    help="least posts of the archive (default 1,000,000)")
    ap.add_argument("--runs", type=int, default=3, help="rounds of the four jobs")
    ap.add_argument("--regen", action="store_true", help="make the archive again")
    ap.add_argument("--copies", type=int, default=200_000,
                    help="posts of the first channel that a second channel reposts "
                         "(default 200,000; 0: none)")
    ap.add_argument("--keep-outputs", action="store_true",
                    help="keep the exported files (deleted at the end otherwise)")
    # Peer mode (run by the driver with the venv's Python).
    ap.add_argument("--peer", help=argparse.SUPPRESS)
    ap.add_argument("--jsonl", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--parquet", help=argparse.SUPPRESS)
    ap.add_argument("--duckdb-parquet", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        {"convert": peer_convert, "import": peer_import, "check": peer_check}[args.peer](args)
        return

    os.makedirs(OUT, exist_ok=True)
    summary = {"machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                           "loadavg_start": loadavg()},
               "git": {"head": git("rev-parse", "HEAD"), "dirty": git("status", "--porcelain")}}
    ensure_venv()
    sh(["cargo", "build", "--release", "-q", "-p", "tgscope-cli", "-p", "tgscope-bench"],
       cwd=ROOT)
    archive, meta = make_archive(args.posts, args.regen)
    if args.copies:
        meta = add_copier(archive, meta, args.copies)
    stats = stats_posts(archive)
    summary["archive"] = dict(meta, posts=stats["posts"], forwards=stats["forwards"],
                              channels_known=stats["channels"],
                              archive_bytes=dir_bytes(archive),
                              database_bytes=sum(os.path.getsize(os.path.join(archive, f))
                                                 for f in os.listdir(archive)
                                                 if f.startswith("archive.sqlite")))
    out = os.path.join(OUT, f"out-{args.posts}")
    os.makedirs(out, exist_ok=True)
    warm(archive)
    summary["duckdb_import"], _ = timed([VENV_PY, os.path.abspath(__file__), "--peer",
                                         "import"])
    runs = {job: [] for job in JOBS}
    order = []
    for r in range(args.runs):
        for k in range(len(JOBS)):
            job = JOBS[(r + k) % len(JOBS)]
            if job == "duckdb" and not os.path.exists(os.path.join(out, FILES["jsonl"])):
                # Only in a first round that starts after jsonl: never with the default order.
                continue
            cost = run_job(job, archive, out)
            runs[job].append(cost)
            order.append((job, cost))
    summary["order"] = order
    summary["jobs"] = {job: {"runs": runs[job], "summary": summarize(runs[job])}
                       for job in JOBS}
    summary["duckdb"] = runs["duckdb"][-1]["duckdb"]
    check = json.loads(sh([VENV_PY, os.path.abspath(__file__), "--peer", "check", "--parquet",
                           os.path.join(out, FILES["parquet"]), "--duckdb-parquet",
                           os.path.join(out, FILES["duckdb"])],
                          capture_output=True, text=True).stdout)
    summary["check"] = check
    csv_rows, csv_columns = count_csv_rows(os.path.join(out, FILES["csv"]))
    summary["csv_columns"] = csv_columns
    summary["rows"] = {"jsonl": count_lines(os.path.join(out, FILES["jsonl"])),
                       "csv": csv_rows,
                       "parquet": check["tgscope"]["pyarrow_rows"],
                       "duckdb": check["duckdb"]["pyarrow_rows"]}
    counts = {stats["posts"], check["tgscope"]["duckdb_rows"], check["duckdb"]["duckdb_rows"],
              *summary["rows"].values()}
    summary["rows_equal"] = len(counts) == 1
    summary["clustered_posts"] = count_clustered(os.path.join(out, FILES["jsonl"]))
    summary["targets"] = targets(summary)
    if not args.keep_outputs:
        shutil.rmtree(out)
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
    md = markdown(summary)
    with open(os.path.join(OUT, "summary.md"), "w") as f:
        f.write(md + "\n")
    print()
    print(md)
    if not summary["rows_equal"]:
        sys.exit("the row counts differ (see above)")


if __name__ == "__main__":
    main()
