"""Judging a tool loop from the requests the server received (the echo check)."""

from __future__ import annotations

import json
from typing import Any

from .answers import echo_result
from .checks import Outcome, _norm_block, _norm_turn, _short, expect_ok, normalize, problems_of_message

__all__ = ["loop_problems"]

THINKING = ("thinking", "redacted_thinking")


def _is_echo(content: Any, tool_input: Any) -> bool:
    """Whether a tool_result's content is the echo of ``tool_input``: a string holding that value as
    JSON with every object's keys sorted. Judged as JSON, not byte for byte: the spacing and escapes
    of one language's serializer are not the protocol (JavaScript's JSON.stringify has no spaces and
    cannot write -3.0 back as -3.0)."""
    if isinstance(content, list) and len(content) == 1 and isinstance(content[0], dict) and content[0].get("type") == "text":
        content = content[0].get("text")
    if not isinstance(content, str):
        return False
    unsorted: list[list[str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        if keys != sorted(keys):
            unsorted.append(keys)
        return dict(items)

    try:
        value = json.loads(content, object_pairs_hook=pairs)
    except ValueError:
        return False
    return not unsorted and value == tool_input


def _rounds_of(turns: list[Any], prefix: int) -> list[tuple[Any, list[Any]]]:
    """After the original ``prefix`` turns: each assistant turn with the user turns that follow it."""
    out: list[tuple[Any, list[Any]]] = []
    for t in turns[prefix:]:
        if t.get("role") == "assistant":
            out.append((t, []))
        elif out:
            out[-1][1].append(t)
    return out


def loop_problems(ex: Any, out: Outcome, cats: tuple[str, ...]) -> list[str]:
    """Problems of the categories ``cats``: message, rounds, turns, assistant, thinking, results, params."""
    msgs: list[dict[str, Any]] = ex.expect["messages"]
    convs: list[list[Any]] = ex.expect["conversations"]
    made: int = ex.expect["requests"]
    probs: list[str] = []
    n = len(out.requests)
    if "message" in cats:
        msg, p = expect_ok(out)
        probs += p if msg is None else problems_of_message(msg, msgs[made - 1])
    if "rounds" in cats and n != made:
        probs.append(f"{n} requests reached the server; the loop should make {made} "
                     f"({len(msgs) - 1} tool round(s), max_rounds {ex.max_rounds})")
    judged = [c for c in cats if c not in ("message", "rounds")]
    if not judged:
        return probs
    if n < min(made, 2):
        probs.append(f"only {n} request(s) reached the server; the loop should make {made} "
                     f"(client answer: {_short(out.answer if isinstance(out.answer, dict) else out.answer.describe(), 300)})")
        return probs
    prefix = len(ex.request["messages"])
    for k in range(2, min(n, made) + 1):
        body = out.requests[k - 1].body
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            probs.append(f"request {k}: no messages list")
            continue
        sent = [_norm_turn(m) for m in body["messages"]]
        want = [_norm_turn(m) for m in convs[k - 1]]
        if "params" in cats:
            if bool(body.get("stream")) != bool(ex.request.get("stream")):
                probs.append(f"request {k}: stream {body.get('stream')!r}, the first request had {ex.request.get('stream')!r}")
            for key, v in normalize(ex.request).items():
                if key not in ("messages", "stream") and normalize(body.get(key)) != v:
                    probs.append(f"request {k}: {key} sent {_short(body.get(key), 200)}, the first request had {_short(v, 200)}")
        if "turns" in cats:
            if [m.get("role") for m in sent] != [m["role"] for m in want]:
                probs.append(f"request {k}: turns {[m.get('role') for m in sent]}, expected {[m['role'] for m in want]} "
                             "(the results of a round belong in one user turn after the assistant turn)")
            elif sent[:prefix] != want[:prefix]:
                probs.append(f"request {k}: the original messages were changed: {_short(sent[:prefix])}")
        rounds = _rounds_of(sent, prefix)
        for j in range(k - 1):
            m = msgs[j]
            if j >= len(rounds):
                if {"assistant", "thinking", "results"} & set(cats):
                    probs.append(f"request {k}: the assistant turn of round {j + 1} is missing")
                break
            a_turn, users = rounds[j]
            exp_content = [_norm_block(b) for b in m["content"]]
            if "assistant" in cats and a_turn["content"] != exp_content:
                diff = next((i for i, (x, y) in enumerate(zip(a_turn["content"], exp_content, strict=False)) if x != y), None)
                if diff is None:
                    probs.append(f"request {k}: round {j + 1}'s assistant turn has {len(a_turn['content'])} blocks "
                                 f"{[b.get('type') for b in a_turn['content']]}, the answer had {len(exp_content)} {[b.get('type') for b in exp_content]}")
                else:
                    probs.append(f"request {k}: round {j + 1}'s assistant content.{diff} sent {_short(a_turn['content'][diff])}, "
                                 f"the answer had {_short(exp_content[diff])}")
            if "thinking" in cats:
                got_t = [b for b in a_turn["content"] if isinstance(b, dict) and b.get("type") in THINKING]
                exp_t = [b for b in exp_content if b.get("type") in THINKING]
                if got_t != exp_t:
                    probs.append(f"request {k}: round {j + 1}'s thinking blocks sent {_short(got_t)}, the answer had {_short(exp_t)}")
            if "results" in cats:
                uses = [b for b in m["content"] if b["type"] == "tool_use"]
                results = [b for u in users for b in u["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]
                got_ids = sorted(str(r.get("tool_use_id")) for r in results)
                want_ids = sorted(b["id"] for b in uses)
                if got_ids != want_ids:
                    probs.append(f"request {k}: round {j + 1} tool_result ids {got_ids}, the tool_use ids were {want_ids}")
                else:
                    by_id = {r["tool_use_id"]: r for r in results}
                    for b in uses:
                        c = by_id[b["id"]].get("content")
                        if not _is_echo(c, b["input"]):
                            probs.append(f"request {k}: tool_result for {b['id']} has content {_short(c, 200)}, "
                                         f"the echo tool's result is {_short(echo_result(b['input']), 200)}")
                            break
    return probs
