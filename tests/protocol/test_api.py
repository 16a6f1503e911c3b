from __future__ import annotations

from mockclaude import protocol


def test_public_surface_does_not_drift() -> None:
    assert sorted(protocol.__all__) == [
        "KNOWN_VERSIONS", "ModelInfo", "RequestMeta", "ValidRequest", "check_headers", "get_model",
        "list_models_page", "looks_like_model", "model_object", "parse_body", "validate_messages",
    ]
    for name in protocol.__all__:
        assert getattr(protocol, name) is not None


def test_sdk_defs_are_current() -> None:
    """The generated shapes come from the installed SDK's types (regenerate with _gen_schema)."""
    import anthropic

    from mockclaude.protocol._sdk_defs import SDK_VERSION

    assert SDK_VERSION == anthropic.__version__
