#!/usr/bin/env python3
"""Benchmark: time and peak memory of `tgscope ingest` against the size of hostile inputs
(issue 17, points 1 and 2), for this tree's tgscope and the tgscope of a baseline commit
(--baseline, default b07545e: before the nesting budget and the post size limit), in the same
run.

Inputs, written into target/bench-hostile/inputs (reused when present):

- t.me pages (the project's fixture page) with N nested `div`s in a post's text, N = 10,000,
  100,000 and 1,000,000 (0.1, 1.1 and 11 MB);
- Desktop HTML pages (the project's fixture page), the same;
- JSON Lines dumps of three messages, the middle one of 1, 10 and 50 MB of text;
- plain text without any post marker (numbered paragraphs) of 20, 50, 200 and 500 MB.

Each input is ingested into a fresh archive as `tgscope --archive DIR ingest FILE --channel
bench` under `/usr/bin/time -f "%e %M"` (wall seconds, peak RSS), stopped after --timeout
seconds (default 120; such a run is reported as "> T s"). What must show: for this tree, time
and memory that grow at most linearly with the input; for the baseline, what the issue found.

Writes target/bench-hostile/summary.json and summary.md and prints the Markdown.

usage: benches/hostile/run.py [--baseline REV] [--timeout S] [--only current]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
OUT = os.path.join(ROOT, "target", "bench-hostile")
BASELINE = "b07545e"
FIXTURES = os.path.join(ROOT, "crates", "read", "tests", "fixtures")


def sh(cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


def build_current():
    sh(["cargo", "build", "--release", "-q", "-p", "tgscope-cli"], cwd=ROOT)
    return os.path.join(TARGET, "release", "tgscope")


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
    return os.path.join(target, "release", "tgscope")


def nested(fixture, marker, depth):
    with open(os.path.join(FIXTURES, fixture), encoding="utf-8") as f:
        page = f.read()
    at = page.index(marker)
    inside = page.index(">", at) + 1
    return page[:inside] + "<div>" * depth + "</div>" * depth + page[inside:]


def dump(megabytes):
    long = "Заявление министерства о переговорах. " * (megabytes * (1 << 20) // 71 + 1)
    lines = [
        '{"id": 1, "date": "2024-03-01T10:00:00Z", "message": "Before the long one."}',
        '{"id": 2, "date": "2024-03-01T11:00:00Z", "message": "%s"}' % long,
        '{"id": 3, "date": "2024-03-01T12:00:00Z", "message": "After the long one."}',
    ]
    return "\n".join(lines) + "\n"


def unmarked(megabytes, path):
    size = megabytes << 20
    with open(path, "w", encoding="utf-8") as f:
        written, n = 0, 0
        while written < size:
            n += 1
            line = f"Paragraph {n}: the text goes on without any of the marks a channel's posts carry.\n\n"
            f.write(line)
            written += len(line)


def inputs():
    folder = os.path.join(OUT, "inputs")
    os.makedirs(folder, exist_ok=True)
    made = []
    for depth in (10_000, 100_000, 1_000_000):
        for kind, fixture, marker, name in (
            ("t.me page", "tme/page.html", "tgme_widget_message_text", f"tme-{depth}.html"),
            ("Desktop HTML page", "desktop-html/channel_messages.html", 'class="text"',
             f"messages-{depth}.html"),
        ):
            path = os.path.join(folder, name)
            if not os.path.exists(path):
                with open(path, "w", encoding="utf-8") as f:
                    f.write(nested(fixture, marker, depth))
            made.append((f"{kind}, {depth:,} nested divs", path))
    for mb in (1, 10, 50):
        path = os.path.join(folder, f"dump-{mb}MB.jsonl")
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as f:
                f.write(dump(mb))
        made.append((f"dump, one message of {mb} MB", path))
    for mb in (20, 50, 200, 500):
        path = os.path.join(folder, f"unmarked-{mb}MB.txt")
        if not os.path.exists(path):
            unmarked(mb, path)
        made.append((f"text without markers, {mb} MB", path))
    return made


def run(binary, path, timeout):
    archive = tempfile.mkdtemp(prefix="bench-hostile-")
    cmd = [binary, "--archive", os.path.join(archive, "a"), "ingest", path, "--channel", "bench"]
    try:
        with tempfile.NamedTemporaryFile("r") as usage:
            try:
                got = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", usage.name, *cmd],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     timeout=timeout)
            except subprocess.TimeoutExpired:
                subprocess.run(["pkill", "-f", archive])
                return {"seconds": None, "peak_rss_bytes": None, "exit": None}
            wall, kb = usage.read().split()[-2:]
            return {"seconds": float(wall), "peak_rss_bytes": int(kb) * 1024,
                    "exit": got.returncode}
    finally:
        shutil.rmtree(archive, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--only", choices=["current"], default=None)
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    binaries = {"current": build_current()}
    if args.only is None:
        binaries["baseline"] = build_baseline(args.baseline)
    results = []
    for label, path in inputs():
        size = os.path.getsize(path)
        row = {"input": label, "bytes": size}
        for name, binary in binaries.items():
            print(f"{name}: {label}", flush=True)
            row[name] = run(binary, path, args.timeout)
        results.append(row)
    head = git("rev-parse", "--short", "HEAD")
    summary = {"current": head, "baseline": args.baseline, "timeout": args.timeout,
               "results": results}
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)

    def cell(r):
        if r["seconds"] is None:
            return f"> {args.timeout:.0f} s (stopped)", "-"
        return f"{r['seconds']:.2f} s", f"{r['peak_rss_bytes'] / (1 << 20):,.0f} MiB"

    names = list(binaries)
    lines = [f"tgscope {head} against {args.baseline} (the tree before issue 17's fixes); "
             f"2 cores; each run stopped after {args.timeout:.0f} s.", "",
             "| input | size | " + " | ".join(f"{n} time | {n} peak RSS" for n in names) + " |",
             "|---|---|" + "---|---|" * len(names)]
    for row in results:
        cells = []
        for n in names:
            cells.extend(cell(row[n]))
        lines.append(f"| {row['input']} | {row['bytes'] / 1e6:,.1f} MB | " + " | ".join(cells)
                     + " |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "summary.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
