"""A deterministic string that a regular expression matches (for JSON Schema ``pattern``).

JSON Schema patterns are searched, not anchored, and jsonschema checks them with Python's ``re``;
so a string the whole pattern matches is always valid, and Python's own parser is the right one to
read the pattern with. The generator walks the parsed pattern (literals, classes and categories,
alternation, groups and back-references, repeats) and picks, for each part, the first character a
person would: ``a``, ``0``, a space. Repeats take their minimum, or more when a ``minLength`` asks
for a longer string. Lookarounds are skipped and the result is checked with ``re.search`` afterwards:
None means no string was found (the caller then keeps its own fallback).

Why not a library: ``rstr`` and ``exrex`` generate random strings (exrex can enumerate, but not
towards a length), and Hypothesis' ``from_regex`` is a test-time tool; what the double needs is one
short, stable, readable string per (pattern, length bounds), which this walk gives in microseconds.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import Any

if sys.version_info >= (3, 11):
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
else:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

__all__ = ["string_for_pattern"]

# Preferred characters, in order, when a class allows several.
_PREFERRED = "a0Ab1xyz-_ .:/@#"
_PRINTABLE = _PREFERRED + "".join(chr(c) for c in range(33, 127)) + "é"
_CATEGORY = {
    _c.CATEGORY_DIGIT: "0",
    _c.CATEGORY_NOT_DIGIT: "a",
    _c.CATEGORY_WORD: "a",
    _c.CATEGORY_NOT_WORD: "-",
    _c.CATEGORY_SPACE: " ",
    _c.CATEGORY_NOT_SPACE: "a",
    _c.CATEGORY_LINEBREAK: "\n",
    _c.CATEGORY_NOT_LINEBREAK: "a",
}
_MAX_REPEAT = 4096  # a string is never stretched beyond this many repeats of one item


class _Unsupported(Exception):
    pass


def _in_class(items: list[tuple[Any, Any]], ch: str) -> bool:
    code = ord(ch)
    for op, av in items:
        if op is _c.LITERAL and av == code:
            return True
        if op is _c.RANGE and av[0] <= code <= av[1]:
            return True
        if op is _c.CATEGORY and re.fullmatch(_category_regex(av), ch):
            return True
    return False


def _category_regex(cat: Any) -> str:
    return {
        _c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D", _c.CATEGORY_WORD: r"\w",
        _c.CATEGORY_NOT_WORD: r"\W", _c.CATEGORY_SPACE: r"\s", _c.CATEGORY_NOT_SPACE: r"\S",
    }.get(cat, r"[\s\S]")


def _class_char(items: list[tuple[Any, Any]]) -> str:
    negate = bool(items) and items[0][0] is _c.NEGATE
    if negate:
        rest = items[1:]
        for ch in _PRINTABLE:
            if not _in_class(rest, ch):
                return ch
        raise _Unsupported("negated class excludes every printable character")
    for ch in _PREFERRED:
        if _in_class(items, ch):
            return ch
    op, av = items[0]
    if op is _c.LITERAL:
        return chr(av)
    if op is _c.RANGE:
        return chr(av[0])
    if op is _c.CATEGORY:
        return _CATEGORY.get(av, "a")
    raise _Unsupported(f"class item {op}")


class _Walk:
    def __init__(self, extra: int) -> None:
        self.extra = extra  # repeats beyond the minimum, for every open-ended repeat
        self.groups: dict[int, str] = {}

    def seq(self, parsed: Any) -> str:
        return "".join(self.item(op, av) for op, av in parsed)

    def item(self, op: Any, av: Any) -> str:
        if op is _c.LITERAL:
            return chr(av)
        if op is _c.NOT_LITERAL:
            return next(ch for ch in _PRINTABLE if ord(ch) != av)
        if op is _c.ANY:
            return "a"
        if op is _c.IN:
            return _class_char(list(av))
        if op is _c.CATEGORY:
            return _CATEGORY.get(av, "a")
        if op is _c.BRANCH:
            return self.seq(av[1][0])
        if op is _c.SUBPATTERN:
            group, sub = av[0], av[-1]
            text = self.seq(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
            lo, hi, sub = av
            n = lo + self.extra
            if hi is not _c.MAXREPEAT:
                n = min(n, hi)
            n = min(max(n, lo), _MAX_REPEAT)
            return "".join(self.seq(sub) for _ in range(n))
        if op is _c.GROUPREF:
            return self.groups.get(av, "")
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            return ""  # anchors and lookarounds: checked afterwards
        if op is getattr(_c, "ATOMIC_GROUP", None):
            return self.seq(av)
        if op is _c.GROUPREF_EXISTS:
            group, yes, no = av
            return self.seq(yes) if group in self.groups else (self.seq(no) if no else "")
        raise _Unsupported(f"regex op {op}")


def _fits(text: str, min_len: int, max_len: int | None) -> bool:
    return len(text) >= min_len and (max_len is None or len(text) <= max_len)


@lru_cache(maxsize=2048)
def string_for_pattern(pattern: str, min_len: int = 0, max_len: int | None = None) -> str | None:
    """A short string ``re.search(pattern, s)`` accepts, with ``min_len <= len(s) <= max_len``; else None."""
    try:
        compiled = re.compile(pattern)
        parsed = _p.parse(pattern)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        return None
    tried: set[str] = set()
    for extra in (0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256, 512, 1024):
        try:
            text = _Walk(extra).seq(parsed)
        except (_Unsupported, StopIteration, RecursionError):
            return None
        if text in tried:
            if len(text) < min_len and extra > 0:
                # More repeats do not lengthen it: pad where the pattern is unanchored at the end.
                padded = text + "a" * (min_len - len(text))
                if _fits(padded, min_len, max_len) and compiled.search(padded):
                    return padded
                padded = "a" * (min_len - len(text)) + text
                if _fits(padded, min_len, max_len) and compiled.search(padded):
                    return padded
            break
        tried.add(text)
        if max_len is not None and len(text) > max_len:
            break
        if _fits(text, min_len, max_len) and compiled.search(text):
            return text
    return None
