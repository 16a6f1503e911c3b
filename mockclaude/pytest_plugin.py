"""pytest plugin for mockclaude (entry point ``pytest11``). Thin and lazy: importing it imports
neither uvicorn nor hypothesis."""

from __future__ import annotations
