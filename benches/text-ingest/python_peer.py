#!/usr/bin/env python3
"""The peer: the plain-text ingest a researcher writes in Python today.

It splits a capture at "Forwarded from" lines, drops known interface labels, drops repeated
lines with a set (so it also drops lines that really occur twice), pulls hashtags with a regex
and stores posts in SQLite with executemany in one transaction. It does less than tgscope (no
repeat-block detection, no dates, no provenance, no raw copy), so it is a floor for tgscope's
cost, not an equal.

usage: python_peer.py CAPTURE DB
"""
import re
import sqlite3
import sys

LABELS = {"Media is too big", "VIEW IN TELEGRAM", "Please open Telegram to view this post",
          "Read in full"}
TAG = re.compile(r"#\w+")


def posts(path):
    current = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("Forwarded from ") and current:
                yield current
                current = []
            current.append(line)
    if current:
        yield current


def main():
    capture, db = sys.argv[1], sys.argv[2]
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, forwarded_from TEXT,"
                 " text TEXT, raw TEXT, hashtags TEXT)")
    rows = []
    for lines in posts(capture):
        fwd = lines[0][len("Forwarded from "):] if lines[0].startswith("Forwarded from ") else None
        seen, kept = set(), []
        for line in lines[1 if fwd else 0:]:
            if line in LABELS or line in seen:
                continue
            seen.add(line)
            kept.append(line)
        text = "\n".join(kept)
        rows.append((fwd, text, "\n".join(lines), " ".join(TAG.findall(text))))
    with conn:
        conn.executemany("INSERT INTO posts (forwarded_from, text, raw, hashtags) VALUES (?,?,?,?)",
                         rows)
    print(len(rows), file=sys.stderr)


if __name__ == "__main__":
    main()
