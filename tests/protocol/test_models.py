from __future__ import annotations

import pytest

from mockclaude.errors import ApiError
from mockclaude.protocol import get_model, list_models_page, looks_like_model, model_object
from mockclaude.protocol.models import MODELS


def test_sdk_ids_and_aliases_known() -> None:
    for mid in ("claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-5-5", "claude-fable-5-2", "claude-mythos-preview",
                "claude-haiku-4-5", "claude-opus-4-1-20250805", "claude-3-7-sonnet-20250219", "claude-3-5-haiku-20241022",
                "claude-3-haiku-20240307", "claude-sonnet-4-20250514", "claude-opus-4-20250514"):
        assert get_model(mid) is not None, mid
    assert get_model("claude-sonnet-4-5").id == "claude-sonnet-4-5-20250929"  # type: ignore[union-attr]
    assert get_model("claude-3-5-haiku-latest").id == "claude-3-5-haiku-20241022"  # type: ignore[union-attr]
    assert get_model("nope") is None and get_model(5) is None  # type: ignore[arg-type]


def test_limits() -> None:
    limits = {m.id: m.max_output_tokens for m in MODELS}
    assert limits["claude-opus-4-6"] == limits["claude-sonnet-4-6"] == limits["claude-haiku-5-5"] == 128000
    assert limits["claude-sonnet-4-5-20250929"] == limits["claude-haiku-4-5-20251001"] == 64000
    assert limits["claude-opus-4-5-20251101"] == 64000
    assert limits["claude-opus-4-20250514"] == limits["claude-opus-4-1-20250805"] == 32000
    assert limits["claude-3-5-haiku-20241022"] == 8192 and limits["claude-3-haiku-20240307"] == 4096


def test_deprecations_from_sdk() -> None:
    m = get_model("claude-sonnet-4-5")
    assert m is not None and m.lifecycle == "deprecated" and m.retires_at == "2026-11-30T00:00:00Z"


@pytest.mark.parametrize("mid", ["claude-sonnet-4-5-20250514", "claude-x", "claude-3.5-sonnet", "claude-opus-9-9"])
def test_plausible(mid: str) -> None:
    assert looks_like_model(mid)


@pytest.mark.parametrize("mid", ["", "gpt-4o", "claude-", "claude", "Claude-3", "claude 3", "claude-a_b", 5, None])
def test_implausible(mid: object) -> None:
    assert not looks_like_model(mid)


def test_model_object() -> None:
    info = get_model("claude-opus-4-6")
    assert info is not None
    obj = model_object(info)
    assert {k: obj[k] for k in ("type", "id", "display_name", "created_at", "lifecycle", "max_tokens",
                                "max_input_tokens")} == {
        "type": "model", "id": "claude-opus-4-6", "display_name": "Claude Opus 4.6",
        "created_at": "2026-02-05T00:00:00Z", "lifecycle": "active", "max_tokens": 128000,
        "max_input_tokens": 1_000_000}
    assert model_object(info, version="2026-10-21") == obj  # the same fields under every version


def test_model_objects_parse_as_sdk_model_info() -> None:
    """Every item validates against SDK 2.14's ModelInfo, with every capability key present."""
    from anthropic.types import ModelInfo as SdkModelInfo
    from anthropic.types.model_capabilities import ModelCapabilities

    for info in MODELS:
        obj = model_object(info)
        parsed = SdkModelInfo.model_validate(obj)
        assert parsed.capabilities is not None and parsed.lifecycle == info.lifecycle
        assert set(obj["capabilities"]) == set(ModelCapabilities.model_fields)
    sonnet = model_object(get_model("claude-sonnet-4-6"))  # type: ignore[arg-type]
    assert sonnet["capabilities"]["thinking"]["types"]["adaptive"] == {"supported": True}
    assert model_object(get_model("claude-opus-4-7"))["capabilities"]["thinking"]["types"]["enabled"] == {  # type: ignore[arg-type]
        "supported": False}


def test_listed_newest_first() -> None:
    dates = [m.created_at for m in MODELS]
    assert dates == sorted(dates, reverse=True)


def test_pages_walk_forward_and_back() -> None:
    listed = [m.id for m in MODELS if m.lifecycle != "retired"]
    page = list_models_page(limit=5)
    assert [d["id"] for d in page["data"]] == listed[:5] and page["has_more"]
    assert page["first_id"] == listed[0] and page["last_id"] == listed[4]
    seen = [d["id"] for d in page["data"]]
    while page["has_more"]:
        page = list_models_page(after_id=page["last_id"], limit=5)
        seen += [d["id"] for d in page["data"]]
    assert seen == listed
    back = list_models_page(before_id=listed[7], limit=3)
    assert [d["id"] for d in back["data"]] == listed[4:7] and back["has_more"]
    assert list_models_page(limit=1000)["has_more"] is False
    assert len(list_models_page(lifecycle=["retired"])["data"]) >= 1


@pytest.mark.parametrize(("limit", "msg"), [(0, "limit: Input should be greater than or equal to 1"),
                                            (1001, "limit: Input should be less than or equal to 1000"),
                                            ("x", "limit: Input should be a valid integer, unable to parse string as an integer")])
def test_bad_limit(limit: object, msg: str) -> None:
    with pytest.raises(ApiError) as info:
        list_models_page(limit=limit)  # type: ignore[arg-type]
    assert (info.value.status, info.value.message) == (400, msg)


def test_unknown_cursor() -> None:
    with pytest.raises(ApiError) as info:
        list_models_page(after_id="claude-nope")
    assert info.value.status == 404
