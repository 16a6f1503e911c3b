"""Thinking-block signatures the double can issue and verify.

A signature carries a digest of the thinking text and an HMAC of that digest under a key. So the
double tells apart the two mistakes the real API reports differently:

* a signature it never issued (forged, truncated, from another key)  -> ``Verdict.FORGED``
* a signature it issued, passed back with the thinking text changed  -> ``Verdict.MODIFIED``

The key defaults to a fixed value so that answers are the same on every machine and across restarts;
set ``MOCKCLAUDE_SIGNING_KEY`` (or pass ``signing_key=``) to use another. Signatures recorded from the
real API (found in loaded cassettes) are registered with :meth:`Signer.remember` and count as issued.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import os
import threading

__all__ = ["DEFAULT_SIGNING_KEY", "Signer", "Verdict"]

DEFAULT_SIGNING_KEY = "mockclaude-default-signing-key-v1"
_MAGIC = b"\x12\x4d\x43\x01"  # a fixed prefix, so our signatures are recognisable when decoded
_DIGEST = 16
_MAC = 16


class Verdict(enum.Enum):
    OK = "ok"
    FORGED = "forged"
    MODIFIED = "modified"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:_DIGEST]


class Signer:
    """Issues and verifies thinking signatures; thread-safe."""

    def __init__(self, key: str | bytes | None = None) -> None:
        if key is None:
            key = os.environ.get("MOCKCLAUDE_SIGNING_KEY") or DEFAULT_SIGNING_KEY
        self._key = key.encode() if isinstance(key, str) else key
        self._known: dict[str, str] = {}  # recorded signature -> recorded thinking text ("" for redacted)
        self._lock = threading.Lock()

    def _mac(self, digest: bytes) -> bytes:
        return hmac.new(self._key, digest, hashlib.sha256).digest()[:_MAC]

    def sign(self, thinking: str) -> str:
        """The signature for a thinking block with this text."""
        digest = _digest(thinking)
        return base64.b64encode(_MAGIC + digest + self._mac(digest)).decode("ascii")

    def remember(self, signature: str, thinking: str) -> None:
        """Count a recorded (real) signature as issued, for this thinking text."""
        with self._lock:
            self._known[signature] = thinking

    def verify(self, thinking: str, signature: str) -> Verdict:
        """Whether ``signature`` was issued for exactly ``thinking``."""
        known = self._known.get(signature)
        if known is not None:
            return Verdict.OK if known == thinking else Verdict.MODIFIED
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return Verdict.FORGED
        if len(raw) != len(_MAGIC) + _DIGEST + _MAC or not raw.startswith(_MAGIC):
            return Verdict.FORGED
        digest = raw[len(_MAGIC) : len(_MAGIC) + _DIGEST]
        if not hmac.compare_digest(raw[len(_MAGIC) + _DIGEST :], self._mac(digest)):
            return Verdict.FORGED
        return Verdict.OK if hmac.compare_digest(digest, _digest(thinking)) else Verdict.MODIFIED

    def verify_redacted(self, data: str) -> bool:
        """``redacted_thinking.data`` is opaque: accepted when it was recorded (see :meth:`remember`)."""
        return data in self._known
