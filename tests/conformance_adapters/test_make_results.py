"""conformance/make_results.py renders a real (small) run: the matrix, the clients table, and every
non-PASS cell as a finding with its reproduce command — an unexplained one is listed, not dropped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .driver import ROOT


def test_a_small_run_renders_matrix_and_findings(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "conformance" / "make_results.py"), "--only", "anthropic-python,tutorial",
         "--cases", "errors.1,request.1", "--max-examples", "2", "--report", str(tmp_path / "report"),
         "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "| errors.1 mid-stream-error | MUST | ✓ | **FAIL** |" in text
    assert "| request.1 headers | MUST |" in text
    # The tutorial's swallowed error event is a finding, with the command that reproduces it.
    tutorial = text.split("### tutorial", 1)[1]
    assert "**errors.1 mid-stream-error** — FAIL (MUST)" in tutorial
    assert "--case errors.1 --seed 0" in tutorial
    assert (tmp_path / "report" / "index.html").is_file()
