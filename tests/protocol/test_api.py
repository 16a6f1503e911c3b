from __future__ import annotations

from mockclaude import protocol


def test_public_surface_does_not_drift() -> None:
    assert sorted(protocol.__all__) == [
        "KNOWN_VERSIONS", "ModelInfo", "RequestMeta", "ValidRequest", "check_headers", "get_model",
        "list_models_page", "looks_like_model", "model_object", "parse_body", "validate_messages",
    ]
    for name in protocol.__all__:
        assert getattr(protocol, name) is not None


def _pinned_sdk() -> str:
    """The anthropic version the test extra pins (pyproject.toml), which _sdk_defs must be generated from."""
    import re
    from pathlib import Path

    # (a regular expression, not tomllib: the suite runs on Python 3.10 too)
    found = re.findall(r'"anthropic==([^"]+)"', (Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert len(found) == 1, "the test extra must pin anthropic exactly"
    return str(found[0])


def test_definitions_come_from_the_pinned_sdk() -> None:
    from mockclaude.protocol._sdk_defs import SDK_VERSION

    assert SDK_VERSION == _pinned_sdk(), "regenerate: python -m mockclaude.protocol._gen_schema"


def test_definitions_regenerate_unchanged() -> None:
    """Nobody edited _sdk_defs.py by hand: the pinned SDK regenerates it exactly.

    In a fresh interpreter: ``typing`` caches equal ``Literal``s, so the order of enum values depends on
    what was imported first, and this process has imported much of the SDK already.
    """
    import subprocess
    import sys

    import anthropic
    import pytest

    if anthropic.__version__ != _pinned_sdk():
        pytest.skip(
            f"anthropic {anthropic.__version__} is installed, the suite pins {_pinned_sdk()}: "
            "`python -m mockclaude.protocol._gen_schema --diff` reports what the installed one changes"
        )
    code = (
        "from mockclaude.protocol import _gen_schema as g; "
        "assert g.render(g.generate()) == g._OUT.read_text(), g.diff(g.committed(), g.generate())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_release_report_names_what_changed() -> None:
    from mockclaude.protocol import _gen_schema

    def data(version: str, **changes: object) -> dict[str, object]:
        base: dict[str, object] = {
            "SDK_VERSION": version, "ROOTS": {}, "SDK_BETAS": ["a-2025"], "SDK_MODELS": ["claude-x"],
            "SDK_BETA_FIELDS": ["thread"],
            "DEFS": {
                "Params": {"kind": "object", "props": {"model": {"kind": "enum", "values": ["m1"]}},
                           "required": ["model"], "extra": False},
                "Block": {"kind": "union", "tag": "type", "variants": {"text": "Text"}, "optional_tag": None},
            },
        }
        base.update(changes)
        return base

    old = data("1.0")
    new = data(
        "1.1", SDK_BETAS=["a-2025", "b-2026"], SDK_MODELS=["claude-x", "claude-y"], SDK_BETA_FIELDS=[],
        DEFS={
            "Params": {"kind": "object", "props": {"model": {"kind": "enum", "values": ["m1", "m2"]},
                                                   "speed": {"kind": "str"}},
                       "required": ["model"], "extra": False},
            "Block": {"kind": "union", "tag": "type", "variants": {"text": "Text", "image": "Image"},
                      "optional_tag": None},
            "Image": {"kind": "object", "props": {}, "required": [], "extra": False},
        },
    )
    report = _gen_schema.diff(old, new)
    assert report == [
        "SDK 1.0 -> 1.1",
        "  model ids added: claude-y",
        "  beta flags added: b-2026",
        "  beta-only request fields removed: thread",
        "  definitions added: Image",
        "Params:",
        "  fields added: speed",
        "  model values added: m2",
        "Block:",
        "  block types added: image",
    ]
    assert _gen_schema.diff(old, old) == []
