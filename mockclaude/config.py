"""Settings: the one place configuration lands.

Configuration flows one way. CLI flags, environment variables, pytest options and markers all map
onto the keyword-only :class:`Settings` (which :class:`mockclaude.MockClaude` takes as keywords).
Precedence, highest first: an explicit argument / CLI flag / marker keyword, then a pytest option,
then the environment (``MOCKCLAUDE_*``), then the defaults below.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["CHECKS", "ENV_ALIASES", "ENV_PARSERS", "RECORD_MODES", "SERVERS", "Settings", "env_options", "known_env", "unknown_env"]

RECORD_MODES = ("none", "once", "new_episodes", "all")
SERVERS = ("auto", "mockclaude", "uvicorn")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a mockclaude server can be told. Every field has a safe default."""

    # --- the API surface
    api_key: str | None = None  # None: any key is accepted; else only this one
    strict_models: bool = False  # unknown (but plausible) model ids -> 404 instead of accepted
    strict_betas: bool = False  # unknown anthropic-beta flags -> 400 instead of accepted
    signing_key: str | None = None  # thinking signatures; None: $MOCKCLAUDE_SIGNING_KEY or the built-in key
    cache_min_tokens: int = 0  # minimum cacheable prefix for prompt-cache accounting
    max_body_bytes: int = 32 * 1024 * 1024  # over this: the edge's 413
    # --- connection bounds (see limits.py; None: its defaults)
    max_header_bytes: int | None = None  # request line + headers (default 128 KiB) -> 431
    max_headers: int | None = None  # header fields (default 256) -> 431
    header_timeout: float | None = None  # seconds for a complete request head (default 10) -> 408
    body_timeout: float | None = None  # seconds for the whole body after the head (default 120) -> 408
    max_connections: int | None = None  # concurrent connections (default 1024) -> 503
    keepalive_timeout: float | None = None  # seconds an idle keep-alive connection is kept (default 5)
    # --- the HTTP server: "auto" (mockclaude's own, httpserver/; uvicorn without httptools), "mockclaude", "uvicorn"
    server: str = "auto"
    # --- the /_mockclaude/* admin routes (see admin.py)
    admin: bool = True  # False (--no-admin): the routes are not served
    admin_key: str | None = None  # required on them; None: api_key is (when set)
    allowed_hosts: tuple[str, ...] = ()  # Host names accepted beside loopback and the server's address
    # --- cassettes
    cassette: str | Path | None = None
    record_mode: str = "none"
    upstream: str | None = None  # None: https://api.anthropic.com when recording
    upstream_proxy: str | None = None  # None: HTTPS_PROXY & co. from the environment; "none": never
    match_on: tuple[str, ...] | None = None  # None: the cassette module's default matchers
    ignore_fields: tuple[str, ...] = ()  # extra body fields the matcher ignores
    replay_speed: float = 0.0  # 0: no delays; 1: recorded pace; 2: twice as fast
    allow_playback_repeats: bool = True  # repeat the last matching interaction once all are used
    redact_headers: tuple[str, ...] = ()  # added to the built-in list
    # --- faults
    faults: tuple[Any, ...] = ()  # fault specs (str) or Fault values
    rate_limits: Any = None  # requests/tokens per minute emulation (see faults)
    # --- scripted answers (responders/scripted.py): a list of answers, or a YAML/JSON file of them
    responses: tuple[Any, ...] = ()
    # --- housekeeping
    journal_size: int = 10_000
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, check in CHECKS.items():
            check(getattr(self, name))
        if self.record_mode != "none" and self.cassette is None:
            raise ConfigError(f"record_mode {self.record_mode!r} needs a cassette path to write to")

    @classmethod
    def build(cls, **kwargs: Any) -> Settings:
        """Settings from keywords, with a clear error for a misspelled one."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise ConfigError(
                f"unknown option(s) {', '.join(unknown)}; valid options: {', '.join(sorted(names))}"
            )
        if isinstance(kwargs.get("faults"), (str, bytes)) or (
            kwargs.get("faults") is not None and not isinstance(kwargs["faults"], (list, tuple))
        ):
            kwargs["faults"] = (kwargs["faults"],)
        for key in ("faults", "match_on", "ignore_fields", "redact_headers", "allowed_hosts"):
            if isinstance(kwargs.get(key), list):
                kwargs[key] = tuple(kwargs[key])
        if kwargs.get("responses"):
            # Parsed (and a file read) here, so a malformed answer is refused before anything starts.
            from .responders.scripted import coerce_replies

            kwargs["responses"] = coerce_replies(kwargs["responses"])
        elif "responses" in kwargs:
            kwargs["responses"] = ()
        return cls(**kwargs)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults from ``MOCKCLAUDE_*`` variables, overridden by explicit keywords."""
        values = env_options(environ)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.build(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


# --- validation: one check per option, run by Settings (so by the CLI, the plugin and MockClaude) -------
# Add an entry for a new option; a check raises ConfigError with what is valid.


def _record_mode(value: Any) -> None:
    if value not in RECORD_MODES:
        raise ConfigError(f"record_mode {value!r} is not one of: {', '.join(RECORD_MODES)}")


def _server(value: Any) -> None:
    if value not in SERVERS:
        raise ConfigError(f"server {value!r} is not one of: {', '.join(SERVERS)}")


def _at_least(name: str, low: float, why: str = "") -> Any:
    def check(value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
            raise ConfigError(f"{name} must be a number >= {low:g}{why}, not {value!r}")

    return check


def _positive_or_none(name: str) -> Any:
    def check(value: Any) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise ConfigError(f"{name} must be > 0, got {value!r}")

    return check


def _match_on(value: Any) -> None:
    if value is not None:
        from .cassette.matching import Matcher  # the matcher names live with the matcher

        Matcher(value)


# Request fields whose value is a list: a path into them goes through ``*`` (each item).
_LIST_FIELDS = ("messages", "tools", "system", "stop_sequences", "mcp_servers")


def _ignore_fields(value: Any) -> None:
    if not value:  # the common case: no need to load the cassette package (YAML) to check nothing
        return
    from .cassette.matching import BODY_FIELDS

    for path in value or ():
        parts = str(path).strip().split(".")
        if not path or not all(parts):
            raise ConfigError(f"ignore_fields: {path!r} is not a field path (NAME or NAME.SUB, '*' for each list item)")
        head = parts[0]
        if head not in BODY_FIELDS:
            raise ConfigError(
                f"ignore_fields: {path!r} starts with {head!r}, which is not a request field; "
                f"request fields: {', '.join(BODY_FIELDS)}"
            )
        if head in _LIST_FIELDS and len(parts) > 1 and parts[1] != "*":
            raise ConfigError(
                f"ignore_fields: {head} is a list, so {path!r} never matches; "
                f"use {head}.*.{'.'.join(parts[1:])} (each item)"
            )


def _upstream_proxy(value: Any) -> None:
    if value is not None:
        from .upstream_proxy import check_proxy_url

        check_proxy_url(value)


CHECKS: dict[str, Any] = {
    "record_mode": _record_mode,
    "server": _server,
    "replay_speed": _at_least("replay_speed", 0, " (0 replays without delays)"),
    "cache_min_tokens": _at_least("cache_min_tokens", 0),
    "max_body_bytes": _at_least("max_body_bytes", 1),
    "journal_size": _at_least("journal_size", 1),
    "match_on": _match_on,
    "ignore_fields": _ignore_fields,
    "upstream_proxy": _upstream_proxy,
    **{
        name: _positive_or_none(name)
        for name in ("max_header_bytes", "max_headers", "header_timeout", "body_timeout", "max_connections",
                     "keepalive_timeout")
    },
}


# --- the environment ------------------------------------------------------------------------------


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("expected 1/true/yes/on or 0/false/no/off")


def _commas(raw: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in raw.split(",") if s.strip())


# How each option's MOCKCLAUDE_* variable is read (the default: the string itself).
ENV_PARSERS: dict[str, Any] = {
    "strict_models": _flag,
    "strict_betas": _flag,
    "allow_playback_repeats": _flag,
    "admin": _flag,
    "cache_min_tokens": int,
    "max_header_bytes": int,
    "max_headers": int,
    "max_connections": int,
    "header_timeout": float,
    "body_timeout": float,
    "keepalive_timeout": float,
    "allowed_hosts": _commas,
    "max_body_bytes": int,
    "journal_size": int,
    "replay_speed": float,
    "faults": lambda raw: tuple(s for s in raw.split(";") if s.strip()),
    "match_on": _commas,
    "ignore_fields": _commas,
    "redact_headers": _commas,
}
# Variables named like the command-line flag rather than the Settings keyword.
ENV_ALIASES: dict[str, str] = {
    "MOCKCLAUDE_FAULT": "faults",
    "MOCKCLAUDE_RATE_LIMIT": "rate_limits",
    "MOCKCLAUDE_IGNORE_FIELD": "ignore_fields",
    "MOCKCLAUDE_REDACT_HEADER": "redact_headers",
}
# Variables read elsewhere: by ``mockclaude serve`` (not Settings) and by other modules.
OTHER_ENV: set[str] = {
    "MOCKCLAUDE_HOST", "MOCKCLAUDE_PORT", "MOCKCLAUDE_LOG_LEVEL", "MOCKCLAUDE_ACCESS_LOG", "MOCKCLAUDE_WORKERS",
    "MOCKCLAUDE_CACHE_DIR",  # where the compiled schema checker is kept (protocol/_fastcheck.py)
    # Test-only: stall a recorder at one point of its write path (cassette/durable.py).
    "MOCKCLAUDE_TEST_STALL_AT", "MOCKCLAUDE_TEST_STALL_MARK", "MOCKCLAUDE_TEST_STALL_SECONDS",
}


def env_name(option: str) -> str:
    return "MOCKCLAUDE_" + option.upper()


def known_env() -> set[str]:
    """Every ``MOCKCLAUDE_*`` variable mockclaude reads."""
    return {env_name(f.name) for f in fields(Settings) if f.name != "extra"} | set(ENV_ALIASES) | OTHER_ENV


def unknown_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """``MOCKCLAUDE_*`` variables that nothing reads (a typo, most likely)."""
    env = os.environ if environ is None else environ
    known = known_env()
    return sorted(n for n in env if n.startswith("MOCKCLAUDE_") and n not in known)


def env_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``MOCKCLAUDE_*`` variables as Settings keywords (parsed, not yet validated), so a caller
    can layer its own options on top before building (the pytest plugin does). A variable that does
    not parse raises ConfigError naming it."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    names = [(env_name(f.name), f.name) for f in fields(Settings) if f.name != "extra"]
    for var, name in [*ENV_ALIASES.items(), *names]:  # the keyword's own name wins: applied last
        raw = env.get(var)
        if raw is None:
            continue
        try:
            values[name] = ENV_PARSERS.get(name, str)(raw)
        except ValueError as err:
            raise ConfigError(f"{var}={raw!r}: {err}") from None
    return values
