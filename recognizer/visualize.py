"""Pictures of what the network sees: preprocessing steps and activation heatmaps as RGB images.

Everything a drawing needs returns uint8 RGB arrays built with numpy only (no
matplotlib figure per drawing), so a stroke redraws in milliseconds. The one
matplotlib figure, :func:`plot_confusion`, is drawn once per model.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .metrics import Evaluation

__all__ = [
    "VIRIDIS",
    "LayerView",
    "boxes",
    "colorbar",
    "colorize",
    "fit_cell",
    "layer_view",
    "layer_views",
    "overlay",
    "plot_confusion",
    "png_data_url",
    "thumbnail",
    "to_display",
]


def _viridis() -> np.ndarray:
    from matplotlib import colormaps

    return (colormaps["viridis"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


VIRIDIS = _viridis()
"""(256, 3) uint8 lookup table of the viridis colour map."""


def colorize(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map values to viridis colours on the scale [low, high].

    Parameters
    ----------
    values : np.ndarray
        float array of any shape S.

    Returns
    -------
    np.ndarray
        uint8 of shape S + (3,). NaN cells (padding) are drawn dark grey.
    """
    span = high - low if high > low else 1.0
    scaled = np.nan_to_num((values - low) / span, nan=0.0)
    rgb = VIRIDIS[np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8)]
    rgb[np.isnan(values)] = 40
    return rgb


def to_display(step: np.ndarray) -> np.ndarray:
    """A preprocessing step as an image ``st.image`` shows as is.

    Parameters
    ----------
    step : np.ndarray
        uint8 (any range) or float in [0, 1]; HxW, HxWx3 or HxWx4.

    Returns
    -------
    np.ndarray
        uint8 with the same shape; RGBA is composited onto grey so transparent ink shows.
    """
    image = np.clip(np.rint(step * 255), 0, 255).astype(np.uint8) if step.dtype != np.uint8 else step
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3:].astype(np.float32) / 255.0
        image = np.rint(image[..., :3] * alpha + 128 * (1 - alpha)).astype(np.uint8)
    return image


def thumbnail(step: np.ndarray, size: int = 96, background: int | None = 128) -> np.ndarray:
    """Fit a preprocessing step into a square, so steps of any shape line up in a row.

    Parameters
    ----------
    step : np.ndarray
        Anything :func:`to_display` accepts.
    size : int
        Side of the square thumbnail in pixels.
    background : int or None
        Grey level of the margin around a step that is not square (mid grey: neither ink nor background);
        None: no margin, the scaled step alone (long side ``size``).

    Returns
    -------
    np.ndarray
        uint8 (size, size, 3) RGB: the step scaled to fit (nearest neighbour, so
        enlarged pixels stay visible), centred on the margin colour.
    """
    image = to_display(step)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    h, w = image.shape[:2]
    scale = size / max(h, w)
    out_h, out_w = max(1, round(h * scale)), max(1, round(w * scale))
    rows = np.minimum((np.arange(out_h) + 0.5) * h / out_h, h - 1).astype(np.intp)
    cols = np.minimum((np.arange(out_w) + 0.5) * w / out_w, w - 1).astype(np.intp)
    if background is None:
        return image[rows][:, cols]
    out = np.full((size, size, 3), background, np.uint8)
    top, left = (size - out_h) // 2, (size - out_w) // 2
    out[top : top + out_h, left : left + out_w] = image[rows][:, cols]
    return out


EVIDENCE_FOR = np.array([230, 50, 40], np.float32)
EVIDENCE_AGAINST = np.array([40, 110, 230], np.float32)


def overlay(canonical: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """A saliency map laid over the model input: red where a class gains from the ink, blue where it loses.

    Parameters
    ----------
    canonical : np.ndarray
        (H, W) float in [0, 1], the model input (light ink on dark), drawn in grey.
    heat : np.ndarray
        (H, W) float: positive evidence for, negative against; scaled to its largest magnitude.

    Returns
    -------
    np.ndarray
        uint8 (H, W, 3) RGB.

    Examples
    --------
    >>> out = overlay(np.zeros((2, 2)), np.array([[1.0, 0.0], [-1.0, 0.5]]))
    >>> out[0, 0].tolist(), out[0, 1].tolist(), out[1, 0].tolist()
    ([230, 50, 40], [30, 30, 30], [40, 110, 230])
    """
    peak = float(np.abs(heat).max())
    scaled = np.asarray(heat, np.float32) / peak if peak > 0 else np.zeros_like(heat, np.float32)
    base = (30 + 150 * np.asarray(canonical, np.float32))[..., None].repeat(3, axis=2)
    colour = np.where(scaled[..., None] >= 0, EVIDENCE_FOR, EVIDENCE_AGAINST)
    alpha = np.abs(scaled)[..., None]
    return np.clip(np.rint(base * (1 - alpha) + colour * alpha), 0, 255).astype(np.uint8)


def boxes(image: np.ndarray, found: list[tuple[int, int, int, int]], width: int = 480) -> np.ndarray:
    """A drawing shrunk to ``width`` pixels with a numbered box around each character found.

    Parameters
    ----------
    image : np.ndarray
        Anything :func:`to_display` accepts (the canvas's RGBA drawing, a photo).
    found : list of (x0, y0, x1, y1)
        Boxes in the image's pixels, x1 and y1 exclusive.
    width : int
        Width of the picture; smaller images keep their size.

    Returns
    -------
    np.ndarray
        uint8 (H, W, 3) RGB.

    >>> boxes(np.zeros((50, 100), np.uint8), [(10, 10, 40, 40)]).shape
    (50, 100, 3)
    """
    picture = to_display(image)
    if picture.ndim == 2:
        picture = np.repeat(picture[..., None], 3, axis=2)
    scale = min(1.0, width / picture.shape[1])
    picture = (
        cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else picture.copy()
    )
    for n, (x0, y0, x1, y1) in enumerate(found, start=1):
        corner = (round(x0 * scale), round(y0 * scale))
        cv2.rectangle(picture, corner, (round(x1 * scale) - 1, round(y1 * scale) - 1), (232, 135, 30), 2)
        cv2.putText(picture, str(n), (corner[0] + 3, corner[1] + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (232, 135, 30), 1)
    return np.ascontiguousarray(picture)


def colorbar(width: int = 256, height: int = 12) -> np.ndarray:
    """The viridis scale as a horizontal strip, low on the left: uint8 (height, width, 3) RGB, for a legend."""
    return np.repeat(colorize(np.linspace(0.0, 1.0, width)[None, :], 0.0, 1.0), height, axis=0)


def png_data_url(image: np.ndarray) -> str:
    """Encode an image as a ``data:image/png;base64,...`` URL, to inline it in HTML without a request.

    Parameters
    ----------
    image : np.ndarray
        uint8, HxW (grey) or HxWx3 (RGB).

    Returns
    -------
    str
        The data URL of a losslessly compressed PNG (fast compression level).
    """
    pixels = image[:, :, ::-1] if image.ndim == 3 else image  # OpenCV writes BGR
    options = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]  # fastest here
    ok, png = cv2.imencode(".png", np.ascontiguousarray(pixels), options)
    if not ok:
        raise ValueError(f"cannot encode an image of shape {image.shape} and dtype {image.dtype} as PNG")
    return "data:image/png;base64," + base64.b64encode(png.tobytes()).decode("ascii")


@dataclass(frozen=True)
class LayerView:
    """One layer's activations as a picture.

    Attributes
    ----------
    name : str
        Layer name.
    shape : tuple of int
        The layer's output shape (without the batch axis).
    image : np.ndarray
        uint8 RGB heatmap at one pixel per value (maps one pixel apart).
    scale : int
        Screen pixels per image pixel: the browser enlarges the image (sharp, with
        ``image-rendering: pixelated``), so it stays small to encode and to send.
    low, high : float
        The colour scale's range (one scale for the whole layer).
    shown, total : int
        Feature maps (or units) shown and in the layer.
    kind : str
        ``"maps"`` (a grid of feature maps) or ``"units"`` (a vector padded to a square).
    """

    name: str
    shape: tuple[int, ...]
    image: np.ndarray
    scale: int
    low: float
    high: float
    shown: int
    total: int
    kind: str

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) on screen, in pixels."""
        return self.image.shape[1] * self.scale, self.image.shape[0] * self.scale

    @property
    def title(self) -> str:
        dims = " x ".join(str(d) for d in self.shape)
        more = f", first {self.shown} of {self.total} maps" if self.shown < self.total else ""
        return f"{self.name} ({dims}{more})"


def _grid_side(count: int) -> int:
    return math.ceil(math.sqrt(count))


def fit_cell(activation: np.ndarray, width: int, max_maps: int | None = None) -> int:
    """The ``cell`` for :func:`layer_view` that makes the heatmap as large as fits into ``width`` pixels.

    Parameters
    ----------
    activation : np.ndarray
        float (H, W, C) or (N,), as for :func:`layer_view`.
    width : int
        Largest width of the heatmap in pixels.
    max_maps : int, optional
        As for :func:`layer_view`.

    Returns
    -------
    int
        A cell size; the heatmap is at most ``width`` wide (at least one pixel per value).
    """
    if activation.ndim == 3:
        shown = activation.shape[2] if max_maps is None else min(activation.shape[2], max_maps)
        return width // _grid_side(shown)
    return width // 4


def layer_view(
    name: str,
    activation: np.ndarray,
    max_maps: int | None = None,
    cell: int = 56,
    read: tuple[int, int] | None = None,
) -> LayerView:
    """Render one layer's output as a heatmap.

    Parameters
    ----------
    name : str
        Layer name.
    activation : np.ndarray
        float (H, W, C) for convolution and pooling layers, (N,) for dense layers.
    max_maps : int, optional
        Show at most this many feature maps (all by default).
    cell : int
        Target screen size in pixels of one feature map and the gap after it
        (maps are enlarged by an integer factor, at least 1).
    read : (int, int), optional
        For maps: the rows and columns the next layer reads (see
        :attr:`recognizer.layers.LayerInfo.read`); the others are drawn grey
        and left out of the colour scale.

    Returns
    -------
    LayerView
        Feature maps as a grid with a gap between them, or units padded to the
        next square (padding grey); one colour scale for the whole layer.
    """
    if read is not None and activation.ndim == 3:
        activation = activation.astype(np.float32, copy=True)
        activation[read[0] :] = activation[:, read[1] :] = np.nan
    low, high = float(np.nanmin(activation)), float(np.nanmax(activation))
    if activation.ndim == 3:
        h, w, total = activation.shape
        shown = total if max_maps is None else min(total, max_maps)
        cols = _grid_side(shown)
        rows = math.ceil(shown / cols)
        canvas = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1, 3), 255, np.uint8)
        maps = colorize(activation[..., :shown], low, high)
        for k in range(shown):
            r, c = divmod(k, cols)
            canvas[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = maps[:, :, k]
        factor = max(1, cols * cell // max(canvas.shape[:2]))
        return LayerView(name, activation.shape, canvas, factor, low, high, shown, total, "maps")
    flat = activation.ravel().astype(np.float32)
    side = _grid_side(flat.size)
    padded = np.full(side * side, np.nan, np.float32)
    padded[: flat.size] = flat
    factor = max(1, (cell * 4) // side)
    image = colorize(padded.reshape(side, side), low, high)
    return LayerView(name, activation.shape, image, factor, low, high, flat.size, flat.size, "units")


def layer_views(
    activations: dict[str, np.ndarray],
    max_maps: int | None = None,
    width: int | None = None,
    read: dict[str, tuple[int, int]] | None = None,
) -> list[LayerView]:
    """:func:`layer_view` for every layer, in order; with ``width``, each as large as fits (see :func:`fit_cell`).

    ``read`` gives, by layer name, the rows and columns of its maps that the next layer reads.
    """
    read = read or {}
    return [
        layer_view(name, act, max_maps, 56 if width is None else fit_cell(act, width, max_maps), read.get(name))
        for name, act in activations.items()
    ]


def plot_confusion(
    evaluation: Evaluation,
    title: str,
    path: str | Path | None = None,
    tick_labels: tuple[str, ...] | None = None,
) -> bytes:
    """Draw the confusion matrix (row-normalised colours, counts written in) as a PNG.

    Parameters
    ----------
    evaluation : Evaluation
        What to draw.
    title : str
        Shown above the matrix with the accuracy.
    path : str or Path, optional
        Also write the PNG there.
    tick_labels : tuple of str, optional
        Names for the axes instead of the labels (runes are drawn by name: the
        plotting font has no rune glyphs).

    Returns
    -------
    bytes
        The PNG file.
    """
    from matplotlib.figure import Figure  # no pyplot: no global figures to leak in a long-running app

    matrix = evaluation.matrix
    ticks = tick_labels or evaluation.labels
    n = len(ticks)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    side = max(5.0, 0.32 * n + 2)
    fig = Figure(figsize=(side, side * 0.9), dpi=100, layout="tight")
    ax = fig.add_subplot()
    image = ax.imshow(rates, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(n), ticks, rotation=90 if max(map(len, ticks)) > 2 else 0)
    ax.set_yticks(range(n), ticks)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    # Two short lines: one long line is cut at the figure's edges on small matrices.
    ax.set_title(f"{title}\naccuracy {evaluation.accuracy:.2%} on {evaluation.samples} samples", fontsize=10)
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            color = "black" if rates[i, j] > 0.5 else "white"
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7 if n > 12 else 9, color=color)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of the true class")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(png)
    return png
