"""Layer 2 of request validation: the rules a JSON Schema cannot say, in the API's own words.

Every function here takes a body that already passed the schema (except :func:`check_before_schema`)
and raises :class:`ApiError` on the first broken rule. The order is written down in
docs/validation.md; messages marked *confirmed* in wire-protocol.md are reproduced word for word.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import ApiError, invalid
from ..signatures import Signer, Verdict
from .models import DEFAULT_MAX_OUTPUT_TOKENS, ModelInfo, get_model, looks_like_model
from .scan import finish_scan, scan_messages
from .turn_rules import MAX_CACHE_BREAKPOINTS, _check_image, _check_prefill, _final_dialogue_turn

__all__ = [
    "MAX_CACHE_BREAKPOINTS",
    "THINKING_DOCS_TAIL",
    "check_before_schema",
    "check_model",
    "check_request",
    "check_request_counted",
    "merge_turns",
]

SAMPLING_FIELDS = ("temperature", "top_p", "top_k")

# What follows "...the lastmost set of `tool_use` and `tool_result` blocks)." in the real message.
THINKING_DOCS_TAIL = (
    " We recommend you include thinking blocks from previous turns. To avoid this requirement, disable"
    " `thinking`. Please consult our documentation at"
    " https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)

_TOOL_DOCS = "https://docs.anthropic.com/en/docs/tool-use"



# --------------------------------------------------------------------------- before the schema


def check_before_schema(body: dict[str, Any], version: str, endpoint: str) -> None:
    """Rules the API applies before field validation: removed fields and message roles."""
    if version != "2023-06-01":
        for name in SAMPLING_FIELDS:
            if name in body:
                raise invalid(
                    f"{name}: `{name}` is not supported in anthropic-version {version}. "
                    "Remove it; sampling parameters were removed in this version."
                )
    messages = body.get("messages")
    if not isinstance(messages, list):
        return
    allowed = ("user", "assistant") if version == "2023-06-01" else ("user", "assistant", "system")
    for message in messages:  # the common case: every message a dict with an allowed role
        if type(message) is not dict:
            break
        role = message.get("role")
        if type(role) is not str or role not in allowed:
            break
    else:
        return
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            continue  # the schema words it
        if "role" not in message:
            raise invalid(f"messages.{i}.role: Field required")
        role = message["role"]
        if not isinstance(role, str):
            raise invalid(f"messages.{i}.role: Input should be a valid string")
        if role in allowed:
            continue
        if role == "system":
            raise invalid(
                'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
                'parameter, not "system" as an input message role.'
            )
        if role == "tool":
            raise invalid(
                'messages: Unexpected role "tool". Allowed roles are "user" or "assistant". '
                f"For instructions on how to use tools, see {_TOOL_DOCS}"
            )
        raise invalid(f'messages: Unexpected role "{role}". Allowed roles are "user" or "assistant"')


# --------------------------------------------------------------------------- model and limits


def check_model(model_id: str, *, strict: bool) -> ModelInfo | None:
    """The registry entry, None for a plausible unknown id (lenient mode), else 404 ``model: <id>``."""
    info = get_model(model_id)
    if info is not None and not (strict and info.lifecycle == "retired"):
        return info
    if info is None and not strict and looks_like_model(model_id):
        return None
    raise ApiError(404, f"model: {model_id}", type="not_found_error")


def _max_tokens(body: dict[str, Any], model_id: str, info: ModelInfo | None) -> int:
    max_tokens = int(body["max_tokens"])
    limit = info.max_output_tokens if info is not None else DEFAULT_MAX_OUTPUT_TOKENS
    if max_tokens > limit:
        name = info.id if info is not None else model_id
        raise invalid(
            f"max_tokens: {max_tokens} > {limit}, which is the maximum allowed number of output tokens for {name}"
        )
    return max_tokens


# --------------------------------------------------------------------------- helpers


def _blocks(content: Any) -> list[Any]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content  # type: ignore[no-any-return]


def _nested(block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Blocks inside a block (tool_result content, search_result content), with their path suffix."""
    kind = block.get("type")
    content = block.get("content")
    if kind in ("tool_result", "search_result") and isinstance(content, list):
        for k, inner in enumerate(content):
            yield f".{kind}.content.{k}", inner
    elif kind == "document":
        source = block.get("source")
        if (
            isinstance(source, dict)
            and source.get("type") == "content"
            and isinstance(source.get("content"), list)
        ):
            for k, inner in enumerate(source["content"]):
                yield f".document.source.content.content.{k}", inner


def _check_text(block: dict[str, Any], path: str, where: str) -> None:
    text = block.get("text", "")
    if text:
        if not text.strip():
            raise invalid(f"{where}: text content blocks must contain non-whitespace text")
        return
    if block.get("cache_control"):
        raise invalid(f"{path}.text: cache_control cannot be set for empty text blocks")
    raise invalid(f"{where}: text content blocks must be non-empty")


# --------------------------------------------------------------------------- the request


def merge_turns(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[list[int]]]:
    """Consecutive same-role messages merged into one turn (string content as a text block).

    Returns the turns and, for each turn, the original index of each of its blocks' messages
    (so errors can name the message as sent). Blocks are shared, not copied.
    """
    turns: list[dict[str, Any]] = []
    origins: list[list[int]] = []
    for i, message in enumerate(messages):
        role = message["role"]
        blocks = _blocks(message["content"])
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
            origins[-1].extend([i] * len(blocks))
        else:
            turns.append({"role": role, "content": list(blocks)})
            origins.append([i] * len(blocks))
    return turns, origins


def check_request(
    body: dict[str, Any],
    *,
    version: str,
    endpoint: str,
    model_id: str,
    info: ModelInfo | None,
    signer: Signer,
) -> tuple[int | None, list[dict[str, Any]]]:
    """All semantic rules, in the documented order. Returns (max_tokens, merged turns).

    The messages are checked by one fast pass that only proves a request valid
    (``scan.scan_messages``); whenever it finds anything wrong (or unusual) it gives up and the
    precise checks (:func:`_check_messages`) run from the start of the messages, to raise the first
    broken rule exactly as worded here.
    """
    max_tokens, turns, _, _ = check_request_counted(
        body, version=version, endpoint=endpoint, model_id=model_id, info=info, signer=signer
    )
    return max_tokens, turns if turns is not None else merge_turns(body["messages"])[0]


def check_request_counted(
    body: dict[str, Any],
    *,
    version: str,
    endpoint: str,
    model_id: str,
    info: ModelInfo | None,
    signer: Signer,
    scan: Any = None,
) -> tuple[int | None, list[dict[str, Any]] | None, int | None, int | None]:
    """:func:`check_request`, plus what its fast pass counted on the way (None when the precise
    checks ran instead): the cache breakpoints and the input tokens of the messages
    (``tokens.count_request``'s figure for the merged turns, without system and tools). The merged
    turns are None when the fast pass did not need them (``merge_turns`` makes them).

    ``scan``: the ``scan.MessageScan`` of the messages, when the validator has made it already
    (with their shape); else the messages are scanned here (their shape is known to be right)."""
    messages: list[dict[str, Any]] = body["messages"]
    if not messages:
        raise invalid("messages: at least one message is required")
    max_tokens = _max_tokens(body, model_id, info) if endpoint == "messages" else None
    thinking_on, breakpoints = _check_settings(body, max_tokens, info)
    if scan is None:
        scan = scan_messages(messages, None, signer)
    if scan is not None:
        total = finish_scan(scan, messages, breakpoints, thinking_on, info)
        if total is not None:
            return max_tokens, scan.turns, total, scan.tokens
    return max_tokens, _check_messages(messages, breakpoints, thinking_on, info, signer), None, None


def _check_settings(body: dict[str, Any], max_tokens: int | None, info: ModelInfo | None) -> tuple[bool, int]:
    """Thinking, sampling, tools and system; returns (thinking on, cache breakpoints so far)."""
    # --- thinking and sampling
    thinking: Any = body.get("thinking")
    thinking_type = thinking.get("type") if isinstance(thinking, dict) else None
    thinking_on = thinking_type in ("enabled", "adaptive")
    tool_choice: Any = body.get("tool_choice")
    choice_type = tool_choice.get("type") if isinstance(tool_choice, dict) else None
    if thinking_type == "enabled" and max_tokens is not None and thinking["budget_tokens"] >= max_tokens:
        raise invalid("`max_tokens` must be greater than `thinking.budget_tokens`")
    if thinking_on and choice_type in ("any", "tool"):
        raise invalid("Thinking may not be enabled when tool_choice forces tool use.")
    temperature = body.get("temperature")
    top_p = body.get("top_p")
    if thinking_on:
        if temperature is not None and temperature != 1:
            raise invalid("`temperature` may only be set to 1 when thinking is enabled")
        if body.get("top_k") is not None:
            raise invalid("`top_k` may not be set when thinking is enabled")
        if top_p is not None and top_p < 0.95:
            raise invalid("`top_p` must be between 0.95 and 1 when thinking is enabled")
    if temperature is not None and top_p is not None and info is not None and info.exclusive_sampling:
        raise invalid(
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
        )

    # --- tools
    tools = body.get("tools") or []
    breakpoints = 1 if body.get("cache_control") else 0
    names: set[str] = set()
    for tool in tools:
        name = tool.get("name")
        if name in names:
            raise invalid("tools: Tool names must be unique.")
        names.add(name)
        if tool.get("cache_control"):
            breakpoints += 1
    if choice_type in ("any", "tool") and not tools:
        raise invalid("`tool_choice` may only be specified while providing tools.")
    if choice_type == "tool" and tool_choice["name"] not in names:
        raise invalid(f"tool_choice.tool.name: Tool '{tool_choice['name']}' not found in `tools`.")

    # --- system
    system = body.get("system")
    if isinstance(system, list):
        for j, block in enumerate(system):
            text = block.get("text", "")
            if type(text) is not str or not text or text.isspace():  # else _check_text passes
                _check_text(block, f"system.{j}", "system")
            if block.get("cache_control"):
                breakpoints += 1
    return thinking_on, breakpoints


def _check_messages(
    messages: list[dict[str, Any]], breakpoints: int, thinking_on: bool, info: ModelInfo | None, signer: Signer
) -> list[dict[str, Any]]:
    """The precise message rules, in order (raises the first broken one); returns the merged turns."""
    # --- each message, as sent
    last = len(messages) - 1
    tool_use_ids: set[str] = set()
    for i, message in enumerate(messages):
        content = message["content"]
        if not content:
            if i == last and message["role"] == "assistant":
                continue
            raise invalid(
                f"messages.{i}: all messages must have non-empty content except for the optional final "
                "assistant message"
            )
        if isinstance(content, str):
            if not content.strip():
                if i == last and message["role"] == "assistant":
                    raise invalid("messages: final assistant content cannot end with trailing whitespace")
                raise invalid("messages: text content blocks must contain non-whitespace text")
            continue
        for j, block in enumerate(content):
            path = f"messages.{i}.content.{j}"
            kind = block.get("type")
            if block.get("cache_control"):
                breakpoints += 1
            if kind == "text":
                _check_text(block, path, "messages")
            elif kind == "image":
                _check_image(block, path)
            elif kind == "tool_use":
                if block["id"] in tool_use_ids:
                    raise invalid("`tool_use` ids must be unique")
                tool_use_ids.add(block["id"])
            for suffix, inner in _nested(block):
                if inner.get("cache_control"):
                    breakpoints += 1
                if inner.get("type") == "image":
                    _check_image(inner, path + suffix)
    if breakpoints > MAX_CACHE_BREAKPOINTS:
        raise invalid(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {breakpoints}."
        )

    # --- the conversation, as the model sees it (same-role turns merged)
    turns, origins = merge_turns(messages)
    _check_signatures(turns, origins, signer)
    _check_tool_pairing(turns, origins)
    if thinking_on:
        _check_thinking_loop(turns, origins)
    final = _final_dialogue_turn(turns)
    if final is not None and turns[final]["role"] == "assistant":
        _check_prefill(turns[final], info)
    return turns


def _check_signatures(turns: list[dict[str, Any]], origins: list[list[int]], signer: Signer) -> None:
    latest = next((t for t in range(len(turns) - 1, -1, -1) if turns[t]["role"] == "assistant"), None)
    for t, turn in enumerate(turns):
        if turn["role"] != "assistant":
            continue
        for b, block in enumerate(turn["content"]):
            kind = block.get("type")
            if kind == "thinking":
                verdict = signer.verify(block["thinking"], block["signature"])
                if verdict is Verdict.FORGED:
                    raise invalid(
                        f"{_block_path(turns, origins, t, b)}: Invalid `signature` in `thinking` block"
                    )
                if verdict is Verdict.MODIFIED and t == latest:
                    raise invalid(
                        "The `thinking` blocks in the latest assistant message cannot be modified. "
                        "These blocks must remain as they were in the original response."
                    )
            elif kind == "redacted_thinking":
                data = block["data"]
                if not signer.verify_redacted(data) and signer.verify("", data) is Verdict.FORGED:
                    raise invalid(
                        f"{_block_path(turns, origins, t, b)}: Invalid `data` in `redacted_thinking` block"
                    )


def _block_path(turns: list[dict[str, Any]], origins: list[list[int]], t: int, b: int) -> str:
    """``messages.I.content.J`` of block ``b`` of merged turn ``t``, in the request as sent."""
    i = origins[t][b]
    j = b - origins[t].index(i)
    return f"messages.{i}.content.{j}"


def _check_tool_pairing(turns: list[dict[str, Any]], origins: list[list[int]]) -> None:
    """tool_use / tool_result pairing between consecutive (merged, non-system) turns.

    A ``tool_result`` naming no ``tool_use`` of the previous turn is reported before a ``tool_use``
    left without result (a wrong id breaks both; the API names the result).
    """
    dialogue = [t for t, turn in enumerate(turns) if turn["role"] != "system"]
    for n, t in enumerate(dialogue):
        turn = turns[t]
        if turn["role"] != "user":
            continue
        prev = turns[dialogue[n - 1]] if n > 0 else None
        available = (
            {b["id"] for b in prev["content"] if b.get("type") == "tool_use"}
            if prev is not None and prev["role"] == "assistant"
            else set()
        )
        for b, block in enumerate(turn["content"]):
            if block.get("type") == "tool_result" and block["tool_use_id"] not in available:
                raise invalid(
                    f"{_block_path(turns, origins, t, b)}: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {block['tool_use_id']}. Each `tool_result` block must have a corresponding "
                    "`tool_use` block in the previous message."
                )
    for n, t in enumerate(dialogue):
        turn = turns[t]
        if turn["role"] != "assistant":
            continue
        used = [b["id"] for b in turn["content"] if b.get("type") == "tool_use"]
        if not used:
            continue
        nxt = turns[dialogue[n + 1]] if n + 1 < len(dialogue) else None
        answered: set[str] = set()
        if nxt is not None:
            for block in nxt["content"]:  # only the leading run of tool_result blocks counts
                if block.get("type") != "tool_result":
                    break
                answered.add(block["tool_use_id"])
        missing = [u for u in used if u not in answered]
        if missing:
            first = next(
                b for b, blk in enumerate(turn["content"]) if blk.get("type") == "tool_use" and blk["id"] in missing
            )
            raise invalid(
                f"messages.{origins[t][first]}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a corresponding "
                "`tool_result` block in the next message."
            )


def _check_thinking_loop(turns: list[dict[str, Any]], origins: list[list[int]]) -> None:
    """With thinking on, in a tool loop the last assistant turn must open with a thinking block."""
    dialogue = [t for t, turn in enumerate(turns) if turn["role"] != "system"]
    if len(dialogue) < 2:
        return
    last, before = turns[dialogue[-1]], dialogue[-2]
    if last["role"] != "user" or turns[before]["role"] != "assistant":
        return
    if not any(b.get("type") == "tool_result" for b in last["content"]):
        return
    blocks = turns[before]["content"]
    first = blocks[0].get("type") if blocks else None
    if first in ("thinking", "redacted_thinking"):
        return
    raise invalid(
        f"{_block_path(turns, origins, before, 0)}.type: Expected `thinking` or `redacted_thinking`, but found "
        f"`{first}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block "
        "(preceeding the lastmost set of `tool_use` and `tool_result` blocks)." + THINKING_DOCS_TAIL
    )
