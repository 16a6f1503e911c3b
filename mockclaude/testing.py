"""Helpers for tests that embed mockclaude: socket-free SDK clients and journal assertions.

* :class:`SyncASGITransport` lets the official SDK (which speaks ``httpx2``, not ``httpx``) call
  the app in-process: ``anthropic.Anthropic(http_client=mock.sdk_http_client())`` (defined in
  :mod:`mockclaude.inprocess`, which :mod:`mockclaude.server` uses too; re-exported here).
* :class:`MockClaudeFixture` is what the pytest fixture ``mockclaude`` gives a test: the server's
  URL, its journal, faults, and assertions that read well (``mockclaude.assert_called(2)``).

Nothing heavy is imported at module level: the pytest plugin imports this module only once a test
asks for the fixture.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answers import assert_all_used, unused_answers  # noqa: F401 - unused_answers: re-exported (it lived here)
from .inprocess import async_sdk_http_client, sdk_http_client

if TYPE_CHECKING:  # pragma: no cover
    import httpx2

    from .config import Settings
    from .journal import JournalEntry
    from .server import MockClaude

__all__ = [  # noqa: F822 - SyncASGITransport is built on first access (module __getattr__)
    "MockClaudeFixture",
    "SyncASGITransport",
    "async_sdk_http_client",
    "sdk_http_client",
]


def __getattr__(name: str) -> Any:
    # SyncASGITransport is built on first use (importing it would import httpx2 and the SDK).
    if name == "SyncASGITransport":
        from . import inprocess

        return inprocess.SyncASGITransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- the pytest fixture's value -----------------------------------------------------------------------

_ALLOW_HINT = (
    "(a test that sends such requests on purpose: @pytest.mark.mockclaude(allow_errors=True), "
    "or wrap the call in `with mockclaude.expect_errors():`)"
)


def _short(value: Any, limit: int = 600) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 15] + f"… ({len(text)} chars)"


def is_rejected(entry: JournalEntry) -> bool:
    """A request the double rejected as the real API would (headers, version, body validation)."""
    return entry.source == "error" and (entry.status or 0) >= 400


class MockClaudeFixture:
    """One test's view of the session's mockclaude server (the ``mockclaude`` fixture).

    The server is shared by the tests of a session (one per xdist worker); before each test it is
    reset and configured with the test's settings (cassette, faults, record mode, ...). At the end
    of the test, requests the cassette could not answer and requests rejected by validation fail
    the test, unless they were expected (``allow_errors`` / :meth:`expect_errors`).
    """

    def __init__(self, server: MockClaude, settings: Settings, *, allow_errors: bool = False) -> None:
        self.server = server
        self.settings = settings
        self.allow_errors = allow_errors
        self.blocked: str | None = None  # why this test may not record (CI, --mockclaude-record-mode=none)
        self._expected_seqs: set[int] = set()
        self._expected_unmatched: set[int] = set()

    # --- where it is and what it is told -----------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's base URL (also in ``ANTHROPIC_BASE_URL`` during the test)."""
        return self.server.url

    base_url = url

    @property
    def app(self) -> Any:
        return self.server.app

    @property
    def journal(self) -> Any:
        return self.server.journal

    @property
    def cassette(self) -> Path | None:
        """The cassette this test replays or records, if any."""
        c = self.settings.cassette
        return None if c is None else Path(c)

    @property
    def record_mode(self) -> str:
        return self.settings.record_mode

    def add_fault(self, fault: Any) -> Any:
        """Queue a fault for the rest of this test (``"529:times=2"``, or a ``mockclaude.faults`` value)."""
        return self.server.add_fault(fault)

    def clear_faults(self) -> None:
        self.server.clear_faults()

    def respond(self, reply: Any = None, **keywords: Any) -> Any:
        """Script an answer for this test (see :meth:`mockclaude.MockClaude.respond`): ``text=``,
        ``tool_use=``, ``thinking=``, ``error=``, ``message=``, with ``when=`` and ``times=``."""
        return self.server.respond(reply, **keywords)

    @property
    def responses(self) -> list[Any]:
        """This test's scripted answers (the marker's ``responses=`` and those added), with use counts."""
        return self.server.responses

    def clear_responses(self) -> None:
        self.server.clear_responses()

    def assert_all_used(self) -> None:
        """Fail unless every scripted answer was used (all its ``times``) and every interaction of the
        cassette was played."""
        __tracebackhide__ = True
        assert_all_used(self.app)

    def reset(self) -> None:
        """Forget this test's requests so far (journal, prompt cache); faults back to the test's
        configured ones (added ones dropped); rewind the cassette."""
        self.server.reset()

    def sdk_http_client(self, **client_options: Any) -> httpx2.Client:
        """A socket-free ``httpx2.Client`` for ``anthropic.Anthropic(http_client=...)``."""
        return sdk_http_client(self.app, **client_options)

    def async_sdk_http_client(self, **client_options: Any) -> httpx2.AsyncClient:
        """A socket-free ``httpx2.AsyncClient`` for ``anthropic.AsyncAnthropic(http_client=...)``."""
        return async_sdk_http_client(self.app, **client_options)

    # --- the journal ---------------------------------------------------------------------------------

    @property
    def requests(self) -> list[JournalEntry]:
        """Every request of this test, oldest first (``requests[-1].body["messages"]``)."""
        entries: list[JournalEntry] = self.server.journal.entries()
        return entries

    def requests_to(self, path: str = "/v1/messages", method: str | None = None) -> list[JournalEntry]:
        """The requests to one endpoint (``"/v1/messages"`` unless told)."""
        return [e for e in self.requests if e.path == path and (method is None or e.method == method)]

    @property
    def last_request(self) -> JournalEntry:
        """The most recent request; an AssertionError when none was made."""
        entries = self.requests
        if not entries:
            raise AssertionError("mockclaude received no request")
        return entries[-1]

    @property
    def unmatched(self) -> list[Any]:
        """``UnmatchedRequestError`` for each request the cassette could not answer in this test."""
        return list(getattr(self.app, "unmatched", []))

    # --- assertions --------------------------------------------------------------------------------

    def assert_called(self, times: int | None = None, *, path: str | None = None) -> None:
        """At least one request (``times=None``), or exactly ``times``; ``path`` counts one endpoint."""
        __tracebackhide__ = True
        entries = self.requests if path is None else self.requests_to(path)
        where = "" if path is None else f" to {path}"
        if times is None:
            if not entries:
                raise AssertionError(f"expected a request{where}, mockclaude received none")
            return
        if len(entries) != times:
            raise AssertionError(
                f"expected {times} request(s){where}, mockclaude received {len(entries)}"
                + "".join(f"\n  {_describe(e)}" for e in entries)
            )

    def assert_not_called(self) -> None:
        __tracebackhide__ = True
        self.assert_called(0)

    def assert_called_with(self, **fields: Any) -> None:
        """The last request's body has these top-level fields with these values (others are ignored;
        ``unittest.mock.ANY`` matches anything)."""
        __tracebackhide__ = True
        self._assert_fields(self.last_request, fields)

    def assert_any_call(self, **fields: Any) -> None:
        """Some request of this test has a body with these top-level fields and values."""
        __tracebackhide__ = True
        entries = self.requests
        for e in entries:
            if isinstance(e.body, dict) and not _mismatches(e.body, fields):
                return
        raise AssertionError(
            f"no request has {_short(fields, 300)}; received {len(entries)}:"
            + "".join(f"\n  {_describe(e)}" for e in entries)
        )

    @staticmethod
    def _assert_fields(entry: JournalEntry, fields: dict[str, Any]) -> None:
        __tracebackhide__ = True
        body = entry.body if isinstance(entry.body, dict) else {}
        problems = _mismatches(body, fields)
        if problems:
            raise AssertionError(
                f"last request ({entry.method} {entry.path}) differs:\n" + "\n".join(problems)
            )

    # --- errors the test did not expect ------------------------------------------------------------

    @contextmanager
    def expect_errors(self) -> Iterator[None]:
        """Requests rejected (or left unmatched) inside the block are expected: they do not fail the
        test. The block itself fails if none was."""
        entries = self.requests
        first_seq = entries[-1].seq if entries else -1
        before = {id(u) for u in self.unmatched}
        try:
            yield
        finally:  # an exception from the block (the SDK's BadRequestError, say) still marks them
            rejected = [e.seq for e in self.requests if e.seq > first_seq and is_rejected(e)]
            unmatched = [id(u) for u in self.unmatched if id(u) not in before]
            self._expected_seqs.update(rejected)
            self._expected_unmatched.update(unmatched)
        if not rejected and not unmatched:
            raise AssertionError("expected mockclaude to reject a request or find it unmatched; none was")

    def problems(self) -> list[str]:
        """What should fail the test: unmatched requests, rejected requests, recordings not saved."""
        out: list[str] = []
        if not self.allow_errors:
            for u in self.unmatched:
                if id(u) in self._expected_unmatched:
                    continue
                text = str(u).split(". closest recorded: ")[0]
                for c in getattr(u, "closest", None) or []:
                    text += f"\n    closest recorded: {c.describe() if hasattr(c, 'describe') else c}"
                req = getattr(u, "request", None)
                if isinstance(req, dict) and req.get("body") is not None:
                    text += f"\n    request body: {_short(req['body'])}"
                if self.blocked:
                    text += f"\n    recording is blocked by {self.blocked}: record it where recording is allowed"
                else:
                    text += (
                        "\n    to record it: --mockclaude-record-mode=new_episodes; to match without a field: "
                        "@pytest.mark.mockclaude(ignore_fields=[...]) or match_on=[...]"
                    )
                out.append(text)
            for e in self.requests:
                if is_rejected(e) and e.seq not in self._expected_seqs:
                    err = e.error or {}
                    text = f"{e.method} {e.path} was rejected: {e.status} {err.get('type', '?')}: {err.get('message', '')}"
                    if e.body is not None:
                        text += f"\n    request body: {_short(e.body)}"
                    out.append(text)
        out.extend(self.app.script.errors)  # scripted answers that did not fit their request
        for r in getattr(self.app, "responders", []):
            for msg in getattr(r, "errors", []) or []:
                out.append(f"a recording could not be saved to {getattr(r.cassette, 'path', '?')}: {msg}")
        return out

    def check(self) -> None:
        """Raise an AssertionError listing :meth:`problems`, if any."""
        __tracebackhide__ = True
        problems = self.problems()
        if problems:
            raise AssertionError(
                f"mockclaude: {len(problems)} request(s) in this test were not answered as a test expects "
                f"{_ALLOW_HINT}:\n" + "\n".join(f"- {p}" for p in problems)
            )

    def __repr__(self) -> str:
        return f"<mockclaude {self.url} cassette={self.cassette} record_mode={self.record_mode}>"


def _describe(e: JournalEntry) -> str:
    model = e.body.get("model") if isinstance(e.body, dict) else None
    return f"#{e.seq} {e.method} {e.path}" + (f" model={model}" if model else "") + f" -> {e.status}"


def _mismatches(body: dict[str, Any], fields: dict[str, Any]) -> list[str]:
    out = []
    for key, want in fields.items():
        if key not in body:
            out.append(f"  {key}: missing (expected {_short(want, 200)})")
        elif want != body[key]:
            out.append(f"  {key}: expected {_short(want, 300)}, got {_short(body[key], 300)}")
    return out
