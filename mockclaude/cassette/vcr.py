"""Import VCR.py cassettes (as written by vcrpy and pytest-recording) of Anthropic traffic.

    mockclaude cassette import-vcr tests/cassettes/test_chat.yaml cassettes/chat.yaml

The VCR.py format (version 1)::

    interactions:
    - request: {body: str | bytes | null, headers: {name: [values]}, method: POST, uri: https://...}
      response:
        body: {string: str | bytes}
        headers: {name: [values]}
        status: {code: 200, message: OK}
    version: 1

Bodies may be text, ``!!binary`` (base64) bytes, or gzip-compressed bytes when the recording kept
the content encoding. Streams are stored as the whole SSE text; they are split into events (with no
timing: VCR.py does not record it). Secrets are redacted on import exactly as when recording.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .format import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_yaml,
    read_bytes,
)
from .scrub import (
    recorded_request_headers,
    recorded_response_headers,
    scrub_interaction,
    secret_values,
)
from ..errors import CassetteError
from ..redact import DEFAULT_REDACT
from ..sse import decode_all

__all__ = ["import_vcr", "load_vcr"]


def _headers(value: Any, where: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise CassetteError(f"{where}: headers must be a mapping")
    out: list[tuple[str, str]] = []
    for name, vals in value.items():
        if isinstance(vals, (list, tuple)):
            out.extend((str(name), str(v)) for v in vals)
        elif vals is not None:
            out.append((str(name), str(vals)))
    return out


def _header(headers: list[tuple[str, str]], name: str) -> str:
    for k, v in headers:
        if k.lower() == name:
            return v
    return ""


def _bytes(body: Any, where: str) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, dict) and "string" in body:  # response body: {string: ...}
        return _bytes(body["string"], where)
    raise CassetteError(f"{where}: unsupported body of type {type(body).__name__}")


def _decompress(data: bytes, encoding: str, where: str) -> bytes:
    enc = encoding.strip().lower()
    if not data or enc in ("", "identity"):
        return data
    try:
        if enc in ("gzip", "x-gzip"):
            return gzip.decompress(data)
        if enc == "deflate":
            return zlib.decompress(data)
    except (OSError, zlib.error):
        # vcrpy with decode_compressed_response=True stores decoded bodies but keeps the header.
        return data
    if enc == "br":
        try:
            import brotli  # type: ignore[import-not-found]
        except ImportError:
            raise CassetteError(f"{where}: brotli-compressed body (install brotli to import it)") from None
        return bytes(brotli.decompress(data))
    return data


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as err:
        raise CassetteError(f"{where}: body is not JSON: {err}") from None


def convert(doc: Any, where: str, redact: Iterable[str] = DEFAULT_REDACT) -> list[Interaction]:
    """Interactions from a parsed VCR.py document."""
    names = tuple(redact)
    if not isinstance(doc, dict) or not isinstance(doc.get("interactions"), list):
        raise CassetteError(f"{where}: not a VCR.py cassette (no 'interactions' list)")
    if doc.get("version", 1) != 1:
        raise CassetteError(
            f"{where}: unsupported VCR.py cassette version {doc.get('version')!r} (expected 1)"
        )
    out: list[Interaction] = []
    secrets: set[str] = set()
    for i, item in enumerate(doc["interactions"]):
        w = f"{where}: interactions.{i}"
        if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
            raise CassetteError(f"{w}: missing 'request'")
        if not isinstance(item.get("response"), dict):
            raise CassetteError(f"{w}: missing 'response'")
        req, resp = item["request"], item["response"]
        uri = req.get("uri")
        if not isinstance(uri, str):
            raise CassetteError(f"{w}.request: missing 'uri'")
        parts = urlsplit(uri)
        req_headers = _headers(req.get("headers"), f"{w}.request.headers")
        raw_req = _decompress(
            _bytes(req.get("body"), f"{w}.request.body"), _header(req_headers, "content-encoding"), w
        )
        body = _json(raw_req, f"{w}.request.body") if raw_req.strip() else None
        status = resp.get("status")
        code = status.get("code") if isinstance(status, dict) else status
        if not isinstance(code, int):
            raise CassetteError(f"{w}.response.status: missing 'code'")
        resp_headers = _headers(resp.get("headers"), f"{w}.response.headers")
        raw = _decompress(
            _bytes(resp.get("body"), f"{w}.response.body"), _header(resp_headers, "content-encoding"), w
        )
        response = RecordedResponse(status=code, headers=recorded_response_headers(resp_headers, names))
        response.headers.pop("content-encoding", None)
        if _header(resp_headers, "content-type").startswith("text/event-stream"):
            try:
                response.events = decode_all(raw)
            except UnicodeDecodeError as err:
                raise CassetteError(f"{w}.response.body: stream is not UTF-8: {err}") from None
            response.raw = raw
        else:
            try:
                response.body = json.loads(raw) if raw.strip() else None
            except ValueError:
                response.body = None
            response.raw = raw
        it = Interaction(
            RecordedRequest(
                method=str(req.get("method") or "POST").upper(),
                path=parts.path or "/",
                query=parts.query,
                headers=recorded_request_headers(req_headers, names),
                body=body,
            ),
            response,
        )
        secrets.update(secret_values(req_headers, names) | secret_values(resp_headers, names))
        out.append(it)
    # Values seen in any interaction are hunted in all (an organization id sent in one response's
    # headers may appear in another's error message).
    for it in out:
        scrub_interaction(it, secrets, names)
    return out


def load_vcr(path: str | Path, redact: Iterable[str] = DEFAULT_REDACT) -> list[Interaction]:
    p = Path(path)
    return convert(load_yaml(read_bytes(p, "VCR.py cassette"), str(p)), str(p), redact)


def import_vcr(src: str | Path, dest: str | Path, redact: Iterable[str] = DEFAULT_REDACT) -> Cassette:
    """Convert the VCR.py cassette ``src`` into a mockclaude cassette at ``dest`` (written atomically)."""
    interactions = load_vcr(src, redact)
    cassette = Cassette(interactions, path=dest, meta={"imported_from": f"VCR.py cassette {Path(src).name}"})
    cassette.save(dest)  # the path given: written even when a file is there (--force) and nothing was added
    return cassette
