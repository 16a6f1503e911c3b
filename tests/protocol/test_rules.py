"""Layer 2: semantic rules with the confirmed messages."""

from __future__ import annotations

from typing import Any

import pytest

from mockclaude.signatures import Signer

from .helpers import GIF, JPEG, PNG, SIGNER, WEBP, err, message, ok, req, thinking_block, tool

THINK = {"type": "enabled", "budget_tokens": 2048}


def tool_use(id_: str = "toolu_A", name: str = "get_weather") -> dict[str, Any]:
    return {"type": "tool_use", "id": id_, "name": name, "input": {"city": "Paris"}}


def tool_result(id_: str = "toolu_A", content: Any = "sunny") -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": id_, "content": content}


def loop(*assistant: dict[str, Any], results: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": list(assistant)},
        {"role": "user", "content": results if results is not None else [tool_result()]},
    ]


# --- roles -----------------------------------------------------------------------------------------


def test_system_role_2023() -> None:
    body = req(messages=[{"role": "system", "content": "Be helpful."}, {"role": "user", "content": "Hi!"}])
    assert message(body) == (
        'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, '
        'not "system" as an input message role.'
    )


def test_tool_and_other_roles() -> None:
    body = req(messages=[{"role": "tool", "content": "x", "tool_call_id": "1"}])
    assert message(body) == (
        'messages: Unexpected role "tool". Allowed roles are "user" or "assistant". For instructions on how '
        "to use tools, see https://docs.anthropic.com/en/docs/tool-use"
    )
    assert message(req(messages=[{"role": "ai", "content": "x"}])) == (
        'messages: Unexpected role "ai". Allowed roles are "user" or "assistant"'
    )
    assert message(req(messages=[{"content": "x"}])) == "messages.0.role: Field required"


def test_first_message_may_be_assistant_and_turns_merge() -> None:
    v = ok(req(messages=[
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "a"},
        {"role": "user", "content": [{"type": "text", "text": "b"}]},
    ]))
    assert v.messages == [
        {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    ]


# --- content -----------------------------------------------------------------------------------------


def test_at_least_one_message() -> None:
    assert message(req(messages=[])) == "messages: at least one message is required"


@pytest.mark.parametrize("empty", ["", []])
def test_non_empty_content(empty: Any) -> None:
    assert message(req(messages=[{"role": "user", "content": empty}])) == (
        "messages.0: all messages must have non-empty content except for the optional final assistant message"
    )
    ok(req(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "content": empty}]))


def test_text_blocks() -> None:
    assert message(req(messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}])) == (
        "messages: text content blocks must be non-empty"
    )
    assert message(req(messages=[{"role": "user", "content": [{"type": "text", "text": " \n"}]}])) == (
        "messages: text content blocks must contain non-whitespace text"
    )
    assert message(req(messages=[{"role": "user", "content": "  "}])) == (
        "messages: text content blocks must contain non-whitespace text"
    )


def test_cache_control_on_empty_text() -> None:
    blocks = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"},
              {"type": "text", "text": "", "cache_control": {"type": "ephemeral"}}]
    msgs = [{"role": "user" if i % 2 == 0 else "assistant", "content": "x"} for i in range(30)]
    msgs.append({"role": "user", "content": blocks})
    assert message(req(messages=msgs)) == "messages.30.content.2.text: cache_control cannot be set for empty text blocks"


def test_prefill_trailing_whitespace() -> None:
    body = req(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "content": "The answer is "}])
    assert message(body) == "messages: final assistant content cannot end with trailing whitespace"


def test_cache_breakpoints() -> None:
    cc = {"type": "ephemeral"}
    body = req(
        tools=[tool("a", cache_control=cc)],
        system=[{"type": "text", "text": "s", "cache_control": cc}],
        messages=[{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": cc}] * 2}],
    )
    ok(body)
    assert message({**body, "cache_control": cc}) == "A maximum of 4 blocks with cache_control may be provided. Found 5."


# --- images -----------------------------------------------------------------------------------------


def image(data: str, media_type: str = "image/png") -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


@pytest.mark.parametrize(("data", "mt"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")])
def test_images_accepted(data: str, mt: str) -> None:
    ok(req(messages=[{"role": "user", "content": [image(data, mt), {"type": "text", "text": "what?"}]}]))


def test_image_mismatch_and_empty() -> None:
    msgs = [{"role": "user", "content": [{"type": "text", "text": "x"}, image(JPEG, "image/png")]}]
    assert message(req(messages=msgs)) == (
        "messages.0.content.1.image.source.base64.data: Image does not match the provided media type image/png"
    )
    assert message(req(messages=[{"role": "user", "content": [image("")]}])) == (
        "messages.0.content.0.image.source.base64: image cannot be empty"
    )


def test_image_inside_tool_result_checked() -> None:
    msgs = loop(tool_use(), results=[tool_result(content=[image(GIF, "image/png")])])
    assert message(req(messages=msgs)) == (
        "messages.2.content.0.tool_result.content.0.image.source.base64.data: "
        "Image does not match the provided media type image/png"
    )


# --- tools -----------------------------------------------------------------------------------------


def test_tool_names_unique() -> None:
    assert message(req(tools=[tool("a"), tool("a")])) == "tools: Tool names must be unique."


def test_tool_choice_names_a_tool() -> None:
    ok(req(tools=[tool("a")], tool_choice={"type": "tool", "name": "a"}))
    assert message(req(tools=[tool("a")], tool_choice={"type": "tool", "name": "b"})).startswith("tool_choice.tool.name:")
    assert message(req(tool_choice={"type": "any"})) == "`tool_choice` may only be specified while providing tools."
    ok(req(tool_choice={"type": "none"}))


def test_tool_use_ids_unique() -> None:
    msgs = [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [tool_use("toolu_A"), tool_use("toolu_A")]},
        {"role": "user", "content": [tool_result("toolu_A")]},
    ]
    assert message(req(messages=msgs)) == "`tool_use` ids must be unique"


def test_tool_result_without_tool_use() -> None:
    msgs = [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [tool_use("toolu_abc123")]},
        {"role": "user", "content": [tool_result("toolu_X")]},
    ]
    assert message(req(messages=msgs)) == (
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_X. Each "
        "`tool_result` block must have a corresponding `tool_use` block in the previous message."
    )


def test_tool_use_without_result() -> None:
    msgs = [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [tool_use("toolu_A")]},
        {"role": "user", "content": "what happened?"},
    ]
    assert message(req(messages=msgs)) == (
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_A. Each "
        "`tool_use` block must have a corresponding `tool_result` block in the next message."
    )


def test_tool_results_must_lead_the_user_turn() -> None:
    msgs = loop(tool_use(), results=[{"type": "text", "text": "here:"}, tool_result()])
    assert message(req(messages=msgs)).startswith("messages.1: `tool_use` ids were found without")


def test_pairing_happens_after_merging() -> None:
    msgs = [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [{"type": "text", "text": "Let me check."}]},
        {"role": "assistant", "content": [tool_use("toolu_A"), tool_use("toolu_B")]},
        {"role": "user", "content": [tool_result("toolu_A")]},
        {"role": "user", "content": [tool_result("toolu_B"), {"type": "text", "text": "thanks"}]},
    ]
    v = ok(req(messages=msgs))
    assert [t["role"] for t in v.messages] == ["user", "assistant", "user"]
    bad = [*msgs[:3], {"role": "user", "content": [tool_result("toolu_A"), tool_result("toolu_C")]}]
    assert message(req(messages=bad)) == (
        "messages.3.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_C. Each "
        "`tool_result` block must have a corresponding `tool_use` block in the previous message."
    )


# --- max_tokens and models ------------------------------------------------------------------------------


def test_max_tokens_over_the_model_limit() -> None:
    body = req(model="claude-opus-4-6", max_tokens=128001)
    assert message(body) == (
        "max_tokens: 128001 > 128000, which is the maximum allowed number of output tokens for claude-opus-4-6"
    )
    ok(req(model="claude-opus-4-6", max_tokens=128000))
    assert "for claude-3-haiku-20240307" in message(req(model="claude-3-haiku-20240307", max_tokens=4097))


def test_alias_resolves_and_limit_names_the_model() -> None:
    v = ok(req(model="claude-sonnet-4-5"))
    assert v.model_id == "claude-sonnet-4-5" and v.model is not None and v.model.id == "claude-sonnet-4-5-20250929"
    assert message(req(model="claude-sonnet-4-5", max_tokens=64001)).endswith("for claude-sonnet-4-5-20250929")


def test_unknown_models() -> None:
    v = ok(req(model="claude-sonnet-4-5-20250514"))
    assert v.model is None and v.model_id == "claude-sonnet-4-5-20250514"
    e = err(req(model="claude-sonnet-4-5-20250514"), strict_models=True)
    assert (e.status, e.type, e.message) == (404, "not_found_error", "model: claude-sonnet-4-5-20250514")
    for bad in ("gpt-4o", "", "claude 3", "Claude-3"):
        e = err(req(model=bad))
        assert (e.status, e.message) == (404, f"model: {bad}")
    assert message(req(model="claude-future-9", max_tokens=128001)).endswith("for claude-future-9")


def test_max_tokens_zero_is_allowed() -> None:
    assert ok(req(max_tokens=0)).max_tokens == 0


# --- thinking -----------------------------------------------------------------------------------------


def test_budget_below_max_tokens() -> None:
    assert message(req(max_tokens=2048, thinking=THINK)) == "`max_tokens` must be greater than `thinking.budget_tokens`"
    v = ok(req(max_tokens=2049, thinking=THINK))
    assert v.thinking == {"type": "enabled", "budget_tokens": 2048, "display": "summarized"}


def test_thinking_and_forced_tools() -> None:
    for choice in ({"type": "any"}, {"type": "tool", "name": "a"}):
        body = req(max_tokens=4096, thinking=THINK, tools=[tool("a")], tool_choice=choice)
        assert message(body) == "Thinking may not be enabled when tool_choice forces tool use."
    ok(req(max_tokens=4096, thinking=THINK, tools=[tool("a")], tool_choice={"type": "auto"}))


def test_thinking_sampling() -> None:
    assert message(req(max_tokens=4096, thinking=THINK, temperature=0.5)) == (
        "`temperature` may only be set to 1 when thinking is enabled"
    )
    ok(req(max_tokens=4096, thinking=THINK, temperature=1))
    assert message(req(max_tokens=4096, thinking=THINK, top_k=5)).startswith("`top_k`")
    assert message(req(max_tokens=4096, thinking=THINK, top_p=0.5)).startswith("`top_p`")
    ok(req(max_tokens=4096, thinking={"type": "disabled"}, temperature=0.2))
    ok(req(thinking={"type": "adaptive"}))


def test_temperature_and_top_p_exclusive_for_new_models() -> None:
    assert message(req(temperature=0.5, top_p=0.9)) == (
        "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
    )
    ok(req(model="claude-3-haiku-20240307", temperature=0.5, top_p=0.9))


def test_thinking_tool_loop_needs_thinking_first() -> None:
    body = req(max_tokens=4096, thinking=THINK, tools=[tool()],
               messages=loop({"type": "text", "text": "Checking."}, tool_use()))
    assert message(body) == (
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When "
        "`thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the "
        "lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from "
        "previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at "
        "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
    )
    ok({**body, "messages": loop(thinking_block(), tool_use())})
    ok({**body, "thinking": {"type": "disabled"}})  # without thinking the loop is fine


def test_signatures() -> None:
    good = thinking_block("User wants weather.")
    ok(req(max_tokens=4096, thinking=THINK, messages=loop(good, tool_use())))
    forged = {**good, "signature": "abc..."}
    assert message(req(max_tokens=4096, thinking=THINK, messages=loop(forged, tool_use()))) == (
        "messages.1.content.0: Invalid `signature` in `thinking` block"
    )
    other_key = {**good, "signature": Signer("another").sign(good["thinking"])}
    assert message(req(messages=loop(other_key, tool_use()))) == (
        "messages.1.content.0: Invalid `signature` in `thinking` block"
    )
    modified = {**good, "thinking": "User wants weather in Tokyo."}
    assert message(req(max_tokens=4096, thinking=THINK, messages=loop(modified, tool_use()))) == (
        "The `thinking` blocks in the latest assistant message cannot be modified. "
        "These blocks must remain as they were in the original response."
    )
    # a modified block in an earlier turn is stripped by the API, not checked
    earlier = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [modified, {"type": "text", "text": "b"}]},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "d"},
        {"role": "user", "content": "e"},
    ]
    ok(req(messages=earlier))


def test_recorded_signatures_count_as_issued() -> None:
    signer = Signer("k2")
    signer.remember("EqRecordedSig==", "recorded text")
    block = {"type": "thinking", "thinking": "recorded text", "signature": "EqRecordedSig=="}
    ok(req(messages=loop(block, tool_use())), signer=signer)


def test_redacted_thinking() -> None:
    signer = Signer("k3")
    signer.remember("EmwKAhgBEgy3recorded", "")
    ok(req(messages=loop({"type": "redacted_thinking", "data": "EmwKAhgBEgy3recorded"}, tool_use())), signer=signer)
    ok(req(messages=loop({"type": "redacted_thinking", "data": signer.sign("secret")}, tool_use())), signer=signer)
    assert message(req(messages=loop({"type": "redacted_thinking", "data": "made-up"}, tool_use())), signer=signer) == (
        "messages.1.content.0: Invalid `data` in `redacted_thinking` block"
    )


def test_signature_path_names_the_message_as_sent() -> None:
    msgs = [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [{"type": "text", "text": "a"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "b"}, {**thinking_block(), "signature": "bad"}]},
        {"role": "user", "content": "y"},
    ]
    assert message(req(messages=msgs)) == "messages.2.content.1: Invalid `signature` in `thinking` block"


# --- prefill -------------------------------------------------------------------------------------------


def test_prefill_per_model() -> None:
    msgs = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "The best answer is ("}]
    ok(req(messages=msgs))
    ok(req(model="claude-sonnet-4-5-20250514", messages=msgs))
    assert message(req(model="claude-opus-4-6", messages=msgs)) == (
        "This model does not support assistant message prefill. The conversation must end with a user message."
    )


def test_normalised_fields() -> None:
    v = ok(req(system="S", stream=True, stop_sequences=["END"], tools=[tool()], tool_choice={"type": "auto"}))
    assert v.system_blocks == [{"type": "text", "text": "S"}]
    assert v.stream is True and v.stop_sequences == ["END"] and v.tool_choice == {"type": "auto"}
    assert v.version == "2023-06-01" and v.max_tokens == 1024 and v.thinking is None
    assert ok(req(system="")).system_blocks == []
    assert SIGNER  # helpers' signer is the default
    assert ok(req(max_tokens=1024.0)).max_tokens == 1024
