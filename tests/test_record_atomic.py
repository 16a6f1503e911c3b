"""A recorder SIGKILLed at the instants that matter leaves the old cassette whole or the new one whole.

A real ``mockclaude serve`` subprocess records through the proxy (the upstream is a synthetic
MockClaude on loopback). The test-only hook ``MOCKCLAUDE_TEST_STALL_AT`` (mockclaude/cassette/durable.py)
makes it stop at one point of its write path and say so in a marker file; the test then kills it
with SIGKILL and reads the file: it must be the old cassette byte for byte, or the new session's
complete interactions — loading must neither raise nor return fewer interactions than were written.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockclaude import MockClaude
from mockclaude.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from mockclaude.cassette.cli import main as cassette_main

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

ROOT = Path(__file__).resolve().parent.parent
MODEL = "claude-haiku-4-5"
HEADERS = {"x-api-key": "sk-test-key", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def _body(text: str, *, stream: bool = False) -> dict[str, object]:
    b: dict[str, object] = {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": text}]}
    if stream:
        b["stream"] = True
    return b


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockClaude]:
    with MockClaude() as up:
        yield up


def _old_cassette(path: Path, n: int = 2) -> bytes:
    items = [
        Interaction(
            RecordedRequest("POST", "/v1/messages", body=_body(f"old {i}"), headers={"content-type": "application/json"}),
            RecordedResponse(200, {"content-type": "application/json"}, body={"type": "message", "id": f"msg_old{i}"}),
            recorded_at="2026-01-01T00:00:00Z",
        )
        for i in range(n)
    ]
    Cassette(items, path=path).save()
    return path.read_bytes()


class Recorder:
    """``mockclaude serve`` recording into ``path``, stalled at ``stall`` (None: not stalled)."""

    def __init__(self, path: Path, mode: str, upstream: str, stall: str | None) -> None:
        self.mark = path.parent / "stalled.mark"
        self.mark.unlink(missing_ok=True)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        if stall is not None:
            env.update(MOCKCLAUDE_TEST_STALL_AT=stall, MOCKCLAUDE_TEST_STALL_MARK=str(self.mark))
        args = ["--port", "0", "--cassette", str(path), "--record-mode", mode, "--upstream", upstream]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mockclaude", "serve", *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=path.parent,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.kill()
            pytest.fail(f"recorder did not start: {line!r}")
        self.url = line.strip().rsplit(" ", 1)[-1]
        self.threads: list[threading.Thread] = []

    def post(self, text: str, *, stream: bool = False) -> None:
        """One request to completion (the answer has been recorded when this returns)."""
        with httpx.Client(base_url=self.url, headers=HEADERS, timeout=30) as c:
            r = c.post("/v1/messages", json=_body(text, stream=stream))
            assert r.status_code == 200, r.text

    def post_in_background(self, text: str, *, stream: bool = False) -> None:
        """A request that will hang at the stall point; it ends with the process."""

        def run() -> None:
            try:
                with httpx.Client(base_url=self.url, headers=HEADERS, timeout=30) as c:
                    c.post("/v1/messages", json=_body(text, stream=stream))
            except httpx.HTTPError:
                pass  # killed under it: expected

        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.threads.append(t)

    def wait_stalled(self) -> None:
        deadline = time.monotonic() + 30
        while not self.mark.exists():
            assert self.proc.poll() is None, "the recorder exited instead of stalling"
            assert time.monotonic() < deadline, "the recorder never reached the stall point"
            time.sleep(0.02)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        for t in self.threads:
            t.join(30)


def _files(folder: Path) -> list[str]:
    """The files in the cassette's folder, but for the test's stall marker."""
    return sorted(p.name for p in folder.iterdir() if p.name != "stalled.mark")


def _texts(path: Path) -> list[str]:
    """The user text of every interaction in the file; loading must not raise."""
    return [it.request.body["messages"][0]["content"] for it in Cassette.load(path)]


# --- record mode all: the session replaces the cassette ------------------------------------------


@pytest.mark.parametrize("point", ["fresh-open", "fresh-written"])
def test_mode_all_killed_before_the_first_interaction_is_whole_keeps_the_old_cassette(
    tmp_path: Path, upstream: MockClaude, point: str
) -> None:
    path = tmp_path / "session.yaml"
    old = _old_cassette(path)
    rec = Recorder(path, "all", upstream.url, point)
    try:
        rec.post_in_background("new 0", stream=True)
        rec.wait_stalled()
    finally:
        rec.kill()
    assert path.read_bytes() == old
    assert _texts(path) == ["old 0", "old 1"]
    temps = [name for name in _files(tmp_path) if name.endswith(".tmp")]
    assert len(temps) == 1 and temps[0].startswith(".session.yaml.")  # the new file that was not renamed
    out = io.StringIO()
    assert cassette_main(["lint", "--fix", str(path)], out=out) == 0
    assert f"removed {temps[0]}" in out.getvalue()
    assert _files(tmp_path) == ["session.yaml"]
    assert path.read_bytes() == old  # a one-document file is left as written


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_mode_all_killed_after_appends_has_exactly_the_new_interactions(
    tmp_path: Path, upstream: MockClaude, suffix: str
) -> None:
    path = tmp_path / f"session{suffix}"
    _old_cassette(path)
    rec = Recorder(path, "all", upstream.url, "appended:3")
    try:
        rec.post("new 0")  # the first: written beside the old file, renamed over it
        rec.post("new 1", stream=True)  # appended in place
        rec.post_in_background("new 2")  # appended and fsynced; killed before it is answered
        rec.wait_stalled()
    finally:
        rec.kill()
    assert _texts(path) == ["new 0", "new 1", "new 2"]
    assert Cassette.load(path).appended  # not compacted: the kill came first
    assert _files(tmp_path) == [path.name]


def test_mode_all_killed_while_compacting_at_a_clean_stop_keeps_the_appended_file(
    tmp_path: Path, upstream: MockClaude
) -> None:
    path = tmp_path / "session.yaml"
    _old_cassette(path)
    rec = Recorder(path, "all", upstream.url, "replace")
    try:
        rec.post("new 0")
        rec.post("new 1")
        rec.proc.send_signal(signal.SIGTERM)  # a clean stop compacts the file: stalled before its rename
        rec.wait_stalled()
    finally:
        rec.kill()
    cassette = Cassette.load(path)
    assert cassette.appended
    assert _texts(path) == ["new 0", "new 1"]


def test_mode_all_completes_and_compacts_when_not_killed(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "session.yaml"
    _old_cassette(path)
    rec = Recorder(path, "all", upstream.url, None)
    try:
        rec.post("new 0")
        rec.post("new 1", stream=True)
        rec.proc.send_signal(signal.SIGTERM)
        assert rec.proc.wait(30) == 0
    finally:
        rec.kill()
    assert not Cassette.load(path).appended
    assert _texts(path) == ["new 0", "new 1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.yaml"]


# --- new_episodes and once: the file is created, or appended to ------------------------------------


@pytest.mark.parametrize("mode", ["new_episodes", "once"])
def test_a_new_cassette_is_not_left_empty_by_a_kill_before_its_first_interaction(
    tmp_path: Path, upstream: MockClaude, mode: str
) -> None:
    path = tmp_path / "new.yaml"
    rec = Recorder(path, mode, upstream.url, "fresh-written")
    try:
        rec.post_in_background("first")
        rec.wait_stalled()
    finally:
        rec.kill()
    # No file (not an empty one that `once` would take for a finished recording and replay from).
    assert not path.exists()
    rec = Recorder(path, mode, upstream.url, None)  # so the next session records it again
    try:
        rec.post("first")
    finally:
        rec.kill()
    assert _texts(path) == ["first"]


def test_new_episodes_killed_after_an_append_keeps_the_old_and_the_new(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "session.yaml"
    _old_cassette(path)
    rec = Recorder(path, "new_episodes", upstream.url, "appended:2")
    try:
        rec.post("new 0")
        rec.post_in_background("new 1", stream=True)
        rec.wait_stalled()
    finally:
        rec.kill()
    assert _texts(path) == ["old 0", "old 1", "new 0", "new 1"]


# --- the write path in-process: a failed replacement loses nothing ----------------------------------


def test_a_failed_rename_leaves_the_old_cassette_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mockclaude.cassette import append, durable

    path = tmp_path / "session.yaml"
    old = _old_cassette(path)
    log = append.AppendLog(path, header=Cassette(path=path).header(), fresh=True)
    doc = Cassette.load(path)[0].to_doc()
    real_replace = os.replace

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied (held open elsewhere)", str(dst))

    monkeypatch.setattr(durable.os, "replace", refuse)
    with pytest.raises(PermissionError):
        log.append(doc)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.yaml"]
    monkeypatch.setattr(durable.os, "replace", real_replace)
    log.append(doc)  # the next one replaces the file (still this session's first interaction on disk)
    log.append(doc)  # and then appends
    log.close()
    assert len(Cassette.load(path)) == 2
    assert log.appended == 2


@pytest.mark.parametrize(("after", "delay"), [(0, 0.05), (1, 0.0), (4, 0.003)])
def test_mode_all_killed_at_an_arbitrary_instant_leaves_the_old_or_every_completed_new_interaction(
    tmp_path: Path, upstream: MockClaude, after: int, delay: float
) -> None:
    # Whatever instant the kill lands on (``after`` completed requests, then ``delay`` seconds: only to
    # spread it over the session's start), the file is the old cassette byte for byte, or holds
    # every interaction a client saw completed.
    from mockclaude.cassette.append import TornRecord

    path = tmp_path / "session.yaml"
    old = _old_cassette(path)
    rec = Recorder(path, "all", upstream.url, None)
    completed: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=rec.url, headers=HEADERS, timeout=30) as c:
            for i in range(200):  # bounded; ends at the kill
                if stop.is_set():
                    return
                try:
                    r = c.post("/v1/messages", json=_body(f"new {i}", stream=i % 2 == 1))
                except httpx.HTTPError:
                    return
                if r.status_code == 200 and (i % 2 == 0 or "event: message_stop" in r.text):
                    completed.append(f"new {i}")

    t = threading.Thread(target=client, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while len(completed) < after and t.is_alive() and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(delay)
    rec.kill()
    stop.set()
    t.join(30)
    if path.read_bytes() == old:
        assert completed == []  # nothing had been answered: the old cassette stands
        print(f"kill after {after} + {delay}s: the old cassette stands")
        return
    try:
        texts = _texts(path)
    except TornRecord as err:  # a kill in the middle of an append: reported, the rest intact
        assert err.path == str(path) and err.intact >= len(completed)
        texts = [it.request.body["messages"][0]["content"] for it in Cassette.load(path, keep_torn=True)]
    assert texts[: len(completed)] == completed
    print(f"kill after {after} + {delay}s: {len(texts)} new interaction(s) on disk, {len(completed)} seen completed")
