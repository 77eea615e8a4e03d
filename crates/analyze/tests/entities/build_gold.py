#!/usr/bin/env python3
"""Build the entity gold set: gold-ru.txt / gold-en.txt -> gold-ru.jsonl / gold-en.jsonl.

The .txt files are the source of truth (see docs/entities-annotation.md). Each post starts
with a header line `=== <lang>-<NNNN> <style>`; the lines below it, up to the next header,
are the post's text, in which every entity mention is written `[[surface|kind:id]]`.

    python3 build_gold.py            # validate both files, write both .jsonl files, print counts
    python3 build_gold.py --check    # validate, and fail if a committed .jsonl is out of date
    python3 build_gold.py --lint     # also list unmarked copies of marked surfaces (review aid)
    python3 build_gold.py --ids      # also list every distinct id with its number of mentions

Every id must be an id of the registry, crates/analyze/data/entities/entities.tsv (read
relative to this script): its countries, organisations and people are the sets the gold set
uses. A person outside the registry is written `person:?English Name`.

Standard library only; the output depends on the input alone (no dates, no randomness).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGS = ("ru", "en")
STYLES = ("news", "ministry", "opinion", "trap")
KINDS = ("country", "org", "person")


class GoldError(Exception):
    pass


Registry = tuple[dict[str, frozenset[str]], dict[str, str]]


# The registry of entities: countries, organisations and listed people. A gold id must be one of
# its ids, so that a misspelt id fails the build instead of becoming a new entity.
REGISTRY = HERE.parent.parent / "data" / "entities" / "entities.tsv"
REGISTRY_COLUMNS = ["id", "kind", "name_en", "name_ru", "country", "note"]


def ascii_fold(name: str) -> str:
    """`Nicolás Maduro` -> `nicolas maduro`: the comparison key of an English name."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()


def load_registry(path: Path = REGISTRY) -> Registry:
    """entities.tsv -> ({kind: ids}, {folded English name of a listed person: id})."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except OSError as e:
        raise GoldError(f"cannot read the registry {path}: {e}") from e
    ids: dict[str, set[str]] = {k: set() for k in KINDS}
    person_names: dict[str, str] = {}
    header_seen = False
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if not header_seen:
            if fields != REGISTRY_COLUMNS:
                raise GoldError(f"{path.name}:{lineno}: header is not {' '.join(REGISTRY_COLUMNS)}")
            header_seen = True
            continue
        if len(fields) != len(REGISTRY_COLUMNS):
            raise GoldError(f"{path.name}:{lineno}: {len(fields)} columns, not {len(REGISTRY_COLUMNS)}")
        ident, kind, name_en = fields[0], fields[1], fields[2]
        if kind not in ids:
            raise GoldError(f"{path.name}:{lineno}: unknown kind {kind!r}")
        if any(ident in s for s in ids.values()):
            raise GoldError(f"{path.name}:{lineno}: duplicate id {ident!r}")
        ids[kind].add(ident)
        if kind == "person":
            person_names[ascii_fold(name_en)] = ident
    if not all(ids.values()):
        raise GoldError(f"{path.name}: no entities of some kind: " + ", ".join(f"{k} {len(v)}" for k, v in ids.items()))
    return {k: frozenset(v) for k, v in ids.items()}, person_names


HEADER_RE = re.compile(r"^=== (?P<id>(?P<lang>[a-z]{2})-(?P<num>[0-9]{4})) (?P<style>[a-z]+)$")
MENTION_RE = re.compile(r"\[\[(?P<surface>[^\[\]|]*)\|(?P<label>[^\[\]|]*)\]\]")
UNLISTED_NAME_RE = re.compile(r"^[A-Z][A-Za-z'.-]*(?: [A-Za-z][A-Za-z'.-]*)*$")


def parse_label(label: str, where: str, registry: Registry) -> tuple[str, str | None, bool, str | None]:
    """`kind:id` -> (kind, id, listed, name)."""
    kind, sep, ident = label.partition(":")
    if not sep:
        raise GoldError(f"{where}: label {label!r} is not kind:id")
    if kind not in KINDS:
        raise GoldError(f"{where}: unknown kind {kind!r} in {label!r}")
    ids, person_names = registry
    if kind == "person" and ident.startswith("?"):
        name = ident[1:]
        if not UNLISTED_NAME_RE.match(name):
            raise GoldError(f"{where}: unlisted person name {name!r} is not a Latin name")
        if ascii_fold(name) in person_names:
            raise GoldError(
                f"{where}: {name!r} is the registry's {person_names[ascii_fold(name)]!r}: use its id"
                " (a namesake keeps ?Name with a name that tells them apart)"
            )
        return kind, None, False, name
    if ident not in ids[kind]:
        hint = " (a person outside the registry is written person:?English Name)" if kind == "person" else ""
        raise GoldError(f"{where}: {kind} id {ident!r} is not in {REGISTRY.name}{hint}")
    return kind, ident, True, None


def parse_body(marked: str, where: str, registry: Registry) -> tuple[str, list[dict]]:
    """Strip the markup of one post; return the plain text and its mentions."""
    out: list[str] = []
    entities: list[dict] = []
    pos = 0
    length = 0  # code points written so far
    for m in MENTION_RE.finditer(marked):
        between = marked[pos : m.start()]
        check_plain(between, where)
        out.append(between)
        length += len(between)
        surface = m.group("surface")
        if not surface:
            raise GoldError(f"{where}: empty surface in {m.group(0)!r}")
        if surface != surface.strip() or "\n" in surface:
            raise GoldError(f"{where}: surface {surface!r} has outer spaces or a line break")
        kind, ident, listed, name = parse_label(m.group("label"), f"{where}: {m.group(0)!r}", registry)
        entities.append(
            {
                "kind": kind,
                "id": ident,
                "listed": listed,
                "name": name,
                "start": length,
                "end": length + len(surface),
                "surface": surface,
            }
        )
        out.append(surface)
        length += len(surface)
        pos = m.end()
    rest = marked[pos:]
    check_plain(rest, where)
    out.append(rest)
    return "".join(out), entities


def check_plain(chunk: str, where: str) -> None:
    for bad in ("[[", "]]", "[|", "|]"):
        if bad in chunk:
            i = chunk.index(bad)
            raise GoldError(f"{where}: unbalanced or malformed markup near {chunk[max(0, i - 30) : i + 30]!r}")


def parse_file(path: Path, lang: str, registry: Registry) -> list[dict]:
    lines = path.read_text(encoding="utf-8").split("\n")
    posts: list[dict] = []
    seen: set[str] = set()
    current: dict | None = None
    body: list[str] = []

    def finish() -> None:
        if current is None:
            return
        text_lines = [line.rstrip() for line in body]
        while text_lines and not text_lines[0]:
            text_lines.pop(0)
        while text_lines and not text_lines[-1]:
            text_lines.pop()
        where = f"{path.name}: {current['id']}"
        if not text_lines:
            raise GoldError(f"{where}: empty post")
        text, entities = parse_body("\n".join(text_lines), where, registry)
        for e in entities:
            assert text[e["start"] : e["end"]] == e["surface"]
        current["text"] = text
        current["entities"] = entities
        posts.append(current)

    for lineno, line in enumerate(lines, 1):
        if line.startswith("==="):
            m = HEADER_RE.match(line.rstrip())
            if not m:
                raise GoldError(f"{path.name}:{lineno}: bad header {line!r} (=== {lang}-NNNN style)")
            if m.group("lang") != lang:
                raise GoldError(f"{path.name}:{lineno}: post {m.group('id')} in the {lang} file")
            if m.group("style") not in STYLES:
                raise GoldError(f"{path.name}:{lineno}: unknown style {m.group('style')!r}")
            if m.group("id") in seen:
                raise GoldError(f"{path.name}:{lineno}: duplicate post id {m.group('id')}")
            seen.add(m.group("id"))
            finish()
            current = {"id": m.group("id"), "lang": lang, "style": m.group("style")}
            body = []
        elif current is None:
            if line.strip() and not line.startswith("#"):
                raise GoldError(f"{path.name}:{lineno}: text before the first post (preamble lines start with #)")
        else:
            body.append(line)
    finish()
    if not posts:
        raise GoldError(f"{path.name}: no posts")
    return posts


def to_jsonl(posts: list[dict]) -> str:
    rows = []
    for p in posts:
        row = {
            "id": p["id"],
            "lang": p["lang"],
            "style": p["style"],
            "text": p["text"],
            "entities": p["entities"],
        }
        rows.append(json.dumps(row, ensure_ascii=False, separators=(", ", ": ")))
    return "\n".join(rows) + "\n"


def word_re(surface: str) -> re.Pattern:
    return re.compile(r"(?<![\w])" + re.escape(surface) + r"(?![\w])")


FLAG_RUN_RE = re.compile("[\U0001F1E6-\U0001F1FF]+")


def lint(posts: list[dict]) -> list[str]:
    """Unmarked, case-sensitive, whole-word copies of surfaces that are marked somewhere, and
    unmarked flags (regional-indicator pairs, read in pairs from the start of each run)."""
    surfaces = sorted(
        {e["surface"] for p in posts for e in p["entities"] if len(e["surface"]) > 1 and not FLAG_RUN_RE.fullmatch(e["surface"])}
    )
    patterns = [(s, word_re(s)) for s in surfaces]
    found = []
    for p in posts:
        covered = [(e["start"], e["end"]) for e in p["entities"]]

        def is_covered(start: int, end: int) -> bool:
            return any(a <= start and end <= b for a, b in covered)

        for s, pat in patterns:
            for m in pat.finditer(p["text"]):
                if not is_covered(m.start(), m.end()):
                    found.append(f"{p['id']} {p['style']}: unmarked {s!r} at {m.start()}")
        for run in FLAG_RUN_RE.finditer(p["text"]):
            for i in range(run.start(), run.end() - 1, 2):
                if not is_covered(i, i + 2):
                    found.append(f"{p['id']} {p['style']}: unmarked flag {p['text'][i : i + 2]!r} at {i}")
    return found


def report(posts: list[dict], lang: str) -> None:
    styles = Counter(p["style"] for p in posts)
    kinds = Counter(e["kind"] for p in posts for e in p["entities"])
    trap_kinds = Counter(e["kind"] for p in posts if p["style"] == "trap" for e in p["entities"])
    unlisted = sum(1 for p in posts for e in p["entities"] if e["kind"] == "person" and not e["listed"])
    distinct = {k: len({e["id"] or e["name"] for p in posts for e in p["entities"] if e["kind"] == k}) for k in KINDS}
    no_entity = sum(1 for p in posts if not p["entities"])
    print(f"{lang}: {len(posts)} posts (" + ", ".join(f"{s} {styles[s]}" for s in STYLES) + f"; {no_entity} without entities)")
    print(
        f"{lang}: {sum(kinds.values())} mentions ("
        + ", ".join(f"{k} {kinds[k]}" for k in KINDS)
        + f"; unlisted people {unlisted}; in traps "
        + ", ".join(f"{k} {trap_kinds[k]}" for k in KINDS)
        + ")"
    )
    print(f"{lang}: distinct ids: " + ", ".join(f"{k} {distinct[k]}" for k in KINDS) + " (unlisted people by name)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if a .jsonl file is not up to date")
    ap.add_argument("--lint", action="store_true", help="list unmarked copies of marked surfaces")
    ap.add_argument("--ids", action="store_true", help="list the distinct ids and their mention counts")
    args = ap.parse_args()
    stale = []
    try:
        registry = load_registry()
        every: list[dict] = []
        for lang in LANGS:
            posts = parse_file(HERE / f"gold-{lang}.txt", lang, registry)
            every.extend(posts)
            out = to_jsonl(posts)
            target = HERE / f"gold-{lang}.jsonl"
            if args.check:
                if not target.exists() or target.read_text(encoding="utf-8") != out:
                    stale.append(target.name)
            else:
                target.write_text(out, encoding="utf-8")
            report(posts, lang)
            if args.lint:
                for line in lint(posts):
                    print("lint:", line)
    except GoldError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    kinds = Counter(e["kind"] for p in every for e in p["entities"])
    print(f"all: {len(every)} posts, {sum(kinds.values())} mentions (" + ", ".join(f"{k} {kinds[k]}" for k in KINDS) + ")")
    if args.ids:
        ids = Counter((e["kind"], e["id"] or "?" + e["name"]) for p in every for e in p["entities"])
        for (kind, ident), n in sorted(ids.items()):
            print(f"id: {kind}:{ident} {n}")
    if stale:
        print("out of date (run build_gold.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
