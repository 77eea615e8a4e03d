#!/usr/bin/env python3
"""Load test of `tgscope serve` (issue 6): a bounded run of concurrent clients on loopback,
against Datasette over the same archive in the same run.

Writes one synthetic Desktop export (`tgscope-bench gen`, seed 7) of POSTS posts, ingests it
into a fresh archive (which builds the search index), starts `tgscope serve --bind
127.0.0.1:0`, and runs `tgscope-bench load` against it: CLIENTS threads making REQUESTS
requests in all, a third each of search pages (`/search?q=`, the 20 queries of the search
benchmark), post pages (`/posts/ID`) and API searches (`/api/v1/search?q=`).

The peer is Datasette (the web interface researchers put over a SQLite file), from the Python
found by `--datasette PATH` (default: `datasette` on PATH; the peer is skipped with a message if
there is none). It serves a copy of the same archive.sqlite with one table of each post's current
text and an FTS5 index over it, immutable (`-i`), 20 rows a page, facet suggestions off. The same
load tool asks it for `/peer/post_text?_search=Q` (HTML table page), `/peer/post_text/ID` (row
page) and `/peer/post_text.json?_search=Q`, with the plain words of each query (Datasette does not
speak tgscope's query language, so its queries are simpler).

Prints the JSON summary of both (errors, requests per second, p50/p99/max per kind, server peak
RSS) and writes target/bench/server.json.

usage: benches/server/run.py [--posts N] [--clients C] [--requests R] [--datasette PATH]
       (defaults: 50000 posts, 8 clients, 3000 requests)
"""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "target", "release", "tgscope-bench")
TGSCOPE = os.path.join(ROOT, "target", "release", "tgscope")
BYTES_PER_POST = 2263


def option(args, name, default):
    if name in args:
        i = args.index(name)
        return int(args[i + 1])
    return default


PEER_SQL = """
CREATE TABLE post_text AS
  SELECT p.id AS id, c.username AS channel, p.message_id AS message_id,
         COALESCE(v.date, v.date_inferred) AS date, v.views AS views, v.text AS text
  FROM posts p JOIN channels c ON c.id = p.channel_id JOIN versions v ON v.id = p.current_version_id;
CREATE VIRTUAL TABLE post_text_fts USING fts5(text, content='post_text', content_rowid='id');
INSERT INTO post_text_fts(rowid, text) SELECT id, text FROM post_text;
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(err):
    rss_kb = [line for line in err.strip().splitlines() if line.strip().isdigit()]
    return round(int(rss_kb[-1]) / 1024, 1) if rss_kb else None


def load(address, clients, requests, posts, extra=()):
    out = subprocess.run([BENCH, "load", "--url", address, "--clients", str(clients),
                          "--requests", str(requests), "--posts", str(posts), *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_peer(datasette, archive, work, clients, requests, posts):
    peer = os.path.join(work, "peer.db")
    shutil.copy(os.path.join(archive, "archive.sqlite"), peer)
    db = sqlite3.connect(peer)
    db.executescript(PEER_SQL)
    db.commit()
    db.close()
    port = free_port()
    server = subprocess.Popen(["/usr/bin/time", "-f", "%M", datasette, "serve", "-i", peer,
                               "--host", "127.0.0.1", "--port", str(port),
                               "--setting", "default_page_size", "20",
                               "--setting", "suggest_facets", "off",
                               "--setting", "sql_time_limit_ms", "10000"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    address = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(address + "/-/versions.json", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        result = load(address, clients, requests, posts,
                      ["--search-path", "/peer/post_text?_search={q}",
                       "--post-path", "/peer/post_text/{id}",
                       "--api-path", "/peer/post_text.json?_search={q}", "--plain-queries"])
        os.killpg(server.pid, signal.SIGINT)
        _, err = server.communicate(timeout=30)
        result["server_peak_rss_mib"] = peak_rss_mib(err)
        result["version"] = subprocess.run([datasette, "--version"], capture_output=True,
                                           text=True).stdout.strip()
        return result
    finally:
        if server.poll() is None:
            server.kill()


def main():
    args = sys.argv[1:]
    posts = option(args, "--posts", 50_000)
    clients = option(args, "--clients", 8)
    requests = option(args, "--requests", 3000)
    datasette = args[args.index("--datasette") + 1] if "--datasette" in args \
        else shutil.which("datasette")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tgscope-bench", "-p",
                    "tgscope-cli"], check=True, cwd=ROOT)
    work = tempfile.mkdtemp(prefix="tgscope-bench-server-")
    server = None
    try:
        export = os.path.join(work, "export")
        gen = json.loads(subprocess.run([BENCH, "gen", "--size", str(posts * BYTES_PER_POST),
                                         "--out", export], check=True, capture_output=True,
                                        text=True).stdout)
        archive = os.path.join(work, "archive")
        subprocess.run([TGSCOPE, "--archive", archive, "ingest",
                        os.path.join(export, "result.json"), "-q", "--no-media"], check=True)
        server = subprocess.Popen(["/usr/bin/time", "-f", "%M", TGSCOPE, "--archive", archive,
                                   "serve", "--bind", "127.0.0.1:0"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
        address = server.stdout.readline().strip()
        tgscope = load(address, clients, requests, gen["posts"])
        os.killpg(server.pid, signal.SIGINT)
        _, err = server.communicate(timeout=30)
        tgscope["server_peak_rss_mib"] = peak_rss_mib(err)
        result = {"posts": gen["posts"], "tgscope": tgscope}
        if datasette:
            result["datasette"] = run_peer(datasette, archive, work, clients, requests,
                                           gen["posts"])
        else:
            print("no datasette found (pip install datasette, or --datasette PATH): "
                  "the peer is skipped", file=sys.stderr)
        os.makedirs(os.path.join(ROOT, "target", "bench"), exist_ok=True)
        with open(os.path.join(ROOT, "target", "bench", "server.json"), "w") as f:
            json.dump(result, f, indent=1, ensure_ascii=False)
        print(json.dumps(result, indent=1, ensure_ascii=False))
    finally:
        if server and server.poll() is None:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
