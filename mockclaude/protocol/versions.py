"""Headers: authentication, ``anthropic-version``, ``anthropic-beta`` and the content type.

Check order (the first failure answers): authentication (401) → ``anthropic-version`` (400) →
``anthropic-beta`` (400, strict mode only) → content type (400). Authentication comes first because
the real API checks credentials at its edge, before it looks at what the request asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ApiError, invalid

__all__ = ["KNOWN_BETAS", "KNOWN_VERSIONS", "RequestMeta", "check_headers"]

KNOWN_VERSIONS = ("2023-06-01", "2026-10-21")

# Beta flags the double knows: the SDK 2.13 list plus well-known older flags. Unknown flags are
# accepted unless ``strict_betas`` (the double cannot know tomorrow's flags).
KNOWN_BETAS = frozenset(
    [
        "computer-use-2024-10-22",
        "computer-use-2025-01-24",
        "computer-use-2025-11-24",
        "output-128k-2025-02-19",
        "mcp-client-2025-04-04",
        "mcp-client-2025-11-20",
        "mcp-client-2026-09-15",
        "dev-full-thinking-2025-05-14",
        "interleaved-thinking-2025-05-14",
        "code-execution-2025-05-22",
        "code-execution-2025-08-25",
        "context-1m-2025-08-07",
        "context-management-2025-06-27",
        "model-context-window-exceeded-2025-08-26",
        "fast-mode-2026-02-01",
        "output-300k-2026-03-24",
        "user-profiles-2026-03-24",
        "user-profiles-2026-08-18",
        "user-profiles-2026-09-04",
        "advisor-tool-2026-03-01",
        "managed-agents-2026-04-01",
        "dreaming-2026-04-21",
        "thinking-token-count-2026-05-13",
        "server-side-fallback-2026-06-01",
        "server-side-fallback-2026-07-01",
        "fallback-credit-2026-06-01",
        "fallback-credit-2026-07-01",
        "agent-memory-2026-07-22",
        "mid-conversation-tool-changes-2026-07-01",
        "compact-2026-01-12",
        "compact-2026-09-04",
        "mcp-tunnels-2026-06-22",
        "structured-outputs-2025-11-13",
        "task-budgets-2026-03-13",
        "thinking-display-updates-2026-08-18",
        "mid-conversation-output-config-2026-07-01",
        "thinking-binding-controls-2026-08-01",
        "mid-conversation-system-clear-at-2026-08-21",
        "inline-tools-2026-09-15",
        "ce-plugins-2026-09-01",
        "spend-limit-reads-2026-09-26",
        "telemetry-destinations-2026-08-11",
        "webhooks-2026-10-07",
        "admin-user-sign-out-2026-10-08",
        "message-threads-2026-08-12",
        "analytics-usage-cost-2026-08-24",
        "experimental-claude-tag-2026-10-21",
        "message-batches-2024-09-24",
        "prompt-caching-2024-07-31",
        "pdfs-2024-09-25",
        "token-counting-2024-11-01",
        "token-efficient-tools-2025-02-19",
        "files-api-2025-04-14",
        "extended-cache-ttl-2025-04-11",
        "skills-2025-10-02",
        "cache-diagnosis-2026-04-07",
        "ce-user-management-2026-07-13",
        "ce-claude-code-managed-settings-2026-10-06",
        "efs-2026-10-01",
        "user-profiles-billing-2026-10-01",
        "tools-2024-04-04",
        "tools-2024-05-16",
        "max-tokens-3-5-sonnet-2024-07-15",
        "fine-grained-tool-streaming-2025-05-14",
        "web-fetch-2025-09-10",
        "search-results-2025-06-09",
        "oauth-2025-04-20",
    ]
)


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """What the headers say: the API version, the key used (None if none was sent) and beta flags."""

    version: str
    api_key: str | None
    betas: tuple[str, ...]


def _all(headers: Mapping[str, str], name: str) -> list[str]:
    getlist = getattr(headers, "getlist", None)
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


def check_headers(
    headers: Mapping[str, str],
    *,
    api_key: str | None = None,
    strict_betas: bool = False,
    require_json: bool = True,
) -> RequestMeta:
    """Check a request's headers as the real API does; raise :class:`ApiError` on the first problem.

    ``headers`` is a case-insensitive mapping (Starlette's ``Headers``; a plain dict must use lowercase
    names). Any key is accepted when ``api_key`` is None, else only that one. ``require_json`` is for
    requests with a body (POST).
    """
    key, malformed = _credential(headers)
    if key is None:
        if malformed:
            raise ApiError(401, "invalid x-api-key", type="authentication_error")
        raise ApiError(401, "x-api-key header is required", type="authentication_error")
    if api_key is not None and key != api_key:
        raise ApiError(401, "invalid x-api-key", type="authentication_error")

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
