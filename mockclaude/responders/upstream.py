"""Recording: forward a request to the upstream API, pass its answer through, keep it in the cassette.

* Only the configured upstream is contacted: the URL is the upstream base plus the request's path
  and query; redirects are not followed. The connection may go through a proxy (``upstream_proxy``,
  or the environment's ``HTTPS_PROXY``…: see :mod:`mockclaude.upstream_proxy`), which is only ever
  asked for the upstream.
* The client's auth (``x-api-key`` / ``authorization``) and ``anthropic-*`` headers are forwarded,
  with the body bytes exactly as received.
* A stream is passed through event by event as it arrives (``Answer.live``) and recorded with each
  event's offset from the start of the stream; the interaction is saved before the client sees the
  end of the stream: its terminal event (``message_stop`` / ``error``) is held back until the
  interaction has been appended to the cassette and fsynced.
* Each interaction is appended to the file (:class:`~mockclaude.cassette.append.AppendLog`), never
  a rewrite of the whole cassette; :meth:`UpstreamResponder.close` compacts the file once at the end.
* A request the double's own validator refuses is forwarded too: the real API is the judge while
  recording. Where the two disagree the interaction keeps a ``disagreement`` (see
  :mod:`mockclaude.cassette.fidelity`), reported on the console and in the journal.
* Upstream error answers (4xx/5xx) are recorded and passed through like any other. When the upstream
  cannot be reached the client gets a 502 ``api_error`` naming the upstream, with
  ``x-should-retry: false``, and nothing is recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx

from ..cassette.append import AppendLog
from ..cassette.fidelity import describe, verdict
from ..cassette.format import Cassette, Interaction, RecordedRequest, RecordedResponse, now_iso
from ..cassette.matching import Index
from ..cassette.scrub import (
    recorded_request_headers,
    recorded_response_headers,
    scrub_interaction,
    secret_values,
)
from ..errors import ApiError, CassetteError, ConfigError
from ..redact import DEFAULT_REDACT
from ..upstream_proxy import proxy_for
from ..sse import Decoder, Event, decode_all, event
from . import Answer
from .replay import answer_from

__all__ = ["DEFAULT_UPSTREAM", "UpstreamResponder"]

log = logging.getLogger("mockclaude.cassette")

DEFAULT_UPSTREAM = "https://api.anthropic.com"
_FORWARD = ("x-api-key", "authorization", "content-type", "accept")
_TIMEOUT = httpx.Timeout(600.0, connect=15.0)
_TERMINAL = frozenset({"message_stop", "error"})  # held back until the interaction is on disk


def forward_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The client's headers the upstream gets: auth, ``anthropic-*``, content type."""
    out: dict[str, str] = {}
    for name, value in headers:
        low = name.lower()
        if low in _FORWARD or low.startswith("anthropic-"):
            if low not in out:
                # A repeated header: forward the first, the one that was checked (key, version).
                out[low] = value
            elif low == "anthropic-beta":
                out[low] += f",{value}"  # a list header: repeats add flags
    return out


def passthrough_headers(headers: httpx.Headers) -> dict[str, str]:
    """The upstream's answer headers the client gets in record mode (real values, not redacted)."""
    return {
        k: v
        for k, v in headers.items()
        if k in ("request-id", "retry-after", "retry-after-ms", "x-should-retry")
        or k.startswith("anthropic-")
    }


def _error_answer(status: int, message: str, request_id: str) -> Answer:
    body = ApiError(status, message, type="api_error").body(request_id)
    return Answer(status=status, headers={"x-should-retry": "false"}, body=body, source="upstream")


class UpstreamResponder:
    """Forwards every request it sees to ``upstream`` and records the exchange into ``cassette``.

    ``index``: the replay index to extend with what is recorded (new_episodes), or None.
    ``on_record``: called with each interaction recorded (the app registers thinking signatures).
    """

    def __init__(
        self,
        cassette: Cassette,
        *,
        upstream: str | None = None,
        index: Index | None = None,
        redact: Iterable[str] = DEFAULT_REDACT,
        on_record: Callable[[Interaction], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        fresh: bool = False,
        proxy: str | None = None,
    ) -> None:
        """``fresh``: this session replaces the cassette file (record mode ``all``); ``proxy``: the
        ``upstream_proxy`` option (None: from the environment, ``"none"``: never)."""
        self.cassette = cassette
        self.log = (
            AppendLog(cassette.path, header=cassette.header(), fresh=fresh) if cassette.path is not None else None
        )
        self.upstream = (upstream or DEFAULT_UPSTREAM).rstrip("/")
        if not self.upstream.startswith(("http://", "https://")):
            raise ConfigError(f"upstream must be an http:// or https:// URL, got {upstream!r}")
        self.proxy = proxy_for(self.upstream, proxy)
        self._ssl: Any = None  # one TLS context for every request (building one costs ~10 ms of CPU)
        self.index = index
        self.redact = tuple(redact)
        self.on_record = on_record
        self.transport = transport
        self.recorded = 0
        self.errors: list[str] = []  # recordings that could not be saved (also logged)

    def _client(self) -> httpx.AsyncClient:
        # One client per request: it lives exactly as long as the (possibly streamed) answer, so no
        # connection outlives the event loop that made it. Recording is not a hot path.
        if self._ssl is None and self.transport is None:
            self._ssl = httpx.create_ssl_context()
        return httpx.AsyncClient(
            timeout=_TIMEOUT,
            follow_redirects=False,
            trust_env=False,
            transport=self.transport,
            proxy=self.proxy if self.transport is None else None,
            verify=self._ssl if self._ssl is not None else True,
        )

    async def respond(self, exchange: Any) -> Answer | None:
        request = exchange.request
        url = self.upstream + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        headers = forward_headers(request.headers.items())
        refusal = getattr(exchange, "refusal", None)
        if refusal is not None and exchange.entry is not None:
            exchange.entry.notes.append(
                f"the double refuses this request ({refusal.status} {refusal.type}); forwarded: the real API judges"
            )
        client = self._client()
        try:
            upstream_request = client.build_request(
                request.method, url, content=exchange.raw, headers=headers
            )
            resp = await client.send(upstream_request, stream=True)
        except BaseException as err:  # cancelled, a bad URL, ...: the client is closed whatever happened
            await client.aclose()
            if not isinstance(err, httpx.HTTPError):
                raise
            detail = str(err) or type(err).__name__
            if exchange.entry is not None:
                exchange.entry.notes.append(f"upstream unreachable: {detail}")
            if getattr(exchange, "refusal", None) is not None:
                return None  # no judge to ask: the double's own refusal answers
            return _error_answer(
                502, f"mockclaude: cannot reach upstream {self.upstream}: {detail}", exchange.request_id
            )
        is_sse = resp.headers.get("content-type", "").startswith("text/event-stream")
        if resp.status_code == 200 and is_sse and exchange.stream:
            return Answer(
                headers=passthrough_headers(resp.headers),
                live=self._live(client, resp, exchange),
                source="upstream",
            )
        try:
            raw = await resp.aread()
        except httpx.HTTPError as err:
            return _error_answer(
                502, f"mockclaude: upstream {self.upstream} failed mid-answer: {err}", exchange.request_id
            )
        finally:
            await resp.aclose()
            await client.aclose()
        response = RecordedResponse(
            status=resp.status_code, headers=recorded_response_headers(resp.headers, self.redact)
        )
        if is_sse and resp.status_code == 200:
            response.events = decode_all(raw)
            response.offsets = [0.0] * len(response.events)
            response.raw = raw
        else:
            try:
                response.body = json.loads(raw) if raw else None
                response.raw = raw
            except ValueError:
                response.raw = raw
        it = await self._record(exchange, resp, response)
        return _answer_for_client(it, raw, exchange.stream, resp)

    async def _live(
        self, client: httpx.AsyncClient, resp: httpx.Response, exchange: Any
    ) -> AsyncIterator[Event]:
        dec = Decoder()
        received = bytearray()
        events: list[Event] = []
        offsets: list[float] = []
        held: list[Event] = []  # from the terminal event on: sent once the interaction is saved
        t0 = time.monotonic()
        try:
            try:
                async for chunk in resp.aiter_bytes():
                    received += chunk
                    at = round(time.monotonic() - t0, 3)
                    for ev in dec.feed(chunk):
                        events.append(ev)
                        offsets.append(at)
                        if held or ev.name in _TERMINAL:
                            held.append(ev)
                        else:
                            yield ev
                for ev in dec.close():
                    events.append(ev)
                    offsets.append(round(time.monotonic() - t0, 3))
                    held.append(ev)
            except httpx.HTTPError as err:
                # The status line has gone out: tell the client the way the API does mid-stream. A
                # stream cut by the network is not what the API answered, so it is not recorded.
                log.warning("mockclaude: upstream stream broke after %d events: %s", len(events), err)
                if exchange.entry is not None:
                    exchange.entry.notes.append(
                        f"upstream stream broke after {len(events)} events; not recorded"
                    )
                for ev in held:
                    yield ev
                error = {"type": "api_error", "message": f"upstream stream broke: {err}"}
                yield event({"type": "error", "error": error})
                return
        finally:
            await resp.aclose()
            await client.aclose()
        response = RecordedResponse(
            status=resp.status_code,
            headers=recorded_response_headers(resp.headers, self.redact),
            events=events,
            offsets=offsets,
            raw=bytes(received),
        )
        try:
            await self._record(exchange, resp, response)
        except Exception as err:
            log.error("mockclaude: could not save the recording to %s: %s", self.cassette.path, err)
            self.errors.append(f"{type(err).__name__}: {err}")
        for ev in held:
            yield ev

    async def _record(self, exchange: Any, resp: httpx.Response, response: RecordedResponse) -> Interaction:
        request = exchange.request
        it = Interaction(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                query=request.url.query or "",
                headers=recorded_request_headers(request.headers, self.redact),
                body=exchange.body,
            ),
            response,
            recorded_at=now_iso(),
        )
        self._judge(exchange, it)
        values = secret_values(request.headers.items(), self.redact) | secret_values(
            resp.headers.items(), self.redact
        )
        scrub_interaction(it, values, self.redact)
        pos = self.cassette.append(it)
        if self.index is not None:
            self.index.add(it, played=True)
        if self.on_record is not None:
            self.on_record(it)
        self.recorded += 1
        if exchange.entry is not None:
            exchange.entry.notes.append(f"recorded as interaction #{pos} of {self.cassette.path}")
        if self.log is not None:
            await asyncio.to_thread(self.log.append, it.to_doc())
        return it

    def close(self) -> None:
        """End of the session: compact what was appended into the one-document form (atomically)."""
        if self.log is None or not self.log.appended:
            return
        self.log.close()
        try:
            self.cassette.save()
        except (OSError, CassetteError) as err:  # the appended form is complete and loads as it is
            log.warning("mockclaude: could not compact %s (left appended, still valid): %s", self.cassette.path, err)
        self.log = AppendLog(self.log.path, header=self.log.header, fresh=False)


    def _judge(self, exchange: Any, it: Interaction) -> None:
        """Set what the double would have said beside what the real API said; report a difference."""
        r = it.response
        body = r.body if r.events is None else r.message()
        it.disagreement = verdict(getattr(exchange, "refusal", None), r.status, body)
        if it.disagreement is None:
            return
        line = f"{exchange.request.method} {exchange.request.url.path}: {describe(it.disagreement)}"
        log.warning("mockclaude: disagreement: %s (recorded in %s)", line, self.cassette.path)
        if exchange.entry is not None:
            exchange.entry.disagreement = it.disagreement
            exchange.entry.notes.append("disagreement: " + describe(it.disagreement))


def _answer_for_client(it: Interaction, raw: bytes, stream: bool, resp: httpx.Response) -> Answer:
    """What the client gets for a buffered upstream answer: what the upstream sent (unscrubbed bytes
    when they are the form the client asked for)."""
    answer = answer_from(it, stream=stream, source="upstream")
    answer.headers = passthrough_headers(resp.headers)
    if answer.raw is not None:  # the recorded form is the one asked for: send the bytes as received
        answer.raw = raw
    return answer
