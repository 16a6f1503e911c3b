"""Where an answer comes from: a cassette, an upstream, or the synthetic default.

A responder is an object with ``async def respond(self, exchange) -> Answer | None``; ``None`` passes
the request on to the next responder in the chain the app builds from its settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..sse import Event

__all__ = ["Answer", "Responder"]


@dataclass(slots=True)
class Answer:
    """An answer before rendering: either a JSON body or a stream of events.

    * ``body``: a JSON answer (a message, or an error body with a non-200 ``status``);
    * ``events``: a complete stream, with ``offsets`` (seconds since the stream began, one per
      event) when its pacing was recorded;
    * ``live``: a stream still arriving (record mode passes it through as it comes).

    The app renders whichever the client asked for: a body requested as a stream is turned into
    events, a stream requested as JSON is accumulated into the message.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    events: list[Event] | None = None
    offsets: list[float] | None = None
    live: AsyncIterator[Event] | None = None
    source: str = "synthetic"
    raw: bytes | None = None  # exact bytes to send as the body, when known (byte-faithful replay)


class Responder(Protocol):
    async def respond(self, exchange: Any) -> Answer | None: ...
