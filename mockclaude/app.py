"""The ASGI application: routes onto the one path every request takes.

    headers & version -> body validation -> journal -> fault plan -> responder -> render -> journal

Two kinds of failure are kept apart: :class:`ApiError` is answered to the client as the real API
would; anything else is a bug in mockclaude and is answered as the API's 500 ``api_error`` (never
a traceback), with the exception kept in the journal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.datastructures import Headers  # (loaded by starlette.requests anyway)
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from . import protocol
from .admission import AdmissionMemo
from .answers import dumps
from .config import Settings
from .errors import STATUS_FOR_TYPE, ApiError, invalid, new_request_id
from .journal import Journal, JournalEntry
from .redact import DEFAULT_REDACT
from .protocol import models as model_registry
from .ratelimit import ORGANIZATION_ID
from .responders import Answer
from .responders.synthetic import PromptCache, SyntheticResponder, request_digest
from .signatures import Signer
from .sse import (
    Event,
    StreamError,
    encode,
    encode_all,
    encode_message,
    events_from_message,
    message_from_events,
)
from .threads import ThreadStore

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.routing import Route

__all__ = ["Exchange", "MockClaudeApp", "create_app"]

log = logging.getLogger("mockclaude")

JSON_TYPE = "application/json"
SSE_TYPE = "text/event-stream; charset=utf-8"
CASE_PREFIX = "/_case/"  # base_url path of a scripted case (see MockClaudeApp.case_hook)


@dataclass(slots=True)
class Exchange:
    """One request on its way through the pipeline, and what was decided about it.

    ``headers`` are the request's headers, names lower-case: a plain dict when no name repeats (the
    hot path reads the ASGI list once), Starlette's ``Headers`` otherwise. :attr:`request` (Starlette's
    Request) is made only when something asks for it.
    """

    request_id: str
    scope: Any
    receive: Any
    headers: Any  # Mapping[str, str]
    raw: bytes = b""
    body: Any = None
    valid: Any = None  # protocol.ValidRequest once validated
    endpoint: str = "messages"
    stream: bool = False
    entry: JournalEntry | None = None
    fault: Any = None  # the injection chosen for this request, if any
    turn: Any = None  # threads.ThreadTurn of a request with a ``thread`` field
    refusal: ApiError | None = None  # what the double said no with, when a recording forwards it anyway
    plain: bool = False  # ``headers`` is a plain dict (no repeated names)
    body_read: bool = False
    _request: Request | None = None

    @property
    def request(self) -> Request:
        """The request as Starlette's Request (its body, once read, is ``raw``)."""
        request = self._request
        if request is None:
            request = self._request = Request(self.scope, self.receive)
            if self.body_read:
                request._body = self.raw
        return request


def request_headers(scope: Any) -> tuple[Any, bool]:
    """The headers of an ASGI request as a plain dict (True), or as Starlette's ``Headers`` when a
    name repeats (False: a dict would keep one value where ``Headers`` keeps all and answers the
    first)."""
    raw = scope["headers"]
    plain = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw}
    if len(plain) == len(raw):
        return plain, True
    return Headers(scope=scope), False


class _Ready(Response):
    """A response whose ASGI header list and body are made already: what Starlette's ``Response``
    would send, without building it again per response (the hot path's answers)."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]], status_code: int = 200) -> None:
        self.status_code = status_code
        self.body = body
        self.raw_headers = raw_headers
        self.background = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body})


class _RateLimitHeaders:
    """Plausible ``anthropic-ratelimit-*`` headers, recomputed at most once a second."""

    LIMITS: ClassVar[dict[str, int]] = {"requests": 4_000, "tokens": 2_000_000, "input-tokens": 2_000_000, "output-tokens": 400_000}

    def __init__(self) -> None:
        self._second = -1
        self._headers: dict[str, str] = {}
        self._encoded: list[tuple[bytes, bytes]] = []

    def get(self) -> dict[str, str]:
        return self.get_encoded()[0]

    def get_encoded(self) -> tuple[dict[str, str], list[tuple[bytes, bytes]]]:
        """The headers (with the organization id), and the same as ASGI byte pairs."""
        now = int(time.time())
        if now != self._second:
            reset = (datetime.fromtimestamp(now, timezone.utc) + timedelta(seconds=60 - now % 60)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            headers: dict[str, str] = {}
            for kind, limit in self.LIMITS.items():
                headers[f"anthropic-ratelimit-{kind}-limit"] = str(limit)
                headers[f"anthropic-ratelimit-{kind}-remaining"] = str(limit - 1 if kind == "requests" else limit)
                headers[f"anthropic-ratelimit-{kind}-reset"] = reset
            encoded = [(b"anthropic-organization-id", ORGANIZATION_ID.encode())]
            encoded += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
            self._headers, self._encoded, self._second = headers, encoded, now
        return self._headers, self._encoded


class MockClaudeApp:
    """The double as an ASGI app. ``MockClaudeApp(settings)`` or ``create_app(**options)``."""

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.journal = Journal(settings.journal_size)
        self._ratelimit_headers = _RateLimitHeaders()
        # stream? -> (the rate-limit list they were made from, journal dict, ASGI list, content type)
        self._heads: dict[bool, tuple[Any, dict[str, str], list[tuple[bytes, bytes]], tuple[bytes, bytes]]] = {}
        self.on_unmatched: list[Callable[[Any], None]] = []  # hooks for the pytest plugin
        # A per-case scripted answer (the conformance harness sets it): requests to
        # CASE_PREFIX<token>/v1/messages go through the same pipeline (headers, validation, journal),
        # then ``await case_hook(ex)`` may answer them; None falls through to the normal responders.
        self.case_hook: Callable[[Exchange], Awaitable[Response | None]] | None = None
        # UnmatchedRequestError values from cassette replay, oldest first (cleared by reset()).
        self.unmatched: list[Any] = []
        from .batches import BatchStore

        self.batches = BatchStore(self)
        from .responders.scripted import Script

        self.script = Script()  # scripted answers: consulted first (responders/scripted.py)
        # Message threads live as long as the app (configure keeps them, reset clears them).
        self.threads = ThreadStore()
        self.configure(settings)

    def configure(self, settings: Settings) -> None:
        """Apply new settings (cassette, record mode, faults, ...) to a running app.

        The pytest plugin uses this to give each test its own cassette and faults while one server
        serves the whole session. The journal is kept; responders and faults are rebuilt.
        """
        for r in getattr(self, "responders", []):
            if hasattr(r, "close"):
                r.close()
        self.settings = settings
        self.journal.redact = DEFAULT_REDACT + tuple(settings.redact_headers)
        self.signer = Signer(settings.signing_key)
        self.prompt_cache = PromptCache(min_tokens=settings.cache_min_tokens)
        self.synthetic = SyntheticResponder(self.signer, self.prompt_cache)
        self.admitted = AdmissionMemo()  # validated bodies (pure: settings are fixed until the next configure)
        self.responders: list[Any] = self._build_responders()
        self.script.configure(settings.responses)
        self.faults = self._build_faults()
        self._router: Starlette | None = None  # the other routes: built on first use (see router)

    # --- wiring -----------------------------------------------------------------------------

    def _build_responders(self) -> list[Any]:
        """Cassette replay / recording first (when configured), the synthetic default last."""
        if self.settings.cassette is None:
            return []
        from .cassette import responders_for  # imported lazily: cassettes are optional

        return list(responders_for(self))

    def _build_faults(self) -> Any:
        from .faults import FaultPlan

        return FaultPlan.from_settings(self.settings)

    @property
    def router(self) -> Starlette:
        """Starlette's router for every route but the hot one (POST /v1/messages skips it), built
        when first needed: a server that only answers messages never loads starlette.routing."""
        router = self._router
        if router is None:
            from starlette.applications import Starlette

            router = self._router = Starlette(
                routes=self._routes(),
                exception_handlers={404: self._not_found, 405: self._not_allowed},
            )
        return router

    def _routes(self) -> list[Route]:
        from starlette.routing import Route

        routes = [
            Route("/v1/messages", self.messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", self.count_tokens, methods=["POST"]),
            Route("/v1/models", self.list_models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", self.get_model, methods=["GET"]),
            Route("/_mockclaude/health", self.health, methods=["GET"]),
        ]
        if self.settings.admin:  # --no-admin: no journal, reset, faults, scripts, threads over HTTP (admin.py)
            from .responders.script_file import routes as script_routes

            routes += [
                Route("/_mockclaude/openapi.json", self.openapi_view, methods=["GET"]),
                Route("/_mockclaude/requests", self.journal_view, methods=["GET", "DELETE"]),
                Route("/_mockclaude/reset", self.reset_view, methods=["POST"]),
            ]
            routes.extend(script_routes(self))
            routes.extend(self.threads.routes())
            routes.extend(self.faults.routes(self))
        routes.extend(self.batches.routes())
        return routes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            # uvicorn's own send: connection faults reach the transport through it (faults/inject.py)
            scope["mockclaude.send"] = send
            try:
                path = scope["path"]
                if scope["method"] == "POST" and (
                    path == "/v1/messages"
                    or (self.case_hook is not None and path.startswith(CASE_PREFIX) and path.endswith("/v1/messages"))
                ):
                    # The hot path skips routing, Starlette's middleware and its Request: _handle
                    # answers every error itself, as the API would.
                    response = await self._handle(scope, receive, None, "messages", self._answer_messages)
                    await response(scope, receive, send)
                    return
                if scope["path"].startswith("/_mockclaude/"):
                    from .admin import check_admin

                    refused = check_admin(scope, self.settings)
                    if refused is not None:
                        await self.error_response(refused, new_request_id())(scope, receive, send)
                        return
                await self.router(scope, receive, send)
            except ConnectionError:
                # An injected connection fault with no socket to drop (in-process transport): the
                # exception is how the client learns of it, nothing to log.
                raise
            except Exception:  # pragma: no cover - last line of defence, logged
                log.exception("mockclaude: unhandled error")
                raise
            finally:
                # The scope holds the server's send (and mockclaude's server puts its request object
                # there too), which holds the scope: a reference cycle per request, left to the garbage
                # collector (~7-10 µs a request, its collections walking the journal) unless broken
                # here, the request done.
                scope.pop("mockclaude.send", None)
                scope.pop("mockclaude.connection", None)
        elif scope["type"] == "websocket":
            # a server that still offers websockets: refuse the handshake (HTTP 403), never a 500
            await send({"type": "websocket.close", "code": 1008})
        elif scope["type"] == "lifespan":
            await self.router(scope, receive, send)

    def close(self) -> None:
        """The server has stopped: let the responders finish (a recording is compacted on disk)."""
        for r in self.responders:
            if hasattr(r, "close"):
                r.close()

    def reset(self) -> None:
        """Forget the journal, the prompt cache, message threads and batches; faults back to the
        configured ones (faults added since are dropped, the start-up ones queued afresh); cassettes and
        the configured scripted answers rewound (answers added since are forgotten)."""
        self.journal.clear()
        self.batches.clear()
        self.threads.clear()
        self.prompt_cache.clear()
        self.faults.restore()
        self.unmatched.clear()
        self.script.reset()
        for r in self.responders:
            if hasattr(r, "reset"):
                r.reset()

    # --- responses ----------------------------------------------------------------------------

    def base_headers(self, request_id: str) -> dict[str, str]:
        headers = {"request-id": request_id, "anthropic-organization-id": ORGANIZATION_ID}
        headers.update(self._ratelimit_headers.get())
        return headers

    def _base_response(self, content: bytes, request_id: str, stream: bool) -> tuple[Response, dict[str, str]]:
        """A 200 of JSON (or of SSE, with ``cache-control: no-cache``) with the base headers, and the
        headers as a dict, for the journal: the headers encoded once a second rather than per
        response. Same headers as ``Response(content, headers=self.base_headers(...), media_type=...)``
        (plus ``cache-control`` for a stream) would send."""
        plain, encoded = self._ratelimit_headers.get_encoded()
        heads = self._heads.get(stream)
        if heads is None or heads[0] is not encoded:  # a new second: new rate-limit headers
            journaled = {"anthropic-organization-id": ORGANIZATION_ID, **plain}
            tail = list(encoded)
            if stream:
                journaled["cache-control"] = "no-cache"
                tail.append((b"cache-control", b"no-cache"))
            ctype = (b"content-type", (SSE_TYPE if stream else JSON_TYPE).encode("latin-1"))
            heads = self._heads[stream] = (encoded, journaled, tail, ctype)
        _, journaled, tail, ctype = heads
        headers = {"request-id": request_id}
        headers.update(journaled)
        # (Starlette's Response writes content-length then content-type after the given headers)
        raw = [(b"request-id", request_id.encode("latin-1")), *tail, (b"content-length", b"%d" % len(content)), ctype]
        return _Ready(content, raw), headers

    def error_response(self, err: ApiError, request_id: str, entry: JournalEntry | None = None) -> Response:
        headers = {"request-id": request_id} if err.edge else self.base_headers(request_id)
        headers.update(err.headers)
        body = err.body(request_id)
        if entry is not None:
            entry.status = err.status
            entry.error = body.get("error")
            entry.sent = entry.sent or "json"
            entry.response_headers = headers
        return Response(dumps(body), status_code=err.status, headers=headers, media_type=JSON_TYPE)

    # --- the pipeline -------------------------------------------------------------------------

    async def _read_body(self, receive: Any, headers: Any, limit: int | None = None) -> bytes:
        """The request body, straight from ASGI ``receive`` (ClientDisconnect if the client hangs up
        first), or the edge's 413 past ``limit`` (default: ``max_body_bytes``, 32 MB)."""
        limit = self.settings.max_body_bytes if limit is None else limit
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ApiError(413, "Request exceeds the maximum size", edge=True)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, "Request exceeds the maximum size", edge=True)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)  # (one piece: the same bytes object, no copy)
            elif message["type"] == "http.disconnect":
                raise ClientDisconnect()

    async def _admit(self, ex: Exchange) -> None:
        """Headers, body and validation, filled into ``ex`` (which keeps the body read so far), or ApiError."""
        meta = protocol.check_headers(ex.headers, api_key=self.settings.api_key, strict_betas=self.settings.strict_betas)
        raw = ex.raw = await self._read_body(ex.receive, ex.headers)
        ex.body_read = True
        if ex._request is not None:
            ex._request._body = raw
        # Validated bodies are remembered by digest (with what else decides the outcome: version,
        # endpoint, beta flags); a thread's request depends on the thread's state, so it never is.
        digest = self.admitted.digest(raw)
        context = meta.context
        valid = self.admitted.get(digest, context, ex.endpoint)  # (bodies with a thread are never kept)
        if valid is not None:
            ex.body = valid.body
        else:
            ex.body = body = protocol.parse_body(raw)
            if "thread" in body and ex.endpoint == "messages":  # message threads: the whole conversation
                body, ex.turn = self.threads.begin(body, meta.betas)
            try:
                valid = protocol.validate_messages(
                    body,
                    version=meta.version,
                    signer=self.signer,
                    strict_models=self.settings.strict_models,
                    endpoint=ex.endpoint,
                    betas=meta.betas,
                )
            except ApiError as err:
                if ex.turn is None:
                    raise
                raise ex.turn.remap(err) from None
            if ex.turn is not None and valid.model is not None:
                self.threads.check_model(ex.turn, valid.model.id)
            if ex.turn is None:
                # the synthetic answer's digest: the same hash, unless there is a stream flag to leave out
                valid.digest = request_digest(ex.body, raw, digest) if valid.stream_keys else digest
                if "thread" not in body:
                    self.admitted.put(digest, context, ex.endpoint, valid, len(raw))
        ex.valid = valid
        ex.stream = bool(valid.stream)

    async def messages(self, request: Request) -> Response:
        return await self._handle(request.scope, request.receive, request, "messages", self._answer_messages)

    async def count_tokens(self, request: Request) -> Response:
        return await self._handle(request.scope, request.receive, request, "count_tokens", self._answer_count_tokens)

    async def _handle(
        self,
        scope: Any,
        receive: Any,
        request: Request | None,
        endpoint: str,
        produce: Callable[[Exchange], Awaitable[Response]],
    ) -> Response:
        request_id = new_request_id()
        entry: JournalEntry | None = None
        headers, plain = request_headers(scope)
        ex = Exchange(request_id, scope, receive, headers, endpoint=endpoint, plain=plain, _request=request)
        method, path = scope["method"], scope["path"]
        try:
            try:
                await self._admit(ex)
            except ApiError as err:
                # Its traceback is not needed, and it holds the frames that raised it, which hold it
                # (a local ``error`` raised): a reference cycle per refused request, left to the GC.
                err.__traceback__ = None
                # The parsed body (if it parsed) is journaled too: a test shows what was rejected.
                entry = ex.entry = self.journal.start(request_id, method, path, headers, ex.raw, plain=plain)
                if isinstance(ex.body, dict) and self.responders:
                    # A recording forwards it anyway (the real API judges), a replay answers what was
                    # recorded for it; None: no responder takes refused requests here.
                    judged = await self._answer_refused(ex, err)
                    if judged is not None:
                        return judged
                entry.source = "error"
                log.warning("mockclaude: rejected %s %s (%s): %d %s: %s", method, path, request_id, err.status, err.type, err.message)
                return self.error_response(err, request_id, entry)
            entry = ex.entry = self.journal.start(request_id, method, path, headers, ex.raw, plain=plain)
            if ex.valid is not None and ex.valid.model is None:
                self._flag_unknown_model(ex)
            ex.fault = self.faults.select(ex)
            if ex.fault is not None:
                entry.fault = ex.fault.describe()
                early: Response | None = await ex.fault.before(ex, self)
                if early is not None:
                    return early
                finished: Response = ex.fault.finish(await produce(ex), ex, self)
                return finished
            return await produce(ex)
        except ApiError as err:
            return self.error_response(err, request_id, entry)
        except ClientDisconnect:
            # The client hung up before its body arrived: nobody to answer, nothing of ours failed.
            if entry is None:
                entry = self.journal.start(request_id, method, path, headers, None, plain=plain)
            entry.notes.append("client disconnected before the request body was complete")
            entry.sent = "nothing (client gone)"
            return Response(b"", status_code=499)
        except Exception as exc:  # a bug of ours: answer like the API's 500, keep the evidence
            log.exception("mockclaude: error while answering %s", request_id)
            if entry is not None:
                entry.notes.append(f"internal error: {type(exc).__name__}: {exc}")
            return self.error_response(ApiError(500, "Internal server error"), request_id, entry)
        finally:
            if ex.turn is not None:
                self.threads.abandon(ex.turn)  # a no-op once settled (a live stream settles at its end)

    async def _answer_refused(self, ex: Exchange, err: ApiError) -> Response | None:
        ex.refusal = err
        ex.stream = ex.body.get("stream") is True
        for responder in self.responders:
            answer = await responder.respond(ex)
            if answer is not None:
                if ex.turn is not None:
                    self.threads.settle_answer(ex.turn, answer)
                return self.render(ex, answer)
        return None

    def _flag_unknown_model(self, ex: Exchange) -> None:
        # Accepted (it looks like a Claude id) but not in the registry: the real API would say 404.
        # Said in the journal and the log, so a typo such as claude-sonet-4-6 does not pass silently.
        note = (
            f"model {ex.valid.model_id!r} is not a known model: the real API would answer 404 not_found_error "
            "(--strict-models / strict_models=True answers so)"
        )
        if ex.entry is not None:
            ex.entry.notes.append(note)
        log.warning("mockclaude: %s %s (%s): %s", ex.scope["method"], ex.scope["path"], ex.request_id, note)

    async def _answer_messages(self, ex: Exchange) -> Response:
        if self.case_hook is not None and ex.scope["path"].startswith(CASE_PREFIX):
            scripted = await self.case_hook(ex)
            if scripted is not None:
                return scripted
        answer: Answer | None = self.script.answer(ex, self) if self.script else None
        if answer is None:
            for responder in self.responders:
                answer = await responder.respond(ex)
                if answer is not None:
                    break
        if answer is None:
            answer = Answer(body=self.synthetic.message(ex.valid, ex.raw))
        if ex.turn is not None:
            self.threads.settle_answer(ex.turn, answer)
        return self.render(ex, answer)

    async def _answer_count_tokens(self, ex: Exchange) -> Response:
        n = ex.valid.input_tokens()
        return self.render(ex, Answer(body={"input_tokens": n}))

    # --- rendering ------------------------------------------------------------------------------

    def render(self, ex: Exchange, answer: Answer) -> Response:
        """JSON or SSE, whichever the client asked for, from whichever form the answer has."""
        entry = ex.entry
        if (
            answer.body is not None
            and answer.status == 200
            and not answer.headers
            and answer.raw is None
            and answer.events is None
            and ex.endpoint == "messages"
            and (ex.fault is None or not ex.fault.wraps)
            and answer.live is None
        ):
            # The synthetic answer, as it is nearly always: bytes straight from the message.
            if entry is not None:
                entry.source = entry.source or answer.source
            if ex.stream:
                raw, count = encode_message(answer.body)
                response, headers = self._base_response(raw, ex.request_id, True)
                sent = f"sse: {count} events"
            else:
                response, headers = self._base_response(dumps(answer.body), ex.request_id, False)
                sent = "json"
            if entry is not None:
                entry.status, entry.sent, entry.response_headers = 200, sent, headers
            return response
        headers = self.base_headers(ex.request_id)
        headers.update(answer.headers)
        if entry is not None:
            entry.source = entry.source or answer.source
        if answer.status != 200 or ex.endpoint != "messages":
            body = answer.raw if answer.raw is not None else dumps(answer.body)
            if entry is not None:
                entry.status, entry.sent, entry.response_headers = answer.status, "json", headers
                if answer.status >= 400 and isinstance(answer.body, dict):
                    entry.error = answer.body.get("error")
            return Response(body, status_code=answer.status, headers=headers, media_type=JSON_TYPE)

        if not ex.stream:
            if answer.body is not None:
                raw = answer.raw if answer.raw is not None else dumps(answer.body)
            else:
                try:
                    message = message_from_events(answer.events or [])
                except StreamError as err:
                    # A recorded stream that failed: as JSON, the error it carried (status as the API).
                    etype = err.error.get("type", "api_error")
                    status = STATUS_FOR_TYPE.get(etype, 500)
                    api_err = ApiError(status, err.error.get("message", "Internal server error"), type=etype)
                    return self.error_response(api_err, ex.request_id, entry)
                except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
                    # Events out of order (no accumulator folds them): the stream's fault, not ours.
                    api_err = ApiError(
                        400, f"mockclaude: the stream cannot be folded into a JSON message ({type(err).__name__}: {err})"
                    )
                    return self.error_response(api_err, ex.request_id, entry)
                raw = dumps(message)
            if entry is not None:
                entry.status, entry.sent, entry.response_headers = 200, "json", headers
            return Response(raw, status_code=200, headers=headers, media_type=JSON_TYPE)

        # Streaming.
        headers["cache-control"] = "no-cache"
        wraps = ex.fault is not None and ex.fault.wraps
        if answer.live is not None:
            chunks = self._encode_live(answer.live)
            label = "sse: live"
        else:
            speed = self.settings.replay_speed
            offsets = answer.offsets if speed > 0 else None
            events = answer.events if answer.events is not None else events_from_message(answer.body)
            if not wraps and offsets is None:
                # The fast path: the whole stream as one body.
                if entry is not None:
                    entry.status, entry.sent, entry.response_headers = 200, f"sse: {len(events)} events", headers
                raw = answer.raw if answer.raw is not None else encode_all(events)
                return Response(raw, status_code=200, headers=headers, media_type=SSE_TYPE)
            chunks = self._encode_paced(events, offsets, speed)
            label = f"sse: {len(events)} events"
        if wraps:
            chunks = ex.fault.wrap(chunks, ex, self)
        if entry is not None:
            entry.status, entry.sent, entry.response_headers = 200, entry.sent or label, headers
        return StreamingResponse(chunks, status_code=200, headers=headers, media_type=SSE_TYPE)

    @staticmethod
    async def _encode_live(events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
        async for ev in events:
            yield encode(ev)

    @staticmethod
    async def _encode_paced(
        events: list[Event], offsets: list[float] | None, speed: float
    ) -> AsyncIterator[bytes]:
        start = time.monotonic()
        for i, ev in enumerate(events):
            if offsets is not None and i < len(offsets):
                due = start + offsets[i] / speed
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            yield encode(ev)

    # --- other endpoints ------------------------------------------------------------------------

    async def answer_plain(
        self,
        request: Request,
        produce: Callable[[Any, bytes], tuple[int, dict[str, str], bytes]],
        *,
        source: str,
        body_limit: int | None = None,
    ) -> Response:
        """The endpoints beside /v1/messages (models, batches): header checks, the body when
        ``body_limit`` is given (the edge's 413 past it), the journal and the API's error bodies.
        ``produce(meta, raw)`` returns (status, extra headers, body bytes)."""
        request_id = new_request_id()
        raw = b""
        try:
            meta = protocol.check_headers(
                request.headers,
                api_key=self.settings.api_key,
                strict_betas=self.settings.strict_betas,
                require_json=body_limit is not None,
            )
            if body_limit is not None:
                raw = await self._read_body(request.receive, request.headers, body_limit)
            status, extra, content = produce(meta, raw)
        except ApiError as err:
            entry = self.journal.start(request_id, request.method, request.scope["path"], request.headers, raw or None)
            entry.source = source
            return self.error_response(err, request_id, entry)
        entry = self.journal.start(request_id, request.method, request.scope["path"], request.headers, raw or None)
        media_type = extra.pop("content-type", JSON_TYPE)
        headers = self.base_headers(request_id)
        headers.update(extra)
        entry.status, entry.sent, entry.source, entry.response_headers = status, "json", source, headers
        return Response(content, status_code=status, headers=headers, media_type=media_type)

    async def list_models(self, request: Request) -> Response:
        q = request.query_params

        def produce(meta: Any, raw: bytes) -> tuple[int, dict[str, str], bytes]:
            limit_raw = q.get("limit", "20")
            try:
                limit = int(limit_raw)
            except ValueError:
                raise invalid("limit: Input should be a valid integer, unable to parse string as an integer") from None
            # The SDK sends a list as repeated `lifecycle[]=…` (Stainless' default) or `lifecycle=…`.
            wanted = q.getlist("lifecycle") + q.getlist("lifecycle[]")
            page = model_registry.list_models_page(
                after_id=q.get("after_id"), before_id=q.get("before_id"), limit=limit,
                lifecycle=[v for item in wanted for v in item.split(",") if v] or None,
            )
            return 200, {}, dumps(page)

        return await self.answer_plain(request, produce, source="models")

    async def get_model(self, request: Request) -> Response:
        model_id = request.path_params["model_id"]

        def produce(meta: Any, raw: bytes) -> tuple[int, dict[str, str], bytes]:
            info = model_registry.get_model(model_id)
            if info is None:
                raise ApiError(404, f"model: {model_id}", type="not_found_error")
            return 200, {}, dumps(model_registry.model_object(info))

        return await self.answer_plain(request, produce, source="models")

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return self.error_response(ApiError(404, "Not Found", type="not_found_error"), new_request_id())

    async def _not_allowed(self, request: Request, exc: Exception) -> Response:
        err = ApiError(405, "Method Not Allowed", type="invalid_request_error")
        return self.error_response(err, new_request_id())

    async def health(self, request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type=JSON_TYPE)

    async def journal_view(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.journal.clear()
            return Response(b'{"requests":[]}', media_type=JSON_TYPE)
        return Response(dumps(self.journal.to_json()), media_type=JSON_TYPE)

    async def openapi_view(self, request: Request) -> Response:
        from .openapi import document

        return Response(dumps(document()), media_type=JSON_TYPE)

    async def reset_view(self, request: Request) -> Response:
        self.reset()
        return Response(b'{"reset":true}', media_type=JSON_TYPE)


def create_app(settings: Settings | None = None, **options: Any) -> MockClaudeApp:
    """An ASGI app of the double: ``create_app(cassette=..., faults=[...])``."""
    if settings is None:
        settings = Settings.build(**options)
    elif options:
        settings = settings.with_(**options)
    return MockClaudeApp(settings)
