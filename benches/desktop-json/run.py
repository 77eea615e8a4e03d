#!/usr/bin/env python3
"""Benchmark: Telegram Desktop JSON exports (issue 3), tgscope against its peers, same input,
same run.

For each size it writes one synthetic export (`tgscope-bench gen`, seed 7) into a temporary
folder, then runs on that file:

- `tgscope-bench read`: tgscope's streaming Desktop JSON reader (posts, events, no archive);
- `tgscope-bench raw`: serde_json `from_reader` into `IgnoredAny`, the raw-parse ceiling for a
  streaming serde_json reader (no allocation, no meaning);
- `tgscope-bench raw --slice`: serde_json `from_slice` on the file loaded into memory (the
  parse alone is timed in-process; wall and memory include the load), for scale;
- `python_peer.py`: `json.load` and one dict per post, the reader researchers write (skipped
  when its memory, extrapolated from a smaller size, would exceed PY_RSS_LIMIT);
- `tgscope ingest FILE -q --no-media` into a fresh archive: the full pipeline (hashing, raw
  copy, reading, reconciliation into SQLite); skipped when its time, extrapolated from the
  smaller sizes, would exceed --ingest-limit.

Wall time, CPU time and peak RSS come from `/usr/bin/time -f "%e %U %S %M"`. Each tool runs
REPEAT times below 1 GiB (median wall and CPU, largest RSS) and once from 1 GiB up. The file
is in the page cache (it was just written): this measures the code, not the disk.

Writes target/bench/desktop-json.json and prints a Markdown table and the ratios against the
targets (read >= 10x the Python peer, read >= 0.5x the raw parse, flat peak memory).

usage: benches/desktop-json/run.py [--ingest-limit SECONDS] [--ingest-max SIZE] [SIZE ...]
       (default sizes: 100MB 1GB; e.g. run.py 100MB 1GB 5GB). --ingest-max skips the full
       ingest above SIZE (say so when its cost is already known to be out of reach).
"""
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "benches", "desktop-json")
BENCH = os.path.join(ROOT, "target", "release", "tgscope-bench")
TGSCOPE = os.path.join(ROOT, "target", "release", "tgscope")
SEED = 7
REPEAT = 3
GIB = 2**30
MIB = 2**20
PY_RSS_LIMIT = 20 * GIB
UNITS = {"": 1, "B": 1, "K": 2**10, "KB": 2**10, "KIB": 2**10, "M": MIB, "MB": MIB, "MIB": MIB,
         "G": GIB, "GB": GIB, "GIB": GIB}


def parse_size(text):
    num = text.rstrip("BbKkMmGgIi")
    unit = text[len(num):].upper()
    if unit not in UNITS:
        sys.exit(f"{text!r}: unknown unit (use B, KB, MB or GB)")
    return int(float(num) * UNITS[unit])


def timed(cmd):
    """Runs cmd under /usr/bin/time; returns (wall s, cpu s, peak RSS bytes, stdout)."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *cmd], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    last = proc.stderr.strip().splitlines()[-1].split()
    wall, user, sys_, rss_kb = float(last[0]), float(last[1]), float(last[2]), int(last[3])
    return wall, user + sys_, rss_kb * 1024, proc.stdout


def extrapolate(points, size):
    """Extrapolates a measure to `size` from (size, value) points: a power law through the two
    largest points (at least linear), or linear from one point."""
    points = sorted(points)
    if not points:
        return None
    if len(points) == 1:
        s, v = points[0]
        return v * size / s
    (s1, v1), (s2, v2) = points[-2], points[-1]
    k = max(1.0, math.log(v2 / v1) / math.log(s2 / s1)) if v1 > 0 and s2 != s1 else 1.0
    return v2 * (size / s2) ** k


def label(nbytes):
    return f"{nbytes / GIB:.2f} GB" if nbytes >= GIB else f"{nbytes / MIB:.0f} MB"


def main():
    args = sys.argv[1:]
    ingest_limit = 3600.0
    if "--ingest-limit" in args:
        i = args.index("--ingest-limit")
        ingest_limit = float(args[i + 1])
        del args[i:i + 2]
    ingest_max = None
    if "--ingest-max" in args:
        i = args.index("--ingest-max")
        ingest_max = parse_size(args[i + 1])
        del args[i:i + 2]
    sizes = sorted(parse_size(s) for s in (args or ["100MB", "1GB"]))
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tgscope-bench", "-p",
                    "tgscope-cli"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="tgscope-bench-json-")
    rows, summaries, notes = [], [], []
    py_points, ingest_points = [], []
    try:
        for size in sizes:
            folder = os.path.join(work, f"export-{size}")
            gen = json.loads(subprocess.run(
                [BENCH, "gen", "--size", str(size), "--seed", str(SEED), "--out", folder],
                capture_output=True, text=True, check=True).stdout)
            export, nbytes = gen["path"], gen["bytes"]
            print(f"# {label(nbytes)}: {gen['posts']} posts, {gen['events']} service messages",
                  file=sys.stderr)
            repeat = REPEAT if nbytes < GIB else 1
            tools = {
                "tgscope read": [BENCH, "read", export],
                "serde_json from_reader (raw)": [BENCH, "raw", export],
                "serde_json from_slice (raw, file in memory)": [BENCH, "raw", "--slice", export],
                "python peer (json.load)": [sys.executable, os.path.join(HERE, "python_peer.py"),
                                            export],
                "tgscope ingest": None,
            }
            measured = {}
            for name, cmd in tools.items():
                if name.startswith("python"):
                    guess = extrapolate(py_points, nbytes)
                    if guess is not None and guess > PY_RSS_LIMIT:
                        why = (f"python peer skipped at {label(nbytes)}: json.load would need "
                               f"about {guess / GIB:.1f} GiB (extrapolated from "
                               f"{label(py_points[-1][0])}), above the "
                               f"{PY_RSS_LIMIT / GIB:.0f} GiB limit")
                        print(why, file=sys.stderr)
                        notes.append(why)
                        continue
                if name == "tgscope ingest":
                    if ingest_max is not None and nbytes > ingest_max:
                        why = (f"full ingest skipped at {label(nbytes)}: above --ingest-max "
                               f"{label(ingest_max)}")
                        print(why, file=sys.stderr)
                        notes.append(why)
                        continue
                    guess = extrapolate(ingest_points, nbytes)
                    if guess is not None and guess > ingest_limit:
                        why = (f"full ingest skipped at {label(nbytes)}: it would take about "
                               f"{guess / 60:.0f} min (extrapolated from the smaller sizes), "
                               f"above --ingest-limit {ingest_limit:.0f} s")
                        print(why, file=sys.stderr)
                        notes.append(why)
                        continue
                samples, inner, posts = [], [], None
                for _ in range(repeat):
                    if name == "tgscope ingest":
                        archive = os.path.join(work, "archive")
                        shutil.rmtree(archive, ignore_errors=True)
                        wall, cpu, rss, out = timed([TGSCOPE, "--archive", archive, "ingest",
                                                     export, "-q", "--no-media", "--report",
                                                     "json"])
                        report = json.loads(out)
                        posts = report["posts_new"] + report["posts_updated"] + \
                            report["posts_unchanged"]
                        shutil.rmtree(archive, ignore_errors=True)
                    else:
                        wall, cpu, rss, out = timed(cmd)
                        if name.startswith("python"):
                            posts = int(out.strip())
                        else:
                            m = json.loads(out)
                            posts = m["posts"]
                            inner.append(m["seconds"])
                    samples.append((wall, cpu, rss))
                    print(f"  {name}: {wall:.2f} s wall, {rss / MIB:.0f} MiB", file=sys.stderr)
                wall = statistics.median(s[0] for s in samples)
                cpu = statistics.median(s[1] for s in samples)
                rss = max(s[2] for s in samples)
                seconds = statistics.median(inner) if inner else None
                # The in-memory parse is timed in-process (loading the file is not the parse).
                rate_time = seconds if "from_slice" in name else wall
                row = {
                    "size_bytes": nbytes, "size": label(nbytes), "tool": name, "posts": posts,
                    "runs": repeat, "wall_s": wall, "cpu_s": round(cpu, 2),
                    "inner_s": round(seconds, 3) if seconds is not None else None,
                    "peak_rss_mib": round(rss / MIB, 1),
                    "mb_per_s": round(nbytes / MIB / rate_time, 1) if rate_time else None,
                    "posts_per_s": round(posts / rate_time) if posts and rate_time else None,
                }
                rows.append(row)
                measured[name] = row
                if name.startswith("python"):
                    py_points.append((nbytes, rss))
                if name == "tgscope ingest":
                    ingest_points.append((nbytes, wall))
            summaries.append(summary(nbytes, measured))
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out_dir = os.path.join(ROOT, "target", "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "desktop-json.json"), "w") as f:
        json.dump({"seed": SEED, "rows": rows, "summary": summaries, "notes": notes}, f,
                  indent=2)
    print_report(rows, summaries, notes)


def summary(nbytes, m):
    """The ratios against the targets for one size."""
    read = m["tgscope read"]
    s = {"size": label(nbytes), "read_rss_mib": read["peak_rss_mib"]}
    raw = m.get("serde_json from_reader (raw)")
    if raw:
        s["read_vs_raw"] = round(raw["wall_s"] / read["wall_s"], 2)
    py = m.get("python peer (json.load)")
    if py:
        s["read_vs_python"] = round(py["wall_s"] / read["wall_s"], 2)
        s["python_rss_mib"] = py["peak_rss_mib"]
    ing = m.get("tgscope ingest")
    if ing:
        s["ingest_posts_per_s"] = ing["posts_per_s"]
        s["ingest_wall_s"] = ing["wall_s"]
        s["read_share_of_ingest"] = round(read["wall_s"] / ing["wall_s"], 3)
        s["rest_share_of_ingest"] = round(1 - read["wall_s"] / ing["wall_s"], 3)
        s["ingest_rss_mib"] = ing["peak_rss_mib"]
    return s


def print_report(rows, summaries, notes):
    print("| export | tool | posts | wall | CPU | MB/s | posts/s | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        wall = f"{r['wall_s']:.2f} s" + ("" if r["runs"] == 1 else f" (median of {r['runs']})")
        if "from_slice" in r["tool"]:
            wall += f"; parse {r['inner_s']:.2f} s"
        print(f"| {r['size']} | {r['tool']} | {r['posts'] if r['posts'] is not None else '–'} | "
              f"{wall} | {r['cpu_s']:.2f} s | {r['mb_per_s']} | "
              f"{r['posts_per_s'] if r['posts_per_s'] is not None else '–'} | "
              f"{r['peak_rss_mib']} MiB |")
    print()
    for s in summaries:
        parts = [f"**{s['size']}**:"]
        if "read_vs_python" in s:
            ok = "met" if s["read_vs_python"] >= 10 else "MISSED"
            parts.append(f"read vs Python {s['read_vs_python']}x (target >= 10x: {ok});")
        if "read_vs_raw" in s:
            ok = "met" if s["read_vs_raw"] >= 0.5 else "MISSED"
            parts.append(f"read vs raw parse {s['read_vs_raw']}x (target >= 0.5x: {ok});")
        parts.append(f"read peak RSS {s['read_rss_mib']} MiB;")
        if "ingest_posts_per_s" in s:
            parts.append(f"full ingest {s['ingest_wall_s']:.1f} s, {s['ingest_posts_per_s']} "
                         f"posts/s, peak RSS {s['ingest_rss_mib']} MiB; reading is "
                         f"{s['read_share_of_ingest'] * 100:.0f}% of it, the other "
                         f"{s['rest_share_of_ingest'] * 100:.0f}% is SQLite reconciliation "
                         f"(plus hashing and the raw copy)")
        print("- " + " ".join(parts))
    rss = [s["read_rss_mib"] for s in summaries]
    if len(rss) > 1:
        flat = max(rss) <= 1.5 * min(rss) + 16
        print(f"- read peak RSS across sizes: {', '.join(f'{r} MiB' for r in rss)} "
              f"(target flat: {'met' if flat else 'MISSED'})")
    for n in notes:
        print(f"- {n}")


if __name__ == "__main__":
    main()
