"""``python -m recognizer predict``: JSON lines, bad files reported, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from app_samples import needs_model
from drawing import digit, noisy_photo

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recognizer", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_cli_predict_prints_json_lines_and_reports_bad_files(tmp_path: Path) -> None:
    seven, blank, broken = tmp_path / "seven.png", tmp_path / "blank.png", tmp_path / "broken.png"
    cv2.imwrite(str(seven), 255 - digit("7"))
    cv2.imwrite(str(blank), np.zeros((50, 50), np.uint8))
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    proc = run_cli("predict", "--alphabet", "digits", str(seven), str(broken), str(blank), str(tmp_path / "none.png"))
    assert proc.returncode == 2, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(seven), str(broken), str(blank), str(tmp_path / "none.png")]
    assert lines[0]["blank"] is False and lines[0]["top_k"][0][0] == "7" and len(lines[0]["top_k"]) == 3
    assert "error" in lines[1] and "error" in lines[3]
    assert lines[2]["blank"] is True and lines[2]["top_k"] == []


@needs_model("digits")
def test_cli_predict_exit_code_is_0_when_all_files_read(tmp_path: Path) -> None:
    path = tmp_path / "three.jpg"
    cv2.imwrite(str(path), noisy_photo(digit("3")))
    proc = run_cli("predict", "--alphabet", "digits", str(path))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["top_k"][0][0] == "3"


def test_cli_rejects_an_unknown_alphabet() -> None:
    proc = run_cli("predict", "--alphabet", "greek", "x.png")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
