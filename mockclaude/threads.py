"""Message threads (beta ``message-threads-2026-08-12``): the server keeps a conversation between turns.

A request with ``"thread": {"type": "create"}`` is an ordinary request; its conversation, system
prompt, tools and the answer are kept under the answer's ``id``. A later request with
``"thread": {"type": "continue", "previous_message_id": <that id>}`` sends only the new messages
(``system`` and ``tools`` left out): the double rebuilds the whole conversation, validates it as a
whole with the ordinary rules (tool pairing, thinking pass-back, signatures, ...) and answers from it.

A thread expires :data:`TTL_SECONDS` after its last request, on a clock tests can move
(:meth:`ThreadStore.advance`, or ``POST /_mockclaude/threads {"advance": seconds}``). The errors,
worded in docs/validation.md ("Message threads"), carry ``error.details.error_code`` as the SDK
thread helpers expect (``thread_not_found``, ``thread_already_continued``,
``thread_continue_in_flight``, ``thread_fingerprint_mismatch``, ``thread_unsupported_request``).

The store is one object with the app's lifetime: :meth:`MockClaudeApp.reset` clears it, a new
cassette or fault plan (``configure``) does not.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, invalid

__all__ = ["SUPPORTED_MODELS", "THREADS_BETA", "TTL_SECONDS", "Thread", "ThreadStore", "ThreadTurn"]

THREADS_BETA = "message-threads-2026-08-12"
TTL_SECONDS = 300.0  # "expires 5 minutes after its last request" (the message threads docs)
MAX_THREADS = 10_000  # held at once; the least recently used goes first past this

# The models the message threads docs list as supported (aliases resolve through the registry).
SUPPORTED_MODELS = frozenset(
    {
        "claude-fable-5-1",
        "claude-mythos-5-1",
        "claude-fable-5",
        "claude-mythos-5",
        "claude-mythos-preview",
        "claude-opus-5-5",
        "claude-opus-5",
        "claude-sonnet-5-5",
        "claude-sonnet-5",
        "claude-haiku-5-5",
        "claude-haiku-4-5-20251001",
        "claude-opus-4-8",
        "claude-opus-4-7",
        "claude-opus-4-6",
        "claude-sonnet-4-6",
        "claude-opus-4-5-20251101",
        "claude-sonnet-4-5-20250929",
    }
)

# The fields a thread keeps from its create request; a continue leaves them out (or repeats them).
CREATE_ONLY = ("system", "tools")

_ABSENT: Any = object()
_MESSAGE_PATH = re.compile(r"^messages\.(\d+)")


def _thread_error(status: int, message: str, code: str, **extra: Any) -> ApiError:
    return ApiError(status, message, details={"error_code": code, **extra})


def _without_cache_control(value: Any) -> Any:
    """``value`` less every block's ``cache_control``: a breakpoint belongs to the request that set it
    (the SDK thread helper strips them too when it sends a history again), so held turns carry none."""
    if isinstance(value, dict):
        return {
            k: _without_cache_control(v) if k in ("content", "source") else v
            for k, v in value.items()
            if k != "cache_control"
        }
    if isinstance(value, list):
        return [_without_cache_control(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    return bool(_without_cache_control(a) == _without_cache_control(b))


@dataclass(slots=True)
class Thread:
    """A held conversation: the create request's ``system`` and ``tools`` (``_ABSENT`` when it had
    none), every message so far (answers included), and the answer the next turn continues from."""

    system: Any
    tools: Any
    messages: list[dict[str, Any]]
    last_id: str
    last_stop: str | None
    touched: float
    busy: bool = False


@dataclass(slots=True)
class ThreadTurn:
    """One threaded request on its way: ``body`` is the whole request the double validates and
    answers (for a continue: the held conversation plus the new messages, system and tools put back),
    ``offset`` how many held messages precede the ones sent."""

    kind: str  # "create" | "continue"
    body: dict[str, Any]
    offset: int = 0
    thread: Thread | None = None
    settled: bool = False
    following: bool = False  # a live stream settles the turn when it ends

    def remap(self, err: ApiError) -> ApiError:
        """An error about the rebuilt conversation, with ``messages.N`` counted as the client sent them."""
        if self.offset == 0:
            return err
        m = _MESSAGE_PATH.match(err.message)
        if m is None:
            return err
        n = int(m.group(1))
        where = f"messages.{n - self.offset}" if n >= self.offset else f"thread history messages.{n}"
        err.message = where + err.message[m.end() :]
        return err


class ThreadStore:
    """Every thread the double holds, by the ids of their answers. Thread-safe.

    ``clock`` (default ``time.monotonic``) plus the offset :meth:`advance` adds is the time expiry is
    measured on.
    """

    def __init__(
        self,
        *,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_threads: int = MAX_THREADS,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_threads = max_threads
        self._offset = 0.0
        self._lock = threading.Lock()
        # Every answer id of every live thread -> its thread (an older id names a continued thread).
        self._by_id: OrderedDict[str, Thread] = OrderedDict()

    # --- time --------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the store's clock forward (tests: let threads expire without waiting)."""
        if seconds < 0:
            raise ValueError("the thread clock only moves forward")
        with self._lock:
            self._offset += seconds

    def clear(self) -> None:
        """Forget every thread (``reset``); the clock offset is kept."""
        with self._lock:
            self._by_id.clear()

    def __len__(self) -> int:
        """Live (unexpired) threads."""
        with self._lock:
            now = self.now()
            return len({id(t) for t in self._by_id.values() if now - t.touched <= self.ttl})

    # --- a request ---------------------------------------------------------------------------

    def begin(self, body: dict[str, Any], betas: Iterable[str]) -> tuple[dict[str, Any], ThreadTurn | None]:
        """The body to validate for a request with a ``thread`` field, and its turn (None for
        ``"thread": null``). Raises :class:`ApiError` for a thread the request cannot have.
        ``body`` itself is left as sent (it is what a cassette records)."""
        param = body["thread"]
        rest = {k: v for k, v in body.items() if k != "thread"}
        if param is None:
            return rest, None
        if THREADS_BETA not in betas:
            raise invalid(f"thread: message threads are in beta: add the header `anthropic-beta: {THREADS_BETA}`")
        kind = self._shape(param)
        if kind == "create":
            return rest, ThreadTurn("create", rest)
        with self._lock:
            thread = self._thread_for(param["previous_message_id"])
            full = self._rebuild(rest, thread)
            thread.busy = True
        return full, ThreadTurn("continue", full, offset=len(thread.messages), thread=thread)

    @staticmethod
    def _shape(param: Any) -> str:
        if not isinstance(param, dict):
            raise invalid("thread: Input should be a valid dictionary or object to extract fields from")
        kind = param.get("type")
        if kind is None:
            raise invalid("thread: Unable to extract tag using discriminator 'type'")
        if kind not in ("create", "continue"):
            raise invalid(
                f"thread: Input tag '{kind}' found using 'type' does not match any of the expected tags: "
                "'create', 'continue'"
            )
        allowed = ("type",) if kind == "create" else ("type", "previous_message_id")
        for key in param:
            if key not in allowed:
                raise invalid(f"thread.{kind}.{key}: Extra inputs are not permitted")
        if kind == "continue":
            pid = param.get("previous_message_id")
            if pid is None:
                raise invalid("thread.continue.previous_message_id: Field required")
            if not isinstance(pid, str):
                raise invalid("thread.continue.previous_message_id: Input should be a valid string")
        return str(kind)

    def _thread_for(self, previous_id: str) -> Thread:
        thread = self._by_id.get(previous_id)
        if thread is not None and self.now() - thread.touched > self.ttl:
            self._drop(thread)
            thread = None
        if thread is None:
            raise _thread_error(
                404,
                f"thread.continue.previous_message_id: no thread holds the response {previous_id} (it expired "
                'or was never stored); send the full conversation with `thread: {"type": "create"}`',
                "thread_not_found",
            )
        if thread.last_id != previous_id:
            raise _thread_error(
                400,
                f"thread.continue.previous_message_id: the thread was already continued from {previous_id}; "
                f"continue from its latest response, {thread.last_id}",
                "thread_already_continued",
            )
        if thread.busy:
            raise _thread_error(
                400,
                f"thread.continue.previous_message_id: another request is still continuing from {previous_id}",
                "thread_continue_in_flight",
            )
        return thread

    @staticmethod
    def _rebuild(rest: dict[str, Any], thread: Thread) -> dict[str, Any]:
        for field in CREATE_ONLY:
            held = thread.system if field == "system" else thread.tools
            if field in rest and not _same(rest[field], None if held is _ABSENT else held):
                raise _thread_error(
                    400,
                    f"{field}: differs from the `{field}` this thread was created with (differing field: "
                    f"{field}); leave `system` and `tools` out when continuing a thread, or start a new one",
                    "thread_fingerprint_mismatch",
                )
        new = rest.get("messages")
        if isinstance(new, list) and not new and thread.last_stop != "pause_turn":
            raise invalid(
                "messages: at least one new message is required to continue a thread (an empty list "
                "resumes only a response that stopped with `pause_turn`)"
            )
        full = dict(rest)
        if thread.system is not _ABSENT:
            full["system"] = thread.system
        if thread.tools is not _ABSENT:
            full["tools"] = thread.tools
        full["messages"] = [*thread.messages, *new] if isinstance(new, list) else new
        return full

    def check_model(self, turn: ThreadTurn, model_id: str) -> None:
        """A model threads do not support: 400 ``thread_unsupported_request`` (SDKs then go on unthreaded)."""
        if model_id not in SUPPORTED_MODELS:
            self.abandon(turn)
            raise _thread_error(
                400,
                f"thread: message threads do not support the model {model_id}",
                "thread_unsupported_request",
                unsupported=["model"],
            )

    def settle(self, turn: ThreadTurn, message: Any) -> None:
        """The turn's answer arrived: hold the conversation with it under its ``id``. Anything but a
        complete message (an error, a stream cut short) stores nothing and frees the thread."""
        if turn.settled:
            return
        turn.settled = True
        with self._lock:
            if turn.thread is not None:
                turn.thread.busy = False
            if not (
                isinstance(message, dict) and message.get("type") == "message" and isinstance(message.get("id"), str)
            ):
                return
            if message.get("stop_reason") == "refusal":
                return  # a refused turn is not kept: the next one starts a new thread (as the SDK expects)
            body = turn.body
            reply = {"role": "assistant", "content": message.get("content") or []}
            held = _without_cache_control([*(body.get("messages") or []), reply])
            now = self.now()
            if turn.thread is None:
                thread = Thread(
                    system=body.get("system", _ABSENT),
                    tools=body.get("tools", _ABSENT),
                    messages=held,
                    last_id=message["id"],
                    last_stop=message.get("stop_reason"),
                    touched=now,
                )
            else:
                thread = turn.thread
                thread.messages, thread.last_id = held, message["id"]
                thread.last_stop, thread.touched = message.get("stop_reason"), now
            self._by_id[message["id"]] = thread
            self._by_id.move_to_end(message["id"])
            self._evict(now)

    def settle_answer(self, turn: ThreadTurn, answer: Any) -> Any:
        """Settle ``turn`` with ``answer`` (a :class:`~mockclaude.responders.Answer`), whatever its form.
        A live stream is followed to its end: the thread holds the answer once ``message_stop`` has
        passed (a stream cut short stores nothing: the server holds the whole answer or none of it)."""
        from .sse import StreamError, message_from_events

        if answer.status != 200:
            self.abandon(turn)
        elif answer.live is not None:
            turn.following = True
            answer.live = self._follow(turn, answer.live)
        elif answer.body is not None:
            self.settle(turn, answer.body)
        else:
            try:
                self.settle(turn, message_from_events(answer.events or []))
            except (StreamError, ValueError, KeyError, TypeError):
                self.abandon(turn)
        return answer

    async def _follow(self, turn: ThreadTurn, events: AsyncIterator[Any]) -> AsyncIterator[Any]:
        from .sse import Accumulator, StreamError

        acc = Accumulator()
        broken = False
        try:
            async for ev in events:
                if not broken:
                    try:
                        acc.add(ev)
                    except (StreamError, ValueError, KeyError, TypeError):
                        broken = True
                yield ev
        finally:
            self.settle(turn, acc.message if acc.complete and not broken else None)

    def abandon(self, turn: ThreadTurn | None) -> None:
        """The turn ends without an answer to keep (refused, failed): free its thread."""
        if turn is not None and not turn.following:
            self.settle(turn, None)

    def _drop(self, thread: Thread) -> None:
        for key in [k for k, t in self._by_id.items() if t is thread]:
            del self._by_id[key]

    def _evict(self, now: float) -> None:
        # Expired threads first, then the least recently answered past the bound.
        while self._by_id:
            key, oldest = next(iter(self._by_id.items()))
            if now - oldest.touched <= self.ttl and len(self._by_id) <= self.max_threads:
                break
            del self._by_id[key]

    # --- control -----------------------------------------------------------------------------

    def routes(self) -> list[Any]:
        """``GET /_mockclaude/threads`` (how many are held) and ``POST`` ``{"advance": seconds}``."""
        import orjson
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def view(request: Request) -> Response:
            if request.method == "POST":
                try:
                    seconds = float(orjson.loads(await request.body()).get("advance", 0))
                    self.advance(seconds)
                except (ValueError, TypeError, AttributeError, orjson.JSONDecodeError):
                    return Response(
                        b'{"error":"expected {\\"advance\\": seconds >= 0}"}',
                        status_code=400,
                        media_type="application/json",
                    )
            return Response(orjson.dumps({"threads": len(self), "ttl": self.ttl}), media_type="application/json")

        return [Route("/_mockclaude/threads", view, methods=["GET", "POST"])]
