"""Scripted answers from outside Python: a YAML or JSON file, and the admin API.

A file (``mockclaude serve --responses FILE``, ``MOCKCLAUDE_RESPONSES=FILE``) holds a list of
answers, or a mapping with a ``responses:`` list::

    responses:
      - tool_use: {name: get_weather, input: {city: Paris}}
      - when: {tool_result: get_weather}
        text: It is sunny in Paris.

``GET /_mockclaude/responses`` shows them with their use counts; ``POST`` adds answers (one
object, a list, or ``{"responses": [...]}``); ``DELETE`` forgets them all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ApiError, ConfigError, new_request_id
from .scripted import Reply

__all__ = ["load_responses", "replies_from_json", "routes"]


def _items(data: Any, where: str) -> list[Any]:
    if isinstance(data, dict) and set(data) == {"responses"}:
        data = data["responses"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise ConfigError(f"{where}: expected a list of scripted answers (or responses: [...])")
    return data


def load_responses(path: str | Path) -> tuple[Reply, ...]:
    """The answers in a YAML or JSON file; ConfigError naming the file, line and answer when malformed."""
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"responses file {p}: cannot read it: {err.strerror or err}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"responses file {p}:{line}: not valid YAML/JSON: {getattr(err, 'problem', err)}") from None
    items = _items(data, f"responses file {p}")
    # The line of each answer, for messages: the sequence node of the list.
    lines: list[int] = []
    seq = node
    if isinstance(node, yaml.MappingNode):
        seq = next((v for k, v in node.value if k.value == "responses"), node)
    if isinstance(seq, yaml.SequenceNode):
        lines = [n.start_mark.line + 1 for n in seq.value]
    out = []
    for i, item in enumerate(items):
        where = f"{p}:{lines[i]}" if i < len(lines) else f"{p}"
        out.append(Reply.of(item, where=f"{where}: responses[{i}]"))
        out[-1].origin = f"{p.name}:{lines[i]}" if i < len(lines) else p.name
    return tuple(out)


def replies_from_json(raw: bytes) -> list[Reply]:
    """The answers of an admin API request body; ConfigError when malformed."""
    try:
        data = json.loads(raw or b"null")
    except ValueError as err:
        raise ConfigError(f"the request body is not valid JSON: {err}") from None
    items = _items(data, "responses")
    return [Reply.of(item, where=f"responses[{i}]") for i, item in enumerate(items)]


def routes(app: Any) -> list[Any]:
    """``GET|POST|DELETE /_mockclaude/responses``."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def _json(obj: Any) -> Response:
        return Response(json.dumps(obj, ensure_ascii=False).encode(), media_type="application/json")

    async def view(request: Request) -> Response:
        script = app.script
        if request.method == "DELETE":
            script.clear()
            return _json(script.to_json())
        if request.method == "POST":
            try:
                added = replies_from_json(await request.body())
            except ConfigError as err:
                bad: Response = app.error_response(ApiError(400, str(err)), new_request_id())
                return bad
            for r in added:
                script.add(r)
            return _json({"added": len(added), **script.to_json()})
        return _json(script.to_json())

    return [Route("/_mockclaude/responses", view, methods=["GET", "POST", "DELETE"])]
