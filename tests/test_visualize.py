"""Pictures of what the network sees: colours, thumbnails, inline PNGs, heatmaps that fit, the confusion plot."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recognizer.metrics import evaluate_predictions
from recognizer.visualize import (
    VIRIDIS,
    colorbar,
    colorize,
    fit_cell,
    layer_view,
    layer_views,
    plot_confusion,
    png_data_url,
    thumbnail,
    to_display,
)


def decode(url: str) -> np.ndarray:
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    return cv2.imdecode(np.frombuffer(base64.b64decode(url[len(prefix) :]), np.uint8), cv2.IMREAD_UNCHANGED)


def test_png_data_urls_are_lossless() -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (9, 13, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (9, 13), dtype=np.uint8)
    assert np.array_equal(decode(png_data_url(rgb))[..., ::-1], rgb)
    assert np.array_equal(decode(png_data_url(grey)), grey)


@pytest.mark.parametrize(
    "step",
    [
        np.zeros((280, 280, 4), np.uint8),  # the canvas drawing, RGBA
        np.full((221, 21), 255, np.uint8),  # a tall crop
        np.ones((20, 3), np.float32),  # a float step
        np.zeros((28, 28), np.float32),  # the model input
    ],
)
def test_thumbnails_are_square_whatever_the_step(step: np.ndarray) -> None:
    thumb = thumbnail(step, 80)
    assert thumb.shape == (80, 80, 3) and thumb.dtype == np.uint8


def test_a_thumbnail_keeps_the_aspect_ratio_on_a_margin() -> None:
    thumb = thumbnail(np.full((100, 20), 255, np.uint8), 50, background=100)
    ink_columns = np.flatnonzero((thumb[..., 0] == 255).all(axis=0))
    assert len(ink_columns) == 10 and ink_columns[0] == 20  # 20 px wide scaled by 1/2, centred
    assert (thumb[:, :20] == 100).all() and (thumb[:, 30:] == 100).all()


def test_a_small_input_is_enlarged_with_square_pixels() -> None:
    checker = (np.indices((4, 4)).sum(axis=0) % 2 * 255).astype(np.uint8)
    thumb = thumbnail(checker, 40)
    assert np.array_equal(thumb[::10, ::10, 0], checker)
    assert np.array_equal(thumb[:, :, 0], np.kron(checker, np.ones((10, 10), np.uint8)))


def test_the_colour_bar_runs_from_low_to_high() -> None:
    bar = colorbar(256, 12)
    assert bar.shape == (12, 256, 3)
    assert np.array_equal(bar[0, 0], VIRIDIS[0]) and np.array_equal(bar[-1, -1], VIRIDIS[255])


@settings(max_examples=60, deadline=None)
@given(
    side=st.sampled_from([1, 3, 7, 14, 28]),
    maps=st.integers(1, 256),
    max_maps=st.one_of(st.none(), st.integers(1, 64)),
    width=st.integers(60, 800),
)
def test_feature_map_grids_fit_the_width(side: int, maps: int, max_maps: int | None, width: int) -> None:
    activation = np.random.default_rng(0).random((side, side, maps), np.float32)
    view = layer_view("conv", activation, max_maps, fit_cell(activation, width, max_maps))
    shown = maps if max_maps is None else min(maps, max_maps)
    cols = int(np.ceil(np.sqrt(shown)))
    assert view.image.shape[1] == cols * (side + 1) - 1, "one pixel per value, maps one pixel apart"
    assert view.size[0] <= max(width, cols * (side + 1))  # at least one screen pixel per value
    if cols * (side + 1) * 2 <= width:  # room to enlarge: it is enlarged to more than half the width
        assert view.size[0] > width / 2


@pytest.mark.parametrize("units", [10, 128, 1152])
def test_dense_layers_fit_the_width(units: int) -> None:
    activation = np.linspace(0, 1, units, dtype=np.float32)
    view = layer_view("dense", activation, cell=fit_cell(activation, 360))
    assert 180 < view.size[0] <= 360


def test_layer_views_with_a_width_keep_every_layer_in_order() -> None:
    acts = {"conv1": np.ones((28, 28, 32), np.float32), "dense": np.ones(128, np.float32), "output": np.ones(10)}
    views = layer_views(acts, max_maps=16, width=300)
    assert [v.name for v in views] == list(acts)
    assert all(v.size[0] <= 300 for v in views)
    assert views[0].shown == 16 and views[0].total == 32


def test_colorize_uses_one_scale_and_marks_padding() -> None:
    rgb = colorize(np.array([0.0, 5.0, 10.0, np.nan]), 0.0, 10.0)
    assert rgb.dtype == np.uint8 and rgb.shape == (4, 3)
    assert rgb[0].tolist() == VIRIDIS[0].tolist() and rgb[2].tolist() == VIRIDIS[255].tolist()
    assert rgb[3].tolist() == [40, 40, 40]
    assert colorize(np.ones(3), 1.0, 1.0).shape == (3, 3), "a constant layer does not divide by zero"


def test_to_display_handles_floats_and_transparency() -> None:
    assert to_display(np.full((4, 4), 0.5, np.float32)).tolist()[0][0] == 128
    rgba = np.zeros((2, 2, 4), np.uint8)
    assert to_display(rgba)[0, 0].tolist() == [128, 128, 128], "transparent shows as grey"


def test_conv_layer_becomes_a_grid_of_feature_maps() -> None:
    activation = np.random.default_rng(0).random((14, 14, 10)).astype(np.float32)
    view = layer_view("conv2", activation)
    assert view.kind == "maps" and view.shown == view.total == 10
    assert view.image.dtype == np.uint8 and view.image.ndim == 3 and view.image.shape[2] == 3
    assert view.title == "conv2 (14 x 14 x 10)"
    capped = layer_view("conv2", activation, max_maps=4)
    assert capped.shown == 4 and "first 4 of 10 maps" in capped.title


def test_dense_layer_is_padded_to_the_next_square() -> None:
    view = layer_view("dense", np.linspace(0, 1, 10, dtype=np.float32))
    assert view.kind == "units" and view.shape == (10,)
    side = view.image.shape[0]
    assert view.image.shape[:2] == (side, side)
    assert (view.image[-1, -1] == 40).all(), "padding cells are grey"


def test_layer_views_keep_the_order() -> None:
    acts = {"conv1": np.zeros((4, 4, 2)), "dense": np.zeros(5), "output": np.full(3, 1 / 3)}
    assert [v.name for v in layer_views(acts)] == ["conv1", "dense", "output"]


def test_the_confusion_matrix_is_a_png_written_where_asked(tmp_path) -> None:
    result = evaluate_predictions(np.array([0, 1, 2, 2]), np.array([0, 1, 2, 1]), ("a", "b", "c"))
    png = plot_confusion(result, "test", tmp_path / "cm.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "cm.png").read_bytes() == png


def test_cells_the_next_layer_never_reads_are_grey_and_out_of_the_scale() -> None:
    activation = np.zeros((7, 7, 1), np.float32)
    activation[3, 3] = 1.0
    activation[6, :] = activation[:, 6] = 50.0  # untrained edge: must not stretch the scale
    view = layer_view("conv", activation, cell=7, read=(6, 6))
    assert (view.low, view.high) == (0.0, 1.0)
    assert view.image[6, 0].tolist() == view.image[0, 6].tolist() == [40, 40, 40]
    assert view.image[3, 3].tolist() == VIRIDIS[255].tolist()
