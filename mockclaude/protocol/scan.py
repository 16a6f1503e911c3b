"""The one pass over a request's messages: their shape, the message rules, the input tokens and the
cache breakpoints, found together on one walk through the messages and their blocks.

A valid request (nearly all of them) needs only a yes; :func:`scan_messages` proves that and, on
its way, counts what the synthetic answer needs. It never raises and never words an error: whenever
anything is wrong (or unusual) it answers None, and the validator runs the precise path from the
start — the generated shape check, jsonschema to word a shape error, then ``rules._check_messages``
— so errors keep the API's wording and order. What it answers is tested against that path
(tests/protocol/test_fastpath.py, test_scan.py).

The merged turns (``ValidRequest.messages``) are not built here: building them allocates three
objects per plain message, which (with the garbage collections they trigger) cost more than all the
checks. They are made when first asked for, and :func:`tail_turns` makes only the last few when
that is all a rule or an answer looks at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ..errors import ApiError
from ..signatures import Signer, Verdict
from ..tokens import BLOCK_OVERHEAD, MESSAGE_OVERHEAD, count_block
from .models import ModelInfo
from .turn_rules import MAX_CACHE_BREAKPOINTS, _check_image, _check_prefill, _final_dialogue_turn

_dumps = orjson.dumps

__all__ = ["MessageScan", "finish_scan", "merged_turns", "recent_turns", "scan_messages", "tail_turns"]


@dataclass(slots=True)
class MessageScan:
    """What :func:`scan_messages` found in messages that are valid so far (settings aside)."""

    tokens: int | None  # the messages' input tokens, as ``tokens.count_request`` counts the merged turns
    breakpoints: int  # cache_control marks in the messages (blocks and nested blocks)
    tools_seen: bool  # a tool_use or tool_result block
    final_role: Any  # the role of the last dialogue (non-system) message, None without one
    turns: list[dict[str, Any]] | None  # the merged turns, when a rule needed them all
    # Some object in the messages may have members other than those of a plain message or block
    # (``role``/``content``, ``type``/``text``, ``tool_use_id``/``content``/``is_error``): see
    # ``ValidRequest.stream_keys``.
    opaque: bool = True


def scan_messages(
    messages: Any, check_message: Callable[[Any], bool] | None, signer: Signer
) -> MessageScan | None:
    """A :class:`MessageScan` when every message has the right shape and every message rule that does
    not depend on the request's settings holds; else None.

    ``check_message``: the generated shape check of one message (``schema.fast_parts``), None when
    the shape of the whole body is known to be right. A plain ``{"role": "user"|"assistant",
    "content": "<text>"}`` message is recognised without calling it. In the same walk: the
    per-message rules (non-empty content, non-whitespace text, unique tool_use ids, images that
    match their media type), tool_use / tool_result pairing between consecutive turns (the two rules
    of ``rules._check_tool_pairing``), the cache breakpoints and the input tokens; the signatures of
    thinking blocks are checked after it, when there are any. The rules that depend on settings are
    :func:`finish_scan`'s.
    """
    if type(messages) is not list or not messages:
        return None
    last = len(messages) - 1
    turn_role: Any = None
    final_role: Any = None
    nturns = 0
    tool_use_ids: set[Any] | None = None
    tools_seen = thinking_seen = False
    # tool pairing, over dialogue (non-system) turns:
    prev_uses: list[Any] | None = None  # tool_use ids of the previous dialogue turn, if an assistant one
    cur_uses: list[Any] = []  # tool_use ids of the current turn
    answered: set[Any] = set()  # ids of the current turn's leading run of tool_result blocks
    run_open = True  # still in that leading run
    tokens = 0  # input tokens of the blocks (the per-turn overhead is added at the end)
    breakpoints = 0
    uncounted = False
    opaque = check_message is None  # some object in the messages has members not known here
    # Plain messages first, the bulk of a long conversation: alternating roles, non-blank string
    # content (their shape needs no other check, and they open and close a turn each, no tool in it).
    plain = 0
    expect = messages[0].get("role") if type(messages[0]) is dict else None
    if expect == "user" or expect == "assistant":
        try:  # (subscripts, not .get: this loop is most of a long request's validation)
            for plain, message in enumerate(messages):  # noqa: B007 - plain is read after the loop
                if type(message) is not dict or len(message) != 2:
                    break
                content = message["content"]
                if type(content) is not str or message["role"] != expect or not content or content.isspace():
                    break
                tokens += (len(content) + 3) // 4
                expect = "user" if expect == "assistant" else "assistant"
            else:
                plain = len(messages)
        except KeyError:
            pass  # messages[plain] lacks one: the loop below sees it
        if plain:
            tokens += BLOCK_OVERHEAD * plain
            nturns = plain
            turn_role = final_role = messages[plain - 1]["role"]
            run_open = False
    for i in range(plain, last + 1):
        message = messages[i]
        if type(message) is not dict:
            return None
        role = message.get("role")
        content = message.get("content")
        if check_message is not None and not (  # a plain message needs no other check of its shape
            len(message) == 2
            and (role == "user" or role == "assistant")  # (a role of every version)
            and (type(content) is str or (type(content) is list and all(map(_plain_block, content))))
        ):
            if not check_message(message):
                return None
            opaque = True
        if role != turn_role:
            # a new turn: the previous one (if a dialogue turn) is complete
            if turn_role is not None and turn_role != "system":
                if prev_uses:
                    for used in prev_uses:
                        if used not in answered:
                            return None
                prev_uses = cur_uses if turn_role == "assistant" and cur_uses else None
            if role != "system":
                final_role = role
                if cur_uses:  # (an empty list is not kept as prev_uses: reused as it is)
                    cur_uses = []
                if answered:
                    answered = set()
                run_open = True
            turn_role = role
            nturns += 1
        if type(content) is str:
            if not content:
                if i != last or role != "assistant":
                    return None
            elif content.isspace():
                return None
            run_open = False
            tokens += BLOCK_OVERHEAD + (len(content) + 3) // 4
        elif type(content) is list:
            if not content and (i != last or role != "assistant"):
                return None
            for block in content:
                kind = block.get("type")
                if block.get("cache_control"):
                    breakpoints += 1
                if kind == "text":
                    run_open = False
                    text = block.get("text", "")
                    if type(text) is not str or not text or text.isspace():
                        return None
                    tokens += BLOCK_OVERHEAD + (len(text) + 3) // 4
                    continue
                if kind == "tool_result":
                    tools_seen = True
                    result_id = block["tool_use_id"]
                    if role == "user" and (not prev_uses or result_id not in prev_uses):
                        return None
                    if run_open:
                        answered.add(result_id)
                    result = block.get("content")
                    if type(result) is str:  # the common case, counted as count_block counts it
                        tokens += BLOCK_OVERHEAD + (len(result) + 3) // 4
                        continue
                    found = _nested_ok(block, kind)
                    if found < 0:
                        return None
                    breakpoints += found
                if kind == "tool_use":
                    run_open = False
                    tools_seen = opaque = True  # (its input's members are anything)
                    try:  # counted as count_block counts it
                        tokens += BLOCK_OVERHEAD + (len(block["name"]) + 3) // 4 + (len(_dumps(block["input"])) + 3) // 4
                    except (TypeError, RecursionError):  # orjson refuses it (too deep): count_block decides
                        try:
                            tokens += count_block(block)
                        except RecursionError:  # a valid input too deep to measure: not counted here
                            uncounted = True
                    use_id = block["id"]
                    if tool_use_ids is None:
                        tool_use_ids = {use_id}
                    elif use_id in tool_use_ids:
                        return None
                    else:
                        tool_use_ids.add(use_id)
                    if role == "assistant":
                        cur_uses.append(use_id)
                    continue
                try:
                    tokens += count_block(block)
                except RecursionError:  # a valid input too deep to measure: not counted here
                    uncounted = True
                if kind != "tool_result":  # (checked above)
                    run_open = False
                    if kind == "image":
                        if not _image_ok(block):
                            return None
                    elif kind == "search_result" or kind == "document":
                        found = _nested_ok(block, kind)
                        if found < 0:
                            return None
                        breakpoints += found
                    elif kind == "thinking" or kind == "redacted_thinking":
                        thinking_seen = True
        else:
            return None
    turns: list[dict[str, Any]] | None = None
    if turn_role != "system":  # the last dialogue turn answers the one before; its own tool_use, nothing
        if prev_uses:
            for used in prev_uses:
                if used not in answered:
                    return None
        if turn_role == "assistant" and cur_uses:
            return None
    elif tools_seen:  # a system turn last: the general walk
        turns = merged_turns(messages)
        if not _pairing_ok(turns):
            return None
    if thinking_seen:
        if turns is None:
            turns = merged_turns(messages)
        if not _signatures_ok(turns, signer):
            return None
    return MessageScan(
        None if uncounted else tokens + MESSAGE_OVERHEAD * nturns, breakpoints, tools_seen, final_role, turns, opaque
    )


def _plain_block(block: Any) -> bool:
    """True when ``block`` is a text, tool_use or tool_result block of its commonest form and of the
    right shape: what the schema's check of it would answer, without calling it (False: not sure).

    The forms (tests/protocol/test_scan.py checks them against the schema of every version):
    ``{"type": "text", "text": str}``, ``{"type": "tool_use", "id": ID, "name": str, "input": {…}}``,
    ``{"type": "tool_result", "tool_use_id": ID, "content": str}`` with or without a boolean
    ``is_error``; ID matches ``schema.TOOL_USE_ID_PATTERN``."""
    if type(block) is not dict:
        return False
    kind = block.get("type")
    if kind == "text":
        return len(block) == 2 and type(block.get("text")) is str
    if kind == "tool_use":
        return (
            len(block) == 4
            and type(block.get("name")) is str
            and type(block.get("input")) is dict
            and _plain_id(block.get("id"))
        )
    if kind == "tool_result":
        size = len(block)
        return (
            type(block.get("content")) is str
            and (size == 3 or (size == 4 and (block.get("is_error") is True or block.get("is_error") is False)))
            and _plain_id(block.get("tool_use_id"))
        )
    return False


def _plain_id(value: Any) -> bool:
    """``value`` is a non-empty string of ASCII letters, digits, ``_`` and ``-`` (so it matches
    ``^[a-zA-Z0-9_-]+$``; a string this refuses may still match: the schema's check then decides).
    Ids seen to pass are remembered, up to a bound: an agent sends each one again on every turn."""
    if type(value) is not str:
        return False
    if value in _PLAIN_IDS:
        return True
    if not value.isascii():
        return False
    if not value.isalnum():
        rest = value.replace("-", "").replace("_", "")
        if not value or (rest and not rest.isalnum()):
            return False
    if len(_PLAIN_IDS) < _PLAIN_IDS_MAX and len(value) <= 256:
        _PLAIN_IDS[value] = None
    return True


_PLAIN_IDS: dict[str, None] = {}
_PLAIN_IDS_MAX = 4096


def finish_scan(
    scan: MessageScan, messages: list[dict[str, Any]], breakpoints: int, thinking_on: bool, info: ModelInfo | None
) -> int | None:
    """The message rules that depend on the settings, after :func:`scan_messages`: the cache
    breakpoints of the whole request (``breakpoints``: those of the settings, tools and system),
    the thinking tool loop, and the prefill rules (raised as worded here: they are the last rules).
    Returns the request's cache breakpoints, or None when a rule is broken (to be worded by the
    precise checks)."""
    total = breakpoints + scan.breakpoints
    if total > MAX_CACHE_BREAKPOINTS:
        return None
    if thinking_on and scan.tools_seen and not _thinking_loop_ok(scan.turns or tail_turns(messages, 2)):
        return None
    if scan.final_role == "assistant":
        turns = scan.turns or tail_turns(messages, 1)
        final = _final_dialogue_turn(turns)
        if final is not None:
            _check_prefill(turns[final], info)
    return total


def merged_turns(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rules.merge_turns(messages)[0]`` without the origins of the blocks (only errors need them)."""
    turns: list[dict[str, Any]] = []
    role: Any = None
    merged: list[Any] = []
    for message in messages:
        content = message["content"]
        if message["role"] != role:
            role = message["role"]
            merged = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
            turns.append({"role": role, "content": merged})
        elif isinstance(content, str):
            merged.append({"type": "text", "text": content})
        else:
            merged.extend(content)
    return turns


def tail_turns(messages: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The merged turns from the start of the ``n``-th last dialogue (non-system) turn to the end
    (all of them when there are fewer): the tail of ``merge_turns(messages)[0]``."""
    start, seen, after = len(messages), 0, None
    for i in range(len(messages) - 1, -1, -1):
        role = messages[i]["role"]
        if role != after:  # messages[i] ends a merged turn
            if seen == n:
                break
            if role != "system":
                seen += 1
            after = role
        start = i
    return merged_turns(messages[start:])


def recent_turns(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The merged turns from the last ``user`` turn to the end (all of them without one): what an
    answer looks at — the tail of ``merge_turns(messages)[0]``."""
    start = len(messages)
    found = False
    for i in range(len(messages) - 1, -1, -1):
        role = messages[i]["role"]
        if found and role != "user":
            break
        if role == "user":
            found = True
        start = i
    return merged_turns(messages[start:] if found else messages)


def _image_ok(block: dict[str, Any]) -> bool:
    try:
        _check_image(block, "")
    except ApiError:
        return False
    return True


def _nested_ok(block: dict[str, Any], kind: Any) -> int:
    """Cache breakpoints in the blocks nested in ``block``; -1 when a nested image is bad."""
    if kind == "document":
        source = block.get("source")
        if not (isinstance(source, dict) and source.get("type") == "content"):
            return 0
        content = source.get("content")
    else:
        content = block.get("content")
    if not isinstance(content, list):
        return 0
    found = 0
    for inner in content:
        if inner.get("cache_control"):
            found += 1
        if inner.get("type") == "image" and not _image_ok(inner):
            return -1
    return found


def _signatures_ok(turns: list[dict[str, Any]], signer: Signer) -> bool:
    """:func:`_check_signatures` would pass."""
    latest = next((t for t in range(len(turns) - 1, -1, -1) if turns[t]["role"] == "assistant"), None)
    for t, turn in enumerate(turns):
        if turn["role"] != "assistant":
            continue
        for block in turn["content"]:
            kind = block.get("type")
            if kind == "thinking":
                verdict = signer.verify(block["thinking"], block["signature"])
                if verdict is Verdict.FORGED or (verdict is Verdict.MODIFIED and t == latest):
                    return False
            elif kind == "redacted_thinking":
                data = block["data"]
                if not signer.verify_redacted(data) and signer.verify("", data) is Verdict.FORGED:
                    return False
    return True


def _pairing_ok(turns: list[dict[str, Any]]) -> bool:
    """:func:`_check_tool_pairing` would pass (both of its rules, in one walk over the turns)."""
    prev_uses: list[Any] | None = None  # tool_use ids of the previous dialogue turn, if an assistant one
    for turn in turns:
        role = turn["role"]
        if role == "system":
            continue
        blocks = turn["content"]
        if prev_uses:  # answered by the leading run of tool_result blocks of this turn?
            answered = set()
            for block in blocks:
                if block.get("type") != "tool_result":
                    break
                answered.add(block["tool_use_id"])
            for used in prev_uses:
                if used not in answered:
                    return False
        if role == "assistant":
            prev_uses = [b["id"] for b in blocks if b.get("type") == "tool_use"]
        else:
            if role == "user":
                available = prev_uses or ()
                for block in blocks:
                    if block.get("type") == "tool_result" and block["tool_use_id"] not in available:
                        return False
            prev_uses = None
    return not prev_uses


def _thinking_loop_ok(turns: list[dict[str, Any]]) -> bool:
    """:func:`_check_thinking_loop` would pass."""
    dialogue = [t for t, turn in enumerate(turns) if turn["role"] != "system"]
    if len(dialogue) < 2:
        return True
    last, before = turns[dialogue[-1]], dialogue[-2]
    if last["role"] != "user" or turns[before]["role"] != "assistant":
        return True
    if not any(b.get("type") == "tool_result" for b in last["content"]):
        return True
    blocks = turns[before]["content"]
    return bool(blocks) and blocks[0].get("type") in ("thinking", "redacted_thinking")
