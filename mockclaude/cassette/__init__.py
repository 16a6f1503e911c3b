"""Cassettes: recorded Messages API sessions, replayed byte for byte as JSON or SSE.

    from mockclaude.cassette import Cassette
    cassette = Cassette.load("cassettes/plain_answer.yaml")
    for it in cassette: print(it.request.body["model"], it.response.status)

The app builds its cassette responders with :func:`responders_for` according to the record mode:

==============  ==================================================================================
none (default)  replay only; an unmatched request is an error (missing file: CassetteNotFoundError)
once            no file yet: record everything; file exists: replay only, as ``none``
new_episodes    replay what matches, forward and record the rest (the file is created if needed)
all             forward and record everything; the file is overwritten with this session
==============  ==================================================================================

The package's modules: ``format`` (the file and its model), ``append`` (the recorder's write path),
``durable`` (crash-safe replacement), ``matching`` (the replay index), ``scrub`` (secrets kept out),
``fidelity`` (the double against the real API), ``cli`` (``mockclaude cassette ...``) and ``vcr``
(the VCR.py importer).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..redact import DEFAULT_REDACT
from .format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)
from .matching import DEFAULT_IGNORE, DEFAULT_MATCH_ON, Candidate, Index, Matcher, RequestView

__all__ = [
    "DEFAULT_IGNORE",
    "DEFAULT_MATCH_ON",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Candidate",
    "Cassette",
    "Index",
    "Interaction",
    "Matcher",
    "RecordedRequest",
    "RecordedResponse",
    "RequestView",
    "effective_mode",
    "remember_signatures",
    "responders_for",
]


_FREEZE_AT = 5_000  # interactions


def effective_mode(record_mode: str, path: str | Path) -> str:
    """``once`` resolves to ``all`` (no file yet) or ``none`` (file exists); other modes are themselves."""
    if record_mode == "once":
        return "none" if Path(path).exists() else "all"
    return record_mode


def _thinking_blocks(blocks: Any) -> Iterable[dict[str, Any]]:
    if isinstance(blocks, list):
        for b in blocks:
            if isinstance(b, dict) and b.get("type") in ("thinking", "redacted_thinking"):
                yield b


def remember_signatures(signer: Any, interactions: Iterable[Interaction]) -> int:
    """Register every recorded thinking signature (and redacted_thinking data) with ``signer``, so a
    client passing them back in a later turn is accepted as the real API would. Returns the count."""
    n = 0
    for it in interactions:
        sources: list[Any] = []
        body = it.request.body
        if isinstance(body, dict):
            sources.extend(m.get("content") for m in body.get("messages") or [] if isinstance(m, dict))
        message = it.response.message() if (it.response.events is not None or it.response.body) else None
        if isinstance(message, dict):
            sources.append(message.get("content"))
        for blocks in sources:
            for b in _thinking_blocks(blocks):
                if b["type"] == "thinking" and isinstance(b.get("signature"), str) and b["signature"]:
                    signer.remember(b["signature"], b.get("thinking") or "")
                    n += 1
                elif b["type"] == "redacted_thinking" and isinstance(b.get("data"), str):
                    signer.remember(b["data"], "")
                    n += 1
    return n


def responders_for(app: Any) -> list[Any]:
    """The responders for ``app.settings`` (cassette, record_mode, upstream, matching options)."""
    from ..responders.replay import ReplayResponder
    from ..responders.upstream import UpstreamResponder

    s = app.settings
    path = Path(s.cassette)
    mode = effective_mode(s.record_mode, path)
    matcher = Matcher(s.match_on, s.ignore_fields)
    redact = tuple(dict.fromkeys((*DEFAULT_REDACT, *s.redact_headers)))
    if mode == "none":
        cassette = Cassette.load(path)
    elif mode == "new_episodes":
        cassette = Cassette.load(path) if path.exists() else Cassette(path=path)
    else:  # all: this session replaces the file
        cassette = Cassette(path=path)
    signer = getattr(app, "signer", None)
    if signer is not None:
        remember_signatures(signer, cassette.interactions)

    def on_record(it: Interaction) -> None:
        if signer is not None:
            remember_signatures(signer, [it])

    out: list[Any] = []
    index = Index(matcher, cassette.interactions)
    if len(cassette) >= _FREEZE_AT:
        # A big cassette is millions of long-lived objects: move them out of the cyclic GC's reach
        # so that its full collections (triggered by per-request garbage) do not walk them all.
        gc.collect()
        gc.freeze()
    if mode in ("none", "new_episodes"):
        out.append(
            ReplayResponder(
                app,
                cassette,
                index,
                mode=s.record_mode,
                allow_repeats=s.allow_playback_repeats,
                fallthrough=mode == "new_episodes",
            )
        )
    if mode in ("new_episodes", "all"):
        out.append(
            UpstreamResponder(
                cassette,
                upstream=s.upstream,
                index=index if mode == "new_episodes" else None,
                redact=redact,
                on_record=on_record,
                fresh=mode == "all",
                proxy=s.upstream_proxy,
            )
        )
    return out
