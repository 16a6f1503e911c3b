"""Answers from a cassette.

The request is matched (see :mod:`mockclaude.cassette.matching`) against the interactions indexed at
load time; the recorded response is returned in the form the client asked for — the app's renderer
turns a recorded JSON body into SSE for a stream request and accumulates a recorded stream for a
JSON request. When the form is the recorded one, ``Answer.raw`` carries the exact recorded bytes.

An unmatched request, when the record mode cannot record it, is answered with HTTP 400
``invalid_request_error`` and ``x-should-retry: false`` (SDKs raise it at once and do not retry; a
404 would read as "unknown model", a 5xx would be retried), and an
:class:`~mockclaude.errors.UnmatchedRequestError` with the same explanation is appended to
``app.unmatched`` for the pytest plugin to raise at teardown.
"""

from __future__ import annotations

import logging
from typing import Any

from ..cassette.format import Cassette, Interaction
from ..cassette.matching import Index, RequestView
from ..errors import ApiError, UnmatchedRequestError
from ..redact import REDACTED
from ..sse import StreamError, message_from_events
from . import Answer

__all__ = ["UNMATCHED_STATUS", "ReplayResponder", "answer_from", "replay_headers"]

log = logging.getLogger("mockclaude.cassette")

UNMATCHED_STATUS = 400
UNMATCHED_HEADER = "x-mockclaude-unmatched"

# Recorded response headers that describe the recorded transfer, not the answer: the renderer sets its own.
_TRANSPORT = frozenset(
    {
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "date",
        "server",
    }
)


def replay_headers(recorded: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in recorded.items() if k not in _TRANSPORT and v != REDACTED}


def answer_from(it: Interaction, *, stream: bool, source: str = "cassette") -> Answer:
    """The Answer that replays ``it`` to a client that asked for a stream (or not)."""
    r = it.response
    headers = replay_headers(r.headers)
    if r.status != 200 or (r.events is None and r.body is None):
        return Answer(status=r.status, headers=headers, body=r.body, raw=r.exact_bytes(), source=source)
    if r.events is not None:
        return Answer(
            headers=headers,
            events=r.events,
            offsets=r.offsets,
            raw=r.exact_bytes() if stream else None,
            source=source,
        )
    return Answer(headers=headers, body=r.body, raw=None if stream else r.exact_bytes(), source=source)


def _agrees(refusal: ApiError, it: Interaction) -> bool:
    from ..cassette.fidelity import verdict

    return verdict(refusal, it.response.status, it.response.body) is None


def request_view(exchange: Any) -> RequestView:
    # From the scope: building ``request.url`` (a whole URL, re-parsed) costs more than the lookup.
    scope = exchange.request.scope
    return RequestView(scope["method"], scope["path"], scope.get("query_string", b"").decode(), exchange.body)


class ReplayResponder:
    """Replays a cassette. ``fallthrough``: pass unmatched requests on (new_episodes) instead of failing."""

    def __init__(
        self,
        app: Any,
        cassette: Cassette,
        index: Index,
        *,
        mode: str = "none",
        allow_repeats: bool = True,
        fallthrough: bool = False,
    ) -> None:
        self.app = app
        self.cassette = cassette
        self.index = index
        self.mode = mode
        self.allow_repeats = allow_repeats
        self.fallthrough = fallthrough
        self.unmatched: list[UnmatchedRequestError] = []

    def reset(self) -> None:
        """Rewind: recorded interactions play from the first again; forget unmatched requests."""
        self.index.rewind()
        self.unmatched.clear()

    def unused(self) -> list[str]:
        """The interactions not played since the last rewind, described (``#2 POST /v1/messages (model …)``)."""
        out = []
        for pos in self.index.unplayed():
            req = self.index.interactions[pos].request
            model = req.body.get("model") if isinstance(req.body, dict) else None
            out.append(f"#{pos} {req.method} {req.path}" + (f" (model {model})" if model else ""))
        return out

    async def respond(self, exchange: Any) -> Answer | None:
        req = request_view(exchange)
        refusal = getattr(exchange, "refusal", None)
        if refusal is not None:
            # The double refused it: an interaction recorded as a disagreement overrides that; when
            # recording new episodes, so does a recorded refusal that agrees (not forwarded again).
            pos = self.index.peek(req, repeat=self.allow_repeats)
            if pos is None:
                return None
            it = self.index.interactions[pos]
            if it.disagreement is None and not (self.fallthrough and _agrees(refusal, it)):
                return None
        pos, matching = self.index.next(req, repeat=self.allow_repeats)
        if pos is not None:
            if exchange.entry is not None:
                exchange.entry.notes.append(f"replayed interaction #{pos} of {self.cassette.path}")
                if getattr(exchange, "refusal", None) is not None:
                    exchange.entry.notes.append(
                        "the double refuses this request, the real API did not: answered as recorded"
                    )
                    exchange.entry.disagreement = self.index.interactions[pos].disagreement
            answer = answer_from(self.index.interactions[pos], stream=exchange.stream)
            if answer.events is not None and not exchange.stream and answer.status == 200:
                return self._folded(answer, pos, exchange)
            return answer
        if self.fallthrough:
            return None
        err = self.unmatched_error(req, exhausted=matching)
        self.unmatched.append(err)
        shared = getattr(self.app, "unmatched", None)
        if isinstance(shared, list):
            shared.append(err)
        for hook in list(getattr(self.app, "on_unmatched", ())):
            try:
                hook(err)
            except Exception:  # a failing hook must not turn the answer into a 500
                log.exception("mockclaude: on_unmatched hook failed")
        if exchange.entry is not None:
            exchange.entry.notes.append("unmatched: " + str(err).splitlines()[0])
        log.warning("%s (%s)", str(err).split(". closest recorded: ")[0], exchange.request_id)
        body = ApiError(UNMATCHED_STATUS, str(err), type="invalid_request_error").body(exchange.request_id)
        return Answer(
            status=UNMATCHED_STATUS,
            headers={"x-should-retry": "false", UNMATCHED_HEADER: "true"},
            body=body,
            source="cassette",
        )

    def _folded(self, answer: Answer, pos: int, exchange: Any) -> Answer:
        """A recorded stream asked for as JSON: the message it accumulates to. A stream no accumulator
        can fold (events out of order, a delta for a block never started) is a broken cassette, told
        as such — a 400 naming the file and interaction, not a 500."""
        try:
            answer.body = message_from_events(answer.events or [])
        except StreamError:
            return answer  # an error event: the app answers the error it carried
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
            where = f"interaction #{pos} of cassette {self.cassette.path or '(in memory)'}"
            message = (
                f"mockclaude: the recorded stream of {where} cannot be folded into a JSON message "
                f"({type(err).__name__}: {err}); request it with stream=true, or re-record it "
                "(`mockclaude cassette lint` reports such streams)"
            )
            if exchange.entry is not None:
                exchange.entry.notes.append(message)
            body = ApiError(UNMATCHED_STATUS, message, type="invalid_request_error").body(exchange.request_id)
            return Answer(status=UNMATCHED_STATUS, headers={"x-should-retry": "false"}, body=body, source="cassette")
        answer.events = answer.offsets = None
        return answer

    def unmatched_error(self, req: RequestView, *, exhausted: int = 0) -> UnmatchedRequestError:
        where = str(self.cassette.path) if self.cassette.path else "the cassette"
        head = f"mockclaude: no interaction in cassette {where} matches {req.method} {req.path}"
        if exhausted:
            reason = f"all {exhausted} matching interaction(s) were already played and allow_playback_repeats is off"
            closest = self.index.closest(req)
        elif not len(self.index):
            reason = "the cassette has no interactions"
            closest = []
        else:
            reason = ""
            closest = self.index.closest(req)
        lines = [f"{head} (record mode {self.mode}; matching on {', '.join(self.index.matcher.match_on)})"]
        if reason:
            lines.append(reason)
        if closest:
            lines.append("closest recorded: " + "; ".join(c.describe() for c in closest))
            lines.append(
                "to record it: record mode new_episodes (--record-mode / --mockclaude-record-mode new_episodes); "
                "to match without a field: --ignore-field NAME (ignore_fields=[...])"
            )
        request = {"method": req.method, "path": req.path, "query": req.query, "body": req.body}
        return UnmatchedRequestError(". ".join(lines), request=request, closest=closest)
