#!/usr/bin/env python3
"""Benchmark: entity recognition, tgscope against natasha on the project's gold set, in the same
run.

What it does:

1. Creates a venv under target/bench-venv-entities (once) with natasha==1.6.0 from PyPI (the
   wheel ships its model: slovnet NER news v1, navec news embeddings, slovnet morph news v1; and
   pymorphy2 with its Russian dictionary).
2. Builds tgscope-bench in release (into CARGO_TARGET_DIR when it is set).
3. Runs, each under /usr/bin/time (peak memory), in one run of this script:
   - `tgscope-bench entities-run --gold gold-ru.jsonl --gold gold-en.jsonl --repeat N`
     (default 50): `Recognizer::bundled()` built once (timed), every text recognised once for the
     predictions, then every text of each file recognised N times (best and median pass);
   - natasha on the Russian texts (its model is Russian), in the venv's Python: model load timed
     apart (Segmenter + NewsEmbedding + NewsNERTagger; NewsMorphTagger + MorphVocab for the
     normal forms), then several passes (default 5) of each of
       * `ner_batched`: `NewsNERTagger.map(texts)` (slovnet's batched path, batches of 8): NER
         spans only, natasha at its fastest; the speed ratio is taken against this;
       * `ner_doc`: `Doc(text)`, `doc.segment(Segmenter)`, `doc.tag_ner(NewsNERTagger)` per
         text: natasha's documented per-document path;
       * `full`: `Doc`, `segment`, `tag_morph(NewsMorphTagger)`, `tag_ner`, `span.normalize(
         MorphVocab)` for every span: what the mapping below needs (`normalize` reads the morph
         tags; without `tag_morph` it returns the text unchanged). The spans scored are the
         last full pass's.
4. Maps natasha's spans to ids (see MAPPING below), scores both tools with one scorer (see
   SCORING below), and writes target/bench-entities/summary.json and summary.md (Markdown
   ready for BENCHMARKS.md) and prints the Markdown.

usage: benches/entities/run.py [--repeat N] [--natasha-passes N] [--no-peers]
"""
import argparse
import csv
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, "target", "bench-venv-entities")
VENV_PY = os.path.join(VENV, "bin", "python")
NATASHA_VERSION = "1.6.0"
OUT = os.path.join(ROOT, "target", "bench-entities")
# cargo's target folder: CARGO_TARGET_DIR when set (the build below goes there too).
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
BENCH = os.path.join(TARGET, "release", "tgscope-bench")
GOLD_DIR = os.path.join(ROOT, "crates", "analyze", "tests", "entities")
GOLD = {"ru": os.path.join(GOLD_DIR, "gold-ru.jsonl"), "en": os.path.join(GOLD_DIR, "gold-en.jsonl")}
DATA = os.path.join(ROOT, "crates", "analyze", "data", "entities")
KINDS = ("country", "org", "person")
MB = float(1 << 20)

MAPPING = """\
natasha's spans are mapped to ids through crates/analyze/data/entities/aliases.tsv, both
languages, keys folded (lower case, ё → е), the `cs` and `ambiguous` flags ignored (natasha has
already judged that the span is a name). For each span the first tier that finds an id wins:

1. the whole span: its normal form (`span.normalize(morph_vocab)`), then its text;
2. PER only, more than one word: the last word of the normal form, then of the text, as a
   surname of a listed person; accepted only when the span's first word fits the first word of
   one of that person's `fullname` aliases: an initial with the same first letter (`С.`, `Дж.`)
   or a word with the same first three letters (`Эмманюэль` for `Эммануэль`), so that
   `Даниил Медведев` or `Hunter Biden` does not become a listed namesake (they are unlisted
   people then); a one-word PER is looked up in tier 1 already;
3. LOC and ORG only: the longest proper word-suffix of the span (normal form, then text) that is
   an alias of a country or organisation (`МИД России` → RU, `Правительство Казахстана` → KZ);
   the mention's span is then that suffix. This credits natasha for country and organisation
   names inside the longer ORG spans it tags, as the gold marks them (`МИД [[России]]`).

Before the lookup a span is trimmed of leading and trailing characters other than letters,
digits, `.`, `+` and apostrophes (natasha sometimes takes in an emoji: `НБР 👀`).

An alias naming several ids (`конголезский`: CD, CG) gives the id whose kind matches the span's
type (LOC → country, ORG → org, PER → person), then the alias's first `via` in aliases.tsv's
order (name, official, abbr, fullname, surname, initials, adjective, adjective_prefix, demonym),
then the smallest id. A mapped span counts under its id's kind whatever natasha's type: a LOC
mapped to an organisation (`ЕС` is often LOC) is an organisation, an ORG mapped to a country is
a country. An unmapped PER is a person not on the list (its id: `~` + its folded normal form).
An unmapped LOC or ORG names no entity of the list: it is not a prediction of any id, so it is
neither a true nor a false positive (natasha rightly tags `Москва`, `Кремль`, `ВСУ`, which the
gold does not mark by design); a gold mention inside it that tiers 1-3 did not reach is a miss.
The counts of unmapped spans, and of those overlapping a gold span, are reported."""

SCORING = """\
One scorer for both tools. The gold's id universe is the set of ids build_gold.py accepts per
kind ({universe}). Predictions are put into it the same way for both tools:
- a country or organisation id outside it is out of scope: the gold does not mark it by design
  (docs/entities-annotation.md §3); it is dropped and counted;
- a person id outside it is a person the gold writes as not listed (`?Name`; the gold marks every
  named person): it is scored as an unlisted person;
- an id the list spells differently from the gold (`japarov_sadyr` for the gold's `japarov`, when
  the gold has `japarov` and not `japarov_sadyr`) is renamed to the gold's id.
Within a post, predicted unlisted people are grouped by id; a group whose name is one word equal
to the last word of another group's name is merged into it (`Нуртлеу` after `Мурат Нуртлеу`).

Document level (per kind, micro over posts): the set of (post, id) pairs. Listed ids match by
equality. An unlisted gold person is one (post, name); a predicted unlisted group is a true
positive when one of its spans overlaps a span of a gold unlisted person not yet matched (each
gold person matched at most once; groups taken in text order), otherwise a false positive; gold
unlisted people left unmatched are misses. `person` counts listed and unlisted people together
(both also shown apart).

Strict spans (per kind): (post, kind, id or `unlisted`, start, end), code points, exact; each
gold span matched at most once.

Traps: the same scores over the posts of style `trap` only; their precision is the point.

Errors (the lists below) are span-level: a missed gold span (no prediction overlaps it), an extra
prediction (overlaps no gold span), a wrong id (overlaps a gold span of another id or kind), a
boundary error (same id, overlapping, different span); grouped by kind, gold, predicted and the
folded surface, most frequent first."""

VIA_ORDER = ["name", "official", "abbr", "fullname", "surname", "initials", "hashtag",
             "adjective", "adjective_prefix", "demonym"]
TYPE_KIND = {"LOC": "country", "ORG": "org", "PER": "person"}


def fold(s):
    return s.lower().replace("ё", "е")


# --------------------------------------------------------------------------------------------
# Peer mode: natasha, run with the venv's Python.

def peer_natasha(args):
    from importlib.metadata import version
    posts = [json.loads(line) for line in open(args.gold, encoding="utf-8") if line.strip()]
    texts = [p["text"] for p in posts]
    timing = {}
    t = time.perf_counter()
    from natasha import (Doc, MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger,
                         Segmenter)
    timing["import_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    segmenter = Segmenter()
    emb = NewsEmbedding()
    ner = NewsNERTagger(emb)
    timing["load_ner_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    morph = NewsMorphTagger(emb)
    vocab = MorphVocab()
    timing["load_morph_seconds"] = time.perf_counter() - t

    def ner_batched():
        return sum(len(m.spans) for m in ner.map(texts))

    def ner_doc():
        n = 0
        for text in texts:
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_ner(ner)
            n += len(doc.spans)
        return n

    def full():
        out = []
        for text in texts:
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_morph(morph)
            doc.tag_ner(ner)
            spans = []
            for s in doc.spans:
                s.normalize(vocab)
                spans.append({"type": s.type, "start": s.start, "stop": s.stop,
                              "text": s.text, "normal": s.normal})
            out.append(spans)
        return out

    passes = {"ner_batched": [], "ner_doc": [], "full": []}
    result = None
    for _ in range(args.passes):
        for name, fn in (("ner_batched", ner_batched), ("ner_doc", ner_doc), ("full", full)):
            t = time.perf_counter()
            r = fn()
            passes[name].append(time.perf_counter() - t)
            if name == "full":
                result = r
    timing["passes"] = passes
    nbytes = sum(len(x.encode("utf-8")) for x in texts)
    print(json.dumps({
        "versions": {p: version(p) for p in ("natasha", "slovnet", "navec", "razdel", "pymorphy2",
                                             "numpy")},
        "python": platform.python_version(),
        "texts": len(texts), "bytes": nbytes, "timing": timing,
        "posts": [{"id": p["id"], "spans": s} for p, s in zip(posts, result)],
    }, ensure_ascii=False))


# --------------------------------------------------------------------------------------------
# The driver.

def sh(cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd, env=None):
    """Runs a command under /usr/bin/time: wall and CPU seconds, peak resident memory, stdout."""
    print("$", " ".join(cmd), flush=True)
    with tempfile.NamedTemporaryFile("r") as usage, tempfile.TemporaryFile("w+") as out, \
            tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        got = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", usage.name, *cmd],
                             stdout=out, stderr=err, text=True, env=env)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text, errs = out.read(), err.read()
        if got.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed ({got.returncode}):\n{errs[-3000:]}")
        user, system, kb = usage.read().split()[-3:]
    return {"seconds": round(seconds, 3), "cpu_seconds": round(float(user) + float(system), 3),
            "peak_rss_bytes": int(kb) * 1024}, text


def ensure_venv():
    if not os.path.exists(VENV_PY):
        sh([sys.executable, "-m", "venv", VENV])
    have = subprocess.run([VENV_PY, "-c",
                           "import importlib.metadata as m; print(m.version('natasha'))"],
                          capture_output=True, text=True)
    if have.returncode != 0 or have.stdout.strip() != NATASHA_VERSION:
        sh([VENV_PY, "-m", "pip", "install", "-q", f"natasha=={NATASHA_VERSION}"])


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gold_universe():
    """The ids the gold may use, per kind, as build_gold.py accepts them: the registry
    (entities.tsv) when build_gold.py reads it (`load_registry`), else its own lists (ISO_ALPHA2,
    ORG_IDS, PERSON_IDS). Returns the ids and where they came from."""
    spec = importlib.util.spec_from_file_location("build_gold",
                                                  os.path.join(GOLD_DIR, "build_gold.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    if hasattr(m, "load_registry"):
        ids, _ = m.load_registry()
        return {k: set(v) for k, v in ids.items()}, "the registry, entities.tsv"
    return ({"country": set(m.ISO_ALPHA2), "org": set(m.ORG_IDS), "person": set(m.PERSON_IDS)},
            "build_gold.py's ISO_ALPHA2, ORG_IDS and PERSON_IDS")


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f
                if line.strip() and not line.startswith("#")]
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


class Lists:
    """entities.tsv and aliases.tsv: folded alias -> [(id, via)], id -> kind, and for people the
    folded first words of their full names in every case."""

    def __init__(self):
        self.kind = {r["id"]: r["kind"] for r in read_tsv(os.path.join(DATA, "entities.tsv"))}
        self.aliases = defaultdict(list)
        self.first_words = defaultdict(set)
        for r in read_tsv(os.path.join(DATA, "aliases.tsv")):
            key = fold(r["alias"])
            if (r["id"], r["via"]) not in self.aliases[key]:
                self.aliases[key].append((r["id"], r["via"]))
            if r["via"] == "fullname":
                self.first_words[r["id"]].add(key.split()[0])

    def lookup(self, text, prefer_kind, kinds=None):
        """The id a folded text names (None if none), by the rule in MAPPING."""
        cands = [(i, v) for i, v in self.aliases.get(fold(text).strip(), ())
                 if kinds is None or self.kind[i] in kinds]
        if not cands:
            return None

        def rank(c):
            i, v = c
            return (self.kind[i] != prefer_kind,
                    VIA_ORDER.index(v) if v in VIA_ORDER else len(VIA_ORDER), i)
        return min(cands, key=rank)[0]


def words_with_offsets(text):
    """Whitespace-separated words of a string with their offsets."""
    out, i = [], 0
    for w in text.split():
        i = text.index(w, i)
        out.append((w, i, i + len(w)))
        i += len(w)
    return out


def compatible(first, firsts):
    """Whether the first word of a PER span can be the given name of a person whose full names
    start with `firsts` (folded): an initial with the same first letter (`С.`, `Дж.`), or a word
    with the same first three letters (`Эмманюэль` for `Эммануэль`, `Сергеем` for `Сергей`)."""
    w = fold(first)
    if "." in w:
        return any(f[:1] == w[:1] for f in firsts)
    return any(f[:3] == w[:3] for f in firsts)


def keep(c):
    return c.isalnum() or c in ".+'’"


def map_natasha_span(lists, sp):
    """A natasha span -> (kind, id, start, end, tier) or None (an unmapped LOC or ORG)."""
    kind = TYPE_KIND[sp["type"]]
    start, end, text, normal = sp["start"], sp["stop"], sp["text"], sp["normal"] or sp["text"]
    # Trimmed of what cannot end a name (`НБР 👀`, `«Россия`), the span with it.
    while text and not keep(text[0]):
        text, start = text[1:], start + 1
    while text and not keep(text[-1]):
        text, end = text[:-1], end - 1
    normal = normal.strip("".join({c for c in normal if not keep(c)})) or text
    if not text:
        return None
    # Tier 1: the whole span.
    for key in (normal, text):
        i = lists.lookup(key, kind)
        if i:
            return lists.kind[i], i, start, end, 1
    if sp["type"] == "PER":
        tw, nw = text.split(), normal.split()
        if len(tw) > 1:
            for ws in (nw, tw):
                i = lists.lookup(ws[-1], "person", kinds={"person"})
                if not i:
                    continue
                if compatible(ws[0], lists.first_words[i]):
                    return "person", i, start, end, 2
                break
        return "person", "~" + " ".join(fold(normal).split()), start, end, 0
    # Tier 3: the longest proper word-suffix that is a country or organisation.
    tw = words_with_offsets(text)
    nw = normal.split()
    for k in range(1, len(tw)):
        for ws in ([w for w, _, _ in tw[k:]], nw[k:] if len(nw) == len(tw) else None):
            if not ws:
                continue
            i = lists.lookup(" ".join(ws), kind, kinds={"country", "org"})
            if i:
                return lists.kind[i], i, start + tw[k][1], end, 3
    return None


def natasha_predictions(lists, natasha, gold_posts):
    """natasha's spans -> per post, mentions in the scorer's form; and mapping statistics."""
    gold = {p["id"]: p for p in gold_posts}
    preds = {}
    stats = Counter()
    for post in natasha["posts"]:
        text = gold[post["id"]]["text"]
        spans = [(g["start"], g["end"]) for g in gold[post["id"]]["entities"]]
        out = []
        for sp in post["spans"]:
            stats[f"spans_{sp['type']}"] += 1
            m = map_natasha_span(lists, sp)
            if m is None:
                stats[f"unmapped_{sp['type']}"] += 1
                if any(s < sp["stop"] and sp["start"] < e for s, e in spans):
                    stats[f"unmapped_{sp['type']}_overlapping_gold"] += 1
                continue
            kind, i, s, e, tier = m
            stats[f"tier{tier}"] += 1
            unlisted = i.startswith("~")
            out.append({"kind": kind, "id": i, "listed": not unlisted,
                        "name": sp["normal"] if unlisted else None, "start": s, "end": e,
                        "surface": text[s:e], "natasha_type": sp["type"]})
        preds[post["id"]] = out
    return preds, dict(sorted(stats.items()))


# --------------------------------------------------------------------------------------------
# Scoring.

# The list's ids that an older gold wrote differently (its `japarov` is Sadyr Japarov, the
# President of Kyrgyzstan; the list has japarov_sadyr and japarov_akylbek). Applied only when the
# gold's universe has the right-hand id and not the left-hand one.
GOLD_ID_OF = {"japarov_sadyr": "japarov"}


def normalise_predictions(preds, universe):
    """Puts predictions into the gold's id universe (see SCORING). Returns per post the scored
    mentions (label: the id, or None for an unlisted person; group: the grouping key) and the
    counts of dropped ids."""
    out, dropped = {}, Counter()
    rename = {a: b for a, b in GOLD_ID_OF.items()
              if not any(a in v for v in universe.values())
              and any(b in v for v in universe.values())}
    for pid, ms in preds.items():
        scored = []
        for m in ms:
            kind, i = m["kind"], rename.get(m["id"], m["id"])
            m = dict(m, id=i)
            if kind != "person":
                if i not in universe[kind]:
                    dropped[f"{kind}:{i}"] += 1
                    continue
                scored.append(dict(m, label=i, group=i))
            elif m["listed"] and i in universe["person"]:
                scored.append(dict(m, label=i, group=i))
            else:
                scored.append(dict(m, label=None, group=i,
                                   gname=" ".join(fold(m.get("name") or i.lstrip("~")).split())))
        out[pid] = merge_unlisted(scored)
    return out, dropped


def merge_unlisted(ms):
    """Within a post: an unlisted group whose name is one word equal to the last word of another
    unlisted group's name takes that group's key."""
    names = {}
    for m in ms:
        if m["label"] is None:
            names.setdefault(m["group"], m["gname"].replace("_", " ").split())
    remap = {}
    for g, ws in names.items():
        if len(ws) == 1:
            for g2, ws2 in names.items():
                if g2 != g and len(ws2) > 1 and ws2[-1] == ws[0]:
                    remap[g] = g2
                    break
    for m in ms:
        if m["group"] in remap:
            m["group"] = remap[m["group"]]
    return ms


def gold_mentions(post):
    return [dict(e, label=e["id"] if e["listed"] else None,
                 group=e["id"] if e["listed"] else "?" + e["name"]) for e in post["entities"]]


def overlap(a, b):
    return a["start"] < b["end"] and b["start"] < a["end"]


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(f, 4)}


def score(gold_posts, preds):
    """Document-level and strict-span P/R/F1 per kind (see SCORING)."""
    doc = {k: Counter() for k in (*KINDS, "person_listed", "person_unlisted", "all")}
    span = {k: Counter() for k in (*KINDS, "all")}

    def add(table, kind, what, n=1):
        table[kind][what] += n
        if kind in ("person_listed", "person_unlisted"):
            table["person"][what] += n
        table["all"][what] += n

    for post in gold_posts:
        g = gold_mentions(post)
        p = preds.get(post["id"], [])
        # Document level, listed ids.
        gset = {(m["kind"], m["label"]) for m in g if m["label"] is not None}
        pset = {(m["kind"], m["label"]) for m in p if m["label"] is not None}
        for kind, i in gset | pset:
            k = "person_listed" if kind == "person" else kind
            add(doc, k, "tp" if (kind, i) in gset and (kind, i) in pset
                else "fn" if (kind, i) in gset else "fp")
        # Document level, unlisted people.
        ggroups = defaultdict(list)
        for m in g:
            if m["label"] is None:
                ggroups[m["group"]].append(m)
        pgroups = defaultdict(list)
        for m in sorted(p, key=lambda m: m["start"]):
            if m["label"] is None:
                pgroups[m["group"]].append(m)
        matched = set()
        for _, pms in pgroups.items():
            hit = next((gk for gk, gms in ggroups.items() if gk not in matched
                        and any(overlap(a, b) for a in pms for b in gms)), None)
            if hit is None:
                add(doc, "person_unlisted", "fp")
            else:
                matched.add(hit)
                add(doc, "person_unlisted", "tp")
        add(doc, "person_unlisted", "fn", len(ggroups) - len(matched))
        # Strict spans.
        gs = Counter((m["kind"], m["label"], m["start"], m["end"]) for m in g)
        ps = Counter((m["kind"], m["label"], m["start"], m["end"]) for m in p)
        for key in gs | ps:
            tp = min(gs[key], ps[key])
            add(span, key[0], "tp", tp)
            add(span, key[0], "fn", gs[key] - tp)
            add(span, key[0], "fp", ps[key] - tp)
    return {"doc": {k: prf(c["tp"], c["fp"], c["fn"]) for k, c in doc.items()},
            "span": {k: prf(c["tp"], c["fp"], c["fn"]) for k, c in span.items()}}


def label(m):
    """How an error list shows a mention: `kind:id`; a gold unlisted person `person:?Name`; a
    predicted unlisted person `person:unlisted ~name` (or the id of a person outside the gold's
    list)."""
    if m["label"] is not None:
        return f"{m['kind']}:{m['label']}"
    if m["group"].startswith("?"):
        return f"person:{m['group']}"
    return f"person:unlisted {m['group']}"


def sfold(s):
    """A surface for the error lists: folded, white space made single spaces."""
    return " ".join(fold(s).split())


def context(text, start, end, width=30):
    """The text around a span, the span in brackets, on one line."""
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    return " ".join(f"{'…' if start > width else ''}{left}[{text[start:end]}]{right}"
                    f"{'…' if end + width < len(text) else ''}".split())


def errors(gold_posts, preds):
    """Span-level errors grouped (see SCORING), most frequent first; each group with its posts
    and the first example in context."""
    groups = defaultdict(list)
    for post in gold_posts:
        g = gold_mentions(post)
        p = list(preds.get(post["id"], []))
        key = lambda m: (m["kind"], m["label"], m["start"], m["end"])  # noqa: E731
        exact = Counter(key(m) for m in g) & Counter(key(m) for m in p)
        left_g, left_p = [], []
        for ms, left in ((g, left_g), (p, left_p)):
            c = Counter(exact)
            for m in ms:
                if c[key(m)]:
                    c[key(m)] -= 1
                else:
                    left.append(m)

        def note(k, m):
            groups[k].append((post["id"], context(post["text"], m["start"], m["end"])))

        used = set()
        for m in left_p:
            over = [x for x in left_g if overlap(x, m)] or [x for x in g if overlap(x, m)]
            if not over:
                note(("extra", m["kind"], "-", label(m), sfold(m["surface"])), m)
                continue
            same = [x for x in over if x["kind"] == m["kind"] and x["label"] == m["label"]]
            x = (same or over)[0]
            used.add(id(x))
            what = "boundary" if same else "wrong id"
            note((what, m["kind"], label(x), label(m),
                  sfold(x["surface"]) + (" / " + sfold(m["surface"]) if same else "")), m)
        for x in left_g:
            if id(x) not in used:
                note(("missed", x["kind"], label(x), "-", sfold(x["surface"])), x)
    rows = [{"count": len(v), "error": k[0], "kind": k[1], "gold": k[2], "predicted": k[3],
             "surface": k[4], "posts": sorted({pid for pid, _ in v})[:3], "example": v[0][1]}
            for k, v in groups.items()]
    order = {"wrong id": 0, "extra": 1, "missed": 2, "boundary": 3}
    rows.sort(key=lambda r: (-r["count"], order[r["error"]], r["kind"], r["surface"]))
    return rows


def evaluate(gold_posts, preds, universe):
    scored, dropped = normalise_predictions(preds, universe)
    traps = [p for p in gold_posts if p["style"] == "trap"]
    return {
        "posts": len(gold_posts),
        "trap_posts": len(traps),
        "gold_mentions": sum(len(p["entities"]) for p in gold_posts),
        "predicted_mentions": sum(len(v) for v in preds.values()),
        "out_of_scope": dict(dropped.most_common()),
        "all": score(gold_posts, scored),
        "traps": score(traps, scored),
        "errors": errors(gold_posts, scored),
    }


# --------------------------------------------------------------------------------------------
# Runs.

def run_tgscope(repeat):
    load = loadavg()
    cost, out = timed([BENCH, "entities-run", "--gold", GOLD["ru"], "--gold", GOLD["en"],
                       "--repeat", str(repeat)])
    r = json.loads(out)
    r["process"] = cost
    r["loadavg_start"] = load
    return r


def run_natasha(passes):
    load = loadavg()
    cost, out = timed([VENV_PY, os.path.abspath(__file__), "--peer", "natasha",
                       "--gold", GOLD["ru"], "--passes", str(passes)],
                      env=dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1"))
    r = json.loads(out)
    r["process"] = cost
    r["loadavg_start"] = load
    return r


def tgscope_predictions(t):
    preds = {}
    for p in t["posts"]:
        preds[p["id"]] = [dict(m) for m in p["mentions"]]
    return preds


def pass_stats(seconds, texts, nbytes):
    best, median = min(seconds), statistics.median(seconds)
    return {"passes": len(seconds), "best_seconds": round(best, 6),
            "median_seconds": round(median, 6), "texts": texts, "bytes": nbytes,
            "texts_per_s": round(texts / best, 1), "mb_per_s": round(nbytes / MB / best, 3),
            "texts_per_s_median": round(texts / median, 1)}


# --------------------------------------------------------------------------------------------
# Markdown.

def fmt(x):
    return f"{x:.3f}"


def metrics_table(title, rows):
    """rows: [(tool, lang, result)]."""
    out = [f"**{title}**", "",
           "| tool | lang | kind | doc P | doc R | doc F1 | doc TP/FP/FN | span P | span R "
           "| span F1 |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for tool, lang, res in rows:
        for kind in (*KINDS, "person_listed", "person_unlisted", "all"):
            d = res["doc"][kind]
            s = res["span"].get(kind)
            out.append(f"| {tool} | {lang} | {kind} | {fmt(d['precision'])} | {fmt(d['recall'])} "
                       f"| **{fmt(d['f1'])}** | {d['tp']}/{d['fp']}/{d['fn']} | "
                       + (f"{fmt(s['precision'])} | {fmt(s['recall'])} | {fmt(s['f1'])} |"
                          if s else "– | – | – |"))
    return out


def errors_table(title, rows, n=30):
    out = [f"**{title}** (span level, {sum(r['count'] for r in rows)} errors in "
           f"{len(rows)} groups; the {min(n, len(rows))} largest)", "",
           "| n | error | kind | gold | predicted | posts | first example (predicted span, or "
           "the gold span when missed) |",
           "|---|---|---|---|---|---|---|"]
    for r in rows[:n]:
        out.append(f"| {r['count']} | {r['error']} | {r['kind']} | {r['gold']} | {r['predicted']} "
                   f"| {', '.join(r['posts'])} | {r['example'].replace('|', '¦')} |")
    return out


def markdown(s):
    t, n = s["tgscope"], s.get("natasha")
    lines = ["## Entity recognition: tgscope against natasha (gold set)", "",
             f"Command: `{s['command']}`", "",
             f"Machine: {s['machine']['cores']} cores, {s['machine']['platform']}; load average "
             f"at start {' '.join(map(str, s['machine']['loadavg_start']))}, before tgscope "
             f"{' '.join(map(str, t['loadavg_start']))}"
             + (f", before natasha {' '.join(map(str, n['loadavg_start']))}" if n else "")
             + ".", "",
             f"Versions: tgscope {s['git']['head'][:12]}"
             + (" (crates/analyze modified)" if s["git"]["analyze_dirty"] else "")
             + f", recognizer last changed in {s['git']['entities_commit'] or '?'}; "
             f"{s['rustc']}"
             + (f"; natasha {n['versions']['natasha']} (slovnet {n['versions']['slovnet']}, "
                f"navec {n['versions']['navec']}, razdel {n['versions']['razdel']}, pymorphy2 "
                f"{n['versions']['pymorphy2']}, numpy {n['versions']['numpy']}), Python "
                f"{n['python']}" if n else "") + ".", "",
             f"Gold set: {s['gold']['ru']['posts']} Russian posts ({s['gold']['ru']['traps']} "
             f"traps, {s['gold']['ru']['mentions']} mentions), {s['gold']['en']['posts']} English "
             f"posts ({s['gold']['en']['traps']} traps, {s['gold']['en']['mentions']} mentions).",
             ""]
    rows = [("tgscope", "ru", t["eval"]["ru"]["all"])]
    if n:
        rows.append(("natasha", "ru", n["eval"]["all"]))
    rows.append(("tgscope", "en", t["eval"]["en"]["all"]))
    lines += metrics_table("All posts", rows) + [""]
    rows = [("tgscope", "ru", t["eval"]["ru"]["traps"])]
    if n:
        rows.append(("natasha", "ru", n["eval"]["traps"]))
    rows.append(("tgscope", "en", t["eval"]["en"]["traps"]))
    lines += metrics_table("Trap posts only", rows) + [""]
    lines += ["**Speed** (one thread; best pass of each; MB = 2^20 bytes of UTF-8 text)", "",
              "| tool | texts | setup s | what is timed | passes | best s | median s | texts/s "
              "| MB/s | peak RSS |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for lang in ("ru", "en"):
        f = t["speed"][lang]
        lines.append(f"| tgscope ({lang}) | {f['texts']} | {t['build_seconds']:.4f} (build) | "
                     f"`recognize` | {f['passes']} | {f['best_seconds']:.5f} | "
                     f"{f['median_seconds']:.5f} | {f['texts_per_s']:,.0f} | {f['mb_per_s']:.1f} | "
                     f"{t['process']['peak_rss_bytes'] / MB:.0f} MiB (ru+en) |")
    if n:
        tm = n["timing"]
        for name, what in (("ner_batched", "`NewsNERTagger.map` (batched NER)"),
                           ("ner_doc", "segment + tag_ner per Doc"),
                           ("full", "segment + tag_morph + tag_ner + normalize")):
            f = n["speed"][name]
            setup = (f"{tm['load_ner_seconds']:.2f}" if name != "full" else
                     f"{tm['load_ner_seconds'] + tm['load_morph_seconds']:.2f}")
            lines.append(f"| natasha (ru) | {f['texts']} | {setup} (load) | {what} | "
                         f"{f['passes']} | {f['best_seconds']:.3f} | {f['median_seconds']:.3f} | "
                         f"{f['texts_per_s']:,.1f} | {f['mb_per_s']:.3f} | "
                         f"{n['process']['peak_rss_bytes'] / MB:.0f} MiB |")
        lines += ["", "Speed ratio, tgscope / natasha, texts per second on the Russian texts "
                  "(best passes): " + "; ".join(f"{k} **{v:,.0f}×**"
                                                for k, v in s["speed_ratio"].items()) + "."]
    lines.append("")
    if n:
        st = n["mapping"]
        lines += ["**natasha's spans** (last full pass): "
                  + ", ".join(f"{k} {v}" for k, v in st.items()) + ". Tier 0 is an unmapped PER "
                  "(an unlisted person).", ""]
    oos = [("tgscope ru", t["eval"]["ru"]), ("tgscope en", t["eval"]["en"])]
    if n:
        oos.append(("natasha ru", n["eval"]))
    lines += ["**Out of scope** (predicted ids the gold does not annotate, dropped): "
              + "; ".join(f"{name}: " + (", ".join(f"{k} ×{v}" for k, v in
                                                    list(e["out_of_scope"].items())[:12])
                                         or "none")
                          for name, e in oos) + ".", ""]
    lines += ["**Targets**", ""]
    for name, met, detail in s["targets"]:
        lines.append(f"- {'met' if met else 'NOT met' if met is not None else 'not measured'}: "
                     f"{name} ({detail})")
    lines.append("")
    lines += errors_table("tgscope, Russian: errors", t["eval"]["ru"]["errors"]) + [""]
    lines += errors_table("tgscope, English: errors", t["eval"]["en"]["errors"]) + [""]
    if n:
        lines += errors_table("natasha, Russian: errors", n["eval"]["errors"]) + [""]
    lines += ["**How natasha is mapped**", "", MAPPING, "", "**How both are scored**", "",
              s["scoring_rule"]]
    return "\n".join(lines)


def scoring_rule(universe, source):
    return SCORING.format(universe=f"{source}: " + ", ".join(
        f"{len(v)} {k} ids" for k, v in universe.items()))


def targets(s):
    t, n = s["tgscope"], s.get("natasha")
    out = []
    for lang in ("ru", "en"):
        d = t["eval"][lang]["all"]["doc"]
        for kind in ("country", "org"):
            out.append((f"doc F1 >= 0.95, {kind}, {lang}", d[kind]["f1"] >= 0.95,
                        f"{d[kind]['f1']:.3f}"))
    if n:
        tf, nf = t["eval"]["ru"]["all"]["doc"]["person"]["f1"], n["eval"]["all"]["doc"]["person"]["f1"]
        out.append(("people: doc F1 >= natasha's on the same Russian gold", tf >= nf,
                    f"tgscope {tf:.3f}, natasha {nf:.3f}"))
        r = s["speed_ratio"]["vs ner_batched"]
        out.append(("at least 50x natasha's speed (texts/s, against batched NER)", r >= 50,
                    f"{r:,.0f}x"))
    else:
        out.append(("people >= natasha; 50x natasha's speed", None, "run without --no-peers"))
    for lang in ("ru", "en"):
        p = t["eval"][lang]["traps"]["doc"]["all"]
        out.append((f"precision >= 0.98 on the trap posts, {lang} (research target)",
                    p["precision"] >= 0.98, f"{p['precision']:.3f}, {p['fp']} false positives"))
    mbs = t["speed"]["ru"]["mb_per_s"]
    out.append((">= 20 MB/s of text per core (research target)", mbs >= 20, f"ru {mbs:.1f} MB/s"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=50, help="tgscope's timed passes")
    ap.add_argument("--natasha-passes", type=int, default=5, help="natasha's timed passes")
    ap.add_argument("--no-peers", action="store_true", help="skip natasha")
    ap.add_argument("--peer", help=argparse.SUPPRESS)
    ap.add_argument("--gold", help=argparse.SUPPRESS)
    ap.add_argument("--passes", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer == "natasha":
        peer_natasha(args)
        return

    os.makedirs(OUT, exist_ok=True)
    if not args.no_peers:
        ensure_venv()
    sh(["cargo", "build", "--release", "-q", "-p", "tgscope-bench"], cwd=ROOT)
    universe, universe_source = gold_universe()
    lists = Lists()
    gold = {lang: read_jsonl(path) for lang, path in GOLD.items()}
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    summary = {
        "command": "python3 benches/entities/run.py" + "".join(
            f" {a}" for a in sys.argv[1:]),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                    "loadavg_start": loadavg()},
        "git": {"head": git("rev-parse", "HEAD"),
                "entities_commit": git("log", "-1", "--format=%h %s", "--",
                                       "crates/analyze/src/entities"),
                "analyze_dirty": git("status", "--porcelain", "crates/analyze")},
        "rustc": rustc,
        "gold": {lang: {"posts": len(ps), "traps": sum(p["style"] == "trap" for p in ps),
                        "mentions": sum(len(p["entities"]) for p in ps)}
                 for lang, ps in gold.items()},
        "gold_universe": {"source": universe_source,
                          **{k: len(v) for k, v in universe.items()}},
        "gold_ids_missing_from_list": sorted(
            f"{k}:{i}" for k, ids in universe.items() for i in ids
            if i not in lists.kind and i not in GOLD_ID_OF.values()),
        "mapping_rule": MAPPING,
        "scoring_rule": scoring_rule(universe, universe_source),
    }
    t = run_tgscope(args.repeat)
    preds = tgscope_predictions(t)
    t["eval"] = {lang: evaluate(ps, {p["id"]: preds.get(p["id"], []) for p in ps}, universe)
                 for lang, ps in gold.items()}
    t["speed"] = {}
    for f in t["files"]:
        lang = "ru" if f["file"] == GOLD["ru"] else "en"
        t["speed"][lang] = pass_stats(f["pass_seconds"], f["texts"], f["bytes"])
    t["predictions"] = t.pop("posts")
    summary["tgscope"] = t
    if not args.no_peers:
        n = run_natasha(args.natasha_passes)
        npreds, stats = natasha_predictions(lists, n, gold["ru"])
        n["mapping"] = stats
        n["eval"] = evaluate(gold["ru"], npreds, universe)
        n["speed"] = {k: pass_stats(v, n["texts"], n["bytes"])
                      for k, v in n["timing"]["passes"].items()}
        n["predictions"] = [{"id": pid, "mentions": ms} for pid, ms in npreds.items()]
        n["spans"] = n.pop("posts")
        summary["natasha"] = n
        tr = t["speed"]["ru"]["texts_per_s"]
        summary["speed_ratio"] = {f"vs {k}": round(tr / v["texts_per_s"], 1)
                                  for k, v in n["speed"].items()}
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
