#!/usr/bin/env python3
"""The peer: the Desktop JSON reader a researcher writes in Python today.

It loads the whole export with the standard library's json.load, walks `messages`, and builds
one dict per post (id, date, text joined from the text array, forwarded_from, media kind),
skipping service messages. That is how most scripts and notebooks read result.json (and why
they fail on exports larger than memory). It does much less than tgscope's reader: no
entities, links, hashtags, reactions, replies, polls, edits, text cleaning, path checks or
byte offsets. It is a floor for the cost of reading, not an equal.

usage: python_peer.py RESULT_JSON   (prints the number of posts)
"""
import json
import sys


def text_of(value):
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p if isinstance(p, str) else p.get("text", "") for p in value)
    return ""


def media_kind(m):
    if "photo" in m:
        return "photo"
    if "media_type" in m:
        return m["media_type"]
    if "file" in m:
        return "document"
    if "poll" in m:
        return "poll"
    return None


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        export = json.load(f)
    posts = []
    for m in export.get("messages", []):
        if m.get("type") != "message":
            continue
        posts.append({
            "id": m.get("id"),
            "date": m.get("date_unixtime") or m.get("date"),
            "text": text_of(m.get("text")),
            "forwarded_from": m.get("forwarded_from"),
            "media": media_kind(m),
        })
    print(len(posts))


if __name__ == "__main__":
    main()
