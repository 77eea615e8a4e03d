#!/usr/bin/env python3
"""Generate aliases.tsv from entities.tsv and names.tsv.

Every Russian form whose `decline` is not `no` is expanded into its case forms
(6 cases; singular, or the number of the head noun for plural-only names such as
«Соединённые Штаты»; demonyms in both numbers; adjectives in every gender,
number and case). English forms and indeclinable Russian forms are copied as
written. Aliases are written with ё folded to е, case preserved.

Usage:
    python3 generate.py [--dir DIR] [--check] [--verbose]
    python3 generate.py --user FILE [--out FILE]

  --dir DIR   folder holding entities.tsv and names.tsv; aliases.tsv is written
              there (default: the folder of this script)
  --check     build in memory and fail if aliases.tsv differs from the result
  --verbose   list the forms built by the fallback rules (words that the
              pymorphy3 dictionary does not know), for review
  --user FILE expand a user's single-file list (columns id kind name lang form
              via decline flags) and write it back in the same format with
              every case form on its own line (decline no), to --out or stdout

Needs pymorphy3 and pymorphy3-dicts-ru (see requirements.txt).
"""

import argparse
import os
import re
import sys
from collections import Counter, defaultdict

import pymorphy3

CASES = ('nomn', 'gent', 'datv', 'accs', 'ablt', 'loct')
KINDS = ('country', 'org', 'person')
VIAS = ('name', 'official', 'abbr', 'adjective', 'adjective_prefix', 'demonym',
        'fullname', 'surname', 'initials', 'hashtag')
# When the same alias reaches the same id through several source forms, the
# first via in this order is kept (with that source's flags).
VIA_PRIORITY = {v: i for i, v in enumerate(
    ('name', 'official', 'abbr', 'fullname', 'surname', 'initials', 'hashtag',
     'adjective', 'adjective_prefix', 'demonym'))}
MATCH_FLAGS = ('cs', 'ambiguous')    # copied to aliases.tsv
GEN_FLAGS = ('fem',)                 # used for generation only
PERSON_VIAS = ('fullname', 'surname', 'initials')
DECLINED_VIAS = ('name', 'official', 'abbr', 'adjective', 'demonym') + PERSON_VIAS

HERE = os.path.dirname(os.path.abspath(__file__))
MORPH = pymorphy3.MorphAnalyzer()

# Words built by the fallback rules, for --verbose review.
RULE_LOG = []


class DataError(Exception):
    pass


# ---------------------------------------------------------------- reading

def read_tsv(path, columns):
    rows = []
    header = None
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            cells = line.split('\t')
            if header is None:
                header = cells
                if header != list(columns):
                    raise DataError(f'{path}:{n}: header {header} != {list(columns)}')
                continue
            if len(cells) != len(columns):
                raise DataError(f'{path}:{n}: {len(cells)} cells, want {len(columns)}: {line!r}')
            if any(c != c.strip() for c in cells):
                raise DataError(f'{path}:{n}: cell with surrounding spaces: {line!r}')
            rows.append((n, dict(zip(columns, cells))))
    if header is None:
        raise DataError(f'{path}: empty')
    return rows


ENTITY_COLUMNS = ('id', 'kind', 'name_en', 'name_ru', 'country', 'note')
NAME_COLUMNS = ('id', 'lang', 'form', 'via', 'decline', 'flags')
ALIAS_COLUMNS = ('alias', 'lang', 'id', 'via', 'flags')

CYR = re.compile('[А-Яа-яЁё]')


def check_entities(rows, src='entities.tsv', user=False):
    ents = {}
    for n, r in rows:
        i, k = r['id'], r['kind']
        if i in ents:
            raise DataError(f'{src}:{n}: duplicate id {i}')
        if k not in KINDS:
            raise DataError(f'{src}:{n}: kind {k!r}')
        if k == 'country' and not user:
            if not re.fullmatch(r'[A-Z]{2}|X[A-Z]{2}', i):
                raise DataError(f'{src}:{n}: country id {i!r} (ISO alpha-2, or X + 2 letters)')
        elif not re.fullmatch(r'[a-z][a-z0-9_]*|[A-Z]{2}|X[A-Z]{2}', i):
            raise DataError(f'{src}:{n}: id {i!r} (lower-case latin, digits, _)')
        if k != 'person' and r['country']:
            raise DataError(f'{src}:{n}: country column must be empty for a {k}')
        if not r['name_en'] or not r['name_ru']:
            raise DataError(f'{src}:{n}: empty name')
        ents[i] = r
    for i, r in ents.items():
        if r['kind'] == 'person' and not user:
            c = r['country']
            if c not in ents or ents[c]['kind'] != 'country':
                raise DataError(f'{src}: person {i}: country {c!r} is not a country id')
    return ents


def check_names(rows, ents, src='names.tsv'):
    names = []
    seen = set()
    seen_form = {}
    for n, r in rows:
        key = tuple(r[c] for c in NAME_COLUMNS)
        if key in seen:
            raise DataError(f'{src}:{n}: duplicate line')
        seen.add(key)
        fk = (r['id'], r['lang'], r['form'])
        if fk in seen_form:
            raise DataError(f'{src}:{n}: form {r["form"]!r} already listed for {r["id"]} '
                            f'on line {seen_form[fk]}')
        seen_form[fk] = n
        if r['id'] not in ents:
            raise DataError(f'{src}:{n}: id {r["id"]!r} not in entities.tsv')
        if r['lang'] not in ('ru', 'en'):
            raise DataError(f'{src}:{n}: lang {r["lang"]!r}')
        if r['via'] not in VIAS:
            raise DataError(f'{src}:{n}: via {r["via"]!r}')
        kind = ents[r['id']]['kind']
        if (r['via'] in PERSON_VIAS) != (kind == 'person'):
            raise DataError(f'{src}:{n}: via {r["via"]} does not fit kind {kind}')
        d = r['decline']
        if not (d in ('yes', 'no') or re.fullmatch(r'[ikn]+', d)):
            raise DataError(f'{src}:{n}: decline {d!r} (yes, no, or a mask of i/k/n)')
        if r['lang'] == 'en' and d != 'no':
            raise DataError(f'{src}:{n}: English forms are not declined (decline no)')
        if d != 'no' and r['via'] not in DECLINED_VIAS:
            raise DataError(f'{src}:{n}: via {r["via"]} takes decline no')
        if re.fullmatch(r'[ikn]+', d) and len(words_of(r['form'], r['via'])) != len(d):
            raise DataError(f'{src}:{n}: mask {d!r} has {len(d)} letters, form has '
                            f'{len(words_of(r["form"], r["via"]))} words')
        flags = [] if r['flags'] == '-' else r['flags'].split(',')
        for fl in flags:
            if fl not in MATCH_FLAGS + GEN_FLAGS:
                raise DataError(f'{src}:{n}: flag {fl!r}')
        if 'fem' in flags and kind != 'person':
            raise DataError(f'{src}:{n}: flag fem is for people only')
        form = r['form']
        if not form or form != form.strip() or '  ' in form:
            raise DataError(f'{src}:{n}: bad spacing in form {form!r}')
        if r['lang'] == 'en' and CYR.search(form):
            raise DataError(f'{src}:{n}: Cyrillic in an English form')
        if r['lang'] == 'ru' and d != 'no' and not CYR.search(form):
            raise DataError(f'{src}:{n}: a declined Russian form without Cyrillic')
        names.append((n, dict(r, flags=flags)))

    return names


def check_languages(ents, names):
    have = defaultdict(set)
    for _, r in names:
        have[r['id']].add(r['lang'])
    for i in ents:
        for lang in ('ru', 'en'):
            if lang not in have[i]:
                raise DataError(f'entity {i}: no {lang} form in names.tsv')


def load(dirpath):
    """entities.tsv + names.tsv of a folder, checked."""
    ents = check_entities(read_tsv(os.path.join(dirpath, 'entities.tsv'), ENTITY_COLUMNS))
    names = check_names(read_tsv(os.path.join(dirpath, 'names.tsv'), NAME_COLUMNS), ents)
    check_languages(ents, names)
    return ents, names


USER_COLUMNS = ('id', 'kind', 'name', 'lang', 'form', 'via', 'decline', 'flags')


def load_user(path):
    """A user's single-file list (USER_COLUMNS), checked. `name` may be left
    empty on all but one line of an id."""
    rows = read_tsv(path, USER_COLUMNS)
    ents, first = {}, {}
    for n, r in rows:
        e = ents.get(r['id'])
        if e is None:
            ents[r['id']] = e = {'id': r['id'], 'kind': r['kind'], 'name_en': '', 'name_ru': '',
                                 'country': '', 'note': ''}
            first[r['id']] = n
        elif e['kind'] != r['kind']:
            raise DataError(f'{path}:{n}: kind {r["kind"]!r} differs from line {first[r["id"]]}')
        if r['name']:
            if e['name_en'] and e['name_en'] != r['name']:
                raise DataError(f'{path}:{n}: name {r["name"]!r} differs from {e["name_en"]!r}')
            e['name_en'] = e['name_ru'] = r['name']
    ents = check_entities([(first[i], e) for i, e in ents.items()], path, user=True)
    names = check_names([(n, {c: r[c] for c in NAME_COLUMNS}) for n, r in rows], ents, path)
    return ents, names




# ---------------------------------------------------------------- text helpers

SEP = re.compile(r'( — | - |\s+|-)')
INITIALS = re.compile(r'^((?:[А-ЯЁ][а-яё]?\.(?:-[А-ЯЁ][а-яё]?\.)?)+)(.+)$')


def split_words(text):
    """Split into words and separators: [w0, s0, w1, s1, ..., wn]."""
    parts = SEP.split(text)
    return parts


def words_of(form, via):
    if via == 'initials':
        m = INITIALS.match(form)
        if m:
            form = m.group(2)
    return split_words(form)[0::2]


def fold(s):
    return s.replace('ё', 'е').replace('Ё', 'Е')


def like(template, word):
    """Give `word` (an inflected form, lower case) the capitalisation of
    `template` (the written nominative): letter by letter over the common
    stem, so «д'Ивуар» gives «д'Ивуара» and «СовБез» gives «СовБеза»."""
    if template.isupper() and len(template) > 1:
        return word.upper()
    out = []
    for i, ch in enumerate(word):
        t = template[i] if i < len(template) else ''
        out.append(t if t and t.lower() == ch.lower() else ch)
    return ''.join(out)


def apostrophe_variants(s):
    out = {s}
    if "'" in s:
        out.add(s.replace("'", '’'))
    if '’' in s:
        out.add(s.replace('’', "'"))
    return out


# ---------------------------------------------------------------- rules

VOWELS = 'аеёиоуыэюя'
HUSH = 'жшчщц'
VELAR_HUSH = 'гкхжшчщ'


def adj_forms(stem_word):
    """Full adjective paradigm by rule: {(gender|plur, case): form}; animate
    masculine and plural accusative are the genitive (people), inanimate the
    nominative; both are returned as ('masc','accs_anim') etc."""
    w = stem_word.lower()
    if w.endswith(('ий', 'ый', 'ой')):
        stem, end = w[:-2], w[-2:]
    elif w.endswith(('ая', 'яя')):
        stem, end = w[:-2], 'ый'
        if stem[-1:] in VELAR_HUSH:
            end = 'ий'
    else:
        return None
    soft = end == 'ий' and stem[-1:] == 'н'       # синий
    velar = stem[-1:] in 'гкх'
    hush = stem[-1:] in 'жшчщ'
    if soft:
        m = ['ий', 'его', 'ему', 'им', 'ем']
        f = ['яя', 'ей', 'ей', 'юю', 'ей', 'ей']
        nt = 'ее'
        p = ['ие', 'их', 'им', 'ими', 'их']
    else:
        i = 'и' if (velar or hush) else 'ы'
        o_unstr = 'е' if hush else 'о'
        m = [end if end != 'ой' else 'ой', 'ого' if not hush else 'его', 'ому' if not hush else 'ему',
             i + 'м', 'ом' if not hush else 'ем']
        if end == 'ой':
            m = ['ой', 'ого', 'ому', i + 'м', 'ом']
        f = ['ая', 'ой' if not hush else 'ей', 'ой' if not hush else 'ей', 'ую',
             'ой' if not hush else 'ей', 'ой' if not hush else 'ей']
        nt = 'ое' if not hush else 'ее'
        p = [i + 'е', i + 'х', i + 'м', i + 'ми', i + 'х']
        del o_unstr
    out = {}
    # masc: nomn gent datv ablt loct
    for c, e in zip(('nomn', 'gent', 'datv', 'ablt', 'loct'), m):
        out[('masc', c)] = stem + e
    out[('masc', 'accs_inan')] = out[('masc', 'nomn')]
    out[('masc', 'accs_anim')] = out[('masc', 'gent')]
    for c, e in zip(('nomn', 'gent', 'datv', 'accs', 'ablt', 'loct'), f):
        out[('femn', c)] = stem + e
    out[('neut', 'nomn')] = stem + nt
    out[('neut', 'accs')] = stem + nt
    for c in ('gent', 'datv', 'ablt', 'loct'):
        out[('neut', c)] = out[('masc', c)]
    for c, e in zip(('nomn', 'gent', 'datv', 'ablt', 'loct'), p):
        out[('plur', c)] = stem + e
    out[('plur', 'accs_inan')] = out[('plur', 'nomn')]
    out[('plur', 'accs_anim')] = out[('plur', 'gent')]
    return out


# Surnames in -ов/-ев/-ин/-ын take the Russian possessive declension
# (Путиным, Захаровой) for people from these countries; elsewhere they are
# ordinary nouns (Остином, not Остиным).
SLAVIC_SURNAME_COUNTRIES = {'RU', 'BY', 'UA', 'KZ', 'KG', 'TJ', 'TM', 'UZ', 'AZ', 'AM', 'MD', 'GE',
                            'BG', 'XAB', 'XSO', 'XTR'}


def noun_rule(word, gender, animate, role='noun', slavic=True):
    """Singular case forms of a noun or name by rule. role: 'given', 'surname',
    'patronymic', 'noun'. Returns {case: form} (lower case) or None when the word
    is indeclinable."""
    w = word.lower()
    last = w[-1:]
    out = {'nomn': w}

    def put(gen, dat, acc, ins, loc):
        out.update(gent=gen, datv=dat, accs=acc, ablt=ins, loct=loc)
        return out

    if role == 'patronymic':
        if w.endswith('ич'):
            return put(w + 'а', w + 'у', w + 'а', w + 'ем', w + 'е')
        if w.endswith('на'):
            s = w[:-1]
            return put(s + 'ы', s + 'е', s + 'у', s + 'ой', s + 'е')
        return None

    if role == 'surname':
        if w.endswith(('ых', 'их')):
            return None
        if slavic and gender == 'masc' and re.search(r'(ов|ев|ёв|ин|ын)$', w):
            return put(w + 'а', w + 'у', w + 'а', w + 'ым', w + 'е')
        if slavic and gender == 'femn' and re.search(r'(ова|ева|ёва|ина|ына)$', w):
            s = w[:-1]
            return put(s + 'ой', s + 'ой', s + 'у', s + 'ой', s + 'ой')
        if gender == 'masc' and re.search(r'[^аеёиоуыэюя](ий|ый|ой)$', w):
            a = adj_forms(w)
            return put(a[('masc', 'gent')], a[('masc', 'datv')], a[('masc', 'accs_anim')],
                       a[('masc', 'ablt')], a[('masc', 'loct')])
        if gender == 'femn' and re.search(r'(ая|яя)$', w):
            a = adj_forms(w)
            return put(*(a[('femn', c)] for c in ('gent', 'datv', 'accs', 'ablt', 'loct')))

    # first declension: -а / -я (both genders)
    if last == 'а' and len(w) > 1 and w[-2] not in VOWELS:
        s = w[:-1]
        gen = s + ('и' if s[-1] in VELAR_HUSH else 'ы')
        ins = s + ('ей' if s[-1] in HUSH else 'ой')
        return put(gen, s + 'е', s + 'у', ins, s + 'е')
    if last == 'я' and len(w) > 1:
        s = w[:-1]
        if s.endswith('и'):
            return put(s + 'и', s + 'и', s + 'ю', s + 'ей', s + 'и')
        if s[-1] in VOWELS:          # -ая, -ея, -уя: Кая → Каи
            return put(s + 'и', s + 'е', s + 'ю', s + 'ей', s + 'е')
        return put(s + 'и', s + 'е', s + 'ю', s + 'ей', s + 'е')
    if gender == 'femn':
        return None                  # feminine consonant or vowel ending: indeclinable
    if last in VOWELS:
        return None                  # Моди, Шойгу, Лукашенко, Мелони
    acc_same = not animate
    if w.endswith('ий'):
        s = w[:-1]
        return put(s + 'я', s + 'ю', w if acc_same else s + 'я', s + 'ем', s + 'и')
    if last in 'йь':
        s = w[:-1]
        return put(s + 'я', s + 'ю', w if acc_same else s + 'я', s + 'ем', s + 'е')
    ins = w + ('ем' if last in HUSH else 'ом')
    return put(w + 'а', w + 'у', w if acc_same else w + 'а', ins, w + 'е')


# ---------------------------------------------------------------- pymorphy

def parses(word):
    return MORPH.parse(word.lower())


def known_noun_parse(word, prefer_geox=True, animate=None, gender=None, tag=None):
    """A dictionary NOUN parse of `word` as given in the nominative."""
    best = None
    for p in parses(word):
        t = p.tag
        if t.POS != 'NOUN' or t.case != 'nomn' or not p.is_known:
            continue
        if tag and tag not in t:
            continue
        if gender and t.gender != gender:
            continue
        if animate is not None and (t.animacy == 'anim') != animate:
            continue
        if 'Fixd' in t:
            continue
        score = (('Geox' in t) if prefer_geox else 0, p.score)
        if best is None or score > best[0]:
            best = (score, p)
    return best[1] if best else None


# pymorphy3 ranks «большая» as a form of «больший» (bigger) first; the names
# here («Большая двадцатка») mean «большой».
AVOID_ADJ_LEMMAS = {'больший'}


def known_adj_parse(word):
    best = None
    for p in parses(word):
        t = p.tag
        if t.POS in ('ADJF', 'PRTF') and t.case == 'nomn' and p.is_known:
            key = (p.normal_form not in AVOID_ADJ_LEMMAS, p.score)
            if best is None or key > best[0]:
                best = (key, p)
    return best[1] if best else None


def agrees(adj, word):
    """Does adjective parse `adj` agree with some nominative noun parse of `word`?"""
    for p in parses(word):
        t = p.tag
        if t.POS != 'NOUN' or t.case != 'nomn':
            continue
        if adj.tag.number == 'plur':
            if t.number == 'plur':
                return True
        elif t.number == 'sing' and (t.gender is None or 'ms-f' in t or t.gender == adj.tag.gender):
            return True
    return False


def guessed_adj_parse(word):
    for p in parses(word):
        t = p.tag
        if t.POS in ('ADJF', 'PRTF') and t.case == 'nomn':
            return p
    return None


def inflect(p, grammemes):
    r = p.inflect(set(grammemes))
    return r.word if r else None


def noun_forms(word, number=None, animate=False, log=''):
    """Case forms of one noun: {case: form}; None if indeclinable."""
    p = known_noun_parse(word)
    if p is not None:
        num = number or p.tag.number or 'sing'
        out = {}
        for c in CASES:
            f = inflect(p, {c, num})
            if f is None:
                break
            out[c] = f
        else:
            if not animate and p.tag.animacy == 'anim' and (num == 'plur' or p.tag.gender == 'masc'):
                out['accs'] = out['nomn']     # «Сент-Винсент» is a place here, not a man
            return out, num, p
    w = word.lower()
    if re.search(r'(ов|ев|ин)ы$', w):
        # plural possessive adjective: «Сандвичевы острова»
        s = w[:-1]
        r = dict(nomn=w, gent=s + 'ых', datv=s + 'ым', accs=w, ablt=s + 'ыми', loct=s + 'ых')
        RULE_LOG.append((log, word, 'poss-plural-rule', r['gent']))
        return r, 'plur', None
    if number != 'sing' and re.search(r'[^аеёиоуыэюяй]ы$', w):
        # plural-only name by rule: «Фолкленды»
        s = w[:-1]
        r = dict(nomn=w, gent=s + 'ов', datv=s + 'ам', accs=w, ablt=s + 'ами', loct=s + 'ах')
        RULE_LOG.append((log, word, 'plural-rule', r['gent']))
        return r, 'plur', None
    g = 'femn' if w[-1:] in 'ая' else 'masc'
    r = noun_rule(word, g, animate)
    RULE_LOG.append((log, word, 'noun-rule', r and r.get('gent')))
    return r, 'sing', None


def adj_phrase_form(p, case, number, gender, animate):
    g = {case}
    if number == 'plur':
        g.add('plur')
    else:
        g.add(gender or p.tag.gender or 'masc')
    if case == 'accs' and (number == 'plur' or (gender or p.tag.gender) == 'masc'):
        g.add('anim' if animate else 'inan')
    f = inflect(p, g)
    if f is None and case == 'accs':
        f = inflect(p, g - {'anim', 'inan'})
    return f


# ---------------------------------------------------------------- expanders

def expand_phrase(form, mask):
    """Case forms of a name or official name: list of strings (6, or fewer if
    some coincide)."""
    parts = split_words(form)
    words = parts[0::2]
    n = len(words)
    plan = ['k'] * n          # per word: 'k' keep, 'a' adjective, 'h' head noun, 'n' rule noun
    if mask == 'yes':
        # head detection: agreeing adjectives, then the head noun; after it, keep
        # everything except a coordinated «и» + [adjectives] noun right after it.
        # Hyphenated compounds (Коста-Рика, Народно-Демократическая) inflect
        # their last part only.
        token_last = {}
        for i in range(n):
            sep_after = parts[2 * i + 1] if 2 * i + 1 < len(parts) else ' '
            token_last[i] = sep_after != '-'
        inflectable = [token_last[i] for i in range(n)]   # only last part of a hyphenated token

        def walk(i):
            # returns index after the head, or None
            while i < n:
                if not inflectable[i]:
                    i += 1
                    continue
                w = words[i]
                if w.isupper() and len(w) > 1:
                    return None
                if w == 'и' and i > 0 and plan[i - 1] == 'a':
                    i += 1               # «Продовольственная и сельскохозяйственная организация»
                    continue
                noun = known_noun_parse(w)
                adj = known_adj_parse(w) or (None if noun else guessed_adj_parse(w))
                nxt = next((j for j in range(i + 1, n) if inflectable[j]), None)
                if nxt is not None and re.search(r'(ов|ев|ин)ы$', w.lower()) and any(
                        q.tag.POS == 'NOUN' and q.tag.case == 'nomn' and q.tag.number == 'plur'
                        for q in parses(words[nxt])):
                    plan[i] = 'p'        # «Каймановы острова»: possessive adjective by rule
                    i += 1
                    continue
                if adj is not None and nxt is not None and agrees(adj, words[nxt]):
                    plan[i] = 'a'        # «Великое Герцогство», though «Великое» is also a place
                    i += 1
                    continue
                if noun is not None and 'Geox' in noun.tag:
                    plan[i] = 'h'
                    return i + 1
                if adj is not None and i < n - 1 and not (noun and noun.score > adj.score):
                    plan[i] = 'a'
                    i += 1
                    continue
                plan[i] = 'h'
                return i + 1
            return None

        after = walk(0)
        if after is not None and after < n - 1 and words[after] == 'и' and parts[2 * after - 1] == ' ':
            save = plan[:]
            if walk(after + 1) is None:
                plan[:] = save
    else:
        for i, ch in enumerate(mask):
            plan[i] = {'k': 'k', 'i': 'i', 'n': 'n'}[ch]

    # analyse the words to inflect
    infos = {}
    head_num, head_gender = 'sing', None
    for i, step in enumerate(plan):
        w = words[i]
        if step == 'p':
            low = w.lower()
            infos[i] = ('forms', dict(nomn=low, gent=low[:-1] + 'ых', datv=low[:-1] + 'ым', accs=low,
                                      ablt=low[:-1] + 'ыми', loct=low[:-1] + 'ых'))
            continue
        if step == 'h' or (step == 'i' and not known_adj_parse(w)) or step == 'n':
            if step == 'n':
                g = 'femn' if w.lower()[-1:] in 'ая' else 'masc'
                r = noun_rule(w, g, False)
                infos[i] = ('forms', r)
                continue
            forms, num, p = noun_forms(w, log=form)
            infos[i] = ('forms', forms)
            if step == 'h' or head_gender is None:
                head_num = num
                head_gender = p.tag.gender if p is not None else None
    for i, step in enumerate(plan):
        w = words[i]
        if step == 'a' or (step == 'i' and known_adj_parse(w)):
            p = known_adj_parse(w) or guessed_adj_parse(w)
            if not p.is_known:
                RULE_LOG.append((form, w, 'adj-guess', p.normal_form))
            infos[i] = ('adj', p)

    out = []
    for c in CASES:
        res = []
        for i in range(n):
            w = words[i]
            info = infos.get(i)
            if info is None:
                res.append(w)
            elif info[0] == 'forms':
                forms = info[1]
                res.append(like(w, forms[c]) if forms else w)
            else:
                p = info[1]
                num = p.tag.number if plan[i] == 'i' else head_num
                g = p.tag.gender if plan[i] == 'i' else (head_gender or p.tag.gender)
                f = adj_phrase_form(p, c, num or 'sing', g, False)
                if f is None:
                    raise DataError(f'cannot inflect {w!r} in {form!r} to {c}')
                res.append(like(w, f))
        s = ''.join(x for pair in zip(res, parts[1::2] + ['']) for x in pair)
        out.append(s)
    return out


def expand_adjective(form):
    """Every full form of an adjective (all genders, numbers, cases)."""
    head, sep, last = form.rpartition('-')
    prefix = head + sep
    p = None
    for q in parses(last):
        if q.tag.POS == 'ADJF' and q.tag.case == 'nomn' and q.normal_form == last.lower():
            if p is None or (q.is_known and not p.is_known):
                p = q
    forms = set()
    rule = adj_forms(last)
    if p is not None and p.is_known:
        for q in p.lexeme:
            t = q.tag
            if t.POS != 'ADJF' or 'Supr' in t or 'Cmp2' in t:
                continue
            forms.add(q.word)
        if rule and not set(rule.values()) <= forms:
            missing = sorted(set(rule.values()) - forms)
            RULE_LOG.append((form, last, 'adj-dict-vs-rule', ' '.join(missing)))
    else:
        if rule is None:
            raise DataError(f'adjective {form!r}: unknown word with no -ий/-ый/-ой ending')
        forms = set(rule.values())
        RULE_LOG.append((form, last, 'adj-rule', rule[('masc', 'gent')]))
    return sorted(prefix + like(last, f) for f in forms)


def expand_demonym(form):
    """Singular and plural case forms of a demonym (animate noun)."""
    p = None
    for q in parses(form):
        t = q.tag
        if t.POS == 'NOUN' and t.case == 'nomn' and t.number == 'sing' and 'Fixd' not in t:
            if p is None or (q.is_known and not p.is_known):
                p = q
    if p is None:
        a = known_adj_parse(form)      # substantivised adjective: русский
        if a is not None:
            return [like(form, f) for f in set(adj_forms(form).values())]
        raise DataError(f'demonym {form!r}: no singular noun parse')
    if not p.is_known:
        RULE_LOG.append((form, form, 'demonym-guess', inflect(p, {'plur', 'nomn'})))
    out = set()
    for num in ('sing', 'plur'):
        for c in CASES:
            f = inflect(p, {c, num})
            if f:
                out.add(like(form, f))
    return sorted(out)


PATR_RE = re.compile(r'(вич|вна|чна|ична)$')


def person_word_forms(word, role, gender, mask_letter, log, slavic):
    """{case: form} for one word of a person's name; None = unchanged."""
    if mask_letter == 'k':
        return None
    if mask_letter == 'n':
        r = noun_rule(word, gender, True, 'given')
        return r
    # adjectives inside a name: «наследный принц»
    a = known_adj_parse(word) if word[:1].islower() else None
    if a is not None and role != 'surname' and not known_noun_parse(word, animate=True):
        return {c: adj_phrase_form(a, c, 'sing', gender, True) for c in CASES}
    if role in ('given', 'patronymic'):
        tag = 'Name' if role == 'given' else 'Patr'
        p = known_noun_parse(word, prefer_geox=False, gender=gender, tag=tag)
        if p is not None and p.normal_form == word.lower():
            out = {}
            for c in CASES:
                f = inflect(p, {c, 'sing'})
                if not f:
                    break
                out[c] = f
            else:
                return out
    r = noun_rule(word, gender, True, role, slavic)
    if role != 'surname':
        RULE_LOG.append((log, word, role + '-rule', r and r.get('gent')))
    return r


def expand_person(form, mask, gender, via, country):
    init = ''
    rest = form
    if via == 'initials':
        m = INITIALS.match(form)
        if not m:
            raise DataError(f'initials form {form!r} does not start with initials')
        init, rest = m.group(1), m.group(2)
    parts = split_words(rest)
    words = parts[0::2]
    n = len(words)
    seps = parts[1::2]
    # hyphenated token: only its last part declines unless a mask says otherwise
    roles = []
    for i, w in enumerate(words):
        if via in ('surname', 'initials') or i == n - 1:
            roles.append('surname')
        elif PATR_RE.search(w):
            roles.append('patronymic')
        else:
            roles.append('given')
    if mask == 'yes':
        letters = []
        for i in range(n):
            hyph_next = i < n - 1 and seps[i] == '-'
            letters.append('k' if hyph_next else 'i')
    else:
        letters = list(mask)
    # a hyphenated surname part before the last («Амир-») stays, handled by letters
    # a user's list gives no country: take the Russian declension then
    slavic = country in SLAVIC_SURNAME_COUNTRIES or not country
    wf = [person_word_forms(w, roles[i], gender, letters[i], form, slavic) for i, w in enumerate(words)]
    out = []
    for c in CASES:
        res = [like(w, f[c]) if f else w for w, f in zip(words, wf)]
        body = ''.join(x for pair in zip(res, seps + ['']) for x in pair)
        if via != 'initials':
            out.append(body)
        else:
            spaced = init.replace('.', '. ').replace('. -', '.-').strip()
            out.append(init + body)                    # С.В.Лавров
            out.append(spaced + ' ' + body)            # С. В. Лавров
            out.append(init + ' ' + body)              # С.В. Лавров
            if len(words) == 1:
                out.append(body + ' ' + init)          # Лавров С.В.
                out.append(body + ' ' + spaced)        # Лавров С. В.
    return out


def expand(row, gender, country=''):
    form, lang, via, dec = row['form'], row['lang'], row['via'], row['decline']
    if lang == 'en' or dec == 'no':
        if via == 'initials':
            return expand_person(form, 'k' * len(words_of(form, via)), gender, via, country)
        return [form]
    if via == 'adjective':
        return expand_adjective(form)
    if via == 'demonym':
        return expand_demonym(form)
    if via in PERSON_VIAS:
        return expand_person(form, dec, gender, via, country)
    return expand_phrase(form, dec)


# ---------------------------------------------------------------- main

def build(ents, names, src='names.tsv'):
    """Expand every source form: (rows of aliases.tsv, per-via source counts)."""
    fem = {r['id'] for _, r in names if 'fem' in r['flags']}
    table = {}          # (alias, id) -> (prio, lang, via, flags)
    per_via_src = Counter()
    for n, r in names:
        per_via_src[r['via']] += 1
        gender = 'femn' if r['id'] in fem else 'masc'
        country = ents[r['id']]['country']
        try:
            forms = expand(r, gender, country)
        except DataError as e:
            raise DataError(f'{src}:{n}: {e}')
        flags = ','.join(f for f in MATCH_FLAGS if f in r['flags']) or '-'
        prio = VIA_PRIORITY[r['via']]
        for f in forms:
            for a in apostrophe_variants(fold(f)):
                key = (a, r['id'])
                cur = table.get(key)
                val = (prio, r['lang'], r['via'], flags)
                if cur is None or val < cur:
                    table[key] = val
    rows = sorted(((a, v[1], i, v[2], v[3]) for (a, i), v in table.items()),
                  key=lambda x: (x[0].lower(), x[0], x[2]))
    return rows, per_via_src


def render(rows):
    lines = ['\t'.join(ALIAS_COLUMNS)]
    lines += ['\t'.join(r) for r in rows]
    return '\n'.join(lines) + '\n'


SPOT_CHECKS = [
    # (alias as it may appear in text, id, via or None)
    ('Лаврова', 'lavrov', 'surname'),
    ('Сергеем Лавровым', 'lavrov', 'fullname'),
    ('С.В.Лаврова', 'lavrov', 'initials'),
    ('Казахстане', 'KZ', 'name'),
    ('Соединённых Штатов Америки', 'US', 'official'),
    ('Соединенных Штатов Америки', 'US', 'official'),
    ('российско', 'RU', 'adjective_prefix'),
    ('ШОС', 'sco', 'abbr'),
    ('россиянами', 'RU', 'demonym'),
    ('Марией Захаровой', 'zakharova', 'fullname'),
    ('Захаровой', 'zakharova', 'surname'),
    ('Российской Федерации', 'RU', 'official'),
    ('Шанхайской организации сотрудничества', 'sco', 'official'),
    ('Организацией Объединённых Наций', 'un', 'official'),
    ('Объединённых Арабских Эмиратов', 'AE', 'name'),
    ('Нидерландов', 'NL', 'name'),
    ('Боснии и Герцеговине', 'BA', 'name'),
    ('Гвинеи-Бисау', 'GW', 'name'),
    ('Кот-д\'Ивуаре', 'CI', 'name'),
    ('Республике Казахстан', 'KZ', 'official'),
    ('Киргизской Республикой', 'KG', 'official'),
    ('Корейской Народно-Демократической Республики', 'KP', 'official'),
    ('Касым-Жомарта Токаева', 'tokayev', 'fullname'),
    ('К.-Ж.Токаевым', 'tokayev', 'initials'),
    ('Гутерриша', 'guterres', 'surname'),
    ('Эрдоганом', 'erdogan', 'surname'),
    ('Шольцем', 'scholz', 'surname'),
    ('Эммануэлем Макроном', 'macron', 'fullname'),
    ('Зеленского', 'zelensky', 'surname'),
    ('Кулебой', 'kuleba', 'surname'),
    ('Сибиги', 'sybiha', 'surname'),
    ('Небензи', 'nebenzya', 'surname'),
    ('Пашиняном', 'pashinyan', 'surname'),
    ('Мирзиёевым', 'mirziyoyev', 'surname'),
    ('Ильхаму Алиеву', 'aliyev', 'fullname'),
    ('Урсулы фон дер Ляйен', 'von_der_leyen', 'fullname'),
    ('Каи Каллас', 'kallas', 'fullname'),
    ('Франка-Вальтера Штайнмайера', 'steinmeier', 'fullname'),
    ('Петра Порошенко', 'poroshenko', 'fullname'),
    ('Луиса Инасиу Лулы да Силвы', 'lula', 'fullname'),
    ('Мухаммеда бен Сальмана', 'mohammed_bin_salman', 'fullname'),
    ('американцами', 'US', 'demonym'),
    ('американским', 'US', 'adjective'),
    ('казахстанско', 'KZ', 'adjective_prefix'),
    ('ОДКБ', 'csto', 'abbr'),
    ('Sergei Lavrov', 'lavrov', 'fullname'),
    ('U.S.', 'US', 'abbr'),
    ('KSA', 'SA', 'abbr'),
    ('Того', 'TG', 'name'),
    ('Си Цзиньпином', None, None),          # must not exist: Chinese names do not decline
]
SPOT_ABSENT = [
    # (alias, id): the alias must not name this id
    ('Захаровым', 'zakharova'),              # a woman's surname takes feminine endings only
    ('Лавровой', 'lavrov'),
    ('Си Цзиньпина', 'xi_jinping'),          # Chinese names are not declined
    ('Ваном И', 'wang_yi'),
    ('Тоги', 'TG'),                          # Того is indeclinable
    ('Перуа', 'PE'),
]


def spot_check(rows):
    idx = defaultdict(dict)
    for a, lang, i, via, flags in rows:
        idx[a.lower()][i] = via
    fails = []
    for alias, i, via in SPOT_CHECKS:
        got = idx.get(fold(alias).lower(), {})
        if i is None:
            if got:
                fails.append(f'{alias!r} should not be an alias, got {got}')
            continue
        if got.get(i) != via:
            fails.append(f'{alias!r}: want {i}/{via}, got {got or "nothing"}')
    for alias, i in SPOT_ABSENT:
        got = idx.get(fold(alias).lower(), {})
        if i in got:
            fails.append(f'{alias!r} should not name {i}')
    if fails:
        raise DataError('spot checks failed:\n  ' + '\n  '.join(fails))
    return len(SPOT_CHECKS) + len(SPOT_ABSENT)


def render_user(ents, rows):
    """A user's list with every case form written out (decline no)."""
    name = {i: e['name_en'] for i, e in ents.items()}
    out = sorted((i, ents[i]['kind'], lang, via, a, flags) for a, lang, i, via, flags in rows)
    lines = ['\t'.join(USER_COLUMNS)]
    last = None
    for i, kind, lang, via, a, flags in out:
        lines.append('\t'.join((i, kind, name[i] if i != last else '', lang, a, via, 'no', flags)))
        last = i
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dir', default=HERE)
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--verbose', action='store_true')
    ap.add_argument('--user', metavar='FILE', help='expand a single-file user list instead')
    ap.add_argument('--out', metavar='FILE', help='with --user: where to write (default: stdout)')
    args = ap.parse_args()
    try:
        if args.user:
            ents, names = load_user(args.user)
            rows, _ = build(ents, names, args.user)
        else:
            ents, names = load(args.dir)
            rows, per_via_src = build(ents, names)
            nchecks = spot_check(rows) if os.path.abspath(args.dir) == HERE else 0
    except DataError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    if args.user:
        text = render_user(ents, rows)
        if args.out:
            with open(args.out, 'w', encoding='utf-8', newline='\n') as f:
                f.write(text)
            print(f'{len(ents)} entities, {len(names)} source forms, {len(rows)} forms written to {args.out}',
                  file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    text = render(rows)
    path = os.path.join(args.dir, 'aliases.tsv')
    if args.check:
        old = open(path, encoding='utf-8').read() if os.path.exists(path) else ''
        if old != text:
            print('error: aliases.tsv is out of date; run generate.py', file=sys.stderr)
            return 1
    else:
        with open(path, 'w', encoding='utf-8', newline='\n') as f:
            f.write(text)
    kinds = Counter(r['kind'] for r in ents.values())
    print('entities: ' + ', '.join(f'{k} {kinds[k]}' for k in KINDS))
    print(f'names.tsv: {len(names)} forms; ' + ', '.join(f'{v} {per_via_src[v]}' for v in VIAS if per_via_src[v]))
    by_via = Counter(r[3] for r in rows)
    by_lang = Counter(r[1] for r in rows)
    by_kind = Counter(ents[r[2]]['kind'] for r in rows)
    print(f'aliases.tsv: {len(rows)} aliases, {len(text.encode())} bytes; '
          + ', '.join(f'{k} {by_lang[k]}' for k in ('ru', 'en')) + '; '
          + ', '.join(f'{k} {by_kind[k]}' for k in KINDS))
    print('  by via: ' + ', '.join(f'{v} {by_via[v]}' for v in VIAS if by_via[v]))
    shared = Counter(r[0].lower() for r in rows)
    print(f'  aliases (case-folded) naming more than one id: {sum(1 for c in shared.values() if c > 1)}')
    print(f'spot checks passed: {nchecks}')
    print(f'words built by fallback rules or guesses: {len(RULE_LOG)} (--verbose lists them)')
    if args.verbose:
        for log, w, kind, sample in sorted(set(RULE_LOG), key=lambda x: (x[2], x[1], x[0])):
            print(f'  {kind:18} {w:24} -> {sample}   [{log}]')
    return 0


if __name__ == '__main__':
    sys.exit(main())
