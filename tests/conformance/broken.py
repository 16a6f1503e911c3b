"""Deliberately broken clients: each a small variant of the reference httpx adapter with one real
bug from docs (client-bugs.md classes in brackets). Used in-process (``broken.py:NAME``) and, for
a few, as adapter processes (``python broken.py NAME``)."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "conformance", "adapters"))

import httpx
import httpx_raw
from httpx_raw import Accumulator, ApiFailure, Client, SSEDecoder


# --- SSE decoding ------------------------------------------------------------------------------

class SplitPerChunkDecoder(SSEDecoder):
    """[1] Splits each network chunk on blank lines, with no buffer across chunks."""

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        out = []
        for part in chunk.decode("utf-8", "replace").split("\n\n"):
            name, data = None, []
            for line in part.split("\n"):
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
            if name and data:
                out.append((name, "\n".join(data)))
        return out


class _PerChunk:
    def decode(self, chunk: bytes) -> str:
        return chunk.decode("utf-8", "replace")


class Utf8PerChunkDecoder(SSEDecoder):
    """[2] Decodes each chunk on its own (a split character becomes U+FFFD)."""

    def __init__(self) -> None:
        super().__init__()
        self.utf8 = _PerChunk()  # type: ignore[assignment]


class LfOnlyDecoder(SSEDecoder):
    """[4] Only LF ends a line (a CR stays in the line; CR-only streams never dispatch)."""

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        self.buf += self.utf8.decode(chunk)
        out = []
        while "\n" in self.buf:
            line, self.buf = self.buf.split("\n", 1)
            ev = self.line(line)
            if ev is not None:
                out.append(ev)
        return out


class NoSpaceDecoder(SSEDecoder):
    """Expects exactly ``data: `` (with the space): strips six characters."""

    def line(self, line: str) -> tuple[str, str] | None:
        if line.startswith("data:"):
            self.data.append(line[6:])
            return None
        return super().line(line)


# --- accumulation ------------------------------------------------------------------------------

class NoInputJson(Accumulator):
    """[12/13] Ignores input_json_delta: every tool input stays the {} placeholder."""

    def add(self, name: str, data: str) -> None:
        if name == "content_block_delta" and '"input_json_delta"' in data:
            return
        super().add(name, data)


class ErrorAsSuccess(Accumulator):
    """[8] An error event ends the stream as if it were complete."""

    def add(self, name: str, data: str) -> None:
        if name == "error":
            self.finished = True
            if self.message is not None:
                self.message.setdefault("stop_reason", "end_turn")
            return
        super().add(name, data)


class StartUsageOnly(Accumulator):
    """[22] Usage from message_start only (message_delta's totals ignored)."""

    def add(self, name: str, data: str) -> None:
        if name == "message_delta":
            ev = json.loads(data)
            ev.pop("usage", None)
            data = json.dumps(ev)
        super().add(name, data)


class SumsUsage(Accumulator):
    """[22] Adds message_delta's running totals to message_start's (double counting)."""

    def add(self, name: str, data: str) -> None:
        if name == "message_delta" and self.message is not None:
            ev = json.loads(data)
            for k, v in (ev.pop("usage", None) or {}).items():
                if isinstance(v, int):
                    self.message["usage"][k] = self.message["usage"].get(k, 0) + v
            data = json.dumps(ev)
        super().add(name, data)


class StrictEvents(Accumulator):
    """[5/7] Raises on any event it does not know (ping, unknown types)."""

    def add(self, name: str, data: str) -> None:
        known = ("message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "error")
        if name not in known:
            raise KeyError(f"unexpected event {name}")
        super().add(name, data)


class DropsRedacted(Accumulator):
    """[19] redacted_thinking blocks are not kept."""

    def result(self) -> dict[str, Any]:
        msg = super().result()
        msg["content"] = [b for b in msg["content"] if b.get("type") != "redacted_thinking"]
        return msg


# --- the client --------------------------------------------------------------------------------

class Broken(Client):
    decoder = SSEDecoder
    accumulator = Accumulator

    def read_stream(self, r: httpx.Response) -> dict[str, Any]:
        dec, acc = self.decoder(), self.accumulator()
        try:
            for chunk in r.iter_raw():
                for name, data in dec.feed(chunk):
                    acc.add(name, data)
        except httpx.TransportError as exc:
            raise ApiFailure(None, None, f"connection lost: {exc}") from None
        return acc.result()


def variant(name: str, doc: str, **attrs: Any) -> Any:
    cls = type(name, (Broken,), {"__doc__": doc, **attrs})
    client: Client | None = None

    def handle(case: dict[str, Any]) -> dict[str, Any]:
        nonlocal client
        if client is None:
            client = cls()
        return client.handle(case)

    handle.__name__ = name
    handle.__doc__ = doc
    globals()[name] = handle
    return cls


variant("splits_per_chunk", "[1] splits events on \\n\\n within each network chunk", decoder=SplitPerChunkDecoder)
variant("utf8_per_chunk", "[2] decodes UTF-8 per chunk", decoder=Utf8PerChunkDecoder)
variant("lf_only", "[4] handles only LF line ends", decoder=LfOnlyDecoder)
variant("needs_data_space", "expects the space after data:", decoder=NoSpaceDecoder)
variant("ignores_input_json", "[12/13] ignores input_json_delta", accumulator=NoInputJson)
variant("error_event_as_success", "[8] treats a mid-stream error event as success", accumulator=ErrorAsSuccess)
variant("usage_from_start", "[22] takes usage from message_start only", accumulator=StartUsageOnly)
variant("sums_usage", "[22] adds cumulative usage (double counting)", accumulator=SumsUsage)
variant("crashes_on_unknown", "[5/7] raises on ping and unknown events", accumulator=StrictEvents)
variant("drops_redacted", "[19] drops redacted_thinking blocks", accumulator=DropsRedacted)
variant("ignores_retry_after", "[34] ignores retry-after / retry-after-ms (10 ms back-off)",
        retry_delay=lambda self, r, attempt: 0.01)
variant("retries_400", "[33] retries a 400", should_retry=lambda self, r: r.status_code == 400 or Client.should_retry(self, r))
variant("no_retry_529", "[36] does not retry a 529",
        should_retry=lambda self, r: False if r.status_code == 529 else Client.should_retry(self, r))
variant("ignores_should_retry", "[35] ignores x-should-retry",
        should_retry=lambda self, r: r.status_code in (408, 409, 429) or r.status_code >= 500)
variant("drops_thinking_in_loop", "[20] drops thinking blocks from the tool loop",
        next_messages=lambda self, msgs, a: Client.next_messages(self, msgs, dict(a, content=[b for b in a["content"] if b["type"] != "thinking"])))
variant("wrong_tool_ids", "[14] mismatches tool_use ids (results numbered by position)",
        tool_result=lambda self, b: dict(Client.tool_result(self, b), tool_use_id="toolu_" + str(len(b["id"]) % 7)))
variant("first_tool_only", "[14] answers only the first of several parallel tool calls",
        next_messages=lambda self, msgs, a: [*msgs, {"role": "assistant", "content": a["content"]},
                                             {"role": "user", "content": [self.tool_result(next(b for b in a["content"] if b["type"] == "tool_use"))]}])


def _separate_turns(self: Client, msgs: list[Any], a: dict[str, Any]) -> list[Any]:
    out = [*msgs, {"role": "assistant", "content": a["content"]}]
    for b in a["content"]:
        if b["type"] == "tool_use":
            out.append({"role": "user", "content": [self.tool_result(b)]})
    return out


variant("results_in_separate_turns", "[27] sends each tool_result in its own user turn", next_messages=_separate_turns)
variant("one_round_only", "[24] stops the tool loop after the first round", tool_loop=lambda self, case: (self.post(case, case["request"], bool(case["request"].get("stream"))), 1))


class _Stitching(Broken):
    """[37] After a mid-stream failure it retries and appends the new stream to the partial one."""

    def read_stream(self, r: httpx.Response) -> dict[str, Any]:
        dec, acc = SSEDecoder(), Accumulator()
        try:
            for chunk in r.iter_raw():
                for name, data in dec.feed(chunk):
                    acc.add(name, data)
            return acc.result()
        except (httpx.TransportError, ApiFailure):
            self.partial = acc.blocks  # kept for the retry
            raise httpx.ReadError("mid-stream") from None

    def post(self, case: dict[str, Any], body: dict[str, Any], stream: bool) -> dict[str, Any]:
        self.partial: dict[int, Any] = {}
        for _ in range(3):
            try:
                msg = super().post(case, body, stream)
            except ApiFailure:
                if not self.partial:
                    raise
                continue
            for i, b in self.partial.items():
                if i < len(msg["content"]) and b.get("type") == "text" == msg["content"][i].get("type"):
                    msg["content"][i]["text"] = b.get("text", "") + msg["content"][i]["text"]
            return msg
        raise ApiFailure(None, None, "gave up")


def stitches_after_cut(case: dict[str, Any], _c: list[Any] = []) -> dict[str, Any]:  # noqa: B006
    """[37] duplicates text when it retries after a mid-stream failure"""
    if not _c:
        _c.append(_Stitching())
    return _c[0].handle(case)


class _CutIsSuccess(Broken):
    """[10] A connection cut mid-stream returns what arrived as if complete."""

    def read_stream(self, r: httpx.Response) -> dict[str, Any]:
        dec, acc = SSEDecoder(), Accumulator()
        try:
            for chunk in r.iter_raw():
                for name, data in dec.feed(chunk):
                    acc.add(name, data)
        except httpx.TransportError:
            pass
        acc.finished = True
        if acc.message is None:
            raise ApiFailure(None, None, "no message")
        return acc.result()


def cut_is_success(case: dict[str, Any], _c: list[Any] = []) -> dict[str, Any]:  # noqa: B006
    """[10] reports a cut connection / early end as a complete message"""
    if not _c:
        _c.append(_CutIsSuccess())
    return _c[0].handle(case)


def drops_error_status(case: dict[str, Any]) -> dict[str, Any]:
    """[39] reports HTTP errors without their status"""
    answer = httpx_raw.handle(case)
    if not answer["ok"]:
        answer["error"]["status"] = None
    return answer


class _ExitOnUnknown(Accumulator):
    """[5] The process dies on a ping or an unknown event (an unhandled crash)."""

    def add(self, name: str, data: str) -> None:
        if name not in ("message_start", "content_block_start", "content_block_delta", "content_block_stop",
                        "message_delta", "message_stop", "error"):
            print(f"Traceback: unexpected event {name!r}", file=sys.stderr, flush=True)
            os._exit(3)
        super().add(name, data)


variant("exits_on_unknown", "[5] the adapter process dies on ping / unknown events", accumulator=_ExitOnUnknown)


def reference(case: dict[str, Any]) -> dict[str, Any]:
    """The correct client (the reference adapter, in-process)."""
    return httpx_raw.handle(case)


def main() -> None:
    """``python broken.py NAME``: the variant NAME as an adapter process. Extra modes: ``garbage``
    (answers nonsense), ``hang`` (never answers a stream case), ``no-stream`` (declares it lacks
    streaming, then behaves as the reference)."""
    mode = sys.argv[1]
    if mode == "no-stream":
        print(json.dumps({"capabilities": {"stream": False}}), flush=True)
        mode = "reference"
    for line in sys.stdin:
        case = json.loads(line)
        if mode == "hang" and case["action"] == "stream":
            time.sleep(3600)
        if mode == "garbage":
            print("this is not json", flush=True)
            continue
        answer = globals()["reference" if mode == "hang" else mode](case)
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
