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

__all__ = ["RECORD_MODES", "Settings", "env_options"]

RECORD_MODES = ("none", "once", "new_episodes", "all")


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
        if self.record_mode not in RECORD_MODES:
            raise ConfigError(
                f"record_mode {self.record_mode!r} is not one of: {', '.join(RECORD_MODES)}"
            )
        if self.replay_speed < 0:
            raise ConfigError("replay_speed must be >= 0 (0 replays without delays)")
        if self.upstream_proxy is not None:
            from .upstream_proxy import check_proxy_url

            check_proxy_url(self.upstream_proxy)
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
        for key in ("faults", "match_on", "ignore_fields", "redact_headers"):
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


def env_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``MOCKCLAUDE_*`` variables as Settings keywords (parsed, not yet validated), so a caller
    can layer its own options on top before building (the pytest plugin does)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get("MOCKCLAUDE_" + f.name.upper())
        if raw is None or f.name == "extra":
            continue
        values[f.name] = _parse_env(f.name, raw)
    return values


def _parse_env(name: str, raw: str) -> Any:
    if name in ("strict_models", "strict_betas", "allow_playback_repeats"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if name in ("cache_min_tokens", "max_body_bytes", "journal_size"):
        return int(raw)
    if name == "replay_speed":
        return float(raw)
    if name in ("faults",):
        return tuple(s for s in raw.split(";") if s.strip())
    if name in ("match_on", "ignore_fields", "redact_headers"):
        return tuple(s.strip() for s in raw.split(",") if s.strip())
    return raw
