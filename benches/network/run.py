#!/usr/bin/env python3
"""Benchmark: coordination networks, tgscope against the coordination-network-toolkit on the same
synthetic archive, in the same run (issue 13).

What it does:

1. Creates a venv under target/bench-venv-network (once) with coordination-network-toolkit==1.5.2
   from PyPI.
2. Builds tgscope-bench in release.
3. Writes the corpus (`tgscope-bench network-corpus --posts N --seed S`, default 100,000 posts,
   seed 7) into target/bench-network/corpus-N: channels posting over 90 days with forwards of
   popular origins, links from a large pool (some with tracking parameters), stock phrases,
   mentions and hashtags, and planted groups of 3 to 8 channels that forward the same origins,
   post the same URLs and post the same texts within 45 s of each other (see
   crates/bench/src/network.rs). The toolkit reads the corpus's CSV (toolkit.csv, URLs as
   posted); toolkit-clean-urls.csv holds the same posts with URLs without tracking parameters.
4. For each window (default 60 s and 1 h) at the same least edge weight (default 3):
   - `tgscope-bench network-run`: the NetworkState build, the graph of forwards, mentions and
     links, and coordination for co-forwarding, co-linking and identical-text co-posting (each
     alone and the three together), with no limit on sharers per object (the toolkit has none);
     the edges go to coordination-KIND.csv;
   - the toolkit: its SQLite preprocessing (once per corpus, copied for each window), then
     `compute_networks DB compute co_retweet|co_link|co_tweet --time_window W
     --min_edge_weight N --n_cpus 2` each in its own process (wall and CPU time, children
     included), its edges read with its own `get_edge_rows` (what its export writes; its CSV
     export crashes in 1.5.2, see below), and co_link again on the cleaned URLs;
   - the comparison. The toolkit's edge a->b (weight: a's distinct messages matched by a message
     of b within the window) is directed; tgscope's coordination edge is undirected (weight:
     distinct objects whose first shares by the two channels fall within the window). A pair
     agrees when the toolkit has both a->b and b->a with tgscope's weight. Both definitions are
     also recomputed here from posts.jsonl (plain Python, no shortcuts), to check that each tool
     computes exactly its own definition; every pair where the tools differ is then explained:
     the definitions coincide for a pair when every object the two channels both shared was
     shared once by each, in messages carrying one such object each; where one of them shared
     an object more than once (tgscope counts only each channel's first share; the toolkit
     counts every message, and its two directions can differ) or one message carries two
     shared URLs (the toolkit counts the message once, tgscope each URL), they differ.
5. `--scale N ...`: tgscope on corpora of N posts at the largest window: the build, the full
   forward/mention/link graph (at most 50 sharers per URL, the product's default), and
   coordination (no limit, and again at the default of 50), with time, CPU time and peak memory
   (VmHWM). With --peer-scale the toolkit runs there too (preprocessing, its three networks,
   co_link on the cleaned URLs) and the edges are compared as above, without recomputing the
   definitions.

Quirks of the toolkit 1.5.2 met here: the CLI's --time_window defaults to 1 s (the README says
60 s) and --min_edge_weight to 2, so both are always given; its CSV preprocessing splits an empty
`urls` field into one URL "" (every message without a URL then "shares" it, and co_link links
everyone who posted anything within the window), so the CSV is loaded with its Python
`preprocess_data` and the URLs split without empty ones (the CLI path is run too, and its co_link
edge count reported); `export_network --output_format csv` fails (`output_gephi_csv() got an
unexpected keyword argument 'n_messages'`), so edges are read with `get_edge_rows`, which that
export uses.

Timings are wall-clock; CPU seconds are reported beside them, and the load average at each step,
because other builds share the machine. The toolkit's time, CPU time and peak memory come from
/usr/bin/time around each of its processes (its worker processes included; the memory is that of
its largest process). Writes target/bench-network/summary.json and summary.md
and prints the Markdown.

usage: benches/network/run.py [--posts N] [--seed S] [--windows W [W ...]] [--min-shared N]
                              [--scale N [N ...]] [--peer-scale] [--no-peers] [--regen]
   e.g. benches/network/run.py --regen --scale 1000000 --peer-scale
"""
import argparse
import csv
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, "target", "bench-venv-network")
VENV_PY = os.path.join(VENV, "bin", "python")
TOOLKIT_CLI = os.path.join(VENV, "bin", "compute_networks")
TOOLKIT_VERSION = "1.5.2"
OUT = os.path.join(ROOT, "target", "bench-network")
BENCH = os.path.join(ROOT, "target", "release", "tgscope-bench")
CPUS = 2
# tgscope's object kind -> the toolkit's network type.
KINDS = [("forward", "co_retweet"), ("link", "co_link"), ("copy", "co_tweet")]
KIND_NAMES = {"forward": "co-forwarding", "link": "co-linking", "copy": "identical-text co-posting"}


# --------------------------------------------------------------------------------------------
# Peer mode: run with the venv's Python.

def peer_preprocess(args):
    """Loads a CSV of the corpus into a toolkit database with its Python API, the URLs split
    without empty strings."""
    from coordination_network_toolkit.preprocess import preprocess_data
    start = time.perf_counter()
    with open(args.csv, encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        rows = ((*row[:-1], [u for u in row[-1].split(" ") if u]) for row in reader)
        preprocess_data(args.db, rows)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def peer_edges(args):
    """The edges of a computed network, as the toolkit's export reads them (no self-loops)."""
    from coordination_network_toolkit.graph import get_edge_rows
    edges = [[a, b, w] for a, b, w, _ in get_edge_rows(args.db, args.type, loops=False)]
    with open(args.out, "w") as f:
        json.dump(edges, f)


# --------------------------------------------------------------------------------------------
# The driver.

def sh(cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd):
    """Runs a command under /usr/bin/time; its wall and CPU seconds and peak resident memory
    (GNU time's, from wait4: the command's own and that of the children it waited for, such as
    the toolkit's worker processes; measured by a small parent, so that this script's own memory
    does not leak into the figure through fork), and its output."""
    print("$", " ".join(cmd), flush=True)
    with tempfile.NamedTemporaryFile("r") as usage, tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        got = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", usage.name, *cmd],
                             stdout=out, stderr=subprocess.STDOUT, text=True)
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read()
        if got.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed ({got.returncode}):\n{text[-2000:]}")
        user, system, kb = usage.read().split()[-3:]
    return {"seconds": round(seconds, 3), "cpu_seconds": round(float(user) + float(system), 3),
            "peak_rss_bytes": int(kb) * 1024}, text


def ensure_venv():
    if not os.path.exists(VENV_PY):
        sh([sys.executable, "-m", "venv", VENV])
    have = subprocess.run([VENV_PY, "-c", "import coordination_network_toolkit"],
                          capture_output=True)
    if have.returncode != 0:
        sh([VENV_PY, "-m", "pip", "install", "-q",
            f"coordination-network-toolkit=={TOOLKIT_VERSION}"])


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def mib(b):
    return f"{b / 2**20:,.0f} MiB"


def growth(cost):
    """Peak memory of a stage above the resident memory when it began."""
    return cost["peak_rss_bytes"] - cost["rss_before_bytes"]


def corpus(n, seed, regen):
    d = os.path.join(OUT, f"corpus-{n}")
    meta = os.path.join(d, "corpus.json")
    if not regen and os.path.exists(meta):
        with open(meta) as f:
            m = json.load(f)
        if m["posts"] == n and m["seed"] == seed:
            return d, m
    out = sh([BENCH, "network-corpus", "--posts", str(n), "--seed", str(seed), "--out", d],
             capture_output=True, text=True).stdout
    return d, json.loads(out)


def tgscope_run(d, window, min_shared, out):
    load = loadavg()
    # mimalloc returns freed pages at once, so that each stage's memory is measured from what
    # is alive before it, not from pages the stage before freed but the allocator kept.
    env = dict(os.environ, MIMALLOC_PURGE_DELAY="0")
    r = json.loads(sh([BENCH, "network-run", "--corpus", d, "--window", str(window),
                       "--min-shared", str(min_shared), "--out", out],
                      capture_output=True, text=True, env=env).stdout)
    r["loadavg_start"] = load
    state = os.path.join(out, "network-state.bin")
    r["state_file_bytes"] = os.path.getsize(state) if os.path.exists(state) else None
    return r


# ---- the toolkit

def toolkit_preprocess(csv_path, db):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    load = loadavg()
    cost, out = timed([VENV_PY, os.path.abspath(__file__), "--peer", "preprocess",
                       "--csv", csv_path, "--db", db])
    cost["loadavg_start"] = load
    return cost


def copy_db(src, dst):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(dst + suffix):
            os.remove(dst + suffix)
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, dst + suffix)


def toolkit_compute(db, network_type, window, min_shared, work):
    load = loadavg()
    cost, _ = timed([TOOLKIT_CLI, db, "compute", network_type, "--time_window", str(window),
                     "--min_edge_weight", str(min_shared), "--n_cpus", str(CPUS)])
    cost["loadavg_start"] = load
    out = os.path.join(work, f"toolkit-{network_type}.json")
    sh([VENV_PY, os.path.abspath(__file__), "--peer", "edges", "--db", db, "--type",
        network_type, "--out", out])
    with open(out) as f:
        edges = {(a, b): w for a, b, w in json.load(f)}
    return cost, edges


# ---- both definitions, recomputed

MENTION = re.compile(r"@.*?(?=(?:\s|$))")


def toolkit_text(text):
    """The toolkit's message_preprocessor: lowercase, @mentions removed, whitespace folded."""
    return " ".join(MENTION.sub("", text.lower()).split())


def load_shares(d):
    """Per kind and variant: object -> [(time, channel, message)], and per message its objects.
    Kinds: forward (origin), link (URL as posted), link_clean, copy (exact text, tgscope),
    copy_toolkit (text as the toolkit normalises it)."""
    shares = {k: defaultdict(list) for k in ("forward", "link", "link_clean", "copy",
                                             "copy_toolkit")}
    with open(os.path.join(d, "posts.jsonl")) as f:
        for line in f:
            p = json.loads(line)
            t, c, m = p["date"], str(p["channel_id"]), p["post_id"]
            if p["forward"]:
                shares["forward"]["%d/%d" % tuple(p["forward"])].append((t, c, m))
                continue
            for u in set(p["links"]):
                shares["link"][u].append((t, c, m))
            for u in set(p["clean_links"]):
                shares["link_clean"][u].append((t, c, m))
            shares["copy"][p["text"]].append((t, c, m))
            shares["copy_toolkit"][toolkit_text(p["text"])].append((t, c, m))
    return shares


def toolkit_definition(shares, window, least):
    """a->b: a's distinct messages with an object that b shared within the window (either
    side), at least `least`; no self-loops."""
    matched = defaultdict(set)
    for lst in shares.values():
        if len(lst) < 2:
            continue
        lst = sorted(lst)
        for i, (t, c, m) in enumerate(lst):
            for t2, c2, m2 in lst[i + 1:]:
                if t2 - t > window:
                    break
                if c2 != c:
                    matched[(c, c2)].add(m)
                    matched[(c2, c)].add(m2)
    return {k: len(v) for k, v in matched.items() if len(v) >= least}


def tgscope_definition(shares, window, least):
    """{a, b}: objects whose first shares by a and by b are within the window, at least
    `least` (no limit on sharers)."""
    weight = defaultdict(int)
    for lst in shares.values():
        first = {}
        for t, c, m in lst:
            if c not in first or (t, m) < first[c]:
                first[c] = (t, m)
        if len(first) < 2:
            continue
        ts = sorted((t, c) for c, (t, _) in first.items())
        for i, (t, c) in enumerate(ts):
            for t2, c2 in ts[i + 1:]:
                if t2 - t > window:
                    break
                weight[pair(c, c2)] += 1
    return {k: v for k, v in weight.items() if v >= least}


def pair(a, b):
    return (a, b) if a < b else (b, a)


def read_tgscope_edges(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {pair(r["source"], r["target"]): int(float(r["weight"])) for r in rows}


def by_channel(shares):
    """channel -> object -> its messages with the object."""
    out = defaultdict(lambda: defaultdict(list))
    for obj, lst in shares.items():
        for _, c, m in lst:
            out[c][obj].append(m)
    return out


def why_differ(index, a, b):
    """Why the definitions do not coincide for a pair (nothing when they do): a common object
    shared more than once by one of them, or a message of one of them carrying two common
    objects."""
    common = set(index[a]) & set(index[b])
    reasons = []
    if any(len(index[c][o]) > 1 for c in (a, b) for o in common):
        reasons.append("repeated")
    for c in (a, b):
        per_message = defaultdict(int)
        for o in common:
            for m in set(index[c][o]):
                per_message[m] += 1
        if any(n > 1 for n in per_message.values()):
            reasons.append("several_objects_in_a_message")
            break
    return reasons


def compare(toolkit, tgscope, shares, identical_when_clean=None):
    """Pairs: identical (toolkit has both directions with tgscope's weight) or not, and why.
    `identical_when_clean`: for the toolkit on URLs as posted, the pairs identical when it reads
    the cleaned URLs (a difference there is the tracking parameters')."""
    index = by_channel(shares)
    pairs = set(tgscope) | {pair(a, b) for a, b in toolkit}
    out = {"toolkit_directed_edges": len(toolkit),
           "toolkit_pairs": len({pair(a, b) for a, b in toolkit}),
           "toolkit_symmetric_pairs": sum(1 for (a, b) in toolkit if a < b and (b, a) in toolkit),
           "tgscope_edges": len(tgscope), "pairs": len(pairs), "identical": 0, "differ": 0,
           "coinciding_pairs": 0, "coinciding_identical": 0,
           "differ_by": defaultdict(int), "examples": [], "identical_pairs": set()}
    for p in sorted(pairs):
        a, b = p
        same = toolkit.get((a, b)) == toolkit.get((b, a)) == tgscope.get(p) is not None
        reasons = why_differ(index, a, b)
        if not reasons and identical_when_clean is None:
            out["coinciding_pairs"] += 1
            out["coinciding_identical"] += same
        if same:
            out["identical"] += 1
            out["identical_pairs"].add(p)
            continue
        out["differ"] += 1
        if identical_when_clean is not None and p in identical_when_clean:
            reasons = ["tracking_parameters"]
        for r in reasons or ["none: the definitions coincide"]:
            out["differ_by"][r] += 1
        if toolkit.get((a, b)) is None and toolkit.get((b, a)) is None:
            out["differ_by"]["only_tgscope"] += 1
        elif p not in tgscope:
            out["differ_by"]["only_toolkit"] += 1
        if len(out["examples"]) < 3:
            out["examples"].append({"pair": p, "tgscope": tgscope.get(p),
                                    "toolkit_ab": toolkit.get((a, b)),
                                    "toolkit_ba": toolkit.get((b, a)), "reasons": reasons})
    out["differ_by"] = dict(out["differ_by"])
    if identical_when_clean is not None:
        # URLs as posted: the definitions never quite coincide (tracking parameters).
        out["coinciding_pairs"] = out["coinciding_identical"] = None
    return out


def same_edges(x, y):
    """Whether two edge dicts are equal, and how many keys differ."""
    keys = set(x) | set(y)
    bad = [k for k in keys if x.get(k) != y.get(k)]
    return {"equal": not bad, "differing": len(bad), "examples": [
        [list(k), x.get(k), y.get(k)] for k in sorted(bad)[:3]]}


def planted_pairs(d):
    with open(os.path.join(d, "truth.json")) as f:
        truth = json.load(f)
    out = set()
    for g in truth["groups"]:
        cs = [str(c) for c in g["channels"]]
        for i, a in enumerate(cs):
            for b in cs[i + 1:]:
                out.add(pair(a, b))
    return out


def recall(edges_pairs, planted):
    found = sum(1 for p in planted if p in edges_pairs)
    return {"planted": len(planted), "recovered": found, "edges": len(edges_pairs),
            "recall": round(found / len(planted), 4) if planted else 1.0,
            "precision": round(found / len(edges_pairs), 4) if edges_pairs else 1.0}


def compare_window(d, window, least, t_run, toolkit, shares, planted):
    out = {}
    for kind, network_type in KINDS:
        tg = read_tgscope_edges(os.path.join(t_run["dir"], f"coordination-{kind}.csv"))
        share_kind = {"forward": "forward", "link": "link_clean", "copy": "copy"}[kind]
        # tgscope's own definition (exact text; links cleaned as the corpus's clean links).
        tg_ref = tgscope_definition(shares[share_kind], window, least)
        tk_kind = {"forward": "forward", "link": "link_clean", "copy": "copy_toolkit"}[kind]
        r = {"tgscope_is_its_definition": same_edges(tg, tg_ref)}
        tk = toolkit.get(network_type + ("_clean" if kind == "link" else ""))
        if tk is not None:
            tk_ref = toolkit_definition(shares[tk_kind], window, least)
            r["toolkit_is_its_definition"] = same_edges(tk, tk_ref)
            r["agreement"] = compare(tk, tg, shares[share_kind])
            r["toolkit_recall"] = recall({pair(a, b) for a, b in tk}, planted)
        if kind == "link" and "co_link" in toolkit:
            raw = toolkit["co_link"]
            r["toolkit_raw_urls_is_its_definition"] = same_edges(
                raw, toolkit_definition(shares["link"], window, least))
            r["agreement_raw_urls"] = compare(raw, tg, shares["link_clean"],
                                              r["agreement"]["identical_pairs"])
            r["toolkit_raw_urls_recall"] = recall({pair(a, b) for a, b in raw}, planted)
        r["tgscope_recall"] = recall(set(tg), planted)
        for key in ("agreement", "agreement_raw_urls"):
            if key in r:
                r[key].pop("identical_pairs")
        out[kind] = r
    return out


# ---- Markdown

def markdown(s):
    lines = []
    c = s["corpus"]
    lines.append(
        f"Corpus: {c['posts']:,} posts of {c['channels']} archived channels over 90 days, "
        f"{c['sources']} channels seen only as forward sources; {c['forwards']:,} forwards "
        f"({c['repeated_forwards']:,} of an origin the channel had forwarded before), "
        f"{c['link_posts']:,} posts with links ({c['tracked_links']:,} shares with tracking "
        f"parameters), {c['stock_posts']:,} stock-phrase posts, {c['mention_posts']:,} with a "
        f"mention; {c['groups']} planted groups ({c['planted_pairs']} pairs, "
        f"{c['planted_posts']:,} planted posts). Machine: {s['machine']['cores']} cores, load "
        f"average {s['machine']['loadavg_start']:.1f} at the start.")
    for w in s["windows"]:
        t, tk = w["tgscope"], w.get("toolkit")
        lines.append("")
        lines.append(f"**Window {w['window']} s, least weight {w['min_shared']}**")
        lines.append("")
        lines.append("| step | tgscope wall | tgscope CPU | toolkit wall | toolkit CPU | "
                     "toolkit / tgscope (wall) | load avg |")
        lines.append("|---|---|---|---|---|---|---|")
        b = t["build"]
        if tk:
            pre = s["toolkit_preprocess"]
            lines.append(f"| load the posts (tgscope: NetworkWriter, the state written to disk; toolkit: SQLite "
                         f"preprocessing, once per corpus) | {b['seconds']:.2f} s | "
                         f"{b['cpu_seconds']:.2f} s | {pre['seconds']:.2f} s | "
                         f"{pre['cpu_seconds']:.2f} s | {pre['seconds'] / b['seconds']:.0f}x | "
                         f"{pre['loadavg_start']:.1f} |")
        total_tk = 0.0
        total_tk_cpu = 0.0
        for kind, network_type in KINDS:
            cs = t["coordination"][kind]["cost"]
            if tk:
                k = tk[network_type]
                total_tk += k["seconds"]
                total_tk_cpu += k["cpu_seconds"]
                lines.append(f"| {KIND_NAMES[kind]} (toolkit: {network_type}) | "
                             f"{cs['seconds']:.3f} s | {cs['cpu_seconds']:.2f} s | "
                             f"{k['seconds']:.2f} s | {k['cpu_seconds']:.2f} s | "
                             f"{k['seconds'] / max(cs['seconds'], 1e-3):.0f}x | "
                             f"{k['loadavg_start']:.1f} |")
            else:
                lines.append(f"| {KIND_NAMES[kind]} | {cs['seconds']:.3f} s | "
                             f"{cs['cpu_seconds']:.2f} s | - | - | - | - |")
        ca = t["coordination"]["all"]["cost"]
        lines.append(f"| the three together | {ca['seconds']:.3f} s | {ca['cpu_seconds']:.2f} s | "
                     + (f"{total_tk:.2f} s (sum) | {total_tk_cpu:.2f} s | "
                        f"{total_tk / max(ca['seconds'], 1e-3):.0f}x |" if tk else "- | - | - |")
                     + f" {t['loadavg_start']:.1f} |")
        if tk:
            k = tk["co_link_clean"]
            lines.append(f"| co_link on the cleaned URLs (for the comparison) | - | - | "
                         f"{k['seconds']:.2f} s | {k['cpu_seconds']:.2f} s | - | "
                         f"{k['loadavg_start']:.1f} |")
        lines.append("")
        lines.append(f"tgscope peak memory: build {mib(b['peak_rss_bytes'])} (state and stand-in "
                     f"clusters after: {mib(b['rss_after_bytes'])}), coordination (three kinds) "
                     f"{mib(ca['peak_rss_bytes'])}. "
                     + (f"Toolkit: largest process (with its workers) "
                        f"{mib(w['toolkit_peak_rss_bytes'])} in the computations, "
                        f"{mib(s['toolkit_preprocess']['peak_rss_bytes'])} in the preprocessing."
                        if tk else ""))
        lines.append("")
        lines.append("| kind | tgscope edges | toolkit directed edges (pairs, both ways) | "
                     "identical pairs | differ | pairs where the definitions coincide: "
                     "identical | differences by cause | each tool = its definition | "
                     "planted pairs found (tgscope / toolkit) | precision vs planted "
                     "(tgscope / toolkit) |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for kind, network_type in KINDS:
            r = w["comparison"][kind]
            tr = r["tgscope_recall"]
            if "agreement" not in r:
                lines.append(f"| {KIND_NAMES[kind]} | {tr['edges']:,} | - | - | - | - | - | "
                             f"tgscope {r['tgscope_is_its_definition']['equal']} | "
                             f"{tr['recovered']}/{tr['planted']} | {tr['precision']:.3f} |")
                continue
            a = r["agreement"]
            kr = r["toolkit_recall"]
            causes = ", ".join(f"{k} {v}" for k, v in sorted(a["differ_by"].items())) or "-"
            label = network_type + (" on cleaned URLs" if kind == "link" else "")
            lines.append(
                f"| {KIND_NAMES[kind]} ({label}) | {a['tgscope_edges']:,} | "
                f"{a['toolkit_directed_edges']:,} ({a['toolkit_pairs']:,}, "
                f"{a['toolkit_symmetric_pairs']:,}) | {a['identical']:,} | {a['differ']:,} | "
                f"{a['coinciding_identical']:,} / {a['coinciding_pairs']:,} | {causes} | "
                f"{r['tgscope_is_its_definition']['equal']} / "
                f"{r['toolkit_is_its_definition']['equal']} | "
                f"{tr['recovered']}/{tr['planted']} / {kr['recovered']}/{kr['planted']} | "
                f"{tr['precision']:.3f} / {kr['precision']:.3f} |")
            if kind == "link" and "agreement_raw_urls" in r:
                a = r["agreement_raw_urls"]
                kr = r["toolkit_raw_urls_recall"]
                causes = ", ".join(f"{k} {v}" for k, v in sorted(a["differ_by"].items()))
                lines.append(
                    f"| {KIND_NAMES[kind]} (co_link on URLs as posted) | {a['tgscope_edges']:,} | "
                    f"{a['toolkit_directed_edges']:,} ({a['toolkit_pairs']:,}, "
                    f"{a['toolkit_symmetric_pairs']:,}) | {a['identical']:,} | {a['differ']:,} |"
                    f" - | {causes} | "
                    f"- / {r['toolkit_raw_urls_is_its_definition']['equal']} | "
                    f"{tr['recovered']}/{tr['planted']} / {kr['recovered']}/{kr['planted']} | "
                    f"{tr['precision']:.3f} / {kr['precision']:.3f} |")
        if w.get("cli_quirk"):
            q = w["cli_quirk"]
            lines.append("")
            lines.append(f"The toolkit's own CSV preprocessing of the same file gives "
                         f"{q['messages_with_empty_url']:,} messages the URL \"\"; its co_link "
                         f"then has {q['co_link_edges']:,} directed edges instead of "
                         f"{q['co_link_edges_without']:,}.")
    if s["scale"]:
        lines.append("")
        lines.append("**Scale (tgscope alone"
                     + (", toolkit beside it" if any("toolkit" in r for r in s["scale"]) else "")
                     + ")**")
        lines.append("")
        lines.append("| posts | window | build (update) | graph: forward + mention + link | "
                     "graph edges | coordination, three kinds | coordination edges | "
                     "co-forward / co-link / co-text alone | three kinds, <= 50 sharers "
                     "(product default) | peak RSS build / graph / coordination (+ over the RSS "
                     "before) | "
                     "RSS after build | load avg |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in s["scale"]:
            t = r["tgscope"]
            b, g, ca = t["build"], t["graph"], t["coordination"]["all"]
            c50 = t["coordination"]["all_max_sharers_50"]
            alone = " / ".join(f"{t['coordination'][k]['cost']['seconds']:.3f} s"
                               for k in ("forward", "link", "copy"))
            lines.append(
                f"| {b['posts']:,} | {t['window']} s | {b['seconds']:.2f} s (CPU "
                f"{b['cpu_seconds']:.2f} s) | {g['cost']['seconds']:.2f} s (CPU "
                f"{g['cost']['cpu_seconds']:.2f} s) | "
                + ", ".join(f"{k} {v:,}" for k, v in sorted(g["edges"].items()))
                + f" | {ca['cost']['seconds']:.3f} s (CPU {ca['cost']['cpu_seconds']:.2f} s) | "
                f"{ca['edges']:,} | {alone} | {c50['cost']['seconds']:.3f} s, {c50['edges']:,} "
                f"edges, {c50['objects_left_out']:,} objects left out | "
                f"{mib(b['peak_rss_bytes'])} / {mib(g['cost']['peak_rss_bytes'])} "
                f"(+{mib(growth(g['cost']))}) / {mib(ca['cost']['peak_rss_bytes'])} "
                f"(+{mib(growth(ca['cost']))}) | "
                f"{mib(b['rss_after_bytes'])} | {t['loadavg_start']:.1f} |")
            edges = sum(g["edges"].values())
            lines.append("")
            lines.append(
                f"Memory at {b['posts']:,} posts: the state on disk "
                + (f"{t['state_file_bytes'] / b['posts']:.1f} bytes per post "
                   f"({mib(t['state_file_bytes'])})" if t.get("state_file_bytes") else "(no file)")
                + f", in memory after the build {mib(b['rss_after_bytes'])} (with the "
                f"benchmark's stand-in copy clusters); the graph of {edges:,} edges "
                f"+{mib(growth(g['cost']))} ({growth(g['cost']) / max(edges, 1):.0f} bytes per "
                f"edge: the edge, its example posts and attributes, the nodes' measures); "
                f"coordination of the three kinds ({ca['edges']:,} edges) "
                f"+{mib(growth(ca['cost']))}, with at most 50 sharers ({c50['edges']:,} edges) "
                f"+{mib(growth(c50['cost']))}.")
            if "toolkit" in r:
                tk = r["toolkit"]
                lines.append("")
                lines.append(
                    f"Toolkit at {b['posts']:,} posts, {t['window']} s: preprocessing "
                    f"{tk['preprocess']['seconds']:.1f} s "
                    f"(CPU {tk['preprocess']['cpu_seconds']:.1f} s), " + ", ".join(
                        f"{n.replace('_clean', ' on cleaned URLs')} {tk[n]['seconds']:.1f} s (CPU "
                        f"{tk[n]['cpu_seconds']:.1f} s, {tk[n]['edges']:,} directed edges; pairs "
                        f"identical to tgscope's {tk[n]['agreement']['identical']:,} of "
                        f"{tk[n]['agreement']['pairs']:,}"
                        + (f", where the definitions coincide "
                           f"{tk[n]['agreement']['coinciding_identical']:,} of "
                           f"{tk[n]['agreement']['coinciding_pairs']:,}"
                           if tk[n]['agreement']['coinciding_pairs'] is not None else "")
                        + "; differences by cause: "
                        + (", ".join(f"{k} {v}" for k, v in
                                     sorted(tk[n]['agreement']['differ_by'].items())) or "-")
                        + ")"
                        for _, n in KINDS + [("link", "co_link_clean")])
                    + f"; largest process (with its workers) {mib(tk['peak_rss_bytes'])}. "
                    f"tgscope: the three kinds "
                    f"in {ca['cost']['seconds']:.3f} s.")
    lines.append("")
    lines.append("**Targets**")
    lines.append("")
    for name, met, detail in s["targets"]:
        lines.append(f"- {'met' if met else 'NOT met' if met is not None else 'not measured'}"
                     f": {name} ({detail})")
    return "\n".join(lines)


def targets(s):
    out = []
    agree = []
    for w in s["windows"]:
        for kind, _ in KINDS:
            r = w["comparison"][kind]
            if "agreement" in r:
                a = r["agreement"]
                agree.append((w["window"], kind, a["coinciding_identical"], a["coinciding_pairs"],
                              r["tgscope_is_its_definition"]["equal"],
                              r["toolkit_is_its_definition"]["equal"]))
    for r in s["scale"]:
        for kind, network_type in KINDS:
            a = r.get("toolkit", {}).get(
                network_type + ("_clean" if kind == "link" else ""), {}).get("agreement")
            if a:
                agree.append((f"{r['tgscope']['build']['posts']:,} posts, "
                              f"{r['tgscope']['window']}", kind, a["coinciding_identical"],
                              a["coinciding_pairs"], True, True))
    if agree:
        ok = all(i == n and x and y for _, _, i, n, x, y in agree)
        out.append(("the same edges as the toolkit where the definitions coincide", ok,
                    "; ".join(f"{w} s {k}: {i}/{n}" for w, k, i, n, _, _ in agree)))
    else:
        out.append(("the same edges as the toolkit where the definitions coincide", None,
                    "run without --no-peers"))
    big = [r for r in s["scale"] if r["tgscope"]["build"]["posts"] >= 1_000_000]
    if big:
        t = big[-1]["tgscope"]
        g, ca = t["graph"], t["coordination"]["all"]
        out.append(("the full forward/mention/link graph of 1M posts <= 10 s",
                    g["cost"]["seconds"] <= 10,
                    f"{g['cost']['seconds']:.2f} s wall, {g['cost']['cpu_seconds']:.2f} s CPU"))
        out.append((f"coordination at a 1-hour window on 1M posts <= 60 s on 2 cores",
                    ca["cost"]["seconds"] <= 60 and t["window"] >= 3600,
                    f"window {t['window']} s: {ca['cost']['seconds']:.2f} s wall, "
                    f"{ca['cost']['cpu_seconds']:.2f} s CPU, peak "
                    f"{mib(ca['cost']['peak_rss_bytes'])}"))
    else:
        out.append(("1M posts: graph <= 10 s, coordination at 1 h <= 60 s", None,
                    "run with --scale 1000000"))
    return out


def toolkit_window(d, window, least, work, base_db, clean_db):
    """The toolkit's three networks (and co_link on cleaned URLs) at one window."""
    db = os.path.join(work, "toolkit.db")
    copy_db(base_db, db)
    out, edges = {}, {}
    for _, network_type in KINDS:
        cost, e = toolkit_compute(db, network_type, window, least, work)
        cost["edges"] = len(e)
        out[network_type] = cost
        edges[network_type] = e
    db_clean = os.path.join(work, "toolkit-clean.db")
    copy_db(clean_db, db_clean)
    cost, e = toolkit_compute(db_clean, "co_link", window, least, work)
    cost["edges"] = len(e)
    out["co_link_clean"] = cost
    edges["co_link_clean"] = e
    return out, edges


def cli_quirk(d, window, least, work, without):
    """The toolkit's own CSV preprocessing: messages given the URL "" and co_link's edges."""
    import sqlite3
    db = os.path.join(work, "toolkit-cli.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    sh([TOOLKIT_CLI, db, "preprocess", os.path.join(d, "toolkit.csv")], capture_output=True)
    con = sqlite3.connect(db)
    empty = con.execute("select count(*) from message_url where url = ''").fetchone()[0]
    con.close()
    _, e = toolkit_compute(db, "co_link", window, least, work)
    return {"messages_with_empty_url": empty, "co_link_edges": len(e),
            "co_link_edges_without": without}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=100_000, help="posts of the comparison corpus")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--windows", type=int, nargs="+", default=[60, 3600],
                    help="coordination windows in seconds")
    ap.add_argument("--min-shared", type=int, default=3,
                    help="least edge weight (tgscope --min-shared, toolkit --min_edge_weight)")
    ap.add_argument("--scale", type=int, nargs="*", default=[],
                    help="post counts for tgscope's time and memory runs (e.g. 1000000)")
    ap.add_argument("--peer-scale", action="store_true",
                    help="run the toolkit on the scale corpora too (timing only)")
    ap.add_argument("--no-peers", action="store_true", help="skip the toolkit")
    ap.add_argument("--regen", action="store_true", help="write the corpora again")
    # Peer mode (run by the driver with the venv's Python).
    ap.add_argument("--peer", help=argparse.SUPPRESS)
    ap.add_argument("--csv", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--type", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer == "preprocess":
        peer_preprocess(args)
        return
    if args.peer == "edges":
        peer_edges(args)
        return

    os.makedirs(OUT, exist_ok=True)
    if not args.no_peers:
        ensure_venv()
    sh(["cargo", "build", "--release", "-q", "-p", "tgscope-bench"], cwd=ROOT)
    summary = {
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                    "loadavg_start": loadavg()},
        "git": {"head": git("rev-parse", "HEAD"),
                "analyze_dirty": git("status", "--porcelain", "crates/analyze", "crates/text")},
        "toolkit_version": None if args.no_peers else TOOLKIT_VERSION,
        "min_shared": args.min_shared,
    }
    d, meta = corpus(args.posts, args.seed, args.regen)
    summary["corpus"] = meta
    shares = load_shares(d)
    planted = planted_pairs(d)
    base_db = os.path.join(OUT, f"toolkit-{args.posts}.db")
    clean_db = os.path.join(OUT, f"toolkit-{args.posts}-clean.db")
    if not args.no_peers:
        summary["toolkit_preprocess"] = toolkit_preprocess(os.path.join(d, "toolkit.csv"),
                                                           base_db)
        summary["toolkit_preprocess_clean"] = toolkit_preprocess(
            os.path.join(d, "toolkit-clean-urls.csv"), clean_db)
    summary["windows"] = []
    for i, window in enumerate(args.windows):
        work = os.path.join(OUT, f"run-{args.posts}-w{window}")
        os.makedirs(work, exist_ok=True)
        t = tgscope_run(d, window, args.min_shared, work)
        t["dir"] = work
        w = {"window": window, "min_shared": args.min_shared, "tgscope": t}
        toolkit_edges = {}
        if not args.no_peers:
            w["toolkit"], toolkit_edges = toolkit_window(d, window, args.min_shared, work,
                                                         base_db, clean_db)
            w["toolkit_peak_rss_bytes"] = max(v["peak_rss_bytes"] for v in w["toolkit"].values())
            if i == 0:
                w["cli_quirk"] = cli_quirk(d, window, args.min_shared, work,
                                           len(toolkit_edges["co_link"]))
        w["comparison"] = compare_window(d, window, args.min_shared, t, toolkit_edges, shares,
                                         planted)
        summary["windows"].append(w)
    summary["scale"] = []
    for n in args.scale:
        ds, meta_s = corpus(n, args.seed, args.regen)
        window = max(args.windows)
        work = os.path.join(OUT, f"run-{n}-w{window}")
        os.makedirs(work, exist_ok=True)
        r = {"corpus": meta_s, "tgscope": tgscope_run(ds, window, args.min_shared, work)}
        if args.peer_scale and not args.no_peers:
            db = os.path.join(OUT, f"toolkit-{n}.db")
            tk = {"preprocess": toolkit_preprocess(os.path.join(ds, "toolkit.csv"), db)}
            scale_shares = load_shares(ds)
            clean = os.path.join(OUT, f"toolkit-{n}-clean.db")
            tk["preprocess_clean"] = toolkit_preprocess(
                os.path.join(ds, "toolkit-clean-urls.csv"), clean)
            when_clean = None
            for kind, network_type in [("link", "co_link_clean")] + KINDS:
                cost, e = toolkit_compute(db if network_type != "co_link_clean" else clean,
                                          network_type.replace("_clean", ""), window,
                                          args.min_shared, work)
                cost["edges"] = len(e)
                cost["agreement"] = compare(
                    e, read_tgscope_edges(os.path.join(work, f"coordination-{kind}.csv")),
                    scale_shares[{"link": "link_clean", "copy": "copy"}.get(kind, kind)],
                    when_clean if network_type == "co_link" else None)
                if network_type == "co_link_clean":
                    when_clean = cost["agreement"]["identical_pairs"]
                cost["agreement"].pop("identical_pairs")
                tk[network_type] = cost
            del scale_shares
            tk["peak_rss_bytes"] = max(v["peak_rss_bytes"] for v in tk.values())
            r["toolkit"] = tk
        summary["scale"].append(r)
    summary["targets"] = targets(summary)
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False, default=list)
    md = markdown(summary)
    with open(os.path.join(OUT, "summary.md"), "w") as f:
        f.write(md + "\n")
    print()
    print(md)


if __name__ == "__main__":
    main()
