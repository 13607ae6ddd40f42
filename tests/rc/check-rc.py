#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Proves the RC table complete: every return code src/ can emit is in
# src/common/rc.c's table, and every one is named by its rc.h constant.
"""check-rc.py TOP [PATH-PREFIX...]

Reads the RC_* constants of TOP/src/common/rc.h and the entries of the table in
TOP/src/common/rc.c, then every .c and .h under TOP/src (comments and strings
blanked). An RC reaches a log line only through a value written where an RC
goes, and these are the places:

  - an RC_* constant anywhere;
  - an integer literal assigned to or compared with a variable, field or
    pointer named rc or *_rc (`rc = 402`, `*rc = 6`, `d->policy_rc != 5`,
    both arms of a ?:), or a `case` label of a switch on one;
  - an integer literal returned by a function that returns an RC: one whose
    name ends in _rc, or that returns an RC_* constant somewhere;
  - an integer literal passed as the argument of a function whose prototype
    names that parameter rc (ezd_error, conn_finish, tls_diag_refuse, ...);
  - what carries an RC there: a literal assigned to a variable passed where
    an RC goes, returned by a function whose result is assigned to an rc,
    passed where an RC goes or returned by an RC function (to a fixpoint);
  - a literal in a column of an initializer table whose other rows hold RC_
    constants.

Values flow into RCs through names (rc, *_rc), through the parameters and
results above, and through such tables; that is the convention this check
holds the code to. Its known blind spot: a literal RC in a table or struct
initializer that has no RC_ constant in the same column.

It fails when an RC so emitted is not in the table, when an rc.h constant is
not in the table, and when a literal other than 0 (no RC) stands where a
constant belongs. With PATH-PREFIXes, only findings in files under them are
reported (the table checks always run on the whole tree)."""
import os
import re
import sys

RC_NAME = re.compile(r"(?:^|_)rc$")
IDENT = re.compile(r"[A-Za-z_]\w*")
LITERAL = re.compile(r"(?<![\w.])(\d+)(?![\w.])")


def blank(text):
    """Comments, string and character literals replaced by spaces, newlines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j += 1
        else:
            out.append(c)
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", text[i:j]))
        i = j
    return "".join(out)


def match_close(s, i):
    """Index of the bracket closing the one at s[i], or len(s)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[s[i]]]
    for j in range(i + 1, len(s)):
        if s[j] in pairs:
            stack.append(pairs[s[j]])
        elif stack and s[j] == stack[-1]:
            stack.pop()
            if not stack:
                return j
    return len(s)


def expr_end(s, i, stops):
    """End of the expression starting at s[i]: the first stop at depth 0."""
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return j
            depth -= 1
        elif depth == 0 and any(s.startswith(t, j) for t in stops):
            return j
        j += 1
    return j


def value_literals(s, start, end):
    """Positive literals of s[start:end] that are values of the expression:
    the whole of it or an arm of ?:, not arguments of calls or indexes in it."""
    found, j = [], start
    while j < end:
        c, before = s[j], s[start:j].rstrip()
        if c == "[" or (c == "(" and before and (before[-1].isalnum() or before[-1] == "_")):
            j = match_close(s, j) + 1  # a call's arguments or an index
            continue
        m = LITERAL.match(s, j)
        if not m or (j > start and (s[j - 1].isalnum() or s[j - 1] in "_.")):
            j += 1
            continue
        after = s[m.end():end].lstrip()
        unary_minus = before.endswith("-") and not before.endswith("--")
        operand = (not before or before[-1] in "(?:=") and (not after or after[0] in "):?;,")
        if int(m.group(1)) != 0 and not unary_minus and operand:
            found.append((j, int(m.group(1))))
        j = m.end()
    return found


class Checker:
    def __init__(self, top, only):
        self.top = top
        self.only = only
        self.problems = []
        self.emitted = {}  # rc -> first "path:line" that emits it

    def problem(self, path, line, msg):
        if not self.only or any(path.startswith(p) for p in self.only):
            self.problems.append("%s:%d: %s" % (path, line, msg))

    def read(self, rel):
        with open(os.path.join(self.top, rel), encoding="utf-8", errors="replace") as f:
            return f.read()

    def load_table(self):
        self.consts, where = {}, {}
        h = blank(self.read("src/common/rc.h"))
        for m in re.finditer(r"\b(RC_\w+)\s*=\s*(\d+)", h):
            where[m.group(1)] = h.count("\n", 0, m.start()) + 1
            if m.group(1) in self.consts:
                self.problem("src/common/rc.h", where[m.group(1)], "%s defined twice" % m.group(1))
            self.consts[m.group(1)] = int(m.group(2))
        self.by_value = {}
        for name, v in self.consts.items():
            if v in self.by_value:
                self.problem("src/common/rc.h", where[name], "%s and %s are both %d" %
                             (self.by_value[v], name, v))
            self.by_value.setdefault(v, name)
        text = blank(self.read("src/common/rc.c"))
        m = re.search(r"rc_tab\s*\[\s*\]\s*=\s*\{", text)
        if not m:
            sys.exit("check-rc: no rc_tab[] in src/common/rc.c")
        body = text[m.end():match_close(text, m.end() - 1)]
        self.table = set()
        for e in re.finditer(r"\{\s*([^,\s]+)\s*,", body):
            line = text.count("\n", 0, m.end() + e.start()) + 1
            tok = e.group(1)
            if tok in self.consts:
                v = self.consts[tok]
            elif tok.isdigit():
                v = int(tok)
                self.problem("src/common/rc.c", line, "table entry %d: use %s" %
                             (v, self.by_value.get(v, "an RC_ constant from rc.h")))
            else:
                self.problem("src/common/rc.c", line, "table entry %s is not an rc.h constant" % tok)
                continue
            if v in self.table:
                self.problem("src/common/rc.c", line, "RC %d is in the table twice" % v)
            self.table.add(v)
        for name, v in sorted(self.consts.items(), key=lambda kv: kv[1]):
            if v not in self.table:
                self.problem("src/common/rc.h", where[name],
                             "%s (%d) is not in the table of src/common/rc.c" %
                             (name, v))

    def sources(self):
        for d, dirs, files in os.walk(os.path.join(self.top, "src")):
            dirs.sort()
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    rel = os.path.relpath(os.path.join(d, f), self.top)
                    yield rel, blank(self.read(rel))

    def rc_params(self, files):
        """Function name -> index of its int parameter named like rc."""
        params = {}
        for _, s in files:
            for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(([^()]*)\)\s*[;{]", s):
                for k, p in enumerate(m.group(2).split(",")):
                    words = IDENT.findall(p)
                    if len(words) >= 2 and "int" in words[:-1] and "*" not in p \
                            and RC_NAME.search(words[-1]):
                        params[m.group(1)] = k
        return params

    def literal(self, path, s, pos, v, where):
        line = s.count("\n", 0, pos) + 1
        if v in self.by_value and v in self.table:
            self.problem(path, line, "RC %d as a literal %s: use %s" % (v, where, self.by_value[v]))
        else:
            self.problem(path, line, "RC %d as a literal %s is not in the table of "
                         "src/common/rc.c (add it to rc.h and the table)" % (v, where))
        self.emitted.setdefault(v, "%s:%d" % (path, line))

    def functions(self, s):
        """(name, body start, body end) of every function defined in s: the
        style puts the opening brace of a definition alone at a line start."""
        for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\([^;{}]*\)\s*\n\{", s):
            yield m.group(1), m.end() - 1, match_close(s, m.end() - 1) + 1

    def rc_args(self, s, lo, hi):
        """(start, end) of every argument in s[lo:hi] passed where an RC goes."""
        for m in re.compile(r"\b([A-Za-z_]\w*)\s*\(").finditer(s, lo, hi):
            k = self.params.get(m.group(1))
            if k is None:
                continue
            close = match_close(s, m.end() - 1)
            a, i = m.end(), 0
            while a < close:
                e = min(expr_end(s, a, (",",)), close)
                if i == k:
                    yield a, e
                a, i = e + 1, i + 1

    def rc_assignments(self, s, lo, hi, names=None, members=False):
        """(name, value start, value end) of every assignment in s[lo:hi] to an
        rc-named identifier, or else to one of 'names': fields if 'members',
        else plain variables."""
        for m in re.compile(r"\b([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)?=(?!=)").finditer(s, lo, hi):
            n = m.group(1)
            if names is None:
                hit = RC_NAME.search(n) and not n.isupper()
            else:
                k = m.start() - 1
                while k >= 0 and s[k].isspace():
                    k -= 1
                member = k >= 0 and s[k] in ".>"
                hit = n in names and member == members
            if hit:
                yield n, m.end(), expr_end(s, m.end(), (";", ","))

    def returns(self, s, lo, hi):
        for r in re.compile(r"\breturn\b").finditer(s, lo, hi):
            yield r.end(), expr_end(s, r.end(), (";",))

    def value_names(self, s, start, end):
        """Calls, variables and fields whose value is the expression's (the whole
        of it, or an arm of ?:): ('call', f), ('var', v) or ('field', f)."""
        chain = re.compile(r"[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*")
        j = start
        while j < end:
            m = chain.match(s, j) if s[j].isalpha() or s[j] == "_" else None
            if not m:
                j += 1
                continue
            names = IDENT.findall(m.group(0))
            after_at = m.end()
            call = s[after_at:end].lstrip().startswith("(")
            if call:
                after_at = match_close(s, s.index("(", after_at)) + 1
            before = s[start:j].rstrip()
            after = s[after_at:end].lstrip()
            if (not before or before[-1] in "(?:" or
                    (before[-1] == "=" and before[-2:-1] not in ("=", "!", "<", ">"))) and \
                    (not after or after[0] in "):?;,"):
                if call:
                    yield "call", names[-1]
                elif len(names) > 1:
                    yield "field", names[-1]
                else:
                    yield "var", names[0]
            j = after_at
            while j < end and s[j] == "[":  # an index is not the value
                j = match_close(s, j) + 1

    def propagate(self, files):
        """Functions that return an RC and fields that hold one, to a fixpoint:
        what an RC is assigned from, returned from or passed from carries one."""
        self.rcfuncs, self.fields = set(), set()
        for _, s in files:
            for name, lo, hi in self.functions(s):
                if re.search(r"(?:^|_)rc$", name) or \
                        re.search(r"\breturn\b[^;]*\bRC_\w+", s[lo:hi]):
                    self.rcfuncs.add(name)
        while True:
            before = (len(self.rcfuncs), len(self.fields))
            for _, s in files:
                for name, lo, hi in self.functions(s):
                    tracked = self.tracked(s, name, lo, hi)
                    spans = [(a, b) for _, a, b in self.rc_assignments(s, lo, hi)]
                    spans += [(a, b) for _, a, b in self.rc_assignments(s, lo, hi, tracked)]
                    spans += [(a, b) for _, a, b in
                              self.rc_assignments(s, lo, hi, self.fields, members=True)]
                    spans += list(self.rc_args(s, lo, hi))
                    if name in self.rcfuncs:
                        spans += list(self.returns(s, lo, hi))
                    for a, b in spans:
                        for kind, n in self.value_names(s, a, b):
                            if kind == "call":
                                self.rcfuncs.add(n)
                            elif kind == "field" and not RC_NAME.search(n):
                                self.fields.add(n)
            if (len(self.rcfuncs), len(self.fields)) == before:
                return

    def tracked(self, s, name, lo, hi):
        """Variables of one function that carry an RC without an rc name: passed
        where an RC goes, or returned by a function returning one."""
        spans = list(self.rc_args(s, lo, hi))
        if name in self.rcfuncs:
            spans += list(self.returns(s, lo, hi))
        return {n for a, b in spans for kind, n in self.value_names(s, a, b)
                if kind == "var" and not RC_NAME.search(n) and not n.startswith("RC_")}

    def scan(self, path, s):
        # The definitions and the table emit nothing.
        for m in re.finditer(r"\bRC_\w+\b", "" if path.startswith("src/common/rc.") else s):
            line = s.count("\n", 0, m.start()) + 1
            if m.group(0) not in self.consts:
                self.problem(path, line, "%s is not an RC in src/common/rc.h" % m.group(0))
                continue
            v = self.consts[m.group(0)]
            self.emitted.setdefault(v, "%s:%d" % (path, line))
            if v not in self.table:
                self.problem(path, line, "%s (%d) is not in the table of src/common/rc.c" %
                             (m.group(0), v))
        if path == "src/common/rc.h":
            return
        for n, a, b in self.rc_assignments(s, 0, len(s)):
            for pos, v in value_literals(s, a, b):
                self.literal(path, s, pos, v, "for %s" % n)
        for n, a, b in self.rc_assignments(s, 0, len(s), self.fields, members=True):
            for pos, v in value_literals(s, a, b):
                self.literal(path, s, pos, v, "for %s, which holds an RC" % n)
        self.scan_comparisons(path, s)
        self.scan_switches(path, s)
        if path != "src/common/rc.c":  # load_table() judges the table itself
            self.scan_tables(path, s)
        for name, lo, hi in self.functions(s):
            for n, a, b in self.rc_assignments(s, lo, hi, self.tracked(s, name, lo, hi)):
                for pos, v in value_literals(s, a, b):
                    self.literal(path, s, pos, v, "for %s, which %s() uses as an RC" % (n, name))
            if name in self.rcfuncs:
                for a, b in self.returns(s, lo, hi):
                    for pos, v in value_literals(s, a, b):
                        self.literal(path, s, pos, v, "returned by %s()" % name)
        for a, b in self.rc_args(s, 0, len(s)):
            for pos, v in value_literals(s, a, b):
                self.literal(path, s, pos, v, "passed where an RC goes")

    def scan_tables(self, path, s):
        """A column of an initializer table that holds RC_ constants holds RCs:
        a literal in another row of that column is one too."""
        for m in re.finditer(r"=\s*\{", s):
            end = match_close(s, m.end() - 1)
            rows = [r for r in re.finditer(r"\{([^{}]*)\}", s[m.end():end])]
            cells = []
            for r in rows:
                a, row = m.end() + r.start(1), []
                while a < m.end() + r.end(1):
                    e = min(expr_end(s, a, (",",)), m.end() + r.end(1))
                    row.append((a, e))
                    a = e + 1
                cells.append(row)
            cols = {k for row in cells for k, (a, e) in enumerate(row)
                    if re.search(r"\bRC_\w+", s[a:e])}
            for row in cells:
                for k in cols & set(range(len(row))):
                    for pos, v in value_literals(s, *row[k]):
                        self.literal(path, s, pos, v, "in a table column of RCs")

    def scan_comparisons(self, path, s):
        for m in re.finditer(r"\b([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)?(==|!=)", s):
            if RC_NAME.search(m.group(1)) and not m.group(1).isupper():
                end = expr_end(s, m.end(), (";", ",", "&&", "||", "?"))
                for pos, v in value_literals(s, m.end(), end):
                    self.literal(path, s, pos, v, "for %s" % m.group(1))
        for m in re.finditer(r"(?<![\w.])(\d+)\s*(==|!=)\s*(?:\*|\w+(?:\.|->))*([A-Za-z_]\w*)", s):
            if RC_NAME.search(m.group(3)) and int(m.group(1)) != 0:
                self.literal(path, s, m.start(), int(m.group(1)), "for %s" % m.group(3))

    def scan_switches(self, path, s):
        for m in re.finditer(r"\bswitch\s*\(", s):
            close = match_close(s, m.end() - 1)
            if not any(RC_NAME.search(w) for w in IDENT.findall(s[m.end():close])):
                continue
            brace = s.find("{", close)
            end = match_close(s, brace)
            j = brace + 1
            while j < end:  # a nested switch is judged on its own
                n = re.compile(r"\bswitch\s*\(|\bcase\s+(\d+)\s*:").search(s, j, end)
                if not n:
                    break
                if n.group(0).startswith("switch"):
                    j = match_close(s, s.find("{", match_close(s, n.end() - 1))) + 1
                    continue
                if int(n.group(1)) != 0:
                    self.literal(path, s, n.start(1), int(n.group(1)), "in a case of a switch on an rc")
                j = n.end()

    def run(self):
        self.load_table()
        files = list(self.sources())
        self.params = self.rc_params(files)
        self.propagate(files)
        for path, s in files:
            self.scan(path, s)
        for v, where in sorted(self.emitted.items()):
            if v not in self.table:
                self.problem(where.split(":")[0], int(where.split(":")[1]),
                             "RC %d is emitted but not in the table of src/common/rc.c" % v)
        seen = set()
        for p in self.problems:
            if p not in seen:
                seen.add(p)
                print(p)
        if self.problems:
            return 1
        unused = sorted(self.table - set(self.emitted))
        print("%d RCs emitted by src/ (%d functions take an rc, %d return one), all in the "
              "table of %d%s" % (len(self.emitted), len(self.params), len(self.rcfuncs),
                                 len(self.table), "; in the table, never emitted: " +
                                 " ".join(map(str, unused)) if unused else ""))
        return 0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    top = sys.argv[1]
    return Checker(top, [p.rstrip("/") + "/" if not p.endswith((".c", ".h")) else p
                         for p in sys.argv[2:]]).run()


if __name__ == "__main__":
    sys.exit(main())
