"""``validate_messages``: a request body in, a :class:`ValidRequest` (or an ApiError) out."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable
from typing import Any

from ..errors import invalid
from ..signatures import Signer
from . import rules
from .betas import split_beta_fields
from .models import ModelInfo
from .scan import merged_turns, recent_turns, scan_messages
from .schema import ENDPOINTS, fast_parts, shape_error, shape_ok
from .versions import KNOWN_VERSIONS

__all__ = ["ValidRequest", "validate_messages"]


@dataclass(slots=True)
class ValidRequest:
    """A request that passed validation, with the parts responders need already normalised.

    ``messages`` are the turns as the model sees them: consecutive same-role messages merged, string
    content turned into one text block (``system``-role turns, 2026-10-21 only, are kept as such).
    Blocks are shared with ``body``, not copied: treat them as read-only. They are made when first
    asked for (most answers look only at the last turns: :meth:`recent_turns`).
    """

    body: dict[str, Any]
    version: str
    model_id: str
    model: ModelInfo | None
    max_tokens: int | None
    system_blocks: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    tool_choice: dict[str, Any] | None
    thinking: dict[str, Any] | None
    stream: bool
    stop_sequences: list[str]
    endpoint: str = "messages"
    # Counted by the validator's fast pass on its way through the messages (None: not counted, when
    # the precise checks ran): the input tokens of ``messages`` as ``tokens.count_request`` counts
    # them, and the cache breakpoints of the whole request (tools, system, blocks, nested blocks).
    message_tokens: int | None = None
    cache_breakpoints: int | None = None
    # The digest the synthetic answer is made from (``synthetic.request_digest``), when the server
    # already has it (None: computed from the body when needed).
    digest: bytes | None = None
    # The structured-output format the answer must follow: ``output_config.format`` or, under the
    # structured-outputs beta, ``output_format`` (both ``{"type": "json_schema", "schema": …}``).
    output_format: dict[str, Any] | None = None
    # False when no object of the body has a member named ``stream`` or ``…"stream`` (the plain
    # messages' and blocks' members are known): then the bytes cannot hold a ``"stream": true|false``
    # to leave out of the answer's digest (``synthetic.request_digest``), which is their SHA-256, and
    # the server need not search them for one. True: not known.
    stream_keys: bool = True
    # The merged turns once made (None: not yet), and the messages they are made from (those of the
    # body the schema saw, beta stand-ins included).
    _turns: list[dict[str, Any]] | None = None
    _source: list[dict[str, Any]] | None = None
    _recent: list[dict[str, Any]] | None = None  # recent_turns() once made

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The merged turns (made on first use; a race only makes the same list twice)."""
        turns = self._turns
        if turns is None:
            turns = self._turns = merged_turns(self._source or [])
        return turns

    def recent_turns(self) -> list[dict[str, Any]]:
        """The tail of :attr:`messages` from the last ``user`` turn (all of them without one),
        made without merging the whole conversation (once: a remembered request is answered again)."""
        recent = self._recent
        if recent is None:
            turns = self._turns
            if turns is not None:
                last_user = next((t for t in range(len(turns) - 1, -1, -1) if turns[t]["role"] == "user"), 0)
                recent = turns[last_user:]
            else:
                source = self._source or []
                last = source[-1] if source else None
                if last is not None and last["role"] == "user" and (len(source) == 1 or source[-2]["role"] != "user"):
                    # the common case, one user message last: its turn alone
                    content = last["content"]
                    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
                    recent = [{"role": "user", "content": blocks}]
                else:
                    recent = recent_turns(source)
            self._recent = recent
        return recent


def _may_hold_stream_keys(body: dict[str, Any]) -> bool:
    """The top level of ``body`` (its messages aside) may have a member named ``stream`` or ending
    in ``"stream``, at any depth: True for such a key, or any object or list in it (not walked: a small
    body's bytes are searched as fast), but for a list of strings."""
    for key, value in body.items():
        if key == "messages":
            continue
        if key == "stream" or key.endswith('"stream'):
            return True
        kind = type(value)
        if kind is dict or (kind is list and not all(type(item) is str for item in value)):
            return True
    return False


def _thinking(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    kind = value["type"]
    if kind == "enabled":
        return {
            "type": "enabled",
            "budget_tokens": int(value["budget_tokens"]),
            "display": value.get("display") or "summarized",
        }
    if kind == "adaptive":
        return {"type": "adaptive", "display": value.get("display") or "summarized"}
    return {"type": kind}


def validate_messages(
    body: Any,
    *,
    version: str,
    signer: Signer,
    strict_models: bool = False,
    endpoint: str = "messages",
    betas: Iterable[str] = (),
) -> ValidRequest:
    """Validate a parsed body for ``POST /v1/messages`` (or ``/v1/messages/count_tokens``).

    Raises :class:`~mockclaude.errors.ApiError` — 400 for a malformed request, 404 for an unknown
    model — with the real API's wording; anything else escaping is a bug. ``betas``: the request's
    ``anthropic-beta`` flags, which admit the fields of :mod:`.betas`.
    """
    if endpoint not in ENDPOINTS:
        raise ValueError(f"endpoint must be one of {ENDPOINTS}, not {endpoint!r}")
    if version not in KNOWN_VERSIONS:
        raise invalid(f'anthropic-version: "{version}" is not a valid version')
    if not isinstance(body, dict):
        raise invalid("Input should be a valid dictionary")
    sent = body
    body, admitted = split_beta_fields(body, betas, version=version, endpoint=endpoint)
    try:
        # One pass over the messages checks their shape and the message rules and counts on the way
        # (scan.py); the rest of the body's shape is checked first. On any doubt the precise path runs.
        outer, check_message = fast_parts(version, endpoint)
        try:
            scan = scan_messages(body["messages"], check_message, signer) if outer(body) else None
        except RecursionError:  # too deep for the fast checks: the precise path words it
            scan = None
        if scan is None and not shape_ok(body, version, endpoint):
            # A body of the right shape cannot break the rules checked before the schema (its roles and
            # fields are what the schema allows), so those run only when the shape check fails, in the
            # API's order: the before-schema rules, then the shape error.
            rules.check_before_schema(body, version, endpoint)
            error = shape_error(body, version, endpoint)
            if error is not None:
                raise error
        model_id: str = body["model"]
        info = rules.check_model(model_id, strict=strict_models)
        max_tokens, turns, breakpoints, message_tokens = rules.check_request_counted(
            body, version=version, endpoint=endpoint, model_id=model_id, info=info, signer=signer, scan=scan
        )
    except RecursionError:
        raise invalid("The request body is too deeply nested") from None
    system = body.get("system")
    if isinstance(system, str):
        system_blocks = [{"type": "text", "text": system}] if system else []
    else:
        system_blocks = list(system or [])
    config = body.get("output_config")
    output_format = config.get("format") if isinstance(config, dict) else None
    return ValidRequest(
        body=sent,
        version=version,
        model_id=model_id,
        model=info,
        max_tokens=max_tokens,
        system_blocks=system_blocks,
        tools=list(sent.get("tools") or []),  # as sent: beta tool types too (betas.py shows the schema stand-ins)
        tool_choice=body.get("tool_choice"),
        thinking=_thinking(body.get("thinking")),
        stream=bool(body.get("stream", False)),
        stop_sequences=list(body.get("stop_sequences") or []),
        endpoint=endpoint,
        output_format=output_format or admitted.get("output_format"),
        stream_keys=scan is None or scan.opaque or body is not sent or _may_hold_stream_keys(sent),
        message_tokens=message_tokens,
        cache_breakpoints=breakpoints,
        _turns=turns,
        _source=body["messages"],
    )
