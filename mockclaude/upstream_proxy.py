"""Which proxy (if any) the recorder's connection to the upstream goes through.

Recording behind a corporate proxy needs the proxy; a recorder must still never talk to any host but
the configured upstream. So the proxy is chosen once, for the upstream URL only, and handed to httpx
explicitly (``trust_env`` stays off: no ``.netrc``, no per-request proxy lookups, no redirects):

* ``--upstream-proxy URL`` (``upstream_proxy=``) wins; ``none`` turns proxies off;
* otherwise the standard variables for the upstream's scheme — ``HTTPS_PROXY`` / ``HTTP_PROXY`` /
  ``ALL_PROXY`` (either case) — unless ``NO_PROXY`` names the upstream host; an upstream on a
  loopback address is never sent through an environment proxy (a local test upstream behind a
  corporate ``HTTPS_PROXY`` would otherwise be unreachable).

Through a proxy the only destination ever requested is the upstream (``CONNECT host:443`` for
https, an absolute-form request to the upstream URL for http).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from .errors import ConfigError

__all__ = ["DISABLED", "check_proxy_url", "proxy_for"]

DISABLED = "none"


def check_proxy_url(value: str) -> str:
    """``value`` if it is a usable proxy URL (or ``none``), else a ConfigError saying why."""
    if value.strip().lower() == DISABLED:
        return DISABLED
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise ConfigError(
            f"upstream_proxy must be a proxy URL such as http://proxy.example:3128 (or 'none'), got {value!r}"
        )
    return value


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """``NO_PROXY`` as curl reads it: ``*``, or names (``example.com`` also covers its
    subdomains; a leading dot is the same), optionally with ``:port``."""
    host = host.lower()
    for entry in no_proxy.split(","):
        e = entry.strip().lower()
        if not e:
            continue
        if e == "*":
            return True
        name, _, want_port = e.rpartition(":") if e.count(":") == 1 else (e, "", "")
        if want_port and port is not None and want_port != str(port):
            continue
        name = name.lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


def proxy_for(upstream: str, option: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy URL for connections to ``upstream``, or None for a direct connection."""
    if option is not None:
        checked = check_proxy_url(option)
        return None if checked == DISABLED else checked
    env = os.environ if environ is None else environ
    parts = urlsplit(upstream)
    host = parts.hostname or ""
    if _is_loopback(host):
        return None
    names = (f"{parts.scheme}_proxy", "all_proxy")
    value = None
    for name in names:
        value = env.get(name) or env.get(name.upper())
        if value:
            break
    if not value:
        return None
    if _bypassed(host, parts.port, env.get("no_proxy") or env.get("NO_PROXY") or ""):
        return None
    return check_proxy_url(value)
