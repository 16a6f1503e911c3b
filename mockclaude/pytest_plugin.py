"""pytest plugin for mockclaude (entry point ``pytest11``).

Thin and lazy: importing it imports neither uvicorn, starlette nor hypothesis; the server starts
the first time a test asks for the ``mockclaude`` fixture (one server per session, so one per xdist
worker), and is reset and reconfigured for each test.

    def test_hello(mockclaude):
        reply = anthropic.Anthropic().messages.create(model=..., max_tokens=64, messages=[...])
        mockclaude.assert_called(1)

What it gives a test
    * the ``mockclaude`` fixture (:class:`mockclaude.testing.MockClaudeFixture`), with
      ``ANTHROPIC_BASE_URL`` pointing at the server and ``ANTHROPIC_API_KEY`` set, so
      ``anthropic.Anthropic()`` needs no arguments;
    * the marker ``@pytest.mark.mockclaude(cassette=..., faults=[...], record_mode=..., allow_errors=...,
      <any Settings keyword>)``; a test with the marker gets the fixture even without asking for it;
    * at the end of the test, requests the cassette could not answer and requests rejected by
      validation fail the test, with the request and the closest recorded interactions.

Precedence, highest first (for every Settings keyword)::

    marker keyword  >  command-line option  >  MOCKCLAUDE_* variable  >  default

``--mockclaude-record-mode`` (default ``none``) and ``--mockclaude-upstream`` are the command-line
options. CI never records by accident: ``--mockclaude-record-mode=none`` given explicitly, or (no
record mode on the command line) ``MOCKCLAUDE_RECORD_MODE=none`` or a ``CI`` variable, blocks
recording whatever a marker says (:func:`recording_lock`). ``MOCKCLAUDE_CASSETTE`` is ignored by the
plugin: a cassette belongs to a test.

Cassettes
    * ``cassette="x.yaml"`` in the marker: that file, relative to the test file's directory. It must
      exist unless the record mode records (a missing one is an error at setup).
    * the marker without ``cassette=``: the default path ``cassettes/<module>/<test name>.yaml`` next
      to the test file, used when that file exists or when the record mode records; otherwise the
      test gets the synthetic answers.
    * ``cassette=None``, or no marker: no cassette, synthetic answers, and a record mode from the
      command line or environment does not apply (nothing is recorded).
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from .server import MockClaude
    from .testing import MockClaudeFixture

__all__ = ["DUMMY_API_KEY", "default_cassette_path", "recording_lock", "settings_for"]

MARKER = "mockclaude"
PLUGIN_KEYWORDS = frozenset({"allow_errors"})  # marker keywords that are the plugin's, not Settings'
DUMMY_API_KEY = "sk-ant-api03-mockclaude-test-key"
_RECORD_MODES = ("none", "once", "new_episodes", "all")  # == config.RECORD_MODES (checked by a test)
_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]+")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockclaude", "mockclaude (Claude Messages API test double)")
    group.addoption(
        "--mockclaude-record-mode",
        dest="mockclaude_record_mode",
        choices=_RECORD_MODES,
        default=None,
        help="record mode for tests with a cassette: none (default: replay only), once, new_episodes, "
        "all. Overrides MOCKCLAUDE_RECORD_MODE; a marker's record_mode= overrides it.",
    )
    group.addoption(
        "--mockclaude-upstream",
        dest="mockclaude_upstream",
        default=None,
        metavar="URL",
        help="where recording forwards requests (default https://api.anthropic.com). "
        "Overrides MOCKCLAUDE_UPSTREAM; a marker's upstream= overrides it.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockclaude(cassette=None, faults=(), record_mode=None, allow_errors=False, **settings): "
        "configure the mockclaude server for this test (any mockclaude Settings keyword); "
        "the test gets the `mockclaude` fixture.",
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    from .config import unknown_env  # light: config imports nothing heavy

    lines = [f"mockclaude: warning: {name} is not a mockclaude variable (ignored)" for name in unknown_env()]
    mode = config.getoption("mockclaude_record_mode", None)
    upstream = config.getoption("mockclaude_upstream", None)
    lock = recording_lock(config)
    blocked = f"; recording blocked by {lock}" if lock and mode is None else ""
    if mode is None and upstream is None:
        if lock:
            lines.append(f"mockclaude: recording blocked by {lock}")
    else:
        lines.append(f"mockclaude: record mode {mode or '(env/default)'}, upstream {upstream or '(env/default)'}{blocked}")
    return lines


_FALSY = ("", "0", "false", "no", "off")


def recording_lock(config: pytest.Config) -> str | None:
    """Why nothing may record in this session, or None. Whatever a marker says, recording is
    blocked by ``--mockclaude-record-mode=none`` given on the command line, or — when the command
    line gives no record mode — by ``MOCKCLAUDE_RECORD_MODE=none`` or a ``CI`` variable set (as CI
    services do). A record mode given explicitly on the command line is a decision to record."""
    mode = config.getoption("mockclaude_record_mode", None)
    if mode == "none":
        return "--mockclaude-record-mode=none"
    if mode is not None:
        return None
    if os.environ.get("MOCKCLAUDE_RECORD_MODE", "").strip().lower() == "none":
        return "MOCKCLAUDE_RECORD_MODE=none"
    ci = os.environ.get("CI")
    if ci is not None and ci.strip().lower() not in _FALSY:
        return f"CI={ci}"
    return None


class SessionStats:
    """What the session's tests did with mockclaude, for the end-of-session summary line."""

    def __init__(self) -> None:
        self.tests = self.replayed = self.recorded = self.unmatched = self.scripted = self.blocked = 0
        self.unplayed: dict[str, tuple[set[int], int]] = {}  # cassette -> (never played, interactions)
        self.written: set[str] = set()

    def add_test(self, app: Any) -> None:
        self.tests += 1
        entries = app.journal.entries()
        self.unmatched += len(app.unmatched)
        self.replayed += sum(1 for e in entries if e.source == "cassette" and e.status == 200)
        self.scripted += sum(1 for e in entries if e.source == "scripted")
        for r in app.responders:
            if getattr(r, "recorded", 0):
                self.recorded += r.recorded
                self.written.add(str(r.cassette.path))
            index = getattr(r, "index", None)
            if hasattr(r, "unused") and index is not None:
                self.merge_unplayed(str(r.cassette.path), set(index.unplayed()), len(index))

    def merge_unplayed(self, path: str, unplayed: set[int], total: int) -> None:
        # An interaction counts as used when any test of the session played it.
        before = self.unplayed.get(path)
        self.unplayed[path] = (unplayed if before is None else before[0] & unplayed, total)

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": [self.tests, self.replayed, self.recorded, self.unmatched, self.scripted, self.blocked],
            "unplayed": {p: [sorted(u), n] for p, (u, n) in self.unplayed.items()},
            "written": sorted(self.written),
        }

    def merge(self, data: dict[str, Any]) -> None:
        t, rp, rc, um, sc, bl = data["counts"]
        self.tests, self.replayed, self.recorded = self.tests + t, self.replayed + rp, self.recorded + rc
        self.unmatched, self.scripted, self.blocked = self.unmatched + um, self.scripted + sc, self.blocked + bl
        for p, (u, n) in data["unplayed"].items():
            self.merge_unplayed(p, set(u), n)
        self.written.update(data["written"])

    def line(self, lock: str | None) -> str:
        unused = [f"{p} {len(u)} of {n}" for p, (u, n) in sorted(self.unplayed.items()) if u]
        return (
            f"mockclaude: {self.replayed} replayed, {self.recorded} recorded, {self.unmatched} unmatched, "
            f"{self.scripted} scripted in {self.tests} test(s); unused interactions: {', '.join(unused) or 'none'}; "
            f"cassettes written: {', '.join(sorted(self.written)) or 'none'}"
            + (f"; recording blocked by {lock}" if lock else "")
            + (f" ({self.blocked} test(s) needed a recording)" if self.blocked else "")
        )


_STATS = pytest.StashKey[SessionStats]()


def _stats(config: pytest.Config) -> SessionStats:
    stats = config.stash.get(_STATS, None)
    if stats is None:
        stats = config.stash[_STATS] = SessionStats()
    return stats


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)  # an xdist worker: tell the controller
    stats = session.config.stash.get(_STATS, None)
    if workeroutput is not None and stats is not None:
        workeroutput["mockclaude_stats"] = stats.to_json()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    data = getattr(node, "workeroutput", {}).get("mockclaude_stats")
    if data is not None:
        _stats(node.config).merge(data)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    stats = config.stash.get(_STATS, None)
    if stats is not None and stats.tests:
        terminalreporter.write_line(stats.line(recording_lock(config)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test with the marker gets the fixture without naming it (``anthropic.Anthropic()`` just works).
    for item in items:
        names = getattr(item, "fixturenames", None)
        if isinstance(names, list) and MARKER not in names and item.get_closest_marker(MARKER) is not None:
            names.append(MARKER)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    # Checked in the call phase, so unexpected errors fail the test itself (not its teardown).
    __tracebackhide__ = True
    handle = getattr(item, "funcargs", {}).get(MARKER)
    try:
        result = yield
    except BaseException as exc:
        if handle is not None and hasattr(exc, "add_note"):
            problems = handle.problems()
            if problems:
                exc.add_note("mockclaude also saw:\n" + "\n".join(f"- {p}" for p in problems))
        raise
    if handle is not None:
        handle.check()
    return result


# --- settings for one test ------------------------------------------------------------------------


def default_cassette_path(item: pytest.Item) -> Path:
    """``cassettes/<module>/<test name>.yaml`` next to the test file (class tests: ``Class.test``)."""
    path = Path(item.path)
    name = item.name
    cls = getattr(item, "cls", None)
    if cls is not None:
        name = f"{cls.__name__}.{name}"
    return path.parent / "cassettes" / path.stem / (_UNSAFE.sub("_", name).strip("_") + ".yaml")


def marker_options(item: pytest.Item) -> dict[str, Any] | None:
    """The merged keywords of the test's ``mockclaude`` markers (closest wins), or None without one.
    One positional argument is the cassette."""
    markers = list(item.iter_markers(MARKER))
    if not markers:
        return None
    out: dict[str, Any] = {}
    for m in reversed(markers):  # module, class, then function: the closest is applied last
        if len(m.args) > 1:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} takes at most one positional argument (the cassette)"
            )
        if m.args:
            out["cassette"] = m.args[0]
        out.update(m.kwargs)
    return out


def settings_for(item: pytest.Item, config: pytest.Config) -> tuple[Any, dict[str, Any]]:
    """The test's Settings (marker > option > env > default) and the plugin's own marker keywords."""
    from .config import Settings, env_options

    values = env_options()
    values.pop("cassette", None)  # a cassette belongs to a test, never to the environment
    mode = config.getoption("mockclaude_record_mode", None)
    if mode is not None:
        values["record_mode"] = mode
    upstream = config.getoption("mockclaude_upstream", None)
    if upstream is not None:
        values["upstream"] = upstream

    marker = marker_options(item)
    plugin: dict[str, Any] = {}
    if marker is not None:
        plugin = {k: marker.pop(k) for k in list(marker) if k in PLUGIN_KEYWORDS}
        values.update(marker)
        base = Path(item.path).parent
        if "cassette" in marker:
            if marker["cassette"] is not None:
                values["cassette"] = base / Path(marker["cassette"])  # an absolute path stays itself
        else:
            default = default_cassette_path(item)
            if default.exists() or values.get("record_mode", "none") != "none":
                values["cassette"] = default
    if values.get("cassette") is None and (marker is None or "record_mode" not in marker):
        values["record_mode"] = "none"  # nothing to record into: a global record mode does not apply
    lock = recording_lock(config)
    if lock is not None and values.get("cassette") is not None and values.get("record_mode", "none") != "none":
        # The lock beats every marker: replay only, and say why when the test needs a recording.
        plugin["blocked"] = f"{lock} (the test asked for record mode {values['record_mode']!r})"
        values["record_mode"] = "none"
    return Settings.build(**values), plugin


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mockclaude_server() -> Iterator[MockClaude]:
    """The session's mockclaude server (one per xdist worker), started on first use."""
    from .server import MockClaude

    with MockClaude() as server:
        yield server


@pytest.fixture
def mockclaude(
    request: pytest.FixtureRequest, mockclaude_server: MockClaude, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MockClaudeFixture]:
    """The mockclaude server, reset and configured for this test; the SDK's env vars point at it."""
    import os

    from .errors import CassetteNotFoundError, ConfigError, MockClaudeError
    from .testing import MockClaudeFixture

    item = request.node
    problem: str | None = None
    try:
        settings, plugin = settings_for(item, request.config)
    except ConfigError as err:  # failed outside the except block: no "during handling" chain
        own = f" (and the plugin's own: {', '.join(sorted(PLUGIN_KEYWORDS))})" if "unknown option" in str(err) else ""
        problem = f"@pytest.mark.{MARKER}: {err}{own}"
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    app = mockclaude_server.app
    base = mockclaude_server.settings
    app.reset()
    try:
        app.configure(settings)  # after reset: reset drops queued faults, configure installs this test's
    except BaseException as err:
        app.configure(base)  # e.g. CassetteNotFoundError: leave the server usable for the next test
        if not isinstance(err, MockClaudeError):
            raise
        hint = ""
        if isinstance(err, CassetteNotFoundError):
            stats = _stats(request.config)
            stats.tests += 1
            stats.blocked += "blocked" in plugin
            hint = (
                f"; recording is blocked by {plugin['blocked']}: record it where recording is allowed "
                "(pytest --mockclaude-record-mode=once, with a real ANTHROPIC_API_KEY) and commit the cassette"
                if "blocked" in plugin
                else " (record it: --mockclaude-record-mode=once)"
            )
        problem = f"mockclaude: {err}{hint}"
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    handle = MockClaudeFixture(mockclaude_server, settings, allow_errors=bool(plugin.get("allow_errors")))
    handle.blocked = plugin.get("blocked")

    monkeypatch.setenv("ANTHROPIC_BASE_URL", mockclaude_server.url)
    mode = settings.record_mode
    # Can this test forward to the upstream? (`once` with the file present only replays.)
    recording = mode in ("new_episodes", "all") or (mode == "once" and not Path(settings.cassette).exists())
    if settings.api_key is not None:
        monkeypatch.setenv("ANTHROPIC_API_KEY", settings.api_key)
    elif not (recording and os.environ.get("ANTHROPIC_API_KEY")):
        # Recording forwards the client's key upstream: keep a real one then; otherwise a dummy.
        monkeypatch.setenv("ANTHROPIC_API_KEY", DUMMY_API_KEY)
    if not recording:
        monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    try:
        yield handle
    finally:
        _stats(request.config).add_test(app)
        app.configure(base)  # closes this test's cassette responders
        app.reset()
