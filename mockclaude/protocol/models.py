"""The model registry: which ids exist, their output limits and lifecycle, and ``/v1/models`` pages.

Sources: the SDK's ``types/model_param.py`` (today's ids) and ``_data/deprecated_models.py``
(end-of-life dates), plus the well-known older ids. Context windows, output limits and release dates
come from the published model pages; the source is written beside each entry, and the few figures no
page gave are marked CHOSEN (see docs/validation.md). Capabilities: :mod:`.capabilities`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError, invalid

__all__ = [
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "MODELS",
    "ModelInfo",
    "get_model",
    "list_models_page",
    "looks_like_model",
    "model_object",
]

# The output limit applied to a plausible but unknown model id (accepted when not strict).
DEFAULT_MAX_OUTPUT_TOKENS = 128_000
DEFAULT_CONTEXT_WINDOW = 200_000


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    display_name: str
    created_at: str  # RFC 3339
    max_output_tokens: int
    context_window: int = DEFAULT_CONTEXT_WINDOW
    lifecycle: str = "active"  # "active" | "deprecated" | "retired"
    deprecated_at: str | None = None  # RFC 3339
    retires_at: str | None = None  # RFC 3339
    aliases: tuple[str, ...] = field(default=())
    line: str | None = None
    # Whether a conversation may end with an assistant turn (prefill); see rules.py.
    prefill: bool = True
    # Whether `temperature` and `top_p` are mutually exclusive (2023-06-01 sampling rule).
    exclusive_sampling: bool = False


def _m(
    id: str,
    name: str,
    created: str,
    out: int,
    ctx: int = DEFAULT_CONTEXT_WINDOW,
    *,
    aliases: tuple[str, ...] = (),
    lifecycle: str = "active",
    deprecated: str | None = None,
    retires: str | None = None,
    prefill: bool = True,
    exclusive: bool = False,
) -> ModelInfo:
    line = next((x for x in ("haiku", "sonnet", "opus", "fable", "mythos") if x in id), None)
    return ModelInfo(
        id=id,
        display_name=name,
        created_at=f"{created}T00:00:00Z",
        max_output_tokens=out,
        context_window=ctx,
        lifecycle=lifecycle,
        deprecated_at=f"{deprecated}T00:00:00Z" if deprecated else None,
        retires_at=f"{retires}T00:00:00Z" if retires else None,
        aliases=aliases,
        line=line,
        prefill=prefill,
        exclusive_sampling=exclusive,
    )


_M = 1_000_000
# Sources (checked 2026-12-01; "docs" = platform.claude.com/docs/en/models/<slug>/overview, the
# per-model pages, whose header reads "Released <date> · Context window · Max output"; their
# "compares to the current lineup" tables agree). Where a page was not found the figure is marked
# CHOSEN and docs/validation.md says so. Listed newest first by release date, as /v1/models lists.
MODELS: tuple[ModelInfo, ...] = tuple(sorted((
    # Fable 5.2 / Mythos 5.2: 1M / 128K, released 2026-11-09 (AWS Bedrock model card "Claude Mythos 5.2":
    # same model as Fable 5.2; Runware "Claude Fable 5.2" page)
    _m("claude-fable-5-2", "Claude Fable 5.2", "2026-11-09", 128_000, _M, prefill=False, exclusive=True),
    _m("claude-mythos-5-2", "Claude Mythos 5.2", "2026-11-09", 128_000, _M, prefill=False, exclusive=True),
    # Haiku 5.5: 1M / 128K, released 2026-10-07 (docs haiku-5-5; was 64K here: wrong)
    _m("claude-haiku-5-5", "Claude Haiku 5.5", "2026-10-07", 128_000, _M, prefill=False, exclusive=True),
    # Sonnet 5.5, Opus 5.5, Fable 5.1: 1M / 128K (docs sonnet-5-5, opus-5-5, the lineup tables);
    # release dates not found: CHOSEN, in the SDK's order
    _m("claude-sonnet-5-5", "Claude Sonnet 5.5", "2026-09-17", 128_000, _M, prefill=False, exclusive=True),
    _m("claude-fable-5-1", "Claude Fable 5.1", "2026-09-10", 128_000, _M, prefill=False, exclusive=True),
    _m("claude-opus-5-5", "Claude Opus 5.5", "2026-09-03", 128_000, _M, prefill=False, exclusive=True),
    # Mythos 5.1: shares Fable 5.1's specifications (docs fable-5 "Fable vs. Mythos"); date CHOSEN
    _m("claude-mythos-5-1", "Claude Mythos 5.1", "2026-08-20", 128_000, _M, prefill=False, exclusive=True),
    # Opus 5: 1M / 128K, released 2026-07-24 (docs opus-5)
    _m("claude-opus-5", "Claude Opus 5", "2026-07-24", 128_000, _M, prefill=False, exclusive=True),
    # Sonnet 5: 1M / 128K, released 2026-06-30 (docs sonnet-5)
    _m("claude-sonnet-5", "Claude Sonnet 5", "2026-06-30", 128_000, _M, prefill=False, exclusive=True),
    # Fable 5: 1M / 128K, released 2026-06-09 (docs fable-5); Mythos 5 shares its specifications
    _m("claude-fable-5", "Claude Fable 5", "2026-06-09", 128_000, _M, prefill=False, exclusive=True),
    _m("claude-mythos-5", "Claude Mythos 5", "2026-06-09", 128_000, _M, prefill=False, exclusive=True),
    # Opus 4.8: 1M / 128K, released 2026-05-28 (docs opus-4-8)
    _m("claude-opus-4-8", "Claude Opus 4.8", "2026-05-28", 128_000, _M, prefill=False, exclusive=True),
    # Opus 4.7: 1M / 128K, launched 2026-04-16 (AWS Bedrock model card; Vertex AI model page)
    _m("claude-opus-4-7", "Claude Opus 4.7", "2026-04-16", 128_000, _M, prefill=False, exclusive=True),
    # Mythos Preview: limits and date CHOSEN (no page found); retirement from the SDK's deprecation list
    _m(
        "claude-mythos-preview", "Claude Mythos Preview", "2026-04-07", 128_000, _M,
        lifecycle="deprecated", deprecated="2026-06-01", retires="2026-06-30", prefill=False, exclusive=True,
    ),
    # Opus 4.6: 1M / 128K, released 2026-02-05 (docs opus-4-6)
    _m("claude-opus-4-6", "Claude Opus 4.6", "2026-02-05", 128_000, _M, prefill=False, exclusive=True),
    # Sonnet 4.6: 1M / 128K, released 2026-02-17 (docs sonnet-4-6; Vercel AI Gateway page). Was 64K
    # here: pydantic-ai and LiteLLM send max_tokens 128000 by default and got a 400.
    _m("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17", 128_000, _M, prefill=False, exclusive=True),
    # Opus 4.5, Haiku 4.5, Sonnet 4.5: 200K / 64K (the older models overview table: "Max output 64K";
    # the 5.x lineup tables: Haiku 4.5 200K / 64K); Sonnet 4.5's 1M needs the context-1m beta
    _m(
        "claude-opus-4-5-20251101", "Claude Opus 4.5", "2025-11-24", 64_000,
        aliases=("claude-opus-4-5",), lifecycle="deprecated", deprecated="2026-07-22", retires="2027-01-22",
        exclusive=True,
    ),
    _m("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15", 64_000, aliases=("claude-haiku-4-5",),
       exclusive=True),
    _m(
        "claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29", 64_000,
        aliases=("claude-sonnet-4-5",), lifecycle="deprecated", deprecated="2026-05-30", retires="2026-11-30",
        exclusive=True,
    ),
    # --- older, well known ids (not in the SDK's list any more); the public figures of their time:
    # Opus 4.1 / Opus 4: 32K, Sonnet 4 and 3.7 Sonnet: 64K (3.7: 128K only with output-128k-2025-02-19),
    # 3.5 Haiku / 3.5 Sonnet: 8192, 3 Haiku / 3 Opus: 4096; all 200K context
    _m("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05", 32_000, aliases=("claude-opus-4-1",),
       lifecycle="deprecated", deprecated="2026-03-01", exclusive=True),
    _m("claude-opus-4-20250514", "Claude Opus 4", "2025-05-22", 32_000, aliases=("claude-opus-4-0",),
       lifecycle="deprecated", deprecated="2026-01-15"),
    _m("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22", 64_000, aliases=("claude-sonnet-4-0",),
       lifecycle="deprecated", deprecated="2026-01-15"),
    _m("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "2025-02-24", 64_000,
       aliases=("claude-3-7-sonnet-latest",), lifecycle="deprecated", deprecated="2025-10-28", retires="2026-02-19"),
    _m("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22", 8_192,
       aliases=("claude-3-5-haiku-latest",), lifecycle="deprecated", deprecated="2025-12-19", retires="2026-02-19"),
    _m("claude-3-5-sonnet-20241022", "Claude Sonnet 3.5 (New)", "2024-10-22", 8_192,
       aliases=("claude-3-5-sonnet-latest",), lifecycle="retired", deprecated="2025-08-13", retires="2025-10-22"),
    _m("claude-3-5-sonnet-20240620", "Claude Sonnet 3.5 (Old)", "2024-06-20", 8_192,
       lifecycle="retired", deprecated="2025-08-13", retires="2025-10-22"),
    _m("claude-3-haiku-20240307", "Claude Haiku 3", "2024-03-07", 4_096,
       lifecycle="deprecated", deprecated="2025-12-19", retires="2026-04-20"),
    _m("claude-3-opus-20240229", "Claude Opus 3", "2024-02-29", 4_096, aliases=("claude-3-opus-latest",),
       lifecycle="retired", deprecated="2025-06-30", retires="2026-01-05"),
), key=lambda m: m.created_at, reverse=True))  # fmt: skip

_BY_ID: dict[str, ModelInfo] = {}
for _info in MODELS:
    _BY_ID[_info.id] = _info
    for _alias in _info.aliases:
        _BY_ID[_alias] = _info
_POSITION = {info.id: i for i, info in enumerate(MODELS)}

_PLAUSIBLE = re.compile(r"claude-[a-z0-9]+(?:[.-][a-z0-9]+)*")


def get_model(model_id: str) -> ModelInfo | None:
    """The registry entry for an id or alias (aliases resolve to the dated model), else None."""
    return _BY_ID.get(model_id) if isinstance(model_id, str) else None


def looks_like_model(model_id: object) -> bool:
    """Whether an id could name a Claude model (``claude-`` then lowercase ``[a-z0-9.-]`` segments)."""
    return isinstance(model_id, str) and len(model_id) <= 256 and _PLAUSIBLE.fullmatch(model_id) is not None


def model_object(info: ModelInfo, *, version: str = "2023-06-01") -> dict[str, Any]:
    """The ``/v1/models`` item for a model: every field of SDK 2.14's ``ModelInfo``.

    The Models API serves the same fields under every ``anthropic-version`` (``lifecycle`` is a
    required field of the SDK's type, and the SDK's default version is 2023-06-01); ``version`` is
    kept for callers and future differences.
    """
    from .capabilities import capabilities  # a sibling module that reads ModelInfo

    return {
        "type": "model",
        "id": info.id,
        "display_name": info.display_name,
        "created_at": info.created_at,
        "lifecycle": info.lifecycle,
        "deprecated_at": info.deprecated_at,
        "retires_at": info.retires_at,
        "line": info.line,
        "max_input_tokens": info.context_window,
        "max_tokens": info.max_output_tokens,
        "capabilities": capabilities(info),
    }


def _limit(limit: Any) -> int:
    if isinstance(limit, str):
        try:
            limit = int(limit.strip())
        except ValueError:
            raise invalid("limit: Input should be a valid integer, unable to parse string as an integer") from None
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise invalid("limit: Input should be a valid integer")
    if limit < 1:
        raise invalid("limit: Input should be greater than or equal to 1")
    if limit > 1000:
        raise invalid("limit: Input should be less than or equal to 1000")
    return limit


def list_models_page(
    *,
    after_id: str | None = None,
    before_id: str | None = None,
    limit: int | str = 20,
    lifecycle: Iterable[str] | None = None,
    version: str = "2023-06-01",
) -> dict[str, Any]:
    """One page of ``GET /v1/models``, newest first, with the API's cursor semantics.

    ``lifecycle`` filters (default: active and deprecated, as the API lists). Raises ApiError 400
    for a bad ``limit`` (1..1000) or both cursors, 404 for a cursor that names no model.
    """
    n = _limit(limit)
    if after_id is not None and before_id is not None:
        raise invalid("Only one of `after_id` and `before_id` may be provided.")
    wanted = set(lifecycle) if lifecycle is not None else {"active", "deprecated"}
    bad = wanted - {"active", "deprecated", "retired"}
    if bad:
        raise invalid("lifecycle: Input should be 'active', 'deprecated' or 'retired'")
    items = [m for m in MODELS if m.lifecycle in wanted]
    ids = [m.id for m in items]

    def _index(cursor: str, name: str) -> int:
        info = get_model(cursor)
        if info is None or info.id not in ids:
            raise ApiError(404, f"{name}: model {cursor} not found", type="not_found_error")
        return ids.index(info.id)

    if after_id is not None:
        start = _index(after_id, "after_id") + 1
        page = items[start : start + n]
        has_more = start + n < len(items)
    elif before_id is not None:
        end = _index(before_id, "before_id")
        start = max(0, end - n)
        page = items[start:end]
        has_more = start > 0
    else:
        page = items[:n]
        has_more = n < len(items)
    data = [model_object(m, version=version) for m in page]
    return {
        "data": data,
        "has_more": has_more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }
