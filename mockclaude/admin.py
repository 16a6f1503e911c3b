"""The guard in front of the ``/_mockclaude/*`` routes (journal, reset, faults, OpenAPI description).

Those routes hand out every prompt the double has seen and change how it answers, so anything that
can reach the port must not be able to use them by accident or from a web page:

* **Key.** With ``admin_key`` set, or else ``api_key``, a request must carry it (``x-api-key`` or
  ``Authorization: Bearer``); else 401 ``authentication_error``.
* **JSON writes only.** ``POST`` needs ``content-type: application/json`` (an empty body is
  fine): a cross-site form or ``fetch`` with ``text/plain`` — which a browser sends without asking
  the server first — is refused with 415. ``DELETE`` cannot be sent cross-site without a CORS
  preflight, which the double never grants.
* **Host.** The ``Host`` header must name a loopback address (``localhost``, ``127.0.0.1``,
  ``::1``), the address the connection came in on, or one of ``allowed_hosts`` (``--allowed-host``;
  ``*`` allows any): a DNS-rebinding page (``evil.example`` resolving to 127.0.0.1) is refused 403.
* ``admin=False`` (``--no-admin``) removes the routes altogether (404).

``GET /_mockclaude/health`` stays open (readiness probes): it says nothing but ``ok``.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from .errors import ApiError

__all__ = ["HEALTH_PATH", "PREFIX", "check_admin", "exposure_warning", "host_allowed", "is_loopback_bind"]

PREFIX = "/_mockclaude/"
HEALTH_PATH = "/_mockclaude/health"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "localhost.localdomain"})


def _is_loopback(name: str) -> bool:
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback  # 127.0.0.0/8, ::1 (not "127.0.0.1.evil.example")
    except ValueError:
        return False


def is_loopback_bind(host: str) -> bool:
    """True when a server bound to ``host`` is reachable from this machine only."""
    return _is_loopback(host.strip("[]").lower())


def exposure_warning(host: str, settings: Any) -> str | None:
    """What ``serve`` warns about a bind beyond loopback without an API key (None: nothing)."""
    if is_loopback_bind(host) or settings.api_key is not None:
        return None
    admin = " and read its journal (every prompt)" if settings.admin else ""
    return (
        f"listening on {host} (not loopback) without --api-key: anyone on the network can use the "
        f"double{admin}; set --api-key (or bind 127.0.0.1)"
    )


def _hostname(value: str) -> str:
    """The host part of a ``Host`` header value (``[::1]:8088`` -> ``::1``), lowercased."""
    v = value.strip().lower()
    if v.startswith("["):
        end = v.find("]")
        return v[1:end] if end > 0 else v
    if v.count(":") == 1:
        return v.split(":", 1)[0]
    return v


def host_allowed(host_header: str | None, scope: dict[str, Any], allowed: tuple[str, ...]) -> bool:
    if host_header is None:
        return False  # HTTP/1.1 requires Host; a request without one is not from a browser we trust
    name = _hostname(host_header)
    if "*" in allowed or _is_loopback(name):
        return True
    server = scope.get("server")
    if server and name == str(server[0]).lower():
        return True  # the address the client connected to (a bind on 0.0.0.0 / a LAN address)
    return any(name == a.strip().lower() for a in allowed)


def _header(scope: dict[str, Any], name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers") or () if k.lower() == name]


def _credential(scope: dict[str, Any]) -> str | None:
    for value in _header(scope, b"x-api-key"):
        if value.strip():
            return value.strip()
    for value in _header(scope, b"authorization"):
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


def check_admin(scope: dict[str, Any], settings: Any) -> ApiError | None:
    """Why this ``/_mockclaude/*`` request is refused, or None to let it through."""
    if scope["path"] == HEALTH_PATH:
        return None
    hosts = _header(scope, b"host")
    if len(hosts) != 1 or not host_allowed(hosts[0], scope, tuple(settings.allowed_hosts)):
        shown = hosts[0] if hosts else "(none)"
        return ApiError(
            403,
            f"mockclaude: Host {shown!r} is not allowed on the admin routes (loopback names and the "
            "server's own address are; add others with --allowed-host)",
            type="permission_error",
        )
    key = settings.admin_key or settings.api_key
    if key is not None:
        given = _credential(scope)
        if given is None or not hmac.compare_digest(given.encode(), key.encode()):
            which = "admin key" if settings.admin_key else "API key"
            return ApiError(
                401,
                f"mockclaude: the admin routes need the {which} (x-api-key or Authorization: Bearer)",
                type="authentication_error",
            )
    if scope["method"] == "POST":
        types = _header(scope, b"content-type")
        media = types[0].partition(";")[0].strip().lower() if len(types) == 1 else ""
        if media != "application/json":
            return ApiError(
                415,
                "mockclaude: admin writes take a JSON body: send content-type: application/json",
                type="invalid_request_error",
            )
    return None
