"""The `matches` operator: the pattern dialect analysts write, and a linear-time matcher for it.

A pattern always tests the whole text (like Python's ``re.fullmatch``). The
dialect is the regular core that Python's ``re`` and every other reader agree
on: literal characters, ``.`` (any character but a newline), classes
``[A-Z0-9]`` / ``[^...]``, groups ``( )``, alternation ``|`` and the
quantifiers ``? * + {m} {m,} {m,n} {,n}``. Everything else (backslash escapes,
anchors, ``(?...)`` groups, lazy or possessive quantifiers, stray braces or
brackets) is refused at load time by :func:`compile_pattern`, with a hint.

Why not durable_rules' own regex (DESIGN.md §4, issue 9): it reads the escaped
JSON text of a string (``é`` is ``\\u00e9``, six characters), uses ``%`` as its
escape and has its own state limits, so it disagreed with the rules as written.
Why not Python's ``re`` at run time: it backtracks, so a pattern such as
``(a|aa)*b`` could take exponential time on a caller's text. This matcher
simulates a Thompson NFA (state sets, transitions memoised per character), so
a match costs O(len(text) x pattern size) whatever the input; its answer is
the answer of ``re.fullmatch`` for the same pattern (tests/engine prove it on
generated patterns and texts).
"""
from __future__ import annotations

import threading

MAX_STATES = 4000  # NFA states after expanding {m,n}; a bigger pattern is refused at load time
_MEMO_LIMIT = 4096  # transitions kept per pattern before the memo is emptied (bounded memory)
_SPECIAL = set(".[](){}|?*+")


class PatternError(ValueError):
    """A pattern outside the dialect; ``message`` says what, ``hint`` how to write it."""

    def __init__(self, message: str, hint: str = ""):
        self.message, self.hint = message, hint
        super().__init__(message)


# ---- parsing: text -> tree ------------------------------------------------------------
# tree nodes: ("chr", pred) | ("cat", [nodes]) | ("alt", [nodes]) | ("rep", node, low, high|None)
# pred: ("lit", c) | ("dot",) | ("set", negated, frozenset(chars), ((lo, hi), ...))

class _Parser:
    def __init__(self, text: str):
        self.s, self.i = text, 0

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else None

    def parse(self):
        for i, ch in enumerate(self.s):
            if ch == "\\":
                raise PatternError("a backslash escape", "use a class instead: [0-9] for \\d, [.] for a literal dot")
            if ch == "$" or (ch == "^" and not (i > 0 and self.s[i - 1] == "[")):
                raise PatternError(f"the anchor {ch!r}", "leave anchors out: a pattern always has to match the whole text")
        node = self.alt()
        if self.i < len(self.s):
            raise PatternError(f"an unmatched {self.s[self.i]!r}", "write [)] for a literal bracket")
        return node

    def alt(self):
        items = [self.cat()]
        while self.peek() == "|":
            self.i += 1
            items.append(self.cat())
        return items[0] if len(items) == 1 else ("alt", items)

    def cat(self):
        items = []
        while self.peek() is not None and self.peek() not in "|)":
            items.append(self.repeat())
        return items[0] if len(items) == 1 else ("cat", items)

    def repeat(self):
        atom = self.atom()
        q = self.quantifier()
        if q is None:
            return atom
        if self.peek() is not None and (self.peek() in "?*+" or self._brace_quantifier_here()):
            raise PatternError("two quantifiers in a row (a lazy or possessive quantifier)",
                               "one quantifier per item: a pattern always matches the whole text, so x*? means x*")
        return ("rep", atom, q[0], q[1])

    def _brace_quantifier_here(self) -> bool:
        if self.peek() != "{":
            return False
        j = self.s.find("}", self.i)
        return j > 0 and _brace(self.s[self.i + 1:j]) is not None

    def quantifier(self):
        ch = self.peek()
        if ch == "?":
            self.i += 1
            return 0, 1
        if ch == "*":
            self.i += 1
            return 0, None
        if ch == "+":
            self.i += 1
            return 1, None
        if ch == "{":
            j = self.s.find("}", self.i)
            q = _brace(self.s[self.i + 1:j]) if j > 0 else None
            if q is None:
                raise PatternError("a '{' that is not a repeat count", "write {3}, {3,8}, {3,} or {,8}; a literal brace is [{]")
            if q[1] is not None and q[0] > q[1]:
                raise PatternError(f"the repeat count {{{q[0]},{q[1]}}} with the minimum above the maximum")
            self.i = j + 1
            return q
        return None

    def atom(self):
        ch = self.peek()
        if ch == "(":
            if self.s.startswith("(?", self.i):
                raise PatternError("a '(?' group (flags, look-around, named or atomic groups)",
                                   "plain groups ( ) and | are all the dialect has")
            self.i += 1
            node = self.alt()
            if self.peek() != ")":
                raise PatternError("a '(' without its ')'")
            self.i += 1
            return node
        if ch == "[":
            return ("chr", self.klass())
        if ch == ".":
            self.i += 1
            return ("chr", ("dot",))
        if ch in ("?", "*", "+", "{"):
            raise PatternError(f"a quantifier {ch!r} with nothing to repeat")
        if ch in ("]", "}", ")"):
            raise PatternError(f"an unmatched {ch!r}", f"write [{ch}] for a literal {ch!r}")
        self.i += 1
        return ("chr", ("lit", ch))

    def klass(self):
        start = self.i
        self.i += 1
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        singles: set[str] = set()
        ranges: list[tuple[str, str]] = []
        first = True
        while True:
            ch = self.peek()
            if ch is None:
                raise PatternError("a '[' without its ']'")
            if ch == "]" and not first:
                self.i += 1
                break
            if ch == "[":
                raise PatternError("a '[' inside a class", "write a class such as [A-Z0-9]; a literal '[' is not supported")
            nxt = self.s[self.i + 1] if self.i + 1 < len(self.s) else None
            if ch in "&~|" and nxt == ch or ch == "-" and nxt == "-":
                raise PatternError(f"{ch * 2!r} inside a class (read as a set operation by some engines)")
            if ch == "-" and not first and nxt != "]":
                raise PatternError("a '-' that is neither a range nor first or last in its class",
                                   "put a literal '-' first or last: [-A-Z] or [A-Z-]")
            if nxt == "-" and self.i + 2 < len(self.s) and self.s[self.i + 2] != "]":
                hi = self.s[self.i + 2]
                if hi in "[":
                    raise PatternError("a '[' inside a class")
                if hi < ch:
                    raise PatternError(f"the range {ch}-{hi} runs backwards", f"write {hi}-{ch}")
                ranges.append((ch, hi))
                self.i += 3
            else:
                singles.add(ch)
                self.i += 1
            first = False
        if not singles and not ranges:
            raise PatternError(f"an empty class {self.s[start:self.i]!r}")
        return ("set", negated, frozenset(singles), tuple(ranges))


def _brace(inner: str):
    low, sep, high = inner.partition(",")
    if not (low.isdigit() or low == "") or not (high.isdigit() or high == "") or (not sep and not low):
        return None
    if not all(c in "0123456789" for c in low + high):
        return None
    if not sep:
        return int(low), int(low)
    if low == "" and high == "":
        return None
    return int(low or 0), (int(high) if high else None)


# ---- the automaton ------------------------------------------------------------------------
def _test(pred):
    kind = pred[0]
    if kind == "lit":
        c = pred[1]
        return lambda x: x == c
    if kind == "dot":
        return lambda x: x != "\n"
    _, negated, singles, ranges = pred
    if negated:
        return lambda x: not (x in singles or any(lo <= x <= hi for lo, hi in ranges))
    return lambda x: x in singles or any(lo <= x <= hi for lo, hi in ranges)


class Pattern:
    """A compiled pattern: ``fullmatch(text) -> bool`` in time linear in the text. Thread-safe."""

    def __init__(self, text: str):
        self.text = text
        tree = _Parser(text).parse()
        self._tests: list = []  # per state: a char test, or None (an epsilon state)
        self._outs: list[list[int]] = []
        self._accept = self._new(None)
        self._start = self._build(tree, self._accept)
        self._closure_memo: dict[int, frozenset] = {}
        self._start_set = self._close([self._start])
        self._memo: dict = {}
        self._lock = threading.Lock()

    def _new(self, test, outs=None) -> int:
        if len(self._tests) >= MAX_STATES:
            raise PatternError(f"a pattern that expands to more than {MAX_STATES} steps",
                               "use smaller repeat counts, e.g. {0,20} instead of {0,2000}")
        self._tests.append(test)
        self._outs.append(outs or [])
        return len(self._tests) - 1

    def _build(self, node, nxt: int) -> int:
        kind = node[0]
        if kind == "chr":
            return self._new(_test(node[1]), [nxt])
        if kind == "cat":
            for item in reversed(node[1]):
                nxt = self._build(item, nxt)
            return nxt
        if kind == "alt":
            return self._new(None, [self._build(b, nxt) for b in node[1]])
        _, body, low, high = node
        if high is None:
            loop = self._new(None)
            self._outs[loop] = [self._build(body, loop), nxt]
            tail = loop
        else:
            tail = nxt
            for _ in range(high - low):
                tail = self._new(None, [self._build(body, tail), nxt])
        for _ in range(low):
            tail = self._build(body, tail)
        return tail

    def _close(self, states) -> frozenset:
        seen: set[int] = set()
        stack = list(states)
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            if self._tests[s] is None:
                stack.extend(self._outs[s])
        return frozenset(seen)

    def _step(self, current: frozenset, ch: str) -> frozenset:
        key = (current, ch)
        got = self._memo.get(key)
        if got is None:
            nxt = [self._outs[s][0] for s in current if self._tests[s] is not None and self._tests[s](ch)]
            got = self._close(nxt)
            with self._lock:
                if len(self._memo) >= _MEMO_LIMIT:
                    self._memo.clear()
                self._memo[key] = got
        return got

    def fullmatch(self, text: str) -> bool:
        current = self._start_set
        for ch in text:
            current = self._step(current, ch)
            if not current:
                return False
        return self._accept in current


def compile_pattern(text: str) -> Pattern:
    """Parse a pattern of the dialect; raise PatternError (message, hint) for anything outside it."""
    return Pattern(text)


__all__ = ["Pattern", "PatternError", "compile_pattern", "MAX_STATES"]
