"""Request fields that only a beta flag admits (``anthropic-beta``), per version.

The schema layer is built from the SDK's GA request types, where these fields do not exist, so a
request that sends one without its flag gets the API's own answer for an unknown field
(``<field>: Extra inputs are not permitted``). With the flag, the field is checked here against its
shape, taken out of the body the schema sees, and handed to the responder.

Today's table: ``output_format`` under ``structured-outputs-2025-11-13`` — the beta form of
structured outputs that became GA as ``output_config.format`` (LiteLLM 1.110 still sends it). Its
shape is the GA one, ``{"type": "json_schema", "schema": {...}}``; sending both forms is refused
(the two would disagree; wording ours). The table is the one place to add the next gated field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ApiError, invalid

__all__ = ["BETA_FIELDS", "BetaField", "split_beta_fields"]


def _json_schema_format(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"{path}: Input should be a valid dictionary")
    if "type" not in value:
        raise invalid(f"{path}.type: Field required")
    if value["type"] != "json_schema":
        raise invalid(f"{path}.type: Input should be 'json_schema'")
    if "schema" not in value:
        raise invalid(f"{path}.schema: Field required")
    if not isinstance(value["schema"], dict):
        raise invalid(f"{path}.schema: Input should be a valid dictionary")
    for key in value:
        if key not in ("type", "schema"):
            raise invalid(f"{path}.{key}: Extra inputs are not permitted")
    return value


@dataclass(frozen=True, slots=True)
class BetaField:
    """A top-level request field admitted by any of ``flags`` under ``versions``, checked by ``check``."""

    name: str
    flags: tuple[str, ...]
    versions: tuple[str, ...]
    endpoints: tuple[str, ...]
    check: Callable[[Any, str], Any]


BETA_FIELDS: tuple[BetaField, ...] = (
    BetaField(
        "output_format",
        ("structured-outputs-2025-11-13",),
        ("2023-06-01", "2026-10-21"),
        ("messages", "count_tokens"),
        _json_schema_format,
    ),
)


def split_beta_fields(
    body: dict[str, Any], betas: Iterable[str], *, version: str, endpoint: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the body the schema should see, the admitted beta fields by name, checked).

    A gated field sent without its flag stays in the body (the schema refuses it as the API does).
    """
    flags = set(betas)
    admitted: dict[str, Any] = {}
    for field in BETA_FIELDS:
        if field.name not in body or endpoint not in field.endpoints or version not in field.versions:
            continue
        if not flags.intersection(field.flags):
            continue
        admitted[field.name] = field.check(body[field.name], field.name)
    if not admitted:
        return body, admitted
    if "output_format" in admitted:
        config = body.get("output_config")
        if isinstance(config, dict) and config.get("format") is not None:
            raise ApiError(
                400,
                "output_format: cannot be used together with `output_config.format`; use only `output_config.format`",
                type="invalid_request_error",
            )
    return {k: v for k, v in body.items() if k not in admitted}, admitted
