"""Answer helpers shared by the app and the modules it serves through (batches, the test helpers).

A lower module than :mod:`mockclaude.app`: it imports nothing of mockclaude, so the batches API and
:mod:`mockclaude.server` can use these without importing the app (no import circle).

* :func:`dumps`: an answer body as the API writes it (compact JSON, UTF-8).
* :func:`unused_answers` / :func:`assert_all_used`: scripted answers and cassette interactions a
  test configured and never used.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["assert_all_used", "dumps", "unused_answers"]


def dumps(obj: Any) -> bytes:
    """Compact JSON, UTF-8, as the API writes it."""
    try:
        return orjson.dumps(obj)
    except TypeError:  # what orjson will not write (an int over 64 bits, a non-str key)
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def unused_answers(app: Any) -> list[str]:
    """Scripted answers with uses left and cassette interactions not played, one line each."""
    out = [f"scripted answer #{i}: {r.describe()}" for i, r in enumerate(app.script.replies) if r in app.script.unused()]
    for r in getattr(app, "responders", []):
        unused = getattr(r, "unused", None)
        if unused is not None:
            out.extend(f"cassette {r.cassette.path}: interaction {u} was not played" for u in unused())
    return out


def assert_all_used(app: Any) -> None:
    """Raise an AssertionError listing :func:`unused_answers`, if any."""
    __tracebackhide__ = True
    unused = unused_answers(app)
    if unused:
        raise AssertionError(f"mockclaude: {len(unused)} answer(s) were not used:\n" + "\n".join(f"- {u}" for u in unused))
