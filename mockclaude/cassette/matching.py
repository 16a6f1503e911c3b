"""Which recorded interaction answers a request: JSON-aware matchers and an O(1) index.

A matcher is a name: ``method``, ``path``, ``query``, ``body`` (the whole JSON body, volatile fields
removed), or the name of a top-level request field (``model``, ``messages``, ``system``, ``tools``,
...; ``body.NAME`` for any other). Each matcher turns a request into a canonical string (sorted keys,
compact JSON); the match key is a digest of those strings, so lookup is one dict access whatever the
cassette's size. Per-matcher digests are kept per interaction, which makes "which matchers failed"
for the closest candidates cheap too.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from .format import Interaction

__all__ = ["DEFAULT_IGNORE", "DEFAULT_MATCH_ON", "Candidate", "Index", "Matcher", "RequestView", "canonical"]

DEFAULT_MATCH_ON: tuple[str, ...] = ("method", "path", "body")
# Fields that change between runs without changing the answer: the transport flag (a stream
# request may replay a JSON recording and vice versa) and per-user metadata.
DEFAULT_IGNORE: tuple[str, ...] = ("stream", "metadata")

CORE_MATCHERS = ("method", "path", "query", "body")
BODY_FIELDS = (
    "model", "messages", "system", "tools", "tool_choice", "max_tokens", "temperature", "top_p", "top_k",
    "stop_sequences", "thinking", "metadata", "stream", "service_tier", "container", "mcp_servers",
    "context_management", "output_format", "output_config", "inference_geo",
)  # fmt: skip

_MISSING = object()


def canonical(value: Any) -> str:
    """The same text for equal JSON values, whatever their key order."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class RequestView:
    """What the matchers look at in a request (live or recorded)."""

    method: str
    path: str
    query: str
    body: Any


@dataclass(slots=True)
class Candidate:
    """A recorded interaction near a request, with the matchers it failed (and body fields that differ)."""

    index: int
    interaction: Interaction
    failed: list[str]
    differences: list[str]

    def describe(self) -> str:
        req = self.interaction.request
        what = f"#{self.index} {req.method} {req.path}"
        model = req.body.get("model") if isinstance(req.body, dict) else None
        if model:
            what += f" (model {model})"
        if not self.failed:
            return f"{what}: all matchers pass"
        detail = f"; body differs at: {', '.join(self.differences)}" if self.differences else ""
        return f"{what}: failed {', '.join(self.failed)}{detail}"

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "failed": self.failed, "differences": self.differences}


def _drop_path(obj: Any, dotted: str) -> Any:
    """``obj`` without the field at ``a.b.c`` (a copy along that path only)."""
    head, _, rest = dotted.partition(".")
    if isinstance(obj, dict):
        if head not in obj:
            return obj
        out = dict(obj)
        if rest:
            out[head] = _drop_path(obj[head], rest)
        else:
            del out[head]
        return out
    if isinstance(obj, list) and head == "*":
        return [_drop_path(x, rest) if rest else x for x in obj]
    return obj


class Matcher:
    """Turns requests into match keys. ``Matcher(match_on=("method", "path", "model", "messages"))``."""

    def __init__(self, match_on: Sequence[str] | None = None, ignore_fields: Iterable[str] = ()) -> None:
        names = tuple(n.strip() for n in (match_on or DEFAULT_MATCH_ON) if n.strip())
        if not names:
            raise ConfigError("match_on needs at least one matcher")
        for n in names:
            if n not in CORE_MATCHERS and n not in BODY_FIELDS and not (n.startswith("body.") and len(n) > 5):
                raise ConfigError(
                    f"unknown matcher {n!r}; valid matchers: {', '.join(CORE_MATCHERS)}, a request field "
                    f"({', '.join(BODY_FIELDS)}) or body.NAME for any other field"
                )
        self.match_on = names
        self.ignore_fields = tuple(
            dict.fromkeys((*DEFAULT_IGNORE, *(f.strip() for f in ignore_fields if f.strip())))
        )
        self._ignore_top = tuple(f for f in self.ignore_fields if "." not in f)
        self._ignore_paths = tuple(f for f in self.ignore_fields if "." in f)

    def __repr__(self) -> str:
        return f"Matcher(match_on={self.match_on!r}, ignore_fields={self.ignore_fields!r})"

    def _body(self, body: Any) -> Any:
        if not isinstance(body, dict):
            return body
        top = self._ignore_top
        out = {k: v for k, v in body.items() if k not in top} if any(k in body for k in top) else body
        for f in self._ignore_paths:
            out = _drop_path(out, f)
        return out

    def part(self, name: str, req: RequestView, body: Any = _MISSING) -> str:
        """The canonical text of one matcher for a request (``body``: the pre-stripped body)."""
        if name == "method":
            return req.method.upper()
        if name == "path":
            return req.path
        if name == "query":
            return "&".join(sorted(req.query.split("&"))) if req.query else ""
        stripped = self._body(req.body) if body is _MISSING else body
        if name == "body":
            return canonical(stripped)
        field = name.removeprefix("body.")
        if isinstance(stripped, dict) and field in stripped:
            return canonical(stripped[field])
        return "\x00missing"

    def parts(self, req: RequestView) -> list[bytes]:
        """One digest per matcher (what the index keeps per interaction)."""
        body = self._body(req.body)
        return [_digest(self.part(n, req, body)) for n in self.match_on]

    @staticmethod
    def key_of(parts: Sequence[bytes]) -> bytes:
        return parts[0] if len(parts) == 1 else hashlib.blake2b(b"".join(parts), digest_size=16).digest()

    def key(self, req: RequestView) -> bytes:
        return self.key_of(self.parts(req))

    def differences(self, req: RequestView, recorded: RequestView, limit: int = 6) -> list[str]:
        """Top-level body fields that differ (after ignoring volatile ones), e.g. ``max_tokens: 100 != 200``."""
        a, b = self._body(req.body), self._body(recorded.body)
        if not isinstance(a, dict) or not isinstance(b, dict):
            return [] if canonical(a) == canonical(b) else ["body"]
        out: list[str] = []
        for k in list(dict.fromkeys([*a, *b])):
            va, vb = a.get(k, _MISSING), b.get(k, _MISSING)
            if va is _MISSING:
                out.append(f"{k} (recorded only)")
            elif vb is _MISSING:
                out.append(f"{k} (not recorded)")
            elif canonical(va) != canonical(vb):
                out.append(_diff_detail(k, va, vb))
            if len(out) >= limit:
                break
        return out


def _short(value: Any, n: int = 40) -> str:
    text = canonical(value)
    return text if len(text) <= n else text[: n - 1] + "…"


def _diff_detail(path: str, a: Any, b: Any, depth: int = 0) -> str:
    """Where two JSON values first differ, as a json path with both values."""
    if depth < 6 and isinstance(a, dict) and isinstance(b, dict):
        for k in dict.fromkeys([*a, *b]):
            if k not in a:
                return f"{path}.{k} (recorded only)"
            if k not in b:
                return f"{path}.{k} (not recorded)"
            if canonical(a[k]) != canonical(b[k]):
                return _diff_detail(f"{path}.{k}", a[k], b[k], depth + 1)
    if depth < 6 and isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items, recorded {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if canonical(x) != canonical(y):
                return _diff_detail(f"{path}.{i}", x, y, depth + 1)
    return f"{path}: {_short(a)} != recorded {_short(b)}"


class Index:
    """Interactions by match key, with per-matcher digests for explaining misses.

    Built once at load (and extended as interactions are recorded): ``lookup`` is a dict access.
    Play state lives here too: identical requests replay their recorded interactions in order.
    """

    def __init__(self, matcher: Matcher, interactions: Iterable[Interaction] = ()) -> None:
        self.matcher = matcher
        self.interactions: list[Interaction] = []
        self._parts: list[list[bytes]] = []
        self._by_key: dict[bytes, list[int]] = {}
        self._played: dict[bytes, int] = {}
        for it in interactions:
            self.add(it)

    def __len__(self) -> int:
        return len(self.interactions)

    @staticmethod
    def view(it: Interaction) -> RequestView:
        r = it.request
        return RequestView(r.method, r.path, r.query, r.body)

    def add(self, it: Interaction, *, played: bool = False) -> int:
        parts = self.matcher.parts(self.view(it))
        key = self.matcher.key_of(parts)
        pos = len(self.interactions)
        self.interactions.append(it)
        self._parts.append(parts)
        self._by_key.setdefault(key, []).append(pos)
        if played:
            self._played[key] = len(self._by_key[key])
        return pos

    def rewind(self) -> None:
        self._played.clear()

    def unplayed(self) -> list[int]:
        """Positions of the interactions not played since the last rewind, in recorded order."""
        out = [p for key, positions in self._by_key.items() for p in positions[self._played.get(key, 0) :]]
        return sorted(out)

    def next(self, req: RequestView, *, repeat: bool) -> tuple[int | None, int]:
        """The position of the interaction to play for ``req`` (or None) and how many match it.

        Matching interactions are played in recorded order; once all have been played the last is
        repeated when ``repeat`` is true.
        """
        key = self.matcher.key(req)
        positions = self._by_key.get(key)
        if not positions:
            return None, 0
        n = self._played.get(key, 0)
        if n < len(positions):
            self._played[key] = n + 1
            return positions[n], len(positions)
        return (positions[-1] if repeat else None), len(positions)

    def peek(self, req: RequestView, *, repeat: bool) -> int | None:
        """The position :meth:`next` would return for ``req``, without playing it."""
        positions = self._by_key.get(self.matcher.key(req))
        if not positions:
            return None
        n = self._played.get(self.matcher.key(req), 0)
        return positions[n] if n < len(positions) else (positions[-1] if repeat else None)

    def closest(self, req: RequestView, limit: int = 3) -> list[Candidate]:
        """The recorded interactions nearest to ``req``: fewest failed matchers, then fewest body
        fields that differ, then the most alike bodies (difflib's ratio), then most recent."""
        if not self.interactions:
            return []
        mine = self.matcher.parts(req)
        names = self.matcher.match_on
        best: list[tuple[int, int]] = []  # (failed count, position)
        fewest = len(names) + 1
        for pos, parts in enumerate(self._parts):
            failed = sum(1 for a, b in zip(mine, parts, strict=False) if a != b)
            if failed < fewest:
                fewest, best = failed, [(failed, pos)]
            elif failed == fewest and len(best) < 64:
                best.append((failed, pos))
        out: list[Candidate] = []
        mine_text = canonical(self.matcher._body(req.body))[:4000]
        likeness: dict[int, float] = {}
        for _, pos in best:
            parts = self._parts[pos]
            failed_names = [n for n, a, b in zip(names, mine, parts, strict=False) if a != b]
            it = self.interactions[pos]
            diffs = (
                self.matcher.differences(req, self.view(it))
                if any(n not in ("method", "path", "query") for n in failed_names)
                else []
            )
            out.append(Candidate(pos, it, failed_names, diffs))
            # How alike the bodies are: "Write a haiku about tides!" is nearer "...tides." than
            # "Stream a haiku." though both differ at the same one field.
            theirs = canonical(self.matcher._body(it.request.body))[:4000]
            likeness[pos] = difflib.SequenceMatcher(None, mine_text, theirs, autojunk=False).ratio()
        out.sort(key=lambda c: (len(c.failed), len(c.differences), -likeness[c.index], -c.index))
        return out[:limit]
