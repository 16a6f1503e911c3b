"""Structured outputs, strict tools and forced tool choice through the official SDK and raw HTTP."""

from __future__ import annotations

import json

import anthropic
import httpx
import jsonschema
import pytest
from pydantic import BaseModel

from mockclaude import MockClaude

MODEL = "claude-sonnet-4-6"

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "email": {"type": "string", "format": "email"},
        "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}},
    },
    "required": ["name", "age", "tags"],
    "additionalProperties": False,
    "$defs": {"Tag": {"type": "object", "properties": {"label": {"enum": ["a", "b"]}}, "required": ["label"],
                      "additionalProperties": False}},
}
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def _body(**extra: object) -> dict[str, object]:
    return {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": "Extract the person."}],
            **extra}


def test_output_config_format_answers_json_valid_for_the_schema(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(**_body(output_config={"format": {"type": "json_schema", "schema": PERSON}}))  # type: ignore[arg-type]
    assert [b.type for b in msg.content] == ["text"] and msg.stop_reason == "end_turn"
    jsonschema.validate(json.loads(msg.content[0].text), PERSON)  # type: ignore[union-attr]


def test_structured_output_streams_as_text_deltas(client: anthropic.Anthropic) -> None:
    with client.messages.stream(**_body(output_config={"format": {"type": "json_schema", "schema": PERSON}})) as s:  # type: ignore[arg-type]
        deltas = [e.delta.text for e in s if e.type == "content_block_delta" and e.delta.type == "text_delta"]
        final = s.get_final_message()
    assert "".join(deltas) == final.content[0].text  # type: ignore[union-attr]
    jsonschema.validate(json.loads("".join(deltas)), PERSON)


def test_sdk_parse_with_a_pydantic_model(client: anthropic.Anthropic) -> None:
    class City(BaseModel):
        name: str
        population: int

    class Cities(BaseModel):
        cities: list[City]
        capital: City | None = None

    parsed = client.messages.parse(model=MODEL, max_tokens=1024, output_format=Cities,
                                   messages=[{"role": "user", "content": "Cities of France"}])
    assert isinstance(parsed.parsed_output, Cities) and parsed.parsed_output.cities


def test_with_thinking_the_text_after_the_thinking_block_is_the_json(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(**_body(thinking={"type": "adaptive"},  # type: ignore[arg-type]
                                         output_config={"format": {"type": "json_schema", "schema": PERSON}}))
    assert [b.type for b in msg.content] == ["thinking", "text"]
    jsonschema.validate(json.loads(msg.content[1].text), PERSON)  # type: ignore[union-attr]


def test_strict_tool_input_validates(client: anthropic.Anthropic) -> None:
    tool = {"name": "save_person", "description": "Save.", "strict": True, "input_schema": PERSON}
    msg = client.messages.create(**_body(tools=[tool]))  # type: ignore[arg-type]
    use = [b for b in msg.content if b.type == "tool_use"]
    assert use and use[0].name == "save_person"
    jsonschema.validate(use[0].input, PERSON)


@pytest.mark.parametrize("choice", [{"type": "any"}, {"type": "tool", "name": "save_person"}])
def test_forced_tool_choice_opens_with_the_tool_use_block(client: anthropic.Anthropic, choice: dict[str, str]) -> None:
    tool = {"name": "save_person", "description": "Save.", "input_schema": PERSON}
    msg = client.messages.create(**_body(tools=[tool], tool_choice=choice))  # type: ignore[arg-type]
    assert [b.type for b in msg.content] == ["tool_use"] and msg.stop_reason == "tool_use"
    auto = client.messages.create(**_body(tools=[tool]))  # type: ignore[arg-type]
    assert auto.content[0].type == "text"  # auto keeps its preamble


def test_beta_output_format_needs_its_flag(mock: MockClaude) -> None:
    fmt = {"type": "json_schema", "schema": PERSON}
    with httpx.Client(base_url=mock.url) as http:
        refused = http.post("/v1/messages", headers=HEADERS, json=_body(output_format=fmt))
        assert refused.status_code == 400
        assert refused.json()["error"]["message"] == "output_format: Extra inputs are not permitted"
        beta = {**HEADERS, "anthropic-beta": "structured-outputs-2025-11-13"}
        ok = http.post("/v1/messages", headers=beta, json=_body(output_format=fmt))
        assert ok.status_code == 200, ok.text
        jsonschema.validate(json.loads(ok.json()["content"][0]["text"]), PERSON)
        counted = http.post("/v1/messages/count_tokens", headers=beta,
                            json={"model": MODEL, "messages": [{"role": "user", "content": "x"}], "output_format": fmt})
        assert counted.status_code == 200, counted.text
        for bad, message in [
            ({"type": "json"}, "output_format.type: Input should be 'json_schema'"),
            ({"type": "json_schema"}, "output_format.schema: Field required"),
            ({**fmt, "name": "x"}, "output_format.name: Extra inputs are not permitted"),
        ]:
            r = http.post("/v1/messages", headers=beta, json=_body(output_format=bad))
            assert (r.status_code, r.json()["error"]["message"]) == (400, message)
        both = http.post("/v1/messages", headers=beta,
                         json=_body(output_format=fmt, output_config={"format": fmt}))
        assert both.status_code == 400 and "output_config.format" in both.json()["error"]["message"]


@pytest.mark.parametrize("schema", [{"type": 5, "properties": []}, {"const": 2**70}, {"$ref": "#/nowhere"},
                                    {"required": 1.5, "format": [None]}])
def test_malformed_schemas_still_get_an_answer(mock: MockClaude, schema: dict[str, object]) -> None:
    with httpx.Client(base_url=mock.url) as http:
        for stream in (False, True):
            r = http.post("/v1/messages", headers=HEADERS,
                          json=_body(stream=stream, output_config={"format": {"type": "json_schema", "schema": schema}}))
            assert r.status_code == 200, r.text


def test_beta_computer_use_through_the_sdk_beta_client(client: anthropic.Anthropic) -> None:
    computer = {"type": "computer_20250124", "name": "computer", "display_width_px": 1024, "display_height_px": 768}
    weather = {"name": "get_weather", "description": "Weather.", "input_schema": {"type": "object",
               "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    msg = client.beta.messages.create(model=MODEL, max_tokens=512, betas=["computer-use-2025-01-24"],
                                      tools=[computer, weather],  # type: ignore[list-item]
                                      messages=[{"role": "user", "content": "What is the weather in Oslo?"}])
    assert [b.type for b in msg.content] == ["text", "tool_use"] and msg.content[1].name == "get_weather"  # type: ignore[union-attr]
