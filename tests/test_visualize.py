from __future__ import annotations

import numpy as np

from recognizer.visualize import VIRIDIS, colorize, layer_view, layer_views, to_display, upscale


def test_colorize_uses_one_scale_and_marks_padding() -> None:
    rgb = colorize(np.array([0.0, 5.0, 10.0, np.nan]), 0.0, 10.0)
    assert rgb.dtype == np.uint8 and rgb.shape == (4, 3)
    assert rgb[0].tolist() == VIRIDIS[0].tolist() and rgb[2].tolist() == VIRIDIS[255].tolist()
    assert rgb[3].tolist() == [40, 40, 40]
    assert colorize(np.ones(3), 1.0, 1.0).shape == (3, 3), "a constant layer does not divide by zero"


def test_upscale_shows_square_pixels() -> None:
    image = np.arange(4, dtype=np.uint8).reshape(2, 2)
    big = upscale(image, 3)
    assert big.shape == (6, 6) and (big[:3, :3] == 0).all() and (big[3:, 3:] == 3).all()


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
