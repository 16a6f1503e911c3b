"""Judging one example from evidence: what the server sent, what it received, what the client said.

Every check returns a list of problems (empty: the example passes). Comparisons are lenient only
where the API is: keys whose value is null are ignored (SDKs serialise optional fields as null), a
``tool_result``'s content may be the string or one text block holding it, a user turn's string
content equals one text block.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .answers import echo_result
from .clients import ClientFailure

__all__ = ["Outcome", "echo_problems", "expect_error", "expect_ok", "normalize", "problems_of_message"]

KNOWN_VERSIONS = ("2023-06-01", "2026-10-21")


@dataclass
class Outcome:
    """Everything about one example after it ran."""

    answer: dict[str, Any] | ClientFailure
    sent: list[dict[str, Any]]  # the replies served, in order
    requests: list[Any]  # journal entries of the case's requests
    api_key: str
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def bodies(self) -> list[Any]:
        return [e.body for e in self.requests]

    def evidence(self) -> dict[str, Any]:
        ans: Any
        if isinstance(self.answer, ClientFailure):
            ans = {"failure": self.answer.kind, "detail": self.answer.detail}
            stderr = self.answer.stderr
        else:
            ans = {k: v for k, v in self.answer.items() if k != "_stderr"}
            stderr = self.answer.get("_stderr", "")
        t0 = self.requests[0].monotonic if self.requests else 0.0
        return {
            "client_output": ans,
            "client_stderr": stderr,
            "requests": [
                {
                    "seq": i + 1,
                    "at_ms": round((e.monotonic - t0) * 1000, 1),
                    "path": e.path,
                    "headers": e.headers,
                    "body": e.body,
                    "status": e.status,
                    "answered": e.sent,
                    "error": e.error,
                }
                for i, e in enumerate(self.requests)
            ],
            "replies": self.sent,
            "elapsed_s": round(self.elapsed, 3),
        }


def normalize(x: Any) -> Any:
    """Drop null-valued keys (recursively) and empty ``citations`` lists."""
    if isinstance(x, dict):
        return {k: normalize(v) for k, v in x.items() if v is not None and not (k == "citations" and v == [])}
    if isinstance(x, list):
        return [normalize(v) for v in x]
    return x


def _short(x: Any, n: int = 400) -> str:
    s = json.dumps(x, ensure_ascii=False, sort_keys=True)
    return s if len(s) <= n else s[:n] + "…"


def expect_ok(out: Outcome) -> tuple[dict[str, Any] | None, list[str]]:
    """The reported message, or the problem that there is none."""
    a = out.answer
    if isinstance(a, ClientFailure):
        return None, [f"the client gave no answer ({a.describe()})"]
    if a.get("ok") is not True:
        return None, [f"the client reported an error where the server's answer was a success: {_short(a.get('error'))}"]
    msg = a.get("message")
    if not isinstance(msg, dict):
        return None, [f"ok answer without a message object: {_short(a)}"]
    return msg, []


def problems_of_message(got: dict[str, Any], want: dict[str, Any], keys: tuple[str, ...] = ("content", "stop_reason")) -> list[str]:
    """Compare the named top-level parts of the reported message with what the events define."""
    g, w = normalize(got), normalize(want)
    out: list[str] = []
    for k in keys:
        if k == "usage":
            gu, wu = g.get("usage") or {}, w.get("usage") or {}
            diff = {f: (gu.get(f), wu.get(f)) for f in wu if gu.get(f) != wu.get(f)}
            if diff:
                out.append("usage differs (field: reported, defined by the events): " + _short(diff, 600))
            continue
        if g.get(k) != w.get(k):
            if k == "content":
                out.append(_content_diff(g.get("content"), w.get("content")))
            else:
                out.append(f"{k}: reported {_short(g.get(k))}, the events define {_short(w.get(k))}")
    return out


def _content_diff(got: Any, want: Any) -> str:
    if not isinstance(got, list) or not isinstance(want, list):
        return f"content: reported {_short(got)}, the events define {_short(want)}"
    if len(got) != len(want):
        return (f"content: {len(got)} blocks reported, the events define {len(want)}: reported "
                f"{_short([b.get('type') for b in got if isinstance(b, dict)])}, defined {_short([b.get('type') for b in want])}")
    for i, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return f"content[{i}] ({b.get('type')}): reported {_short(a)}, the events define {_short(b)}"
    return "content differs"  # pragma: no cover


def expect_error(out: Outcome, status: int | None = None, etype: str | None = None, *, statuses: tuple[Any, ...] = ()) -> list[str]:
    """The client must report an error (``status`` must match when given; ``statuses`` lists the
    acceptable ones, e.g. ``(None, 200)`` for an error inside a 200 stream)."""
    a = out.answer
    if isinstance(a, ClientFailure):
        return [f"the client gave no answer ({a.describe()})"]
    if a.get("ok") is not False:
        return [f"the client reported success where the server's answer was an error: {_short(a.get('message'), 300)}"]
    err = a.get("error") or {}
    probs = []
    if status is not None and err.get("status") != status:
        probs.append(f"error.status: reported {err.get('status')!r}, the server answered {status}")
    if statuses and err.get("status") not in statuses:
        probs.append(f"error.status: reported {err.get('status')!r}, expected one of {list(statuses)}")
    if etype is not None and err.get("type") != etype:
        probs.append(f"error.type: reported {err.get('type')!r}, the server sent {etype!r}")
    return probs


# --- the tool loop's echo ----------------------------------------------------------------------

def _norm_block(b: Any) -> Any:
    b = normalize(b)
    if isinstance(b, dict) and b.get("type") == "tool_result":
        b = dict(b)
        c = b.get("content")
        if isinstance(c, list) and len(c) == 1 and isinstance(c[0], dict) and c[0].get("type") == "text":
            b["content"] = c[0].get("text")
        if b.get("is_error") is False:
            del b["is_error"]
    return b


def _norm_turn(m: Any) -> Any:
    if not isinstance(m, dict):
        return m
    content = m.get("content")
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    return {"role": m.get("role"), "content": [_norm_block(b) for b in content or []]}


def results_turn(content: list[dict[str, Any]]) -> dict[str, Any]:
    """The user turn a correct loop sends after an assistant turn: one echo result per tool_use."""
    return {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": b["id"], "content": echo_result(b["input"])}
            for b in content
            if b.get("type") == "tool_use"
        ],
    }


def echo_problems(sent_messages: Any, want: list[dict[str, Any]], round_no: int) -> list[str]:
    """Compare a follow-up request's ``messages`` with the conversation a correct loop sends."""
    if not isinstance(sent_messages, list):
        return [f"request {round_no}: messages is not a list"]
    got = [_norm_turn(m) for m in sent_messages]
    exp = [_norm_turn(m) for m in want]
    if got == exp:
        return []
    if len(got) != len(exp):
        roles = [m.get("role") if isinstance(m, dict) else m for m in got]
        return [f"request {round_no}: {len(got)} turns {roles}, expected {len(exp)} {[m['role'] for m in exp]} "
                "(each round's results in one user turn after the assistant turn)"]
    for t, (g, e) in enumerate(zip(got, exp, strict=False)):
        if g == e:
            continue
        if g.get("role") != e.get("role"):
            return [f"request {round_no}: messages.{t} role {g.get('role')!r}, expected {e.get('role')!r}"]
        gc, ec = g["content"], e["content"]
        if len(gc) != len(ec):
            return [f"request {round_no}: messages.{t} ({e['role']}) has {len(gc)} blocks "
                    f"{[b.get('type') for b in gc if isinstance(b, dict)]}, expected {len(ec)} {[b.get('type') for b in ec]}"]
        for i, (gb, eb) in enumerate(zip(gc, ec, strict=False)):
            if gb != eb:
                return [f"request {round_no}: messages.{t}.content.{i} sent {_short(gb)}, expected {_short(eb)}"]
    return [f"request {round_no}: messages differ"]  # pragma: no cover
