"""Fault injection (placeholder interface; the full implementation replaces this module).

The app calls, per request: ``plan.select(exchange) -> Injection | None`` (must be cheap when no fault
is configured), then ``await injection.before(exchange, app) -> Response | None`` (an early answer:
an HTTP error, or None to go on) and, for streams, ``injection.wrap(chunks, exchange, app)`` around the
async iterator of SSE bytes. ``plan.routes(app)`` adds the admin routes; ``plan.clear()`` forgets
queued faults.
"""

from __future__ import annotations

from typing import Any


class FaultPlan:
    @classmethod
    def from_settings(cls, settings: Any) -> FaultPlan:
        return cls()

    def select(self, exchange: Any) -> Any:
        return None

    def routes(self, app: Any) -> list[Any]:
        return []

    def clear(self) -> None:
        pass
