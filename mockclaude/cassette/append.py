"""The recorder's write path: one interaction appended (and fsynced) at a time, never a rewrite.

Saving a whole cassette per recorded interaction makes recording slow down with the square of the
session (5,000 interactions: seconds per request) and leaves a window in which a kill loses
everything since the last save. Instead the recorder appends each interaction as it is recorded,
in a form that is itself a valid cassette after every ``write``:

* **YAML**: the file is a YAML *stream*. The first document is the cassette as usual (``format``,
  ``version``, maybe ``interactions``); each recorded interaction follows as a document of its own,
  between a ``---`` line and a ``...`` line (YAML's document end marker)::

      format: mockclaude-cassette
      version: 1
      interactions: [...]         # what the file held before (or nothing, for a new file)
      ---
      recorded_at: '2026-01-15T10:00:00Z'
      request: {...}
      response: {...}
      ...

* **JSON** (a ``.json`` cassette): the first JSON value is the cassette as usual; each recorded
  interaction follows as one JSON object on its own line (JSON Lines).

A kill (SIGKILL, power loss) can only tear the record being written, which the loader recognises
— a YAML document without its ``...`` or a JSON line without its newline — and reports with the
path and line instead of reading a truncated interaction as if it were whole (see
:func:`read_document`). ``mockclaude cassette lint --fix`` drops a torn record; a clean shutdown
of the recorder *compacts* the file back to the one-document form (an atomic rewrite, once).

Appends go to the cassette itself (``O_APPEND``). Only the first record of a session that replaces
the file (record mode ``all``), or creates it, goes through a temporary file renamed over the old
one (:mod:`.durable`): the old cassette is never truncated, so a kill before the first interaction
is whole leaves it as it was.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from ..errors import CassetteError
from . import durable

__all__ = ["AppendLog", "TornRecord", "read_document"]

YAML_START = "---\n"
YAML_END = "...\n"
_YAML_DOC_START = re.compile(r"^---[ \t]*$", re.M)


class TornRecord(CassetteError):
    """The last appended interaction is incomplete: the recorder was stopped while writing it."""

    def __init__(self, path: str, line: int, intact: int) -> None:
        self.path, self.line, self.intact = path, line, intact
        super().__init__(
            f"{path}:{line}: the last recorded interaction is incomplete (the recorder was stopped "
            f"while writing it); the {intact} interaction(s) before it are intact — "
            f"`mockclaude cassette lint --fix {path}` removes the torn record"
        )


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _check_yaml(text: str, path: str) -> tuple[int, int] | None:
    """For a YAML stream of appended documents: (intact appended documents, offset where a torn
    last one starts, or -1). ``None``: a plain one-document file (the common case)."""
    starts = [m.start() for m in _YAML_DOC_START.finditer(text)]
    if starts and starts[0] == 0:  # a hand-written file may open with '---': its first document
        starts = starts[1:]
    if not starts:
        return None
    for i, at in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        if not text[at:end].endswith("\n" + YAML_END):
            if i + 1 < len(starts):
                raise CassetteError(
                    f"{path}:{_line_of(text, at)}: an appended interaction does not end with a '...' line"
                )
            return i, at
    return len(starts), -1


def _check_json(text: str, path: str) -> tuple[Any, list[Any], int]:
    """A JSON cassette followed by appended JSON lines: (the first value, the appended objects, the
    offset of a torn last line or -1). Raises CassetteError for anything else that is broken."""
    dec = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    try:
        head, end = dec.raw_decode(text, start)
    except json.JSONDecodeError as err:
        raise CassetteError(f"{path}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from err
    items: list[Any] = []
    pos, n = end, len(text)
    while pos < n:
        nl = text.find("\n", pos)
        line_end = n if nl < 0 else nl
        line = text[pos:line_end]
        if line.strip():
            try:
                if nl < 0:
                    raise ValueError("no newline")  # a record is complete only with its newline
                items.append(json.loads(line))
            except ValueError:
                if text[line_end:].strip():  # not the last line: broken, not torn
                    raise CassetteError(f"{path}:{_line_of(text, pos)}: invalid JSON line") from None
                return head, items, pos
        pos = line_end + 1
    return head, items, -1


def read_document(
    text: str | bytes, path: str, *, json_syntax: bool, keep_torn: bool = False
) -> tuple[Any, int, bool]:
    """The cassette document in ``text`` — appended records merged into its ``interactions`` —, the
    offset of a torn last record that was left out (-1: none), and whether records were appended.
    A torn record raises :class:`TornRecord` unless ``keep_torn``."""
    from .format import load_json, load_yaml

    if json_syntax:
        try:
            return load_json(text, path), -1, False
        except CassetteError as err:
            cause = err.__cause__
            if not (isinstance(cause, json.JSONDecodeError) and cause.msg == "Extra data"):
                raise
        s = text.decode("utf-8") if isinstance(text, bytes) else text
        head, items, torn = _check_json(s, path)
        if torn >= 0 and not keep_torn:
            raise TornRecord(path, _line_of(s, torn), len(items))
        return _merge(head, items, path), torn, True
    if isinstance(text, bytes):
        if not re.search(rb"^---[ \t]*$", text, re.M):
            return load_yaml(text, path), -1, False
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise CassetteError(f"{path}: not UTF-8 text: {err}") from err
    shape = _check_yaml(text, path)
    if shape is None:
        return load_yaml(text, path), -1, False
    intact, torn = shape
    if torn >= 0:
        if not keep_torn:
            raise TornRecord(path, _line_of(text, torn), intact)
        text = text[:torn]
    docs = load_yaml(text, path, stream=True)
    head = docs[0] if docs else None
    return _merge(head, docs[1:], path), torn, True


def _merge(head: Any, items: list[Any], path: str) -> Any:
    if not items or not isinstance(head, dict):
        return head
    before = head.get("interactions")
    if before is None:
        before = []
    if not isinstance(before, list):
        raise CassetteError(f"{path}: 'interactions' must be a list")
    merged = dict(head)
    merged["interactions"] = [*before, *items]
    return merged


class AppendLog:
    """Appends interactions to a cassette file, each written whole and fsynced before returning.

    ``fresh``: the session replaces the file (record mode ``all``). The file is never truncated:
    the first interaction is written with the header to a sibling temporary file, fsynced and
    renamed over the old cassette (:mod:`.durable`), so a kill before that rename leaves the old
    cassette whole, and one after it leaves the new session's first interaction whole. A file
    that does not exist yet is created the same way (never left empty by a kill). Later
    interactions are appended in place. Thread-safe; appends are serialised.
    """

    def __init__(self, path: str | Path, *, header: dict[str, Any], fresh: bool) -> None:
        self.path = Path(path)
        self.json = self.path.suffix.lower() == ".json"
        self.header = header
        self.fresh = fresh
        self.appended = 0
        self._fd: int | None = None
        self._lock = threading.Lock()

    def _open_existing(self) -> tuple[int, str] | None:
        """The existing file open for appending, and the text to write before the first record;
        None when the file must be (re)placed whole: a fresh session, no file, an empty file."""
        if self.fresh:
            return None
        try:
            fd = durable.open_append(self.path)
        except FileNotFoundError:
            return None
        if os.fstat(fd).st_size == 0:
            os.close(fd)
            return None
        return fd, self._separator_for_existing()

    def _place(self, data: bytes) -> None:
        """Put a whole new file (header and first record) at the path: temp file, fsync, rename."""
        mode = durable.existing_mode(self.path)
        fd, tmp = durable.create_temp(self.path)
        try:
            try:
                durable.stall("fresh-open")
                durable.write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)  # before the rename: Windows renames no file that is open
        except BaseException:
            os.unlink(tmp)
            raise
        durable.replace(tmp, self.path, mode, point="fresh-written")
        self.fresh = False  # from here on the file is this session's: a retry must append, not replace

    def _header_text(self) -> str:
        if self.json:
            return json.dumps(self.header, separators=(",", ":"), ensure_ascii=False) + "\n"
        from .format import dump_yaml

        return dump_yaml(self.header)

    def _separator_for_existing(self) -> str:
        # A hand-edited file may lack its final newline: a record must start on a line of its own.
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return "" if f.read(1) == b"\n" else "\n"

    def record_text(self, doc: dict[str, Any]) -> str:
        """The text appended for one interaction document."""
        if self.json:
            return json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"
        from .format import dump_yaml

        return YAML_START + dump_yaml(doc) + YAML_END

    def append(self, doc: dict[str, Any]) -> None:
        """Write one interaction document and fsync it (blocking: call it off the event loop)."""
        text = self.record_text(doc)
        with self._lock:
            if self._fd is None:
                opened = self._open_existing()
                if opened is None:
                    self._place((self._header_text() + text).encode("utf-8"))
                    self._reopen()
                    self.appended += 1
                    durable.stall("appended", self.appended)
                    return
                self._fd, prefix = opened
                text = prefix + text
            durable.write_all(self._fd, text.encode("utf-8"))
            os.fsync(self._fd)
            self.appended += 1
            durable.stall("appended", self.appended)

    def _reopen(self) -> None:
        try:
            self._fd = durable.open_append(self.path)
        except OSError:
            pass  # the record is on disk; the next append opens the file again (and appends)

    def close(self) -> None:
        """Close the file (what was appended stays as it is)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
