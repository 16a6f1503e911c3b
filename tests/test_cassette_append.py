"""The recorder's append-only writes: valid after a kill at any byte, torn records reported, compaction."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockclaude import MockClaude
from mockclaude.cassette import Cassette
from mockclaude.cassette.append import AppendLog, TornRecord
from mockclaude.cassette.cli import main as cassette_main
from mockclaude.errors import CassetteError
from tests.test_cassette_format import _interaction

HEADERS = {"x-api-key": "sk-test-key", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def _body(text: str, *, stream: bool = False) -> dict[str, object]:
    b: dict[str, object] = {"model": "claude-sonnet-4-6", "max_tokens": 32, "messages": [{"role": "user", "content": text}]}
    if stream:
        b["stream"] = True
    return b


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockClaude]:
    with MockClaude() as up:
        yield up


def _log(path: Path, n: int, *, fresh: bool = True) -> Cassette:
    """n interactions appended to path, as a recorder writes them; the same in memory."""
    c = Cassette(path=path)
    log = AppendLog(path, header=c.header(), fresh=fresh)
    for i in range(n):
        it = _interaction(f"question {i}\nsecond line\n", stream=i % 2 == 1)
        c.append(it)
        log.append(it.to_doc())
    log.close()
    return c


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_appended_file_loads_and_compacts_to_the_one_document_form(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"c{suffix}"
    mem = _log(path, 5)
    loaded = Cassette.load(path)
    assert loaded.appended and [it.to_doc() for it in loaded] == [it.to_doc() for it in mem]
    assert cassette_main(["lint", "--fix", str(path)], out=io.StringIO()) == 0
    assert path.read_text() == mem.dumps()
    again = Cassette.load(path)
    assert not again.appended and len(again) == 5
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_kill_at_any_byte_leaves_whole_records_or_a_clear_error(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"c{suffix}"
    ref = [it.to_doc() for it in _log(path, 3)]
    full = path.read_bytes()
    loaded_counts = set()
    for cut in range(0, len(full) + 1, 3):
        path.write_bytes(full[:cut])
        try:
            c = Cassette.load(path)
        except TornRecord as err:
            assert f"{path}:{err.line}: the last recorded interaction is incomplete" in str(err)
            kept = Cassette.load(path, keep_torn=True)
            assert len(kept) == err.intact and [it.to_doc() for it in kept] == ref[: err.intact]
        except CassetteError as err:  # torn inside the header + first record (written in one go)
            assert str(path) in str(err)
        else:
            # what loads is whole records only, never a truncated interaction read as complete
            assert [it.to_doc() for it in c] == ref[: len(c)]
            loaded_counts.add(len(c))
    assert loaded_counts >= {3}


def test_lint_fix_removes_a_torn_record(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _log(path, 3)
    data = path.read_bytes()
    path.write_bytes(data[:-40])
    with pytest.raises(TornRecord, match=r"c\.yaml:\d+: the last recorded interaction is incomplete"):
        Cassette.load(path)
    out = io.StringIO()
    cassette_main(["lint", "--fix", str(path)], out=out)
    assert "torn last record removed, 2 interaction(s) kept" in out.getvalue()
    assert len(Cassette.load(path)) == 2


def test_a_recorded_file_replaced_in_mode_all_and_appended_in_new_episodes(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "rec.yaml"
    with MockClaude(cassette=path, record_mode="all", upstream=upstream.url) as rec:
        with httpx.Client(base_url=rec.url, headers=HEADERS) as h:
            assert h.post("/v1/messages", json=_body("one")).status_code == 200
            assert h.post("/v1/messages", json=_body("two", stream=True)).status_code == 200
            mid = Cassette.load(path)  # while recording: the appended form, complete
            assert mid.appended and len(mid) == 2
    compacted = Cassette.load(path)
    assert not compacted.appended and len(compacted) == 2
    with MockClaude(cassette=path, record_mode="new_episodes", upstream=upstream.url) as rec:
        with httpx.Client(base_url=rec.url, headers=HEADERS) as h:
            h.post("/v1/messages", json=_body("one"))  # replayed
            h.post("/v1/messages", json=_body("three"))  # recorded, appended to the compacted file
            assert len(Cassette.load(path)) == 3
    assert len(Cassette.load(path)) == 3
    assert sorted(os.listdir(tmp_path)) == ["rec.yaml"]


def test_the_stream_is_on_disk_before_the_client_sees_message_stop(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "rec.json"
    with MockClaude(cassette=path, record_mode="all", upstream=upstream.url) as rec:
        with httpx.Client(base_url=rec.url, headers=HEADERS) as h:
            with h.stream("POST", "/v1/messages", json=_body("stream it", stream=True)) as resp:
                saw_stop = False
                for line in resp.iter_lines():
                    if line == "event: message_stop":
                        saw_stop = True
                        # the interaction was appended and fsynced before this event was sent
                        c = Cassette.load(path)
                        assert len(c) == 1 and c[0].response.events is not None
                        assert c[0].response.events[-1].name == "message_stop"
                assert saw_stop


def test_an_unfoldable_recorded_stream_replayed_as_json_is_a_clear_400_not_a_500(tmp_path: Path) -> None:
    from mockclaude.cassette import Interaction, RecordedRequest, RecordedResponse
    from mockclaude.sse import event

    body = _body("out of order", stream=True)
    start = {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                                                 "model": "claude-sonnet-4-6", "content": [], "usage": {}}}
    events = [
        event(start),
        event({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "x"}}),
        event({"type": "message_stop"}),
    ]
    it = Interaction(RecordedRequest("POST", "/v1/messages", body=body), RecordedResponse(200, events=events))
    path = tmp_path / "odd.yaml"
    Cassette([it], path=path).save()
    with MockClaude(cassette=path) as mock, httpx.Client(base_url=mock.url, headers=HEADERS) as h:
        as_json = h.post("/v1/messages", json={**body, "stream": False})
        assert as_json.status_code == 400, as_json.text
        message = as_json.json()["error"]["message"]
        assert "interaction #0 of cassette" in message and str(path) in message
        as_sse = h.post("/v1/messages", json=body)
        assert as_sse.status_code == 200 and b"content_block_delta" in as_sse.content
    out = io.StringIO()
    assert cassette_main(["lint", str(path)], out=out) == 1
    assert "does not accumulate into a message" in out.getvalue()
