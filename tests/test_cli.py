"""The command line: JSON lines, bad files reported, exit codes, from any folder, and nothing alarming on stderr."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from app_samples import needs_model
from drawing import DIGITS, NOT_CHARACTERS, digit, draw, noisy_photo, row

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recognizer", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@needs_model("digits")
def test_cli_runs_from_any_folder_and_says_nothing_on_stderr_when_all_is_well(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "seven.png"), 255 - digit("7"))
    proc = run_cli("predict", "--alphabet", "digits", "seven.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["top_k"][0][0] == "7"
    assert proc.stderr == "", "no TensorFlow start-up noise (oneDNN, CUDA) for a newcomer to worry about"


def test_the_console_script_is_installed() -> None:
    script = shutil.which("handwriting-lab")
    assert script, "pip install -r requirements.txt installs the project and its handwriting-lab script"
    proc = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: handwriting-lab")


def test_cli_predict_prints_json_lines_and_reports_bad_files(tmp_path: Path) -> None:
    seven, blank, broken = tmp_path / "seven.png", tmp_path / "blank.png", tmp_path / "broken.png"
    star = tmp_path / "star.png"
    cv2.imwrite(str(seven), 255 - digit("7"))
    cv2.imwrite(str(star), 255 - draw(NOT_CHARACTERS["star"]))
    cv2.imwrite(str(blank), np.zeros((50, 50), np.uint8))
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    files = [seven, broken, blank, tmp_path / "none.png", star]
    proc = run_cli("predict", "--alphabet", "digits", *map(str, files))
    assert proc.returncode == 2, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["file"] for line in lines] == list(map(str, files))
    assert lines[0]["blank"] is False and lines[0]["top_k"][0][0] == "7" and len(lines[0]["top_k"]) == 3
    assert lines[0]["rejected"] is False and lines[0]["none"] < 0.5
    assert lines[4]["rejected"] is True and lines[4]["none"] >= 0.5 and len(lines[4]["top_k"]) == 3, "a star"
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


def test_cli_read_prints_a_line_per_row_with_each_character_and_reports_bad_files(tmp_path: Path) -> None:
    number, blank, broken = tmp_path / "number.png", tmp_path / "blank.png", tmp_path / "broken.png"
    cv2.imwrite(str(number), 255 - row([DIGITS[c] for c in "2024"]))  # dark ink on white paper
    cv2.imwrite(str(blank), np.full((60, 300), 255, np.uint8))
    broken.write_bytes(b"GIF89a and then nothing")
    proc = run_cli("read", "--alphabet", "digits", str(number), str(blank), str(broken))
    assert proc.returncode == 2, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0]["text"] == "2024" and lines[0]["method"] == "sequence", "the most accurate for digits"
    assert [c["label"] for c in lines[0]["characters"]] == list("2024")
    assert all(len(c["box"]) == 4 and 0 < c["p"] <= 1 for c in lines[0]["characters"])
    assert lines[1]["text"] == "" and lines[1]["reason"]
    assert "error" in lines[2]
    for method in ("segment", "window", "multihead"):
        proc = run_cli("read", "--alphabet", "digits", "--method", method, str(number))
        assert proc.returncode == 0 and json.loads(proc.stdout)["method"] == method, proc.stderr
    proc = run_cli("read", "--alphabet", "runes", "--method", "multihead", str(number))
    assert proc.returncode == 2 and "use segment, window" in proc.stderr
