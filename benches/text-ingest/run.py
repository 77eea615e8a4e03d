#!/usr/bin/env python3
"""Benchmark: plain-text capture ingest, tgscope against the Python peer, same input, same run.

For each size it writes a synthetic capture (gen_capture.py, fixed seed), then runs each tool
REPEAT times on a fresh archive and records wall time, CPU time and peak memory (from
/usr/bin/time). Writes target/bench/text-ingest.json and prints a Markdown table.

usage: benches/text-ingest/run.py [SIZE_MB ...]   (default: 10 100)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "benches", "text-ingest")
TGSCOPE = os.path.join(ROOT, "target", "release", "tgscope")
REPEAT = 3


def timed(cmd):
    """Runs cmd under /usr/bin/time; returns (wall s, cpu s, peak RSS MiB, stderr)."""
    fmt = "%e %U %S %M"
    proc = subprocess.run(["/usr/bin/time", "-f", fmt, *cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    last = proc.stderr.strip().splitlines()[-1].split()
    wall, user, sys_, rss_kb = float(last[0]), float(last[1]), float(last[2]), int(last[3])
    return wall, user + sys_, rss_kb / 1024, proc.stderr


def main():
    sizes = [float(s) for s in sys.argv[1:]] or [10.0, 100.0]
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tgscope-cli"], cwd=ROOT,
                   check=True)
    work = tempfile.mkdtemp(prefix="tgscope-bench-")
    results = []
    try:
        for size in sizes:
            capture = os.path.join(work, f"capture-{size:g}mb.txt")
            subprocess.run([sys.executable, os.path.join(HERE, "gen_capture.py"), capture,
                            str(size), "7"], check=True, capture_output=True)
            nbytes = os.path.getsize(capture)
            runs = {"tgscope": [], "tgscope --no-keep-raw": [], "python peer": []}
            posts = {}
            for _ in range(REPEAT):
                for name in runs:
                    archive = os.path.join(work, "archive")
                    shutil.rmtree(archive, ignore_errors=True)
                    if name.startswith("tgscope"):
                        cmd = [TGSCOPE, "--archive", archive, "ingest", capture, "--channel",
                               "bench", "--report", "json"]
                        if "no-keep-raw" in name:
                            cmd.append("--no-keep-raw")
                        wall, cpu, rss, _ = timed(cmd)
                        out = subprocess.run([TGSCOPE, "--archive", archive, "stats",
                                              "--format", "json"], capture_output=True,
                                             text=True, check=True)
                        posts[name] = json.loads(out.stdout)["posts"]
                    else:
                        os.makedirs(archive, exist_ok=True)
                        wall, cpu, rss, err = timed([sys.executable,
                                                     os.path.join(HERE, "python_peer.py"),
                                                     capture, os.path.join(archive, "peer.db")])
                        posts[name] = int(err.strip().splitlines()[0])
                    runs[name].append((wall, cpu, rss))
            for name, samples in runs.items():
                wall = statistics.median(s[0] for s in samples)
                cpu = statistics.median(s[1] for s in samples)
                rss = max(s[2] for s in samples)
                results.append({
                    "size_mb": round(nbytes / 2**20, 1), "tool": name, "posts": posts[name],
                    "wall_s": wall, "cpu_s": cpu, "peak_rss_mib": round(rss, 1),
                    "mb_per_s": round(nbytes / 2**20 / wall, 1) if wall else None,
                    "posts_per_s": round(posts[name] / wall) if wall else None,
                })
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out_dir = os.path.join(ROOT, "target", "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "text-ingest.json"), "w") as f:
        json.dump(results, f, indent=2)
    print("| capture | tool | posts | wall (median of 3) | CPU | MB/s | posts/s | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['size_mb']} MB | {r['tool']} | {r['posts']} | {r['wall_s']:.2f} s | "
              f"{r['cpu_s']:.2f} s | {r['mb_per_s']} | {r['posts_per_s']} | "
              f"{r['peak_rss_mib']} MiB |")


if __name__ == "__main__":
    main()
