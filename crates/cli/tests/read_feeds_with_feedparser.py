"""Reads tgscope's feeds as a feed reader does and checks that it gets what tgscope intended.

Usage: python read_feeds_with_feedparser.py EXPECTED.json

EXPECTED.json (written by the command line's test, crates/cli/tests/cli/feeds.rs) lists feed
files with what a reader must get from each:

    {"feeds": [{"path": "...", "format": "atom" | "rss" | "json", "title": "...",
                "links": {"self": "...", "next": "..." | null},
                "entries": [{"id", "title", "link", "published", "updated"}]}]}

Atom and RSS are parsed by feedparser (PyPI), which must raise no bozo flag (the document is
well-formed XML it understands) and give the ids, titles, links and dates expected, in order.
feedparser 6.0 does not read JSON Feed, so a JSON feed is read with the json module and checked
against JSON Feed 1.1's required members and the same expected values.

Prints one JSON object (what was read, per feed) and exits 0 when everything matches; on the
first difference it prints where and exits 1. .ci/run makes the Python (target/venv-feeds, with
feedparser pinned) and names it in TGSCOPE_FEED_PYTHON.
"""

import calendar
import datetime
import json
import sys

import feedparser


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def same(where, expected, got):
    if expected != got:
        fail(f"{where}: expected {expected!r}, the reader got {got!r}")


def epoch(rfc3339):
    """Seconds since the epoch of an RFC 3339 time (None stays None)."""
    if rfc3339 is None:
        return None
    at = datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    return int(at.timestamp())


def parsed_epoch(struct):
    """Seconds since the epoch of one of feedparser's UTC time tuples."""
    return None if struct is None else calendar.timegm(struct)


def link_of(entry):
    """The entry's alternate link, as feedparser gives it."""
    for link in entry.get("links", []):
        if link.get("rel") == "alternate":
            return link.get("href")
    return None


def feed_links(feed):
    return {link.get("rel"): link.get("href") for link in feed.get("links", [])}


def read_xml(spec):
    d = feedparser.parse(spec["path"])
    where = spec["path"]
    if d.bozo:
        fail(f"{where}: feedparser raised a bozo flag: {d.bozo_exception!r}")
    expected_version = {"atom": "atom10", "rss": "rss20"}[spec["format"]]
    same(f"{where}: version", expected_version, d.version)
    same(f"{where}: title", spec["title"], d.feed.get("title"))
    links = feed_links(d.feed)
    for rel, href in spec["links"].items():
        same(f"{where}: link rel={rel}", href, links.get(rel))
    same(f"{where}: entries", len(spec["entries"]), len(d.entries))
    for i, (e, got) in enumerate(zip(spec["entries"], d.entries)):
        at = f"{where}: entry {i}"
        same(f"{at}: id", e["id"], got.get("id"))
        same(f"{at}: title", e["title"], got.get("title"))
        same(f"{at}: link", e["link"], link_of(got))
        same(f"{at}: published", epoch(e["published"]), parsed_epoch(got.get("published_parsed")))
        if spec["format"] == "atom":
            same(f"{at}: updated", epoch(e["updated"]), parsed_epoch(got.get("updated_parsed")))
    return {"format": spec["format"], "version": d.version, "bozo": int(d.bozo),
            "entries": len(d.entries)}


def read_json(spec):
    where = spec["path"]
    with open(spec["path"], encoding="utf-8") as f:
        d = json.load(f)
    same(f"{where}: version", "https://jsonfeed.org/version/1.1", d.get("version"))
    same(f"{where}: title", spec["title"], d.get("title"))
    if not isinstance(d.get("items"), list):
        fail(f"{where}: items is not a list")
    same(f"{where}: feed_url", spec["links"].get("self"), d.get("feed_url"))
    same(f"{where}: next_url", spec["links"].get("next"), d.get("next_url"))
    same(f"{where}: items", len(spec["entries"]), len(d["items"]))
    for i, (e, got) in enumerate(zip(spec["entries"], d["items"])):
        at = f"{where}: item {i}"
        if not isinstance(got.get("id"), str):
            fail(f"{at}: id is not a string")
        if "content_html" not in got and "content_text" not in got:
            fail(f"{at}: neither content_html nor content_text")
        same(f"{at}: id", e["id"], got.get("id"))
        same(f"{at}: title", e["title"], got.get("title"))
        same(f"{at}: url", e["link"], got.get("url"))
        same(f"{at}: date_published", epoch(e["published"]), epoch(got.get("date_published")))
        same(f"{at}: date_modified", epoch(e["updated"]), epoch(got.get("date_modified")))
    return {"format": "json", "version": d["version"], "entries": len(d["items"])}


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        expected = json.load(f)
    seen = []
    for spec in expected["feeds"]:
        seen.append(read_json(spec) if spec["format"] == "json" else read_xml(spec))
    print(json.dumps({"feedparser": feedparser.__version__, "feeds": seen}))


main()
