"""Tests of the rune templates, synthetic strokes and font rendering."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from recognizer.alphabets import ALPHABETS
from recognizer.runes import TEMPLATES, font_has_glyph, render_font_glyph, sample_strokes, template_image

RUNES = ALPHABETS["runes"]
FONT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fonts"
FONT_FILES = ("NotoSansRunic-Regular.ttf", "JunicodeTwoBeta-Regular.otf", "JunicodeTwoBeta-Bold.otf")
FONTS = [FONT_DIR / name for name in FONT_FILES if (FONT_DIR / name).is_file()]
font_params = pytest.mark.parametrize(
    "font",
    [pytest.param(f, id=f.name) for f in FONTS]
    or [pytest.param(None, marks=pytest.mark.skip(reason=f"no rune fonts found in {FONT_DIR}"))],
)


def _name(label: str) -> str:
    return RUNES.names[RUNES.index(label)]


# ------------------------------------------------------------------ templates


def test_templates_cover_the_alphabet() -> None:
    assert list(TEMPLATES) == list(RUNES.labels)
    for label, variants in TEMPLATES.items():
        assert len(variants) >= 1, _name(label)


@pytest.mark.parametrize("name", ["sowilo", "jera", "ingwaz", "eihwaz", "hagalaz", "kaunan"])
def test_varying_runes_have_several_variants(name: str) -> None:
    label = RUNES.labels[RUNES.names.index(name)]
    assert len(TEMPLATES[label]) >= 2


def test_template_strokes_are_unit_box_polylines() -> None:
    for label, variants in TEMPLATES.items():
        for variant in variants:
            assert len(variant) >= 1, _name(label)
            for stroke in variant:
                assert stroke.dtype == np.float32
                assert stroke.ndim == 2 and stroke.shape[1] == 2 and stroke.shape[0] >= 2, _name(label)
                assert np.all((stroke >= 0.0) & (stroke <= 1.0)), _name(label)


def test_template_images_are_nonblank_and_distinct() -> None:
    images = {label: template_image(label) for label in RUNES.labels}
    for label, image in images.items():
        assert image.shape == (64, 64) and image.dtype == np.uint8
        assert image.max() == 255, _name(label)
    small = {
        k: cv2.resize(v, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float64) / 255 for k, v in images.items()
    }
    dist, a, b = min((np.linalg.norm(small[a] - small[b]), a, b) for a, b in itertools.combinations(small, 2))
    assert dist > 1.0, f"{_name(a)} and {_name(b)} look alike (L2 {dist:.2f})"


def test_template_image_size_and_width() -> None:
    label = RUNES.labels[0]
    thin, thick = template_image(label, size=32, width=1.0), template_image(label, size=32, width=4.0)
    assert thin.shape == thick.shape == (32, 32)
    assert thick.astype(int).sum() > thin.astype(int).sum()


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
    noto = FONT_DIR / "NotoSansRunic-Regular.ttf"
    if not noto.is_file():
        pytest.skip(f"{noto} not found")
    assert not font_has_glyph(noto, "A")
