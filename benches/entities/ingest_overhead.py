#!/usr/bin/env python3
"""Benchmark: what recognising entities adds to a full ingest (issue 14's target: at most 25%
of the time of a full ingest of the 100 MB Desktop export benchmark).

Two builds of `tgscope`, compared in the same run on the same export:

- before: commit 52e1d3d by default (the last commit before entities entered ingest and the
  index): its ingest reads and stores the posts, then builds the search index, the copy
  analysis and the networks, and recognises nothing;
- after: the repository's HEAD by default: the same, and every post is also recognised for the
  index's entity filters (country:/org:/person:) and for the entity analysis in
  `<archive>/entities/`.

What it does:

1. Builds each commit in release from a `git worktree` under WORK (default /work/bench-wt:
   WORK/before, WORK/after), with one `--target-dir WORK/target` for both so the dependencies
   compile once, and copies each binary aside to WORK/bin/NAME/ (with a stamp of its commit: a
   later run reuses it; --rebuild builds again). Before each build every file of the worktree
   is touched: cargo names the workspace's crates alike in both worktrees and tells whether they
   are fresh by modification times, so without this the second build can link the first one's
   crates.
2. Writes the export once with the after build's bench tool:
   `tgscope-bench gen --size 100MB --seed 7 --out WORK/data/export` (the input of
   benches/desktop-json/run.py; it is in the page cache from then on).
3. One untimed warm-up ingest with each build, then --runs (default 7) timed runs of each,
   alternating and in ABBA order (before, after, after, before, ...) so that a drift in the
   machine's load falls on both: `tgscope --archive A ingest result.json -q --no-media` into a
   fresh archive A (removed before each run), under `/usr/bin/time -v` (CPU = user + system,
   peak RSS); wall time from the script's clock. The load average is noted before each run.
4. Where the time goes: --phase-runs (default 3) more runs of each, alternating, under
   `strace -f --seccomp-bpf -tt -e trace=openat,mkdir` (only those two calls are stopped on; the
   time of these runs is not used above). Every step of an ingest opens its own files first, so
   the first opening of each marks where the step starts:
   - hashing and the raw copy: from the start to the second opening of the input;
   - reading and storing (SQLite): to the first opening under A/index or of A/entities/list.tsv
     (the after build builds the archive's recognizer when the index update starts);
   - index: to the first opening under A/copies (in the after build this includes recognising
     every post for the index's entity keys);
   - copies: to the first opening under A/networks;
   - networks: to the first opening under A/entities after it (or the end);
   - entity analysis (after only): to the end (the process's exit).
5. On the archives of the last timed runs, --reruns (default 3) times each, alternating:
   - `tgscope --archive A reindex` with each build: the index rebuilt from the archive, without
     and with the entity keys;
   - after only: `rm A/entities/state.bin` then `tgscope --archive A entities` (output to
     /dev/null): the entity analysis rebuilt alone (recognition of every post on every core,
     then the analysis), with the command's open and output.
6. Writes target/bench-entities/ingest-overhead.json and ingest-overhead.md and prints the
   Markdown. Overhead = after / before - 1 on the medians (wall and CPU). Unless
   --keep-worktrees, removes the two worktrees at the end (`git worktree remove`); WORK/target,
   WORK/bin and WORK/data stay for the next run.

usage: benches/entities/ingest_overhead.py [--before REV] [--after REV] [--runs N]
       [--phase-runs N] [--reruns N] [--size SIZE] [--work DIR] [--rebuild] [--keep-worktrees]
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
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "target", "bench-entities")
SEED = 7
MIB = float(1 << 20)
TARGET_OVERHEAD = 0.25
PHASES = ("hash + raw copy", "read + store", "index", "copies", "networks", "entity analysis")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    log("$", " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


def git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def fmt_load(load):
    return " ".join(f"{x:.2f}" for x in load)


# --------------------------------------------------------------------------------------------
# Builds.

def build(name, rev, work, rebuild, with_bench):
    """Builds `rev` in release from a worktree WORK/name; returns the folder of its binaries.
    Reuses WORK/bin/name when its stamp names the same commit (unless `rebuild`)."""
    commit = git("rev-parse", f"{rev}^{{commit}}")
    bindir = os.path.join(work, "bin", name)
    stamp = os.path.join(bindir, "commit")
    wanted = ["tgscope"] + (["tgscope-bench"] if with_bench else [])
    if (not rebuild and os.path.exists(stamp) and open(stamp).read().strip() == commit
            and all(os.path.exists(os.path.join(bindir, b)) for b in wanted)):
        log(f"# {name}: reusing {bindir} ({commit[:12]})")
        return bindir, commit, None
    tree = os.path.join(work, name)
    if os.path.exists(tree):
        run(["git", "-C", tree, "checkout", "-q", "--detach", commit])
    else:
        run(["git", "-C", ROOT, "worktree", "add", "-q", "--detach", tree, commit])
    # Newer than anything the other worktree's build left in the shared target folder.
    now = time.time()
    for d, subdirs, files in os.walk(tree):
        subdirs[:] = [s for s in subdirs if s != ".git"]
        for f in files:
            os.utime(os.path.join(d, f), (now, now))
    target = os.path.join(work, "target")
    packages = ["-p", "tgscope-cli"] + (["-p", "tgscope-bench"] if with_bench else [])
    t = time.perf_counter()
    run(["cargo", "build", "--release", "-q", *packages, "--target-dir", target], cwd=tree)
    seconds = time.perf_counter() - t
    os.makedirs(bindir, exist_ok=True)
    for b in wanted:
        shutil.copy2(os.path.join(target, "release", b), os.path.join(bindir, b))
    with open(stamp, "w") as f:
        f.write(commit + "\n")
    return bindir, commit, round(seconds, 1)


def remove_worktrees(work):
    for name in ("before", "after"):
        tree = os.path.join(work, name)
        if os.path.exists(tree):
            run(["git", "-C", ROOT, "worktree", "remove", "--force", tree])


# --------------------------------------------------------------------------------------------
# Runs.

def time_v(cmd, stdout=subprocess.PIPE):
    """Runs cmd under /usr/bin/time -v: wall (the script's clock), CPU, peak RSS, stdout."""
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=stdout, stderr=subprocess.PIPE,
                       text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-3000:]}")
    fields = {}
    for line in p.stderr.splitlines():
        k, _, v = line.strip().rpartition(": ")
        fields[k] = v
    return {"wall_s": round(wall, 3),
            "cpu_s": round(float(fields["User time (seconds)"])
                           + float(fields["System time (seconds)"]), 2),
            "user_s": float(fields["User time (seconds)"]),
            "sys_s": float(fields["System time (seconds)"]),
            "peak_rss_bytes": int(fields["Maximum resident set size (kbytes)"]) * 1024,
            "stdout": p.stdout or ""}


def ingest_cmd(binary, archive, export):
    return [binary, "--archive", archive, "ingest", export, "-q", "--no-media"]


def fresh(archive):
    shutil.rmtree(archive, ignore_errors=True)


def ingest(name, bins, archive, export, expect_posts):
    fresh(archive)
    load = loadavg()
    r = time_v(ingest_cmd(os.path.join(bins[name], "tgscope"), archive, export))
    m = re.search(r"posts: (\d+) new", r.pop("stdout"))
    if not m or int(m.group(1)) != expect_posts:
        sys.exit(f"{name}: ingest did not report {expect_posts} new posts")
    r["loadavg"] = load
    log(f"  {name}: {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU, "
        f"{r['peak_rss_bytes'] / MIB:.0f} MiB, load {fmt_load(load)}")
    return r


def phases(name, bins, archive, export, work):
    """One ingest under strace; the seconds of each step (see the docstring, step 4)."""
    fresh(archive)
    trace = os.path.join(work, "data", f"strace-{name}.txt")
    load = loadavg()
    start = time.perf_counter()
    run(["strace", "-f", "--seccomp-bpf", "-tt", "-e", "trace=openat,mkdir", "-o", trace,
         *ingest_cmd(os.path.join(bins[name], "tgscope"), archive, export)],
        stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    events = []
    for line in open(trace, encoding="utf-8", errors="replace"):
        m = re.match(r"(\d+) +(\d+):(\d+):(\d+\.\d+) (.*)", line)
        if m:
            t = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4))
            events.append((t, m.group(5)))
    events.sort(key=lambda e: e[0])
    begin, end = events[0][0], events[-1][0]
    a = re.escape(archive.rstrip("/"))

    def first(pattern, after):
        rx = re.compile(pattern)
        return next((t for t, text in events if t >= after and rx.search(text)), None)

    inputs = [t for t, text in events if f'"{export}"' in text]
    read = inputs[1] if len(inputs) > 1 else begin
    index = min(x for x in (first(rf'"{a}/index', read), first(rf'"{a}/entities/list\.tsv"',
                                                                  read)) if x is not None)
    copies = first(rf'"{a}/copies/', index)
    networks = first(rf'"{a}/networks/', copies)
    entities = first(rf'"{a}/entities/', networks) or end
    marks = [begin, read, index, copies, networks, entities, end]
    out = {p: round(marks[i + 1] - marks[i], 3) for i, p in enumerate(PHASES)}
    out["total_s"] = round(end - begin, 3)
    out["wall_s"] = round(wall, 3)
    out["loadavg"] = load
    log(f"  {name} (strace): " + ", ".join(f"{p} {out[p]:.2f}" for p in PHASES))
    return out


def rerun(cmd, pre=None):
    if pre:
        pre()
    load = loadavg()
    r = time_v(cmd, stdout=subprocess.DEVNULL)
    r.pop("stdout")
    r["loadavg"] = load
    log(f"  {' '.join(os.path.basename(c) for c in cmd[:1])} {cmd[3]}: {r['wall_s']:.2f} s wall, "
        f"{r['cpu_s']:.2f} s CPU")
    return r


# --------------------------------------------------------------------------------------------
# Summary.

def med(rs, key):
    return statistics.median(r[key] for r in rs)


def stats(rs):
    return {"runs": len(rs), "median_wall_s": round(med(rs, "wall_s"), 3),
            "min_wall_s": min(r["wall_s"] for r in rs), "max_wall_s": max(r["wall_s"] for r in rs),
            "median_cpu_s": round(med(rs, "cpu_s"), 2),
            "min_cpu_s": min(r["cpu_s"] for r in rs), "max_cpu_s": max(r["cpu_s"] for r in rs),
            "median_peak_rss_bytes": int(med(rs, "peak_rss_bytes")),
            "max_peak_rss_bytes": max(r["peak_rss_bytes"] for r in rs)}


def pct(a, b):
    return (a / b - 1) * 100


def markdown(s):
    b, a = s["builds"]["before"], s["builds"]["after"]
    sb, sa = s["ingest"]["before"]["stats"], s["ingest"]["after"]["stats"]
    ow, oc = s["overhead_wall_pct"], s["overhead_cpu_pct"]
    lines = [
        f"Command: `{s['command']}`", "",
        f"Machine: {s['machine']['cores']} cores (shared), {s['machine']['platform']}, "
        f"{s['rustc']}; load average at start {fmt_load(s['machine']['loadavg_start'])}, "
        f"before the timed runs {fmt_load(s['ingest']['loadavg_start'])}, before the step "
        f"runs {fmt_load(s['phases']['loadavg_start'])}, before the reruns "
        f"{fmt_load(s['reruns']['loadavg_start'])}.", "",
        f"Input: `tgscope-bench gen --size {s['export']['size']} --seed {SEED}`: "
        f"{s['export']['bytes'] / MIB:.0f} MiB, {s['export']['posts']:,} posts, "
        f"{s['export']['events']} service messages. Each run: `tgscope --archive A ingest "
        f"result.json -q --no-media` into a fresh archive.", "",
        f"Builds: before `{b['commit'][:7]}` ({b['subject']}); after `{a['commit'][:7]}` "
        f"({a['subject']}).", "",
        f"**Full ingest, {sb['runs']} runs each, alternating (ABBA)**", "",
        "| build | runs | median wall | wall min–max | median CPU | CPU min–max | peak RSS "
        "(median, max) | posts/s (median wall) |",
        "|---|---|---|---|---|---|---|---|"]
    for name, st in (("before", sb), ("after", sa)):
        lines.append(
            f"| {name} `{s['builds'][name]['commit'][:7]}` | {st['runs']} | "
            f"{st['median_wall_s']:.2f} s | {st['min_wall_s']:.2f}–{st['max_wall_s']:.2f} s | "
            f"{st['median_cpu_s']:.2f} s | {st['min_cpu_s']:.2f}–{st['max_cpu_s']:.2f} s | "
            f"{st['median_peak_rss_bytes'] / MIB:.0f} MiB, {st['max_peak_rss_bytes'] / MIB:.0f} "
            f"MiB | {s['export']['posts'] / st['median_wall_s']:,.0f} |")
    lines.append(f"| **after / before** | | **{ow:+.1f}%** | | **{oc:+.1f}%** | | "
                 f"{pct(sa['median_peak_rss_bytes'], sb['median_peak_rss_bytes']):+.1f}% | |")
    lines += ["", "Every timed run, in order (wall s / CPU s / peak RSS MiB / load average "
              "before it):", ""]
    lines += ["| # | build | wall | CPU | peak RSS | load |", "|---|---|---|---|---|---|"]
    for i, (name, r) in enumerate(s["ingest"]["order"], 1):
        lines.append(f"| {i} | {name} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
                     f"{r['peak_rss_bytes'] / MIB:.0f} | {fmt_load(r['loadavg'])} |")
    ph = s["phases"]
    if "before" not in ph:
        lines += ["", "**Where the time goes**: not measured (no strace on this machine)."]
    else:
        lines += step_table(ph)
    return lines_end(s, lines, sb, sa, ow, oc)


def step_table(ph):
    lines = ["", f"**Where the time goes** (median of {ph['runs']} runs each under strace, "
              "seconds of wall time per step, from the first file each step opens)", "",
              "| step | before | after | after − before |", "|---|---|---|---|"]
    for p in (*PHASES, "total_s"):
        vb, va = ph["before"]["median"][p], ph["after"]["median"][p]
        label = "total (under strace)" if p == "total_s" else p
        lines.append(f"| {label} | {vb:.2f} | {va:.2f} | {va - vb:+.2f} |")
    return lines


def lines_end(s, lines, sb, sa, ow, oc):
    rr = s["reruns"]
    lines += ["", f"**The steps alone** (on the archives of the last timed runs; median of "
              f"{rr['runs']} each)", "",
              "| command | build | median wall | median CPU | peak RSS |", "|---|---|---|---|---|"]
    for key, label in (("reindex_before", "`tgscope reindex` (index rebuilt)"),
                       ("reindex_after", "`tgscope reindex` (index rebuilt, with entity keys)"),
                       ("entities_after", "`rm A/entities/state.bin; tgscope entities`")):
        st = rr[key]
        lines.append(f"| {label} | {key.rsplit('_', 1)[1]} | {st['median_wall_s']:.2f} s | "
                     f"{st['median_cpu_s']:.2f} s | {st['median_peak_rss_bytes'] / MIB:.0f} MiB |")
    verdict = ("met" if max(ow, oc) <= TARGET_OVERHEAD * 100 else
               "met on wall time, not on CPU time" if ow <= TARGET_OVERHEAD * 100 else
               "NOT met")
    lines += ["", f"**Target** (recognising entities adds at most 25% to a full ingest of the "
              f"100 MB export): **{verdict}**: wall {ow:+.1f}% ({sb['median_wall_s']:.2f} s → "
              f"{sa['median_wall_s']:.2f} s), CPU {oc:+.1f}% ({sb['median_cpu_s']:.2f} s → "
              f"{sa['median_cpu_s']:.2f} s)."]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", default="52e1d3d")
    ap.add_argument("--after", default="HEAD")
    ap.add_argument("--runs", type=int, default=7, help="timed ingests of each build")
    ap.add_argument("--phase-runs", type=int, default=3, help="ingests of each under strace")
    ap.add_argument("--reruns", type=int, default=3, help="reindex / entities runs of each")
    ap.add_argument("--size", default="100MB")
    ap.add_argument("--work", default="/work/bench-wt")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--keep-worktrees", action="store_true")
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    summary = {
        "command": "python3 benches/entities/ingest_overhead.py" + "".join(
            f" {x}" for x in sys.argv[1:]),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                    "loadavg_start": loadavg()},
        "rustc": subprocess.run(["rustc", "--version"], capture_output=True,
                                text=True).stdout.strip(),
        "builds": {},
    }
    bins = {}
    try:
        for name, rev in (("before", args.before), ("after", args.after)):
            bindir, commit, seconds = build(name, rev, work, args.rebuild, name == "after")
            bins[name] = bindir
            summary["builds"][name] = {"rev": rev, "commit": commit,
                                       "subject": git("log", "-1", "--format=%s", commit)[:90],
                                       "build_seconds": seconds}
    finally:
        if not args.keep_worktrees:
            remove_worktrees(work)

    data = os.path.join(work, "data")
    os.makedirs(data, exist_ok=True)
    folder = os.path.join(data, "export")
    shutil.rmtree(folder, ignore_errors=True)
    gen = json.loads(subprocess.run(
        [os.path.join(bins["after"], "tgscope-bench"), "gen", "--size", args.size, "--seed",
         str(SEED), "--out", folder], capture_output=True, text=True, check=True).stdout)
    export = gen["path"]
    summary["export"] = {"size": args.size, "bytes": gen["bytes"], "posts": gen["posts"],
                         "events": gen["events"]}
    log(f"# export: {gen['bytes'] / MIB:.0f} MiB, {gen['posts']} posts")
    archive = {n: os.path.join(data, f"archive-{n}") for n in ("before", "after")}

    log("# warm-up")
    for name in ("before", "after"):
        ingest(name, bins, archive[name], export, gen["posts"])

    log(f"# {args.runs} timed ingests of each, ABBA")
    summary["ingest"] = {"loadavg_start": loadavg(), "order": []}
    results = {"before": [], "after": []}
    for i in range(args.runs):
        for name in (("before", "after") if i % 2 == 0 else ("after", "before")):
            r = ingest(name, bins, archive[name], export, gen["posts"])
            results[name].append(r)
            summary["ingest"]["order"].append((name, r))
    for name in ("before", "after"):
        summary["ingest"][name] = {"runs": results[name], "stats": stats(results[name])}
    sb, sa = summary["ingest"]["before"]["stats"], summary["ingest"]["after"]["stats"]
    summary["overhead_wall_pct"] = round(pct(sa["median_wall_s"], sb["median_wall_s"]), 2)
    summary["overhead_cpu_pct"] = round(pct(sa["median_cpu_s"], sb["median_cpu_s"]), 2)

    # The reruns work on the archives the timed runs left; the step runs use their own.
    log(f"# {args.reruns} reruns of each step alone")
    summary["reruns"] = {"loadavg_start": loadavg(), "runs": args.reruns}
    tg = {n: os.path.join(bins[n], "tgscope") for n in ("before", "after")}
    rr = {"reindex_before": [], "reindex_after": [], "entities_after": []}
    state = os.path.join(archive["after"], "entities", "state.bin")
    for _ in range(args.reruns):
        rr["reindex_before"].append(rerun([tg["before"], "--archive", archive["before"],
                                           "reindex"]))
        rr["reindex_after"].append(rerun([tg["after"], "--archive", archive["after"],
                                          "reindex"]))
        rr["entities_after"].append(rerun([tg["after"], "--archive", archive["after"],
                                           "entities", "-q"],
                                          pre=lambda: os.path.exists(state) and os.remove(state)))
    for k, v in rr.items():
        summary["reruns"][k] = stats(v)
        summary["reruns"][k]["all"] = v

    log(f"# {args.phase_runs} ingests of each under strace")
    summary["phases"] = {"loadavg_start": loadavg(), "runs": args.phase_runs}
    ph = {"before": [], "after": []}
    if shutil.which("strace"):
        for i in range(args.phase_runs):
            for name in (("before", "after") if i % 2 == 0 else ("after", "before")):
                ph[name].append(phases(name, bins, archive[name] + "-strace", export, work))
        for name in ("before", "after"):
            summary["phases"][name] = {
                "runs": ph[name],
                "median": {p: round(statistics.median(r[p] for r in ph[name]), 3)
                           for p in (*PHASES, "total_s")}}
    for name in ("before", "after"):
        fresh(archive[name] + "-strace")

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "ingest-overhead.json"), "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
    md = markdown(summary)
    with open(os.path.join(OUT, "ingest-overhead.md"), "w") as f:
        f.write(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
