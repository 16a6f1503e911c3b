from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from mockclaude.errors import ApiError
from mockclaude.protocol import KNOWN_VERSIONS, RequestMeta, check_headers


def h(**kw: str) -> Headers:
    base = {"x-api-key": "sk-ant-k", "anthropic-version": "2023-06-01", "content-type": "application/json"}
    base.update({k.replace("_", "-"): v for k, v in kw.items()})
    return Headers({k: v for k, v in base.items() if v is not None})


def fail(headers: Headers, **kw: object) -> ApiError:
    with pytest.raises(ApiError) as info:
        check_headers(headers, **kw)  # type: ignore[arg-type]
    return info.value


def test_known_versions() -> None:
    assert KNOWN_VERSIONS == ("2023-06-01", "2026-10-21")


def test_ok_with_x_api_key() -> None:
    meta = check_headers(h())
    assert meta == RequestMeta(version="2023-06-01", api_key="sk-ant-k", betas=())


def test_ok_with_bearer_and_new_version() -> None:
    headers = Headers(
        {"authorization": "Bearer sk-ant-b", "anthropic-version": "2026-10-21", "content-type": "application/json"}
    )
    assert check_headers(headers, api_key="sk-ant-b").api_key == "sk-ant-b"


def test_header_names_are_case_insensitive() -> None:
    headers = Headers(
        {"X-Api-Key": "k", "Anthropic-Version": "2023-06-01", "Content-Type": "application/json; charset=UTF-8"}
    )
    assert check_headers(headers).version == "2023-06-01"


def test_no_auth_is_401_required() -> None:
    e = fail(Headers({"anthropic-version": "2023-06-01", "content-type": "application/json"}))
    assert (e.status, e.type, e.message) == (401, "authentication_error", "x-api-key header is required")


def test_wrong_key_is_401_invalid() -> None:
    e = fail(h(), api_key="other")
    assert (e.status, e.type, e.message) == (401, "authentication_error", "invalid x-api-key")
    # the message names the header the client sent (SDK 2.x may send Authorization: Bearer)
    e = fail(Headers({"authorization": "Bearer nope", "anthropic-version": "2023-06-01"}), api_key="other")
    assert (e.status, e.type, e.message) == (401, "authentication_error", "Invalid bearer token")


def test_malformed_authorization_is_invalid_key() -> None:
    e = fail(Headers({"authorization": "Basic abc", "anthropic-version": "2023-06-01"}))
    assert (e.status, e.message) == (401, "invalid x-api-key")


def test_auth_is_checked_before_version() -> None:
    e = fail(Headers({"content-type": "application/json"}))
    assert e.status == 401


def test_missing_version() -> None:
    e = fail(h(anthropic_version=None))  # type: ignore[arg-type]
    assert (e.status, e.type, e.message) == (400, "invalid_request_error", "anthropic-version: header is required")


def test_unknown_version() -> None:
    e = fail(h(anthropic_version="2023-10-01"))
    assert e.message == 'anthropic-version: "2023-10-01" is not a valid version'


def test_betas_split_and_unknown_accepted_by_default() -> None:
    headers = Headers(raw=[(b"x-api-key", b"k"), (b"anthropic-version", b"2023-06-01"),
                           (b"content-type", b"application/json"),
                           (b"anthropic-beta", b"prompt-caching-2024-07-31, effort-2025-11-24"),
                           (b"anthropic-beta", b"files-api-2025-04-14")])
    meta = check_headers(headers)
    assert meta.betas == ("prompt-caching-2024-07-31", "effort-2025-11-24", "files-api-2025-04-14")


def test_unknown_beta_strict() -> None:
    e = fail(h(anthropic_beta="prompt-caching-2024-07-31,effort-2025-11-24"), strict_betas=True)
    assert e.message == (
        "Unexpected value(s) `effort-2025-11-24` for the `anthropic-beta` header. Please consult our "
        "documentation at docs.claude.com or try again without the header."
    )
    assert check_headers(h(anthropic_beta="files-api-2025-04-14"), strict_betas=True).betas


@pytest.mark.parametrize("ct", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"])
def test_non_json_content_type(ct: str) -> None:
    assert fail(h(content_type=ct)).status == 400


def test_missing_content_type() -> None:
    assert fail(h(content_type=None)).status == 400  # type: ignore[arg-type]
    assert check_headers(h(content_type=None), require_json=False).version  # type: ignore[arg-type]


def test_plain_dict_headers() -> None:
    assert check_headers({"x-api-key": "k", "anthropic-version": "2026-10-21", "content-type": "application/json"})
