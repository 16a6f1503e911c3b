"""The cassette file: a versioned YAML document of recorded interactions.

    format: mockclaude-cassette
    version: 1
    interactions:
    - request:  {method, path, [query], headers, body}
      response: {status, headers, body | events (+ raw when re-encoding would not reproduce the bytes)}

A stream is stored as its list of events, one flow mapping per line
(``{at: 0.031, event: content_block_delta, data: '{"type":...}'}``), with ``data`` kept as the exact
JSON text that was received, so a replay re-encodes the stream byte for byte and a diff shows one
changed event as one changed line. See docs/cassettes.md for the reasoning and a full example.

Files are read with libyaml (``CSafeLoader``) when PyYAML was built with it: the pure-Python loader
is several times slower still. Safe loading only: a cassette is data and must never construct Python
objects. Even libyaml reads only ~2,000 interactions a second, so the same document may also be
written in JSON syntax (a ``.json`` path; one interaction per line), which loads ~10x faster: for
big, machine-made cassettes. A file whose text starts with ``{`` is read as JSON whatever its name.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from ..errors import CassetteError, CassetteNotFoundError
from ..sse import Accumulator, Event, StreamError, encode_all
from .durable import write_atomic

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Cassette",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "dump_yaml",
    "load_yaml",
    "write_atomic",
]

FORMAT_NAME = "mockclaude-cassette"
FORMAT_VERSION = 1

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _json_text(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# --- YAML --------------------------------------------------------------------------------------


class _Flow(dict):  # type: ignore[type-arg]
    """A mapping written on one line (stream events)."""


class _Dumper(_BaseDumper):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        # Never write anchors/aliases: every interaction reads (and diffs) on its own.
        return True


def _represent_flow(dumper: Any, data: _Flow) -> Any:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


def _represent_str(dumper: Any, data: str) -> Any:
    # Multi-line text (prompts, answers, raw SSE) as a literal block: readable, and diffs by line.
    # The emitter falls back to a quoted style by itself when a literal block cannot hold it exactly.
    if "\n" in data and len(data) > 1:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(str, _represent_str)


def dump_yaml(doc: Any) -> str:
    """YAML text as cassettes are written: block style, keys in their original order, no wrapping."""
    text: str = yaml.dump(
        doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 30, default_flow_style=False
    )
    return text


def load_yaml(text: str | bytes, path: str = "<string>", *, stream: bool = False) -> Any:
    """Parse YAML safely; a syntax error becomes a :class:`CassetteError` naming the path and line.
    ``stream``: the list of every document in the text (an appended cassette, see append.py)."""
    try:
        if stream:
            return list(yaml.load_all(text, Loader=_Loader))
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
        problem = " ".join(str(p) for p in (err.context, err.problem) if p)
        raise CassetteError(f"{where}: invalid YAML: {problem or err}") from err
    except yaml.YAMLError as err:
        raise CassetteError(f"{path}: invalid YAML: {err}") from err
    except UnicodeDecodeError as err:
        raise CassetteError(f"{path}: not UTF-8 text: {err}") from err


def _looks_like_json(text: str | bytes) -> bool:
    head = text[:64].lstrip()
    return head[:1] in (b"{", "{")


def load_json(text: str | bytes, path: str = "<string>") -> Any:
    """The JSON syntax of a cassette (same document as the YAML one; ~100x faster to read)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise CassetteError(f"{path}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from err
    except UnicodeDecodeError as err:
        raise CassetteError(f"{path}: not UTF-8 text: {err}") from err


def dump_json(doc: dict[str, Any]) -> str:
    """JSON cassette text: the header, then one interaction per line (diffs by interaction)."""
    head = {k: v for k, v in doc.items() if k != "interactions"}
    lines = [_json_text(head)[:-1] + ',"interactions":[']
    items = [_json_text(it) for it in doc.get("interactions") or []]
    lines.append(",\n".join(items))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def read_bytes(path: Path, what: str) -> bytes:
    """The file's bytes. Missing -> :class:`CassetteNotFoundError`; unreadable -> :class:`CassetteError`."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CassetteNotFoundError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise CassetteError(f"{path}: is a directory, not a {what}") from None
    except OSError as err:
        raise CassetteError(f"{path}: cannot read: {err.strerror or err}") from None


# --- the model ---------------------------------------------------------------------------------


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    query: str = ""


@dataclass(slots=True)
class RecordedResponse:
    """A JSON answer (``body``), a stream (``events`` with ``offsets``), or other bytes (``raw`` only).

    ``raw`` holds the exact bytes received when re-encoding ``body``/``events`` would not reproduce
    them (CRLF line ends, comments, spacing): a replay then sends these bytes.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    events: list[Event] | None = None
    offsets: list[float] | None = None
    raw: bytes | None = None

    @property
    def is_stream(self) -> bool:
        return self.events is not None

    def exact_bytes(self) -> bytes | None:
        """The bytes a replay sends in this response's own form (JSON or SSE), if known."""
        if self.raw is not None:
            return self.raw
        if self.events is not None:
            return encode_all(self.events)
        if self.body is not None:
            return _json_text(self.body).encode("utf-8")
        return None

    def message(self) -> dict[str, Any] | None:
        """The message this response carries (a stream accumulated, even one cut by an error event)."""
        if self.events is None:
            return self.body if isinstance(self.body, dict) and self.body.get("type") == "message" else None
        acc = Accumulator()
        try:
            for ev in self.events:
                acc.add(ev)
        except (StreamError, ValueError, KeyError, IndexError, TypeError, AttributeError):
            pass
        return acc.message


@dataclass(slots=True)
class Interaction:
    """One recorded request and the response it got."""

    request: RecordedRequest
    response: RecordedResponse
    recorded_at: str | None = None
    # Recorded although the double refused it: {"double": {status, type, message}, "upstream": {...}}
    # (see mockclaude.cassette.fidelity). A replay answers what was recorded for such a request.
    disagreement: dict[str, Any] | None = None

    # --- to and from the YAML document --------------------------------------------------------

    def to_doc(self) -> dict[str, Any]:
        req: dict[str, Any] = {"method": self.request.method, "path": self.request.path}
        if self.request.query:
            req["query"] = self.request.query
        req["headers"] = dict(self.request.headers)
        req["body"] = self.request.body
        resp: dict[str, Any] = {"status": self.response.status, "headers": dict(self.response.headers)}
        r = self.response
        if r.events is not None:
            offsets = r.offsets or []
            events = []
            for i, ev in enumerate(r.events):
                item = _Flow()
                if i < len(offsets):
                    item["at"] = offsets[i]
                item["event"] = ev.name
                item["data"] = ev.data
                events.append(item)
            resp["events"] = events
            if r.raw is not None and r.raw != encode_all(r.events):
                resp.update(_raw_doc(r.raw))
        elif r.body is not None:
            resp["body"] = r.body
            if r.raw is not None and r.raw != _json_text(r.body).encode("utf-8"):
                resp.update(_raw_doc(r.raw))
        elif r.raw is not None:
            resp.update(_raw_doc(r.raw))
        doc: dict[str, Any] = {}
        if self.recorded_at:
            doc["recorded_at"] = self.recorded_at
        doc["request"] = req
        doc["response"] = resp
        if self.disagreement is not None:
            doc["disagreement"] = self.disagreement
        return doc

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> Interaction:
        d = _mapping(doc, where)
        req = _mapping(_required(d, "request", where), f"{where}.request")
        resp = _mapping(_required(d, "response", where), f"{where}.response")
        method = _string(_required(req, "method", f"{where}.request"), f"{where}.request.method").upper()
        path = _string(_required(req, "path", f"{where}.request"), f"{where}.request.path")
        if not path.startswith("/"):
            raise CassetteError(f"{where}.request.path: must start with '/', got {path!r}")
        query = _string(req.get("query") or "", f"{where}.request.query")
        request = RecordedRequest(
            method=method,
            path=path,
            query=query,
            headers=_headers(req.get("headers"), f"{where}.request.headers"),
            body=_json_value(req.get("body"), f"{where}.request.body"),
        )
        status = resp.get("status")
        if status is None:
            raise CassetteError(f"{where}.response: missing required field 'status'")
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise CassetteError(f"{where}.response.status: expected an HTTP status code, got {status!r}")
        response = RecordedResponse(
            status=status, headers=_headers(resp.get("headers"), f"{where}.response.headers")
        )
        raw = _raw_from_doc(resp, f"{where}.response")
        if "events" in resp:
            if "body" in resp:
                raise CassetteError(
                    f"{where}.response: has both 'body' and 'events' (a response is one or the other)"
                )
            response.events, response.offsets = _events(resp["events"], f"{where}.response.events")
        elif "body" in resp:
            response.body = _json_value(resp["body"], f"{where}.response.body")
        elif raw is None:
            raise CassetteError(f"{where}.response: needs one of 'body', 'events' or 'raw'")
        response.raw = raw
        recorded_at = d.get("recorded_at")
        if isinstance(recorded_at, datetime):  # a hand-written unquoted timestamp
            recorded_at = recorded_at.isoformat()
        disagreement = d.get("disagreement")
        if disagreement is not None:
            disagreement = _json_value(_mapping(disagreement, f"{where}.disagreement"), f"{where}.disagreement")
        return cls(
            request,
            response,
            recorded_at=None if recorded_at is None else str(recorded_at),
            disagreement=disagreement,
        )


def _raw_doc(raw: bytes) -> dict[str, str]:
    try:
        return {"raw": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"raw_base64": base64.b64encode(raw).decode("ascii")}


def _raw_from_doc(resp: dict[str, Any], where: str) -> bytes | None:
    if "raw" in resp:
        return _string(resp["raw"], f"{where}.raw").encode("utf-8")
    if "raw_base64" in resp:
        try:
            return base64.b64decode(_string(resp["raw_base64"], f"{where}.raw_base64"), validate=True)
        except (binascii.Error, ValueError) as err:
            raise CassetteError(f"{where}.raw_base64: not valid base64: {err}") from None
    return None


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CassetteError(f"{where}: expected a mapping, got {_kind(value)}")
    return value


def _required(d: dict[str, Any], key: str, where: str) -> Any:
    if key not in d or d[key] is None:
        raise CassetteError(f"{where}: missing required field {key!r}")
    return d[key]


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise CassetteError(f"{where}: expected a string, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _headers(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    d = _mapping(value, where)
    out: dict[str, str] = {}
    for k, v in d.items():
        if isinstance(v, list):  # tolerate VCR-style lists of values
            v = ", ".join(str(x) for x in v)
        if not isinstance(k, str) or isinstance(v, (dict, list)) or v is None:
            raise CassetteError(f"{where}.{k}: a header value must be a string")
        out[k.lower()] = str(v)
    return out


def _json_value(value: Any, where: str) -> Any:
    """YAML can say more than JSON (dates, binary, non-string keys): refuse what JSON cannot carry."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        v, w = stack.pop()
        if isinstance(v, dict):
            for k, sub in v.items():
                if not isinstance(k, str):
                    raise CassetteError(f"{w}: key {k!r} is not a string (JSON keys are strings; quote it)")
                stack.append((sub, f"{w}.{k}"))
        elif isinstance(v, list):
            stack.extend((sub, f"{w}.{i}") for i, sub in enumerate(v))
        elif v is not None and not isinstance(v, (str, int, float, bool)):
            raise CassetteError(f"{w}: {type(v).__name__} is not a JSON value (quote it)")
    return value


def _events(value: Any, where: str) -> tuple[list[Event], list[float] | None]:
    if not isinstance(value, list):
        raise CassetteError(f"{where}: expected a list of events, got {_kind(value)}")
    events: list[Event] = []
    offsets: list[float] = []
    timed = True
    for i, item in enumerate(value):
        w = f"{where}.{i}"
        d = _mapping(item, w)
        data = d.get("data")
        if data is None:
            raise CassetteError(f"{w}: missing required field 'data'")
        if not isinstance(data, str):  # hand-written: a mapping, stored as compact JSON
            data = _json_text(_json_value(data, f"{w}.data"))
        name = d.get("event")
        if name is None:
            try:
                name = json.loads(data)["type"]
            except (ValueError, KeyError, TypeError):
                raise CassetteError(f"{w}: missing 'event' (and data has no JSON 'type')") from None
        at = d.get("at")
        if at is None:
            timed = False
        elif isinstance(at, bool) or not isinstance(at, (int, float)) or at < 0:
            raise CassetteError(f"{w}.at: expected seconds >= 0, got {at!r}")
        else:
            offsets.append(float(at))
        events.append(Event(str(name), data))
    return events, (offsets if timed and events else None)


# --- the cassette ------------------------------------------------------------------------------


class Cassette:
    """A list of interactions with the file they live in. Appends are thread-safe; saves atomic."""

    def __init__(
        self,
        interactions: Iterable[Interaction] = (),
        *,
        path: str | Path | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.interactions: list[Interaction] = list(interactions)
        self.path = Path(path) if path is not None else None
        self.meta: dict[str, Any] = dict(meta or {})
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._version = 0  # bumped on every change; saves are skipped when already written
        self._saved = 0
        self.torn_at: int | None = None  # offset of a torn last record left out (load(keep_torn=True))
        self.appended = False  # loaded from a file with records appended by a recorder (not compacted)

    def __len__(self) -> int:
        return len(self.interactions)

    def __iter__(self) -> Iterator[Interaction]:
        return iter(self.interactions)

    def __getitem__(self, i: int) -> Interaction:
        return self.interactions[i]

    def __repr__(self) -> str:
        return f"<Cassette {str(self.path) if self.path else '(in memory)'}: {len(self)} interactions>"

    # --- reading -------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path, *, keep_torn: bool = False) -> Cassette:
        """Read a cassette file. Missing -> :class:`CassetteNotFoundError`; broken -> :class:`CassetteError`
        (a torn last record, from a recorder killed while appending it: :class:`~.append.TornRecord`,
        or with ``keep_torn`` the intact interactions and ``torn_at`` set)."""
        p = Path(path)
        return cls.from_text(read_bytes(p, "cassette file"), path=p, keep_torn=keep_torn)

    @classmethod
    def from_text(cls, text: str | bytes, *, path: str | Path | None = None, keep_torn: bool = False) -> Cassette:
        from .append import read_document

        where = str(path) if path is not None else "<string>"
        doc, torn, appended = read_document(text, where, json_syntax=_looks_like_json(text), keep_torn=keep_torn)
        if doc is None:
            raise CassetteError(f"{where}: empty file (a cassette starts with 'format: {FORMAT_NAME}')")
        if not isinstance(doc, dict):
            raise CassetteError(f"{where}: expected a mapping at the top level, got {_kind(doc)}")
        fmt = doc.get("format")
        if fmt != FORMAT_NAME:
            hint = ""
            if fmt is None and isinstance(doc.get("interactions"), list) and doc.get("version") == 1:
                first = doc["interactions"][0] if doc["interactions"] else None
                if (
                    isinstance(first, dict)
                    and isinstance(first.get("request"), dict)
                    and "uri" in first["request"]
                ):
                    hint = " — this looks like a VCR.py cassette: convert it with `mockclaude cassette import-vcr`"
            raise CassetteError(
                f"{where}: not a mockclaude cassette (expected 'format: {FORMAT_NAME}'){hint}"
            )
        version = doc.get("version")
        if version != FORMAT_VERSION:
            raise CassetteError(
                f"{where}: unsupported cassette format version {version!r} "
                f"(this mockclaude reads version {FORMAT_VERSION})"
            )
        items = doc.get("interactions")
        if items is None:
            items = []
        if not isinstance(items, list):
            raise CassetteError(f"{where}: 'interactions' must be a list, got {_kind(items)}")
        interactions = [
            Interaction.from_doc(item, f"{where}: interactions.{i}") for i, item in enumerate(items)
        ]
        meta = {k: v for k, v in doc.items() if k not in ("format", "version", "interactions")}
        cassette = cls(interactions, path=path, meta=meta)
        cassette.torn_at = torn if torn >= 0 else None
        cassette.appended = appended
        return cassette

    # --- writing -------------------------------------------------------------------------------

    def to_doc(self) -> dict[str, Any]:
        return self._doc(self.interactions)

    def header(self) -> dict[str, Any]:
        """The document without its interactions (what an appended file starts with)."""
        doc = self._doc([])
        del doc["interactions"]
        return doc

    def _doc(self, interactions: list[Interaction]) -> dict[str, Any]:
        from .. import __version__

        doc: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
        meta = dict(self.meta)
        meta.setdefault("recorded_with", f"mockclaude {__version__}")
        doc.update(meta)
        doc["interactions"] = [i.to_doc() for i in interactions]
        return doc

    def dumps(self, syntax: str | None = None) -> str:
        """The file text: YAML, or JSON when ``syntax="json"`` (default: by the path's suffix)."""
        return self._text(self._doc(self.interactions), syntax)

    def _text(self, doc: dict[str, Any], syntax: str | None) -> str:
        if syntax is None:
            syntax = "json" if self.path is not None and self.path.suffix.lower() == ".json" else "yaml"
        if syntax == "json":
            return dump_json(doc)
        if syntax != "yaml":
            raise ValueError(f"syntax must be 'yaml' or 'json', not {syntax!r}")
        return dump_yaml(doc)

    def append(self, interaction: Interaction) -> int:
        """Add an interaction (thread-safe); returns its position."""
        with self._lock:
            self.interactions.append(interaction)
            self._version += 1
            return len(self.interactions) - 1

    def save(self, path: str | Path | None = None) -> None:
        """Write the whole cassette atomically. Concurrent saves are serialised, and a save that
        finds its changes already written by another is skipped — no lost or interleaved writes."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise CassetteError("cassette has no path to save to")
        with self._write_lock:
            with self._lock:  # a consistent snapshot; appends wait only for this copy, not the write
                version = self._version
                if path is None and self._saved == version and target.exists():
                    return
                snapshot = list(self.interactions)
            syntax = "json" if target.suffix.lower() == ".json" else "yaml"
            write_atomic(target, self._text(self._doc(snapshot), syntax))
            self._saved = max(self._saved, version)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
