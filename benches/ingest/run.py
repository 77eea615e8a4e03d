#!/usr/bin/env python3
"""Benchmark: ingest of the 1 GB synthetic Telegram Desktop export into a fresh SQLite archive
(archive, search index and analyses together), by this tree's tgscope against the tgscope of a
baseline commit, in the same run (issue 16: "SQLite ingest at least 2 times today's rate").

What it does:

1. Builds `tgscope` (package tgscope-cli) and `tgscope-bench` of this tree in release (in
   $CARGO_TARGET_DIR when set, else target/), and `tgscope` of the baseline commit (--baseline,
   default 79d7c84: the archive before issue 16's work) from a git worktree in
   target/bench-ingest/baseline-src, built into target/bench-ingest/baseline-target.
2. Writes the synthetic export once: `tgscope-bench gen --size SIZE --seed 7` (default 1GB: about
   473,000 posts) into target/bench-ingest/gen-SIZE (reused when present).
3. Runs --runs rounds (default 2); each round ingests the export with each binary, in an order
   that alternates by round, into a fresh archive (deleted before and after), as
   `tgscope -v --archive DIR ingest result.json --no-media` under `/usr/bin/time -f "%e %U %S %M"`
   (wall, CPU, peak RSS). `-v` logs the time of each phase (read and reconciled, search index,
   copy, network and entity analyses, narratives); the baseline predates those lines, so only
   its totals are known. The load average is recorded before each run.
4. Reports per binary the median wall and CPU, the posts per second (posts / median wall), the
   largest peak RSS, the phases of the last run, and the ratio of the rates.

Writes target/bench-ingest/summary.json and summary.md and prints the Markdown.

usage: benches/ingest/run.py [--size 1GB] [--runs 2] [--baseline REV]
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
OUT = os.path.join(ROOT, "target", "bench-ingest")
BASELINE = "79d7c84"


def sh(cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


def build_baseline(rev):
    src = os.path.join(OUT, "baseline-src")
    target = os.path.join(OUT, "baseline-target")
    full = git("rev-parse", rev)
    if os.path.exists(src):
        if git("rev-parse", "HEAD", cwd=src) != full:
            sh(["git", "-C", src, "checkout", "-q", "--detach", full])
    else:
        sh(["git", "-C", ROOT, "worktree", "add", "-f", "--detach", src, full])
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    sh(["cargo", "build", "--release", "-q", "-p", "tgscope-cli"], cwd=src, env=env)
    return os.path.join(target, "release", "tgscope"), full


def timed_ingest(binary, export, archive):
    if os.path.exists(archive):
        shutil.rmtree(archive)
    cmd = [binary, "-v", "--archive", archive, "ingest", export, "--no-media"]
    print("$", " ".join(cmd), flush=True)
    load = loadavg()
    with tempfile.NamedTemporaryFile("r") as usage, tempfile.TemporaryFile("w+") as err:
        got = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", usage.name, *cmd],
                             stdout=subprocess.DEVNULL, stderr=err, text=True)
        err.seek(0)
        log = err.read()
        if got.returncode != 0:
            raise RuntimeError(f"{binary} failed ({got.returncode}):\n{log[-3000:]}")
        wall, user, system, kb = usage.read().split()[-4:]
    phases = {m.group(1): float(m.group(2))
              for m in re.finditer(r"ingest: (.+?) in ([0-9.]+) s", log)}
    shutil.rmtree(archive)
    return {"seconds": float(wall), "cpu_seconds": round(float(user) + float(system), 2),
            "peak_rss_bytes": int(kb) * 1024, "loadavg_start": load, "phases": phases}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1GB")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--baseline", default=BASELINE)
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    summary = {"machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                           "loadavg_start": loadavg()},
               "head": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    sh(["cargo", "build", "--release", "-q", "-p", "tgscope-cli", "-p", "tgscope-bench"],
       cwd=ROOT)
    current = os.path.join(TARGET, "release", "tgscope")
    baseline, baseline_rev = build_baseline(args.baseline)
    summary["baseline"] = baseline_rev
    gen_dir = os.path.join(OUT, f"gen-{args.size}")
    meta_path = os.path.join(gen_dir, "gen.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            gen = json.load(f)
    else:
        gen = json.loads(sh([os.path.join(TARGET, "release", "tgscope-bench"), "gen", "--size",
                             args.size, "--seed", "7", "--out", gen_dir],
                            capture_output=True, text=True).stdout)
        with open(meta_path, "w") as f:
            json.dump(gen, f)
    summary["export"] = gen
    binaries = {"baseline": baseline, "current": current}
    runs = {name: [] for name in binaries}
    order = []
    for r in range(args.runs):
        names = ["baseline", "current"] if r % 2 == 0 else ["current", "baseline"]
        for name in names:
            result = timed_ingest(binaries[name], gen["path"], os.path.join(OUT, "archive"))
            runs[name].append(result)
            order.append((name, result))
    summary["runs"] = runs
    summary["order"] = order
    jobs = {}
    for name, rs in runs.items():
        wall = statistics.median(r["seconds"] for r in rs)
        jobs[name] = {"seconds_median": round(wall, 2),
                      "cpu_seconds_median": round(statistics.median(r["cpu_seconds"] for r in rs), 2),
                      "peak_rss_bytes_max": max(r["peak_rss_bytes"] for r in rs),
                      "posts_per_second": round(gen["posts"] / wall),
                      "phases_last": rs[-1]["phases"]}
    summary["jobs"] = jobs
    summary["ratio"] = round(jobs["current"]["posts_per_second"]
                             / jobs["baseline"]["posts_per_second"], 2)
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    lines = [f"Export: {gen['posts']:,} posts, {gen['bytes'] / 2**20:,.0f} MiB "
             f"(`tgscope-bench gen --size {args.size} --seed 7`). Baseline {baseline_rev[:7]}, "
             f"current {summary['head'][:7]}{' (uncommitted changes)' if summary['dirty'] else ''}; "
             f"{summary['machine']['cores']} cores.", "",
             "| tgscope | wall (median) | CPU (median) | posts/s | peak RSS |",
             "|---|---|---|---|---|"]
    for name in ("baseline", "current"):
        j = jobs[name]
        lines.append(f"| {name} | {j['seconds_median']:.2f} s | {j['cpu_seconds_median']:.2f} s | "
                     f"{j['posts_per_second']:,} | {j['peak_rss_bytes_max'] / 2**20:,.0f} MiB |")
    lines += ["", "Every run (wall / CPU / load average before it):", ""]
    for i, (name, r) in enumerate(order, 1):
        lines.append(f"{i}. {name}: {r['seconds']:.2f} s / {r['cpu_seconds']:.2f} s / "
                     f"{' '.join(f'{x:.2f}' for x in r['loadavg_start'])}")
    lines += ["", "Phases of the current binary's last run: " + "; ".join(
        f"{k} {v:.2f} s" for k, v in jobs["current"]["phases_last"].items()), "",
              f"Rate, current against baseline: {summary['ratio']:.2f}x (target: 2x)."]
    md = "\n".join(lines)
    with open(os.path.join(OUT, "summary.md"), "w") as f:
        f.write(md + "\n")
    print()
    print(md)


if __name__ == "__main__":
    main()
