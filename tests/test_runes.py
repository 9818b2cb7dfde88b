"""The rune templates and their clean drawings for the chart."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from recognizer.alphabets import ALPHABETS
from recognizer.runes import TEMPLATES, template_image

RUNES = ALPHABETS["runes"]


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
