"""Crash-safe file replacement: a cassette survives a kill (SIGKILL, power loss) at any instant.

A file is never truncated in place. A new version is written to a sibling temporary file
(``.NAME.XXXXXXXX.tmp`` in the same directory, so the rename cannot cross file systems), fsynced,
then renamed over the old one with :func:`os.replace` — atomic on Linux, macOS and Windows — and
on POSIX the directory is fsynced too, so the rename itself survives a power loss. A kill before
the rename leaves the old file as it was (and the stray hidden temp file, harmless: nothing reads
it; ``mockclaude cassette lint --fix`` removes it); a kill after it leaves the new one, whole.

Test-only hook: with ``MOCKCLAUDE_TEST_STALL_AT=POINT`` (and ``MOCKCLAUDE_TEST_STALL_MARK=FILE``)
in its environment, a recorder that reaches ``POINT`` creates ``FILE`` and sleeps (at most
``MOCKCLAUDE_TEST_STALL_SECONDS``, default 60), so that a test can SIGKILL it at exactly that
instant (tests/test_record_atomic.py). The points: ``fresh-open`` (the new file's temp file exists,
empty — where the recorder used to truncate the old cassette), ``fresh-written`` (the temp file
holds the header and the first interaction, fsynced, not yet renamed), ``appended`` (an
interaction has been appended in place and fsynced; ``appended:N`` for the N-th), ``replace``
(any atomic replacement, e.g. the compaction at a clean stop, just before its rename). Unset, the
hook costs one dictionary lookup per write.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import time
from pathlib import Path

__all__ = [
    "create_temp", "fsync_dir", "open_append", "replace", "stall", "stray_temp_files", "write_all", "write_atomic",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# O_BINARY (Windows only): without it os.write turns every "\n" into "\r\n", and the loader would
# not find the appended records' "---" / "..." lines.
_FLAGS = _NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def stall(point: str, count: int = 0) -> None:
    """The test-only stall hook (see the module docstring); a no-op unless the environment asks."""
    want = os.environ.get("MOCKCLAUDE_TEST_STALL_AT")
    if not want:
        return
    name, _, nth = want.partition(":")
    if name != point or (nth and count != int(nth)):
        return
    mark = os.environ.get("MOCKCLAUDE_TEST_STALL_MARK")
    if mark:
        Path(mark).write_text(point, encoding="utf-8")
    time.sleep(float(os.environ.get("MOCKCLAUDE_TEST_STALL_SECONDS", "60")))


def stray_temp_files(path: Path) -> list[Path]:
    """Temporary files of ``path`` left behind by a writer killed before its rename (by their
    name: ``.NAME.`` + 8 hex digits + ``.tmp``, as :func:`create_temp` makes them)."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{8}}\.tmp")
    try:
        return sorted(p for p in path.parent.iterdir() if pattern.fullmatch(p.name))
    except OSError:  # no such directory: nothing left behind
        return []


def existing_mode(path: Path) -> int | None:
    """The permission bits of ``path``, or None when there is no file yet."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return None


def create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty temporary file beside ``path``, open for writing: (fd, its path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not tempfile.mkstemp (always 0o600), and not os.umask() to learn the umask: that sets the
    # process-wide umask for a moment, under the feet of any thread creating a file meanwhile.
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FLAGS, 0o666), tmp
        except FileExistsError:
            continue


def open_append(path: Path) -> int:
    """An existing file (not a symlink) open for appending; FileNotFoundError when there is none."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | _FLAGS)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` (one write() in the common case; a short write goes on)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX; Windows has no directory handles to fsync)."""
    if sys.platform == "win32":
        return
    # Best effort: the rename has happened whatever this says (some file systems refuse to fsync a
    # directory, EINVAL); reporting it as a failed write would make the caller redo a done rename.
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace(tmp: Path, path: Path, mode: int | None, *, point: str = "replace") -> None:
    """Rename the complete, fsynced ``tmp`` over ``path`` (keeping ``mode`` when given); on any
    failure ``tmp`` is removed and ``path`` is left as it was. ``point``: the stall hook's name."""
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        stall(point)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def write_atomic(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (temp file in the same directory, fsync, rename)."""
    path = Path(path)
    mode = existing_mode(path)  # None: a new file gets 0o666 less the umask, applied by open() itself
    fd, tmp = create_temp(path)
    try:
        try:
            write_all(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        os.unlink(tmp)
        raise
    replace(tmp, path, mode)
