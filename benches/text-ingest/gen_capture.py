#!/usr/bin/env python3
"""Writes a synthetic plain-text capture of a channel's web view, deterministic from a seed.

Posts are forwards or original posts in English and Russian, with dated title lines, hashtags,
flag emoji, mentions, links, "Media is too big" placeholders, lost "Read in full" links,
unviewable posts, and the web view's repeated bodies (whole or without the title line).

usage: gen_capture.py OUT_FILE TARGET_MEGABYTES [SEED]
"""
import random
import sys

EN = ("minister talks partners cooperation security council multipolar world order sovereignty "
      "dialogue region development trade energy summit delegation agenda statement forum").split()
RU = ("министр переговоры партнёры сотрудничество безопасность совет многополярный мир порядок "
      "суверенитет диалог регион развитие торговля энергетика саммит делегация повестка").split()
TAGS = ["#BRICS", "#SCO", "#CIS", "#CSTO", "#EAEU", "#UN", "#СНГ", "#БРИКС", "#ШОС"]
FLAGS = ["🇷🇺", "🇨🇳", "🇮🇳", "🇰🇿", "🇧🇾", "🇺🇳", "🇧🇷", "🇿🇦"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def sentence(rng, words, n):
    s = " ".join(rng.choice(words) for _ in range(n))
    if rng.random() < 0.4:
        s += " " + rng.choice(TAGS)
    if rng.random() < 0.2:
        s = rng.choice(FLAGS) + " " + s
    return s[0].upper() + s[1:] + "."


def post(rng, i, year, month, day):
    lang = EN if rng.random() < 0.6 else RU
    lines = []
    if rng.random() < 0.85:
        lines.append("Forwarded from Russian MFA 🇷🇺")
    if rng.random() < 0.05:
        lines += ["Please open Telegram to view this post", "VIEW IN TELEGRAM"]
        return lines
    if rng.random() < 0.1:
        lines += ["Media is too big", "VIEW IN TELEGRAM"]
    title = f"🎙 {sentence(rng, lang, 8)[:-1]} #{i} (Moscow, {MONTHS[month - 1]} {day}, {year})"
    body = [sentence(rng, lang, rng.randint(8, 40)) for _ in range(rng.randint(2, 8))]
    if rng.random() < 0.2:
        body.append(f"More at https://mid.ru/en/foreign_policy/news/{1000000 + i}/")
    if rng.random() < 0.5:
        body.append("Read in full")
    lines.append(title)
    lines += body
    r = rng.random()
    if r < 0.6:
        lines += body
    elif r < 0.8:
        lines += [title] + body
    return lines


def main():
    out, megabytes = sys.argv[1], float(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    written = 0
    posts = 0
    year, month, day = 2020, 1, 1
    with open(out, "w", encoding="utf-8") as f:
        while written < target:
            day += rng.randint(0, 2)
            if day > 28:
                day, month = 1, month + 1
                if month > 12:
                    month, year = 1, year + 1
            text = "\n".join(post(rng, posts, year, month, day)) + "\n"
            f.write(text)
            written += len(text.encode("utf-8"))
            posts += 1
    print(f"{out}: {posts} posts, {written} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
