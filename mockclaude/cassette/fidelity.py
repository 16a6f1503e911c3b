"""Disagreements between the double and the real API, found while recording.

In record mode the real API is the judge: a request the double's validator refuses is forwarded all
the same, and what the double would have said is set beside what the real API said. Where they
differ the interaction is recorded with a ``disagreement`` mapping::

    disagreement:
      double:   {status: 400, type: invalid_request_error, message: "..."}
      upstream: {status: 200}

and reported on the console (the ``mockclaude.cassette`` logger, a warning), in the journal entry
(``entry.disagreement``) and by ``mockclaude cassette lint``. A request the double accepted and the
real API refused as invalid (400, 404, 413) is a disagreement too (``double: {status: 200}``), except
a thread the real API no longer holds (``thread_not_found``: its state, not a rule).
A replay answers a disagreement's request as recorded.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError

__all__ = ["describe", "verdict"]

# Upstream refusals that judge the request itself (not the key, the load or the service).
_JUDGING = frozenset({400, 404, 413})


def _said(status: int, body: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status}
    error = body.get("error") if isinstance(body, dict) else None
    if status >= 400 and isinstance(error, dict):
        out["type"] = error.get("type")
        out["message"] = error.get("message")
    return out


def verdict(refusal: ApiError | None, status: int, body: Any) -> dict[str, Any] | None:
    """The disagreement between the double's answer (``refusal``, None when it accepted) and the
    real API's (``status`` and JSON ``body``), or None when they agree."""
    upstream = _said(status, body)
    if refusal is None:
        if status not in _JUDGING or _state_only(body):
            return None
        return {"double": {"status": 200}, "upstream": upstream}
    double = {"status": refusal.status, "type": refusal.type, "message": refusal.message}
    if all(upstream.get(k) == v for k, v in double.items()):
        return None
    return {"double": double, "upstream": upstream}


def _state_only(body: Any) -> bool:
    """An upstream refusal about its own state, not a rule: a message thread it no longer holds
    (threads are best-effort there; the SDKs replay the conversation)."""
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return isinstance(details, dict) and details.get("error_code") == "thread_not_found"


def _one(side: dict[str, Any]) -> str:
    status = side.get("status")
    if "type" in side:
        return f"{status} {side.get('type')}: {side.get('message')}"
    return f"{status}"


def describe(disagreement: dict[str, Any]) -> str:
    """One line: ``the double would have said X, the real API said Y``."""
    double = disagreement.get("double") or {}
    upstream = disagreement.get("upstream") or {}
    return f"the double would have said {_one(double)}, the real API said {_one(upstream)}"
