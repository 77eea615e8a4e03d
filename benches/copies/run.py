#!/usr/bin/env python3
"""Benchmark: near-duplicate detection (copies), tgscope against datasketch and rensa on the same
labelled corpus and the very same shingle sets, in the same run.

What it does:

1. Creates a venv under target/bench-venv-copies (once) with datasketch==2.0.0 and the latest
   rensa that installs (rensa is skipped, with a note, when it does not).
2. Builds tgscope-bench in release.
3. Writes the accuracy corpus (`tgscope-bench copies-corpus --posts N --seed S`, default 20,000
   posts, seed 7) into target/bench-copies/corpus-N: copy chains across channels with the edits
   reposts make, template families and topic groups as hard negatives (see
   crates/bench/src/copies.rs), `shingles.jsonl` (per post, the word and character shingle sets
   tgscope compares, computed by tgscope's analysis with each channel's learned boilerplate) and
   `truth_pairs.jsonl` (every pair with exact Jaccard >= 0.7 on the kind tgscope compares the two
   posts by, found by an exact all-pairs join).
4. `tgscope-bench copies-run --corpus DIR`: tgscope's MinHash signatures, LSH band keys and
   candidate pairs on one thread over the signed sets of shingles.jsonl, then exact-Jaccard
   verification; the full `CopyState::rebuild` from the posts' text on every core (time, peak
   memory, pairs and clusters against the chains and against exact Jaccard); and
   `CopyState::update` with the newest 1,000 posts on a state rebuilt without them (an in-memory
   map stands for the archive), compared with the full rebuild.
5. The peers, each in its own process on one thread (RAYON_NUM_THREADS=1 and one BLAS thread),
   on the same signed sets (each 32-bit shingle hash fed as its 4 little-endian bytes; the bytes
   are made before the clock starts), one LSH index per shingle kind as tgscope keeps them apart:
   - datasketch `MinHash(num_perm=128, seed=1)` + `update_batch`, `MinHashLSH` at its defaults
     (threshold=0.9, which picks 5 bands x 25 rows);
   - datasketch with tgscope's parameters (`params=(32, 4)`);
   - rensa `RMinHash(128, seed=1)` + `RMinHashLSH(threshold=0.7, num_perm=128, num_bands=32)`.
   Each inserts every set, then queries every set; the candidate pairs are reported raw and after
   exact-Jaccard verification (Python sets, the same rule as the ground truth).
6. `--scale N ...`: for each N, a corpus of N + 1,000 posts without ground truth, then
   `copies-run --scale`: `CopyState::rebuild` of N posts streamed one channel at a time from
   posts.jsonl (time, CPU time, peak RSS from VmHWM), then `CopyState::update` with 1,000 more.

Timings are wall-clock; CPU seconds are reported beside them because a busy machine (other
builds) stretches wall time. Writes target/bench-copies/summary.json and summary.md and prints
the Markdown.

usage: benches/copies/run.py [--posts N] [--seed S] [--scale N [N ...]] [--no-peers]
                             [--regen]
   e.g. benches/copies/run.py --scale 100000 1000000
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, "target", "bench-venv-copies")
VENV_PY = os.path.join(VENV, "bin", "python")
OUT = os.path.join(ROOT, "target", "bench-copies")
BENCH = os.path.join(ROOT, "target", "release", "tgscope-bench")
JACCARD = 0.7
UPDATE_POSTS = 1000
PEERS = [
    # (name, library, threshold, bands, rows): bands/rows None = the library's own choice.
    ("datasketch (defaults: threshold 0.9)", "datasketch", 0.9, None, None),
    ("datasketch (tgscope's 32 x 4)", "datasketch", JACCARD, 32, 4),
    ("rensa (32 bands)", "rensa", JACCARD, 32, 4),
]


# --------------------------------------------------------------------------------------------
# Shared by the driver and the peers (the peers run this file with the venv's Python).

def load_corpus(corpus):
    """Posts' chains and families, the shingle sets, and the exact-Jaccard truth."""
    chain_of, family_of = {}, {}
    with open(os.path.join(corpus, "posts.jsonl")) as f:
        for line in f:
            p = json.loads(line)
            if p["chain"] is not None:
                chain_of[p["post_id"]] = p["chain"]
            if p["kind"] == "template":
                family_of[p["post_id"]] = p["family"]
    words, chars, signed = {}, {}, []
    with open(os.path.join(corpus, "shingles.jsonl")) as f:
        for line in f:
            s = json.loads(line)
            (chars if s["kind"] == "chars" else words)[s["post_id"]] = s["hashes"]
            if s["signed"]:
                signed.append((s["post_id"], s["kind"]))
    truth = set()
    with open(os.path.join(corpus, "truth_pairs.jsonl")) as f:
        for line in f:
            t = json.loads(line)
            if t["kind"] != "exact":
                truth.add((t["a"], t["b"]))
    return chain_of, family_of, words, chars, signed, truth


def score(found, truth, correct):
    return {"found": found, "truth": truth, "correct": correct,
            "precision": round(correct / found, 5) if found else 1.0,
            "recall": round(correct / truth, 5) if truth else 1.0}


def components(pairs):
    parent = {}

    def find(x):
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent)}


def cluster_score(cluster_of, chain_of):
    """Pairs in one cluster against pairs in one chain, by counts."""
    def c2(n):
        return n * (n - 1) // 2

    clusters, chains, both = {}, {}, {}
    for p, c in cluster_of.items():
        clusters[c] = clusters.get(c, 0) + 1
        if p in chain_of:
            k = (c, chain_of[p])
            both[k] = both.get(k, 0) + 1
    for c in chain_of.values():
        chains[c] = chains.get(c, 0) + 1
    return score(sum(map(c2, clusters.values())), sum(map(c2, chains.values())),
                 sum(map(c2, both.values())))


def peer(args):
    """One peer on one corpus: prints a JSON object."""
    import resource
    chain_of, family_of, words, chars, signed, truth = load_corpus(args.corpus)
    tokens = [(post, kind, [h.to_bytes(4, "little") for h in
                            (chars if kind == "chars" else words)[post]]) for post, kind in signed]
    word_sets = {p: set(h) for p, h in words.items()}
    char_sets = {p: set(h) for p, h in chars.items()}
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out = {"library": args.library, "threshold": args.threshold, "sets": len(tokens)}

    if args.library == "datasketch":
        import datasketch
        from datasketch import MinHash, MinHashLSH
        out["version"] = datasketch.__version__ if hasattr(datasketch, "__version__") else "2.0.0"
        start = time.perf_counter()
        sigs = []
        for _, _, toks in tokens:
            m = MinHash(num_perm=128, seed=1)
            m.update_batch(toks)
            sigs.append(m)
        out["signature_seconds"] = time.perf_counter() - start
        lsh_args = {"threshold": args.threshold, "num_perm": 128}
        if args.bands:
            lsh_args["params"] = (args.bands, args.rows)
        start = time.perf_counter()
        index = {"words": MinHashLSH(**lsh_args), "chars": MinHashLSH(**lsh_args)}
        for i, ((_, kind, _), m) in enumerate(zip(tokens, sigs)):
            index[kind].insert(i, m)
        out["index_seconds"] = time.perf_counter() - start
        out["bands_rows"] = [index["words"].b, index["words"].r]
        start = time.perf_counter()
        pairs = set()
        for i, ((post, kind, _), m) in enumerate(zip(tokens, sigs)):
            for j in index[kind].query(m):
                if j != i:
                    other = tokens[j][0]
                    if other != post:
                        pairs.add((min(post, other), max(post, other)))
        out["query_seconds"] = time.perf_counter() - start
    else:
        import rensa
        from importlib.metadata import version
        out["version"] = version("rensa")
        start = time.perf_counter()
        sigs = []
        for _, _, toks in tokens:
            m = rensa.RMinHash(num_perm=128, seed=1)
            m.update(toks)
            sigs.append(m)
        out["signature_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        index = {k: rensa.RMinHashLSH(threshold=args.threshold, num_perm=128,
                                      num_bands=args.bands) for k in ("words", "chars")}
        for i, ((_, kind, _), m) in enumerate(zip(tokens, sigs)):
            index[kind].insert(i, m)
        out["index_seconds"] = time.perf_counter() - start
        out["bands_rows"] = [args.bands, 128 // args.bands]
        start = time.perf_counter()
        pairs = set()
        for i, ((post, kind, _), m) in enumerate(zip(tokens, sigs)):
            for j in index[kind].query(m):
                if j != i:
                    other = tokens[j][0]
                    if other != post:
                        pairs.add((min(post, other), max(post, other)))
        out["query_seconds"] = time.perf_counter() - start
    out["signature_index_query_seconds"] = (out["signature_seconds"] + out["index_seconds"]
                                            + out["query_seconds"])

    def jaccard(a, b):
        if a in char_sets and b in char_sets:
            x, y = char_sets[a], char_sets[b]
        elif a in word_sets and b in word_sets:
            x, y = word_sets[a], word_sets[b]
        else:
            return None
        common = len(x & y)
        union = len(x) + len(y) - common
        return common / union if union else 0.0

    start = time.perf_counter()
    verified = [p for p in pairs if (jaccard(*p) or 0.0) >= JACCARD]
    out["verify_seconds"] = time.perf_counter() - start
    chain_pairs = sum(n * (n - 1) // 2 for n in _counts(chain_of.values()).values())
    out["candidates"] = len(pairs)
    out["verified"] = len(verified)
    out["raw_vs_jaccard"] = score(len(pairs), len(truth), sum(1 for p in pairs if p in truth))
    out["verified_vs_jaccard"] = score(len(verified), len(truth),
                                       sum(1 for p in verified if p in truth))
    same_chain = sum(1 for a, b in verified
                     if a in chain_of and chain_of.get(b) == chain_of[a])
    out["verified_vs_chains"] = score(len(verified), chain_pairs, same_chain)
    out["raw_vs_chains"] = score(len(pairs), chain_pairs,
                                 sum(1 for a, b in pairs
                                     if a in chain_of and chain_of.get(b) == chain_of[a]))
    out["components_vs_chains"] = cluster_score(components(verified), chain_of)
    out["template_pairs_verified"] = sum(
        1 for a, b in verified if a in family_of and family_of.get(b) == family_of[a])
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["rss_after_load_bytes"] = rss_loaded
    print(json.dumps(out))


def _counts(values):
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


# --------------------------------------------------------------------------------------------
# The driver.

def sh(cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def ensure_venv():
    """The venv with datasketch==2.0.0 and rensa; returns a note about rensa (None if fine)."""
    if not os.path.exists(VENV_PY):
        sh([sys.executable, "-m", "venv", VENV])
    have = subprocess.run([VENV_PY, "-c", "import datasketch"], capture_output=True)
    if have.returncode != 0:
        sh([VENV_PY, "-m", "pip", "install", "-q", "datasketch==2.0.0"])
    have = subprocess.run([VENV_PY, "-c", "import rensa"], capture_output=True)
    if have.returncode != 0:
        got = subprocess.run([VENV_PY, "-m", "pip", "install", "-q", "rensa"],
                             capture_output=True, text=True)
        if got.returncode != 0:
            return "rensa did not install: " + got.stderr.strip().splitlines()[-1]
    return None


def corpus(n, seed, truth, regen):
    d = os.path.join(OUT, f"corpus-{n}" + ("" if truth else "-scale"))
    meta = os.path.join(d, "corpus.json")
    if not regen and os.path.exists(meta):
        with open(meta) as f:
            m = json.load(f)
        if m["posts"] == n and m["seed"] == seed and m["truth"] == truth:
            return d, m
    cmd = [BENCH, "copies-corpus", "--posts", str(n), "--seed", str(seed), "--out", d]
    if not truth:
        cmd.append("--no-truth")
    out = sh(cmd, capture_output=True, text=True).stdout
    return d, json.loads(out)


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def mib(b):
    return f"{b / 2**20:,.0f} MiB"


def markdown(s):
    lines = []
    acc_corpus = s["corpus"]
    t = s["tgscope"]
    sig, reb, acc, upd = t["signatures"], t["rebuild"], t["accuracy"], t["update"]
    lines.append(f"Corpus: {acc_corpus['posts']:,} posts, {acc_corpus['channels']} channels, "
                 f"{acc_corpus['chains']:,} chains ({acc_corpus['kinds'].get('copy', 0):,} "
                 f"copies), {acc_corpus['kinds'].get('template', 0):,} template posts, "
                 f"{acc_corpus['kinds'].get('topic', 0):,} topic-group posts; "
                 f"{sum(acc_corpus['truth_pairs'].values()):,} pairs with exact Jaccard >= 0.7 "
                 f"({acc_corpus['truth_pairs']}). Machine: {s['machine']['cores']} cores, load "
                 f"average {s['machine']['loadavg_start']:.1f} at the start.")
    lines.append("")
    lines.append("**Signatures + LSH candidates, one thread, same shingle sets** "
                 f"({sig['sets']:,} sets, {sig['shingles']:,} shingles)")
    lines.append("")
    lines.append("| tool | bands x rows | signatures | index | query | sig+candidates | "
                 "tgscope faster | candidates | candidate recall (J>=0.7) | raw precision (J) | "
                 "verified P / R (J) | verified P / R (chains) | components P / R (chains) | "
                 "peak RSS |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    tg_time = sig["signature_and_candidate_seconds"]
    lines.append(
        f"| tgscope | 32 x 4 | {sig['signature_seconds']:.2f} s | - | "
        f"{sig['candidate_seconds']:.2f} s | {tg_time:.2f} s "
        f"(CPU {sig['signature_and_candidate_cpu_seconds']:.2f} s) | 1 | "
        f"{sig['candidates']:,} | {sig['raw_vs_jaccard']['recall']:.4f} | "
        f"{sig['raw_vs_jaccard']['precision']:.3f} | "
        f"{sig['verified_vs_jaccard']['precision']:.4f} / "
        f"{sig['verified_vs_jaccard']['recall']:.4f} | "
        f"{sig['verified_vs_chains']['precision']:.3f} / "
        f"{sig['verified_vs_chains']['recall']:.3f} | "
        f"{sig['components_vs_chains']['precision']:.3f} / "
        f"{sig['components_vs_chains']['recall']:.3f} | (in copies-run) |")
    for name, p in s["peers"].items():
        if "error" in p:
            lines.append(f"| {name} | - | {p['error']} |||||||||||")
            continue
        total = p["signature_index_query_seconds"]
        lines.append(
            f"| {name} {p.get('version', '')} | {p['bands_rows'][0]} x {p['bands_rows'][1]} | "
            f"{p['signature_seconds']:.2f} s | {p['index_seconds']:.2f} s | "
            f"{p['query_seconds']:.2f} s | {total:.2f} s | {total / tg_time:.1f}x | "
            f"{p['candidates']:,} | {p['raw_vs_jaccard']['recall']:.4f} | "
            f"{p['raw_vs_jaccard']['precision']:.3f} | "
            f"{p['verified_vs_jaccard']['precision']:.4f} / "
            f"{p['verified_vs_jaccard']['recall']:.4f} | "
            f"{p['verified_vs_chains']['precision']:.3f} / "
            f"{p['verified_vs_chains']['recall']:.3f} | "
            f"{p['components_vs_chains']['precision']:.3f} / "
            f"{p['components_vs_chains']['recall']:.3f} | {mib(p['peak_rss_bytes'])} |")
    if s.get("rensa_note"):
        lines.append("")
        lines.append(f"Note: {s['rensa_note']}")
    lines.append("")
    lines.append(f"**tgscope end to end (`CopyState::rebuild`, {reb['threads']} threads, "
                 f"{reb['posts']:,} posts)**: {reb['seconds']:.2f} s wall, "
                 f"{reb['cpu_seconds']:.2f} s CPU, {reb['texts']:,} distinct texts, "
                 f"{reb['pairs']:,} verified pairs, {reb['clusters']:,} clusters.")
    lines.append("")
    lines.append("| measure | precision | recall | found | truth |")
    lines.append("|---|---|---|---|---|")
    for label, key in [("pairs in one cluster vs chains", "clusters_vs_chains"),
                       ("full pairs vs exact J >= 0.7", "full_pairs_vs_jaccard"),
                       ("full pairs vs exact J >= 0.7, template pairs left out",
                        "full_pairs_vs_jaccard_without_templates"),
                       ("full pairs vs chains", "full_pairs_vs_chains")]:
        v = acc[key]
        lines.append(f"| {label} | {v['precision']:.4f} | {v['recall']:.4f} | {v['found']:,} | "
                     f"{v['truth']:,} |")
    lines.append("")
    lines.append(f"Chains: {acc['chains']:,}, recovered exactly as one cluster "
                 f"{acc['chains_exact']:,}, split or partly missed {acc['chains_split']:,}; "
                 f"impure clusters {acc['clusters_impure']:,}; non-chain posts clustered "
                 f"{acc['negatives_clustered']}; template pairs among the J truth "
                 f"{acc['template_truth_pairs']:,}.")
    lines.append("")
    lines.append("Copies in their source's cluster, by edit: " + ", ".join(
        f"{e} {ok}/{n}" for e, (n, ok) in sorted(acc["copies_by_edit"].items())))
    lines.append("")
    lines.append(f"Update ({upd['new_posts']:,} newest posts onto {upd['base_posts']:,}): "
                 f"{upd['seconds']:.3f} s wall, {upd['cpu_seconds']:.2f} s CPU, "
                 f"compared {upd['compared']:,}, needs rebuild {upd['needs_rebuild']}, "
                 f"equals the full rebuild: {upd['equals_rebuild']}.")
    if s["scale"]:
        lines.append("")
        lines.append("**Scale (`copies-run --scale`: rebuild streamed one channel at a time, "
                     "then an update of 1,000 posts)**")
        lines.append("")
        lines.append("| posts | rebuild wall | rebuild CPU | of which reading | peak RSS | "
                     "state RSS after | texts | pairs | clusters | update 1,000 wall | "
                     "update CPU | load avg |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in s["scale"]:
            rb, up = r["rebuild"], r["update"]
            lines.append(f"| {rb['posts']:,} | {rb['seconds']:.1f} s | {rb['cpu_seconds']:.1f} s"
                         f" | {rb['read_seconds']:.1f} s | {mib(rb['peak_rss_bytes'])} | "
                         f"{mib(rb['rss_after_bytes'])} | {rb['texts']:,} | {rb['pairs']:,} | "
                         f"{rb['clusters']:,} | {up['seconds']:.2f} s | "
                         f"{up['cpu_seconds']:.2f} s | {r['loadavg_start']:.1f} |")
    lines.append("")
    lines.append("**Targets**")
    lines.append("")
    for name, met, detail in s["targets"]:
        lines.append(f"- {'met' if met else 'NOT met' if met is not None else 'not measured'}"
                     f": {name} ({detail})")
    return "\n".join(lines)


def targets(s):
    t = s["tgscope"]
    sig, acc = t["signatures"], t["accuracy"]
    out = []
    r_lsh = sig["raw_vs_jaccard"]["recall"]
    r_full = acc["full_pairs_vs_jaccard_without_templates"]["recall"]
    out.append(("recall >= 0.99 for pairs with Jaccard >= 0.7", r_lsh >= 0.99 and r_full >= 0.99,
                f"LSH candidate recall {r_lsh:.4f}; rebuild's full pairs {r_full:.4f} without the "
                f"template pairs it rejects on purpose, "
                f"{acc['full_pairs_vs_jaccard']['recall']:.4f} with them"))
    p_ver = acc["full_pairs_vs_jaccard"]["precision"]
    p_chain = acc["clusters_vs_chains"]["precision"]
    out.append(("precision >= 0.99 after verification", p_ver >= 0.99 and p_chain >= 0.99,
                f"full pairs vs exact J {p_ver:.4f}; pairs in one cluster vs chains "
                f"{p_chain:.4f}"))
    ds = s["peers"].get(PEERS[1][0])
    if ds and "error" not in ds:
        speed = ds["signature_index_query_seconds"] / sig["signature_and_candidate_seconds"]
        speed0 = (s["peers"][PEERS[0][0]]["signature_index_query_seconds"]
                  / sig["signature_and_candidate_seconds"])
        out.append(("signatures + candidate search >= 20x faster than datasketch, one thread",
                    speed >= 20, f"{speed:.1f}x against datasketch at 32 x 4, {speed0:.1f}x "
                    "against its defaults"))
    big = [r for r in s["scale"] if r["rebuild"]["posts"] >= 1_000_000]
    if big:
        rb, up = big[-1]["rebuild"], big[-1]["update"]
        out.append(("1M posts clustered from scratch <= 60 s on 2 cores in <= 1 GB",
                    rb["seconds"] <= 60 and rb["peak_rss_bytes"] <= 2**30,
                    f"{rb['seconds']:.1f} s wall ({rb['cpu_seconds']:.1f} s CPU), peak "
                    f"{mib(rb['peak_rss_bytes'])}"))
        out.append(("1,000 new posts added to a clustered 1M-post state <= 1 s",
                    up["seconds"] <= 1.0, f"{up['seconds']:.2f} s wall, "
                    f"{up['cpu_seconds']:.2f} s CPU"))
    else:
        out.append(("1M posts clustered from scratch <= 60 s on 2 cores in <= 1 GB", None,
                    "run with --scale 1000000"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=20_000, help="posts of the accuracy corpus")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=int, nargs="*", default=[],
                    help="post counts for rebuild time and memory runs (e.g. 100000 1000000)")
    ap.add_argument("--no-peers", action="store_true", help="skip datasketch and rensa")
    ap.add_argument("--regen", action="store_true", help="write the corpora again")
    # Peer mode (run by the driver with the venv's Python).
    ap.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--library", help=argparse.SUPPRESS)
    ap.add_argument("--threshold", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--bands", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        peer(args)
        return

    os.makedirs(OUT, exist_ok=True)
    rensa_note = None if args.no_peers else ensure_venv()
    sh(["cargo", "build", "--release", "-q", "-p", "tgscope-bench"], cwd=ROOT)
    summary = {
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                    "loadavg_start": loadavg()},
        "git": {"head": git("rev-parse", "HEAD"),
                "analyze_dirty": git("status", "--porcelain", "crates/analyze", "crates/text")},
        "rensa_note": rensa_note,
    }
    d, meta = corpus(args.posts, args.seed, True, args.regen)
    summary["corpus"] = meta
    summary["tgscope"] = json.loads(sh([BENCH, "copies-run", "--corpus", d, "--update-posts",
                                        str(UPDATE_POSTS)], capture_output=True, text=True).stdout)
    summary["peers"] = {}
    if not args.no_peers:
        env = dict(os.environ, RAYON_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        for name, lib, threshold, bands, rows in PEERS:
            if lib == "rensa" and rensa_note:
                continue
            cmd = [VENV_PY, os.path.abspath(__file__), "--peer", "--corpus", d, "--library", lib,
                   "--threshold", str(threshold)]
            if bands:
                cmd += ["--bands", str(bands), "--rows", str(rows)]
            got = subprocess.run(cmd, capture_output=True, text=True, env=env)
            print("$", " ".join(cmd), flush=True)
            if got.returncode != 0:
                summary["peers"][name] = {"error": got.stderr.strip().splitlines()[-1]}
            else:
                summary["peers"][name] = json.loads(got.stdout)
    summary["scale"] = []
    for n in args.scale:
        d, meta = corpus(n + UPDATE_POSTS, args.seed, False, args.regen)
        load = loadavg()
        r = json.loads(sh([BENCH, "copies-run", "--corpus", d, "--scale", "--update-posts",
                           str(UPDATE_POSTS)], capture_output=True, text=True).stdout)
        r["loadavg_start"] = load
        r["corpus_bytes"] = meta["bytes"]
        summary["scale"].append(r)
    summary["targets"] = targets(summary)
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
    md = markdown(summary)
    with open(os.path.join(OUT, "summary.md"), "w") as f:
        f.write(md + "\n")
    print()
    print(md)


if __name__ == "__main__":
    main()
