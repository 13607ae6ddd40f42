#!/usr/bin/env python3
"""Checks src/ against the part table src/PARTS: every part is a folder and
every folder a part; the table has no cycle; each #include "..." in src/ names
a header of its own part, or a public header of a part it may use.
Usage: check-parts.py [SRCDIR]   (default: the tree this script is in)
Prints one line per violation, "file:line: ..." and exits 1; else exits 0."""
import os
import re
import sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
src = os.path.join(top, 'src')
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def load_table(path):
    parts = {}
    for n, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        cols = [c.strip() for c in line.split('|')]
        if len(cols) != 4:
            sys.exit(f'{path}:{n}: expected 4 columns separated by |')
        name, uses, public, _ = cols
        parts[name] = {
            'uses': set() if uses == '-' else set(uses.split()),
            'public': set() if public == '-' else set(public.split()),
            'line': n,
        }
    return parts


def find_cycle(parts):
    state = {}

    def visit(p, stack):
        state[p] = 1
        for q in sorted(parts[p]['uses']):
            if q not in parts:
                continue
            if state.get(q) == 1:
                return stack + [p, q]
            if not state.get(q):
                c = visit(q, stack + [p])
                if c:
                    return c
        state[p] = 2
        return None

    for p in sorted(parts):
        if not state.get(p):
            c = visit(p, [])
            if c:
                return c[c.index(c[-1]):]
    return None


def main():
    table = os.path.join(src, 'PARTS')
    parts = load_table(table)
    bad = []
    for p, d in sorted(parts.items()):
        for q in sorted(d['uses'] - set(parts)):
            bad.append(f'{table}:{d["line"]}: part {p} uses {q}, which is not a part')
        if p in d['uses']:
            bad.append(f'{table}:{d["line"]}: part {p} uses itself')
    cycle = find_cycle(parts)
    if cycle:
        bad.append(f'{table}: the parts form a cycle: {" -> ".join(cycle)}')
    for entry in sorted(os.listdir(src)):
        full = os.path.join(src, entry)
        if os.path.isdir(full) and entry not in parts:
            bad.append(f'src/{entry}/: a folder that is not a part in src/PARTS')
        elif os.path.isfile(full) and entry.endswith(('.c', '.h')):
            bad.append(f'src/{entry}: a source file outside any part')
    for p in sorted(parts):
        folder = os.path.join(src, p)
        if not os.path.isdir(folder):
            if p != 'query' or not os.path.isdir(os.path.join(top, 'include', 'attls')):
                bad.append(f'{table}:{parts[p]["line"]}: part {p} has no folder src/{p}/')
            continue
        for f in sorted(os.listdir(folder)):
            if not f.endswith(('.c', '.h')):
                continue
            rel = f'src/{p}/{f}'
            for n, line in enumerate(open(os.path.join(folder, f), errors='replace'), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                why = check_include(parts, p, folder, m.group(1))
                if why:
                    bad.append(f'{rel}:{n}: #include "{m.group(1)}": {why}')
    for b in bad:
        print(b)
    if bad:
        print(f'check-parts: {len(bad)} violation(s) of src/PARTS')
        return 1
    print(f'check-parts: {len(parts)} parts, no violation')
    return 0


def check_include(parts, p, folder, name):
    if name == 'config.h':
        return None
    if '/' not in name:
        if os.path.exists(os.path.join(folder, name)):
            return None
        return f'no {name} in src/{p}/ (another part\'s header is included as "part/{name}")'
    other, header = name.split('/', 1)
    if other == 'attls':  # the installed public header of libattlsquery
        other = 'query'
        if p == 'query':
            return None if header in parts['query']['public'] else f'{header} is not public'
    if other == p:
        return f'a header of the same part is included by bare name ("{header}")'
    if other not in parts:
        return f'{other} is not a part'
    if other not in parts[p]['uses']:
        return f'part {p} may not use part {other} (src/PARTS)'
    if header not in parts[other]['public']:
        return f'{header} is private to part {other} (public: {" ".join(sorted(parts[other]["public"])) or "none"})'
    return None


sys.exit(main())
