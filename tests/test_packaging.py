"""What a user gets from the package: a license matching the metadata, metadata a package page
shows, and help that names files the installation has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_license_file_matches_the_metadata() -> None:
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "THE SOFTWARE IS PROVIDED \"AS IS\"" in text


def test_metadata_for_a_package_page() -> None:
    assert "Framework :: Pytest" in PROJECT["classifiers"]
    assert "Topic :: Software Development :: Testing :: Mocking" in PROJECT["classifiers"]
    assert {"anthropic", "claude", "pytest"} <= set(PROJECT["keywords"])
    assert PROJECT["entry-points"]["pytest11"] == {"mockclaude": "mockclaude.pytest_plugin"}


def test_serve_help_names_documentation_that_exists() -> None:
    out = subprocess.run([sys.executable, "-m", "mockclaude", "serve", "--help"], capture_output=True, text=True, check=True)
    doc = out.stdout.rsplit("details: ", 1)[1].split()[0]
    assert Path(doc).is_file() and doc.endswith("faults.md")
