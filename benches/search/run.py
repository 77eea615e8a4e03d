#!/usr/bin/env python3
"""Benchmark: search (issue 5) on synthetic archives, tgscope's index against a plain tantivy
indexer of the same documents, and query latency, in the same run.

For each post count it writes one synthetic Desktop export (`tgscope-bench gen`, seed 7, about
2,263 bytes per post), ingests it into a fresh archive (`tgscope ingest`, which builds the index
in the same run), then runs:

- `tgscope-bench search-index ARCHIVE`: the archive's posts loaded into memory once, then
  indexed by tgscope's index and by a plain tantivy indexer (simple tokenizer, lower-casing,
  Russian and English Snowball stems, a raw field, channel and tag strings, a fast date), each
  with a 256 MiB writer heap and one commit; then `reindex` of the archive end to end;
- `tgscope-bench search-latency ARCHIVE --rounds R`: 20 mixed queries (words in both languages,
  exact forms, phrases, OR, exclusion, tags, channel, forwards, media, language, date ranges),
  each run R times after a warm-up, first page of 20 with snippets and the posts read from the
  archive; counts per month for the same queries.

Wall time, CPU and peak RSS of each step come from `/usr/bin/time`. Writes
target/bench/search.json and prints a Markdown table.

usage: benches/search/run.py [--rounds R] [POSTS ...]   (default: 100000 1000000)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "target", "release", "tgscope-bench")
TGSCOPE = os.path.join(ROOT, "target", "release", "tgscope")
BYTES_PER_POST = 2263


def timed(cmd):
    proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *cmd], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    last = proc.stderr.strip().splitlines()[-1].split()
    return float(last[0]), float(last[1]) + float(last[2]), int(last[3]) * 1024, proc.stdout


def main():
    args = sys.argv[1:]
    rounds = 10
    if "--rounds" in args:
        i = args.index("--rounds")
        rounds = int(args[i + 1])
        del args[i:i + 2]
    counts = [int(a) for a in args] or [100_000, 1_000_000]
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tgscope-bench", "-p",
                    "tgscope-cli"], check=True, cwd=ROOT)
    results = []
    work = tempfile.mkdtemp(prefix="tgscope-bench-search-")
    try:
        for n in counts:
            export = os.path.join(work, f"export-{n}")
            out = subprocess.run([BENCH, "gen", "--size", str(n * BYTES_PER_POST), "--out",
                                  export], check=True, capture_output=True, text=True).stdout
            gen = json.loads(out)
            archive = os.path.join(work, f"archive-{n}")
            wall, cpu, rss, _ = timed([TGSCOPE, "--archive", archive, "ingest",
                                       os.path.join(export, "result.json"), "-q", "--no-media"])
            ingest = {"wall": wall, "cpu": cpu, "rss": rss}
            wall, cpu, rss, out = timed([BENCH, "search-index", archive])
            index = json.loads(out)
            index.update({"wall": wall, "rss": rss})
            wall, cpu, rss, out = timed([BENCH, "search-latency", archive, "--rounds",
                                         str(rounds)])
            latency = json.loads(out)
            latency.update({"wall": wall, "rss": rss})
            row = {"posts": gen["posts"], "bytes": gen["bytes"], "ingest": ingest,
                   "index": index, "latency": latency}
            results.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
            shutil.rmtree(export)
            shutil.rmtree(archive)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(ROOT, "target", "bench"), exist_ok=True)
    with open(os.path.join(ROOT, "target", "bench", "search.json"), "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    print()
    print("| posts | ingest (with index) | tgscope index | plain tantivy | ratio | reindex | "
          "search p50 | search p99 | count p50 | count p99 | peak RSS (latency) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        i, l = r["index"], r["latency"]
        print(f"| {r['posts']:,} | {r['ingest']['wall']:.1f} s | "
              f"{i['tgscope_seconds']:.1f} s ({i['tgscope_docs_per_s']:,.0f} docs/s) | "
              f"{i['plain_seconds']:.1f} s ({i['plain_docs_per_s']:,.0f} docs/s) | "
              f"{i['ratio']:.2f} | {i['reindex_seconds']:.1f} s | {l['search_p50_ms']:.1f} ms | "
              f"{l['search_p99_ms']:.1f} ms | {l['count_p50_ms']:.1f} ms | "
              f"{l['count_p99_ms']:.1f} ms | {l['rss'] / 2**20:.0f} MiB |")
    print()
    for r in results:
        print(f"per query at {r['posts']:,} posts (median ms, hits):")
        for q, ms, hits in r["latency"]["per_query"]:
            print(f"  {ms:8.2f}  {hits:>8}  {q}")


if __name__ == "__main__":
    main()
