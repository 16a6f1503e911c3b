"""What the real Messages API accepts and how it says no: headers, body parsing, validation, models."""

from __future__ import annotations

from .body import parse_body
from .models import ModelInfo, get_model, list_models_page, looks_like_model, model_object
from .validate import ValidRequest, validate_messages
from .versions import KNOWN_VERSIONS, RequestMeta, check_headers

__all__ = [
    "KNOWN_VERSIONS",
    "ModelInfo",
    "RequestMeta",
    "ValidRequest",
    "check_headers",
    "get_model",
    "list_models_page",
    "looks_like_model",
    "model_object",
    "parse_body",
    "validate_messages",
]
