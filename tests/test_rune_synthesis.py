"""Synthetic handwritten runes: template variations, and font renderings (always with the shipped font)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recognizer.alphabets import ALPHABETS
from recognizer.paths import DEFAULT_DATA_DIR, STATIC_DIR
from recognizer.runes import template_image
from recognizer.training.runes import font_has_glyph, render_font_glyph, sample_strokes

RUNES = ALPHABETS["runes"]
SHIPPED_FONT = STATIC_DIR / "NotoSansRunic-Regular.ttf"
"""The font the app serves: always there, so these tests always run."""
TRAINING_FONTS = [DEFAULT_DATA_DIR / "fonts" / f for f in ("JunicodeTwoBeta-Regular.otf", "JunicodeTwoBeta-Bold.otf")]
font_params = pytest.mark.parametrize(
    "font", [SHIPPED_FONT, *(f for f in TRAINING_FONTS if f.is_file())], ids=lambda f: f.name
)


def _name(label: str) -> str:
    return RUNES.names[RUNES.index(label)]


# ------------------------------------------------------------ sample_strokes


def test_sample_strokes_is_deterministic_per_seed() -> None:
    for label in RUNES.labels:
        a = sample_strokes(label, np.random.default_rng(7))
        b = sample_strokes(label, np.random.default_rng(7))
        assert len(a) == len(b)
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_sample_strokes_differ_across_seeds() -> None:
    for label in RUNES.labels:
        a = sample_strokes(label, np.random.default_rng(1))
        b = sample_strokes(label, np.random.default_rng(2))
        same = len(a) == len(b) and all(x.shape == y.shape and np.allclose(x, y) for x, y in zip(a, b, strict=True))
        assert not same, _name(label)


def test_sample_strokes_are_finite_float32_near_the_unit_box() -> None:
    rng = np.random.default_rng(0)
    for label in RUNES.labels:
        for _ in range(20):
            strokes = sample_strokes(label, rng)
            assert strokes, _name(label)
            for s in strokes:
                assert s.dtype == np.float32 and s.ndim == 2 and s.shape[1] == 2 and len(s) >= 2
                assert np.all(np.isfinite(s))
                assert np.all((s > -0.5) & (s < 1.5)), _name(label)


def test_unknown_label_is_rejected() -> None:
    for bad in ("A", "ᛋ", ""):
        with pytest.raises(ValueError, match="Elder Futhark"):
            sample_strokes(bad, np.random.default_rng(0))
        with pytest.raises(ValueError, match="Elder Futhark"):
            template_image(bad)


# ---------------------------------------------------------------------- fonts


@font_params
def test_every_rune_renders_from_the_font(font: Path) -> None:
    rng = np.random.default_rng(0)
    for label in RUNES.labels:
        image = render_font_glyph(label, font, 48, rng)
        assert image.shape == (48, 48) and image.dtype == np.uint8
        assert image.max() > 200, f"{_name(label)} blank in {font.name}"
        rows = np.flatnonzero(image.any(axis=1))
        height = rows[-1] - rows[0] + 1
        assert 0.4 * 48 <= height <= 0.85 * 48, f"{_name(label)} in {font.name}: ink height {height}"


@font_params
def test_render_font_glyph_is_deterministic_and_accepts_str_paths(font: Path) -> None:
    label = RUNES.labels[0]
    a = render_font_glyph(label, str(font), 40, np.random.default_rng(3))
    b = render_font_glyph(label, font, 40, np.random.default_rng(3))
    assert np.array_equal(a, b)


@font_params
def test_render_font_glyph_rejects_non_runes(font: Path) -> None:
    with pytest.raises(ValueError, match="Elder Futhark"):
        render_font_glyph("A", font, 32, np.random.default_rng(0))


@font_params
def test_font_has_glyph(font: Path) -> None:
    assert all(font_has_glyph(font, label) for label in RUNES.labels)
    assert not font_has_glyph(font, "\U0010fffd")  # unmapped: the .notdef box
    assert not font_has_glyph(font, " ")  # blank


def test_font_without_latin_lacks_latin_glyphs() -> None:
    assert not font_has_glyph(SHIPPED_FONT, "A")
