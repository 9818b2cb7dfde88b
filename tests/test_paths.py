"""Model files are named in one place, and relative paths start at the repository."""

from __future__ import annotations

from pathlib import Path

from recognizer.paths import MODELS_DIR, ROOT, in_repo, model_file


def test_model_files_are_named_alphabet_underscore_model() -> None:
    assert model_file("digits", "cnn") == MODELS_DIR / "digits_cnn.keras"
    assert model_file("runes", "cnn", "/tmp/out") == Path("/tmp/out/runes_cnn.keras")


def test_relative_paths_resolve_against_the_repository_not_the_working_directory(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    assert in_repo("models") == ROOT / "models" == MODELS_DIR
    assert in_repo(tmp_path / "elsewhere") == tmp_path / "elsewhere"
