"""Headers: authentication, ``anthropic-version``, ``anthropic-beta`` and the content type.

Check order (the first failure answers): authentication (401) → ``anthropic-version`` (400) →
``anthropic-beta`` (400, strict mode only) → content type (400). Authentication comes first because
the real API checks credentials at its edge, before it looks at what the request asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import ApiError, invalid
from ._sdk_defs import SDK_BETAS

__all__ = ["KNOWN_BETAS", "KNOWN_VERSIONS", "RequestMeta", "check_headers"]

KNOWN_VERSIONS = ("2023-06-01", "2026-10-21")

# Beta flags the double knows: the installed-SDK list generated into ``_sdk_defs`` (regenerate with
# ``python -m mockclaude.protocol._gen_schema``) plus well-known older flags the SDK no longer lists.
# Unknown flags are accepted unless ``strict_betas`` (the double cannot know tomorrow's flags).
_OLDER_BETAS = (
    "advanced-tool-use-2025-11-20",  # tools' input_examples; LangChain still sends it
    "code-execution-2025-08-25",
    "fine-grained-tool-streaming-2025-05-14",
    "max-tokens-3-5-sonnet-2024-07-15",
    "oauth-2025-04-20",
    "search-results-2025-06-09",
    "tools-2024-04-04",
    "tools-2024-05-16",
    "web-fetch-2025-09-10",
)
KNOWN_BETAS = frozenset((*SDK_BETAS, *_OLDER_BETAS))


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """What the headers say: the API version, the key used (None if none was sent) and beta flags."""

    version: str
    api_key: str | None
    betas: tuple[str, ...]
    # what of the headers decides how a body validates (the admission memo's context): made once
    context: str = field(default="", init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", f"{self.version}|{','.join(self.betas)}")


def _all(headers: Mapping[str, str], name: str) -> list[str]:
    getlist = None if type(headers) is dict else getattr(headers, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    value = headers.get(name)
    return [] if value is None else [value]


def _credential(headers: Mapping[str, str]) -> tuple[str | None, bool]:
    """(key, malformed): the key from ``x-api-key`` or ``Authorization: Bearer``; x-api-key wins."""
    key = (headers.get("x-api-key") or "").strip()
    if key:
        return key, False
    auth = (headers.get("authorization") or "").strip()
    if not auth:
        return None, False
    scheme, _, token = auth.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None, True
    return token, False


def _is_json(content_type: str) -> bool:
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "application/json":
        return False
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


# What check_headers answered for the headers it reads (and its options): a client sends the same
# few values on every request. Bounded; only accepted headers are kept (a refusal is raised afresh).
_ACCEPTED: dict[tuple[str | bool | None, ...], RequestMeta] = {}
_ACCEPTED_MAX = 1024


def check_headers(
    headers: Mapping[str, str],
    *,
    api_key: str | None = None,
    strict_betas: bool = False,
    require_json: bool = True,
) -> RequestMeta:
    """Check a request's headers as the real API does; raise :class:`ApiError` on the first problem.

    ``headers`` is a case-insensitive mapping (Starlette's ``Headers``; a plain dict must use lowercase
    names, one value a name). Any key is accepted when ``api_key`` is None, else only that one.
    ``require_json`` is for requests with a body (POST).
    """
    if type(headers) is not dict:
        return _check_headers(headers, api_key, strict_betas, require_json)
    get = headers.get
    key = (get("x-api-key"), get("authorization"), get("anthropic-version"), get("anthropic-beta"),
           get("content-type") if require_json else None, api_key, strict_betas, require_json)
    meta = _ACCEPTED.get(key)
    if meta is None:
        meta = _check_headers(headers, api_key, strict_betas, require_json)
        if len(_ACCEPTED) >= _ACCEPTED_MAX:
            _ACCEPTED.clear()
        _ACCEPTED[key] = meta
    return meta


def _check_headers(
    headers: Mapping[str, str], api_key: str | None, strict_betas: bool, require_json: bool
) -> RequestMeta:
    key, malformed = _credential(headers)
    if key is None:
        if malformed:
            raise ApiError(401, "invalid x-api-key", type="authentication_error")
        raise ApiError(401, "x-api-key header is required", type="authentication_error")
    if api_key is not None and key != api_key:
        # Named after the header the client sent: SDK 2.x may send Authorization: Bearer (an auth
        # token), and the real API then answers "Invalid bearer token" (seen in the wild, 2025-2026).
        bearer = not (headers.get("x-api-key") or "").strip()
        raise ApiError(401, "Invalid bearer token" if bearer else "invalid x-api-key", type="authentication_error")

    version = headers.get("anthropic-version")
    if version is None or not version.strip():
        raise invalid("anthropic-version: header is required")
    version = version.strip()
    if version not in KNOWN_VERSIONS:
        raise invalid(f'anthropic-version: "{version}" is not a valid version')

    betas: list[str] = []
    for value in _all(headers, "anthropic-beta"):
        betas.extend(flag.strip() for flag in value.split(",") if flag.strip())
    if strict_betas:
        unknown = [flag for flag in betas if flag not in KNOWN_BETAS]
        if unknown:
            shown = ", ".join(f"`{flag}`" for flag in unknown)
            raise invalid(
                f"Unexpected value(s) {shown} for the `anthropic-beta` header. Please consult our "
                "documentation at docs.claude.com or try again without the header."
            )

    if require_json:
        content_type = headers.get("content-type")
        if content_type is None or not content_type.strip():
            raise invalid("content-type: header is required and must be application/json")
        if not _is_json(content_type):
            raise invalid(f"content-type: {content_type.strip()!r} is not supported; use application/json")

    return RequestMeta(version=version, api_key=key, betas=tuple(dict.fromkeys(betas)))
