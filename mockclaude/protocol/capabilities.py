"""The ``capabilities`` object of a ``/v1/models`` item (SDK 2.14's ``ModelCapabilities``).

Every key the SDK declares is always present, as the type's docstring says ("Keys are always present
for all known capabilities"). The values follow what the model pages publish, by generation:

* thinking ``enabled`` (manual budget): 3.7 Sonnet through the 4.6 models; refused from Opus 4.7 on
  (the Opus 4.7 model card: "thinking.type: enabled ... will return a 400 error"; Sonnet 5's page:
  "manual extended thinking now returns 400"). ``adaptive``: 4.6 and newer. ``disabled``: not on
  the always-on models (Fable, Mythos 5.x, Opus 5.5: "thinking cannot be disabled").
  ``between_tools``: the 5.1/5.5/5.2 generation (Sonnet 5.5's page introduces it).
* effort: Opus 4.5 and every 4.6+ model (Haiku 4.5: "Default effort: Not supported"); ``max`` from
  4.6, ``xhigh`` from Opus 4.7 (its release added it).
* structured outputs: Opus 4.1, the 4.5 family and newer.
* the rest (batch, citations, images, PDFs, server tools, context management) by the same
  generations; where no page says, the choice is the plausible one and is documented in
  docs/validation.md. The double does not (yet) refuse requests by these flags.
"""

from __future__ import annotations

import re
from typing import Any

from .models import ModelInfo

__all__ = ["capabilities", "generation"]

_DATED = re.compile(r"-\d{8}$")


def generation(info: ModelInfo) -> float:
    """The model's version number (3.5 for ``claude-3-5-haiku-…``, 4.6 for ``claude-opus-4-6``, 5.0 for
    ``claude-opus-5``); Mythos Preview counts as 4.7 (it came out with that generation)."""
    if info.id == "claude-mythos-preview":
        return 4.7
    # claude-3-5-haiku-20241022, claude-3-haiku-20240307 (number first); claude-opus-4-20250514,
    # claude-opus-4-6, claude-opus-5 (line first)
    numbers = [p for p in _DATED.sub("", info.id).split("-")[1:] if p.isdigit()]
    if not numbers:
        return 0.0
    return float(f"{numbers[0]}.{numbers[1] if len(numbers) > 1 else 0}")


def _s(flag: bool) -> dict[str, bool]:
    return {"supported": flag}


def capabilities(info: ModelInfo) -> dict[str, Any]:
    """The capability map for ``info`` (see the module docstring for where each value comes from)."""
    g = generation(info)
    line = info.line or ""
    always_on = line == "fable" or (line == "mythos" and g >= 5) or info.id == "claude-opus-5-5"
    newest = info.id in {"claude-fable-5-1", "claude-mythos-5-1", "claude-opus-5-5", "claude-sonnet-5-5",
                         "claude-haiku-5-5", "claude-fable-5-2", "claude-mythos-5-2"}
    thinking = g >= 3.7 and info.id != "claude-3-5-haiku-20241022"
    effort = g >= 4.6 or info.id == "claude-opus-4-5-20251101"
    ctx_mgmt = g >= 4.0
    return {
        "batch": _s(True),
        "citations": _s(g >= 3.5),
        "code_execution": _s(g >= 4.5 and info.id != "claude-haiku-4-5-20251001"),
        "context_management": {
            "supported": ctx_mgmt,
            "clear_thinking_20251015": _s(ctx_mgmt and thinking),
            "clear_tool_uses_20250919": _s(ctx_mgmt),
            "compact_20260112": _s(g >= 4.6),
        },
        "effort": {
            "supported": effort,
            "low": _s(effort),
            "medium": _s(effort),
            "high": _s(effort),
            "max": _s(effort and g >= 4.6),
            "xhigh": _s(effort and g >= 4.7),
        },
        "image_input": _s(True),
        "pdf_input": _s(g >= 3.5),
        "server_tools": {
            "supported": g >= 3.5,
            "code_execution": _s(g >= 3.5),
            "web_search": _s(g >= 3.5),
        },
        "structured_outputs": _s(g >= 4.5 or info.id == "claude-opus-4-1-20250805"),
        "thinking": {
            "supported": thinking,
            "types": {
                "enabled": _s(thinking and g < 4.7),
                "adaptive": _s(g >= 4.6),
                "disabled": _s(not always_on),
                "between_tools": _s(newest),
            },
        },
    }
