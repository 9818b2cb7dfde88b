"""Pure builders of the pages' inline HTML: pictures, bars, the preprocessing strip and layer cards.

Strings in, strings out, no Streamlit, so each is unit-tested on its own. The
pictures are PNG data URLs inside the HTML: one message to the browser and no
image requests, so a stroke shows in a blink. The classes are styled by
``style.css`` beside this file.
"""

from __future__ import annotations

import base64
import math
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from recognizer.alphabets import Alphabet
from recognizer.card import NONE_OF_THESE, ModelCard, validation_title
from recognizer.convention import MNIST, Convention
from recognizer.layers import LayerInfo
from recognizer.preprocess import DESCRIPTIONS, Step
from recognizer.runes import template_image
from recognizer.visualize import boxes, colorbar, layer_views, overlay, png_data_url, thumbnail, to_display

__all__ = [
    "HEATMAP_WIDTH",
    "MAX_MAPS",
    "STYLE",
    "amount",
    "chart_cards",
    "confusion_table",
    "count_bars",
    "drawings_gallery",
    "epoch_table",
    "has_hidden_maps",
    "img",
    "layer_cards",
    "legend",
    "mistakes_gallery",
    "model_note",
    "percent",
    "place_by_place",
    "position_table",
    "probability_bars",
    "reading_card",
    "saliency_cards",
    "steps_strip",
    "sweep_chart",
    "sweeps_grid",
    "training_summary",
    "variants_strip",
]

STYLE = Path(__file__).with_name("style.css")
MAX_MAPS = 32
"""Feature maps shown per layer unless all are asked for."""
HEATMAP_WIDTH = 360
"""Pixels: three layers side by side on a 1280 px wide screen."""
THUMB = 80
MODEL_INPUT_ZOOM = 5
LINE_COLOURS = ("#6c4ed9", "#e8871e", "#1f9e89", "#d6336c", "#5c7cfa", "#a0522d")
"""Sweep plot lines, one per class in order; "none of these" is dashed grey."""
FLIP = "#d6336c"


def svg_data_url(svg: str) -> str:
    """An SVG document as a ``data:`` URL for an ``<img>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def percent(p: float) -> str:
    """A probability as the page writes it everywhere: one decimal, rounded down, so never "100%" unless certain.

    >>> percent(0.99996), percent(0.5), percent(1.0)
    ('99.9%', '50.0%', '100.0%')
    """
    return f"{math.floor(p * 1000 + 1e-9) / 10:.1f}%"


def place_by_place(groups: dict[str, dict], key: str) -> str:
    """One figure of a card's ``by_group``, place by place.

    >>> place_by_place({"art": {"rate": 0.0176, "samples": 170}, "ced": {"rate": 0.0022, "samples": 1368}}, "rate")
    'art 1.7% of 170, ced 0.2% of 1,368'
    """
    return ", ".join(f"{group} {percent(f[key])} of {f['samples']:,}" for group, f in groups.items())


def amount(n: int, noun: str) -> str:
    """A count and its noun, singular or plural: ``amount(1, "writer") == "1 writer"``.

    >>> amount(0, "drawing"), amount(1, "writer"), amount(1200, "drawing")
    ('0 drawings', '1 writer', '1,200 drawings')
    """
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def training_summary(card: ModelCard) -> str:
    """How a model trained here was trained, in a sentence, from its card.

    >>> card = ModelCard("m", "digits", ("0",), training={"seconds": 59.4}, training_data={
    ...     "collected": {"train_drawings": 80, "renders_per_drawing": 60}, "train_samples": 4800})
    >>> training_summary(card)
    'Trained in 59 s on 80 of your drawings, each drawn 60 ways.'
    """
    collected, samples = card.training_data.get("collected", {}), card.training_data.get("train_samples", 0)
    drawings, renders = collected.get("train_drawings", 0), collected.get("renders_per_drawing", 0)
    mixed = (
        f", mixed into {samples - drawings * renders:,} of its own training samples"
        if samples > drawings * renders
        else ""
    )
    seconds = card.training.get("seconds", 0)
    return f"Trained in {seconds:.0f} s on {drawings:,} of your drawings, each drawn {renders} ways{mixed}."


def img(image: np.ndarray, alt: str, scale: int = 1) -> str:
    """An inline ``<img>`` (no extra request), ``scale`` screen pixels per image pixel, smaller on a narrow screen."""
    h, w = image.shape[:2]
    return f'<img src="{png_data_url(image)}" width="{w * scale}" height="{h * scale}" alt="{escape(alt)}">'


def chart_cards(alphabet: Alphabet) -> str:
    """Every label's canonical drawing with its glyph, name and transliteration, in alphabet order."""
    cards = [
        f"<figure>{img(thumbnail(template_image(g, 56, 4.0), 56), n)}"
        f"<figcaption><strong>{escape(g)} {escape(n)}</strong><br>{escape(t)}</figcaption></figure>"
        for g, n, t in zip(alphabet.labels, alphabet.names, alphabet.transliterations, strict=True)
    ]
    return f'<div class="hl hl-runes">{"".join(cards)}</div>'


def probability_bars(alphabet: Alphabet, top_k: list[tuple[str, float]]) -> str:
    """The top candidates as labelled horizontal bars with their percentages."""
    rows = []
    for rank, (label, p) in enumerate(top_k):
        first = ' class="hl-first"' if rank == 0 else ""
        rows.append(
            f"<span{first}>{escape(alphabet.describe(label))}</span>"
            f'<div class="hl-track"><div class="hl-fill" style="width: {100 * p:.1f}%"></div></div>'
            f'<span class="hl-pct"{first}>{percent(p)}</span>'
        )
    return f'<div class="hl hl-bars" role="table" aria-label="Top 3">{"".join(rows)}</div>'


def count_bars(counts: dict[str, int], mine: dict[str, int], needed: int) -> str:
    """Drawings per label as bars, with the writer's own share; labels still short of ``needed`` in orange.

    >>> "3 · 1 yours" in count_bars({"a": 3, "b": 0}, {"a": 1, "b": 0}, 5)
    True
    """
    most = max([*counts.values(), needed, 1])
    rows = []
    for label, n in counts.items():
        short = " hl-short" if n < needed else ""
        rows.append(
            f"<span>{escape(label)}</span>"
            f'<div class="hl-track"><div class="hl-fill{short}" style="width: {100 * n / most:.1f}%"></div></div>'
            f'<span class="hl-pct">{n}{f" · {mine[label]} yours" if mine.get(label) else ""}</span>'
        )
    return f'<div class="hl hl-bars hl-counts" role="table" aria-label="Drawings per label">{"".join(rows)}</div>'


def drawings_gallery(drawings: list) -> str:
    """Saved drawings (:class:`recognizer.drawings.Drawing`) as small pictures with their label and writer."""
    cards = [
        f'<figure><img src="data:image/png;base64,{base64.b64encode(d.png).decode()}" width="{THUMB}"'
        f' height="{THUMB}" alt="{escape(d.label)}"><figcaption><strong>{escape(d.label)}</strong>'
        f" {escape(d.writer)}</figcaption></figure>"
        for d in drawings
    ]
    return f'<div class="hl hl-gallery">{"".join(cards)}</div>'


def epoch_table(epochs: list[dict]) -> pd.DataFrame:
    """A training's log (one record per epoch) as the live chart's table: loss, and accuracy on the training and
    on the held-out drawings, by epoch.

    >>> epoch_table([{"epoch": 1, "loss": 0.5, "accuracy": 0.8, "val_accuracy": 0.7}]).columns.tolist()
    ['loss', 'training accuracy', 'held-out accuracy']
    """
    names = {"loss": "loss", "accuracy": "training accuracy", "val_accuracy": "held-out accuracy"}
    table = pd.DataFrame(epochs).set_index("epoch")
    return table[[k for k in names if k in table]].rename(columns=names)


def steps_strip(steps: dict[Step, np.ndarray], heading: str = "", convention: Convention = MNIST) -> str:
    """Every preprocessing step side by side as thumbnails, ending with the 28 x 28 model input, large.

    Steps of a blank image end where nothing was found; they are all thumbnails.
    ``heading`` (HTML) goes above them, in the same block: one element less to send and lay out.
    A model with another input ``convention`` gets one more picture: its input as it gets it.
    """
    figures = []
    for step, image in steps.items():
        if step == Step.MODEL_INPUT:
            big = img(thumbnail(image, 28), step, MODEL_INPUT_ZOOM)
            figures.append(f"<figure>{big}<figcaption>{step}, 28 x 28</figcaption></figure>")
            if convention != MNIST:
                seen = convention.to_image(convention.apply(image))
                side = convention.side
                picture = img(thumbnail(seen, side), "this model's input", max(1, 140 // side))
                figures.append(
                    f"<figure>{picture}<figcaption>as this model gets it, {side} x {side}</figcaption></figure>"
                )
        else:
            small = thumbnail(image, THUMB, background=None)  # no grey bars around a step that is not square
            figures.append(f"<figure>{img(small, step)}<figcaption>{step}</figcaption></figure>")
    explained = "".join(f"<li><strong>{step}</strong>: {DESCRIPTIONS[step]}</li>" for step in steps)
    details = f'<details class="hl-note"><summary>What each step does</summary><ul>{explained}</ul></details>'
    return f'<div class="hl">{heading}<div class="hl-strip">{"".join(figures)}</div>{details}</div>'


def output_columns(alphabet: Alphabet, probabilities: np.ndarray, names: tuple[str, ...] | None = None) -> str:
    """The output layer: one column per output, its height the probability.

    ``names``: what each output stands for (:meth:`ModelCard.output_names`); default the alphabet's labels.
    "None of these" gets a column marked ∅.
    """
    cols = []
    for name, p in zip(names or alphabet.labels, probabilities.tolist(), strict=True):
        title = alphabet.describe(name) if name in alphabet.labels else name
        mark = "∅" if name == NONE_OF_THESE else name
        cols.append(
            f'<div class="hl-col" title="{escape(title)}: {percent(p)}">'
            f'<div style="height: {100 * p:.1f}%"></div><span>{escape(mark)}</span></div>'
        )
    return f'<div class="hl-cols">{"".join(cols)}</div>'


def layer_cards(
    layers: list[LayerInfo],
    activations: dict[str, np.ndarray],
    alphabet: Alphabet,
    show_all: bool = False,
    card: ModelCard | None = None,
) -> str:
    """Every layer: title with output shape, what it does, and its heatmap (the output layer: class columns).

    Parameters
    ----------
    layers : list of LayerInfo
        The recognizer's layers, in order.
    activations : dict of str to np.ndarray
        Each layer's activation by name (``Result.activations``).
    alphabet : Alphabet
        Labels of the output layer's columns.
    show_all : bool
        Every feature map of each layer, not only the first :data:`MAX_MAPS`.
    card : ModelCard, optional
        What the model's outputs stand for (labels, "none of these") and whether they are logits.
    """
    read = {info.name: info.read for info in layers if info.read}
    views = layer_views(activations, max_maps=None if show_all else MAX_MAPS, width=HEATMAP_WIDTH, read=read)
    cards = []
    for info, view in zip(layers, views, strict=True):
        head = f'<strong>{escape(view.title)}</strong><p class="hl-note">{info.description}</p>'
        if info.kind == "output":
            raw = activations[info.name]
            body = (
                output_columns(alphabet, card.output_probabilities(raw), card.output_names())
                if card
                else output_columns(alphabet, raw)
            )
        else:
            body = (
                f"{img(view.image, view.title, view.scale)}"
                f'<p class="hl-note">colour scale {view.low:.2f} to {view.high:.2f}</p>'
            )
            if info.read:
                body += (
                    '<p class="hl-note">Grey: the edge that the pooling after this layer never reads'
                    f" ({info.shape[0]} x {info.shape[1]} does not divide into its windows), so training never"
                    " shaped it.</p>"
                )
        cards.append(f"<section>{head}{body}</section>")
    return f'<div class="hl hl-layers">{"".join(cards)}</div>'


def variants_strip(
    variants: list,
    probabilities: np.ndarray,
    alphabet: Alphabet,
    convention: Convention,
    rejected: np.ndarray | None = None,
) -> str:
    """Each variant as the model gets it (its own polarity, range and size), what the model says, and why.

    Parameters
    ----------
    variants : list of recognizer.variants.Variant
        The full pipeline first.
    probabilities : np.ndarray
        (len(variants), num_classes) label probabilities, one row per variant.
    rejected : np.ndarray, optional
        (len(variants),) bool: where the model says "none of these".
    """
    figures = []
    rejected = np.zeros(len(variants), bool) if rejected is None else rejected
    for variant, p, none in zip(variants, probabilities, rejected, strict=True):
        best = int(np.argmax(p))
        seen = thumbnail(convention.to_image(variant.model_input), convention.side)
        said = f"<strong>{escape(alphabet.describe(alphabet.labels[best]))}</strong> · {percent(float(p[best]))}"
        if none:
            said = f"<strong>{NONE_OF_THESE}</strong> (closest {escape(alphabet.labels[best])})"
        figures.append(
            f"<figure>{img(seen, variant.name, max(1, 112 // convention.side))}"
            f"<figcaption><strong>{escape(variant.name)}</strong><br>says {said}<br>{escape(variant.explanation)}"
            "</figcaption></figure>"
        )
    return f'<div class="hl hl-variants">{"".join(figures)}</div>'


def _vertical(x: float, y0: float, y1: float, colour: str, dash: str) -> str:
    return f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" stroke="{colour}" stroke-dasharray="{dash}" />'


def sweep_chart(sweep, alphabet: Alphabet, width: int = 260, height: int = 150) -> str:
    """One robustness sweep as a plot: each class's probability against the amount, flips marked in red.

    The plot is an SVG picture in an ``<img>`` (inline ``<svg>`` does not survive ``st.html``),
    so its styles are its own: grey text that reads on a light and a dark theme.

    Parameters
    ----------
    sweep : recognizer.explain.Sweep
        Amounts, the probability lines and where the prediction flips.

    Returns
    -------
    str
        A ``<figure>`` with the plot, a legend and what happens where.
    """
    left, right, top, bottom = 30, 8, 20, 22
    x0, x1 = float(sweep.amounts[0]), float(sweep.amounts[-1])
    here = float(sweep.amounts[sweep.reference])

    def x(a: float) -> float:
        return left + (a - x0) / (x1 - x0 or 1) * (width - left - right)

    def y(p: float) -> float:
        return top + (1 - p) * (height - top - bottom)

    def name(label: str) -> str:
        return NONE_OF_THESE if label == NONE_OF_THESE else escape(alphabet.describe(label))

    parts = [
        f'<line x1="{left}" x2="{width - right}" y1="{y(p):.1f}" y2="{y(p):.1f}" stroke="#8888" />'
        f'<text x="{left - 4}" y="{y(p) + 3:.1f}" text-anchor="end">{p:g}</text>'
        for p in (0, 0.5, 1)
    ]
    parts += [f'<text x="{x(a):.1f}" y="{height - 6}" text-anchor="middle">{a:g}</text>' for a in {x0, here, x1}]
    parts.append(_vertical(x(here), top, height - bottom, "#888b", "2 2"))
    keys = []
    for k, (label, values) in enumerate(sweep.lines.items()):
        colour = "#8a8a8a" if label == NONE_OF_THESE else LINE_COLOURS[k % len(LINE_COLOURS)]
        points = " ".join(f"{x(float(a)):.1f},{y(float(v)):.1f}" for a, v in zip(sweep.amounts, values, strict=True))
        dash = ' stroke-dasharray="4 3"' if label == NONE_OF_THESE else ""
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash} />')
        keys.append(f'<span><i style="background: {colour}"></i>{name(label)}</span>')
    for a, label in sweep.flips:
        parts.append(_vertical(x(a), top - 6, height - bottom, FLIP, "3 2"))
        parts.append(f'<text x="{x(a):.1f}" y="{top - 9}" text-anchor="middle" fill="{FLIP}">{name(label)}</text>')
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" font-family="sans-serif"'
        f' font-size="10" fill="#888">{"".join(parts)}</svg>'
    )
    said = name(sweep.predicted[sweep.reference])
    flips = ", ".join(f"to {name(label)} at {a:g}" for a, label in sweep.flips)
    story = f"{said} flips {flips}" if flips else f"{said} all the way"
    return (
        f'<figure class="hl-sweep"><figcaption><strong>{escape(sweep.name)}</strong> · {escape(sweep.unit)}'
        f'</figcaption><img src="{svg_data_url(svg)}" alt="{escape(sweep.name)}: {story}"'
        f' width="{width}" height="{height}"><div class="hl-keys">{"".join(keys)}</div>'
        f'<p class="hl-note">{story}</p></figure>'
    )


def sweeps_grid(sweeps: list, alphabet: Alphabet) -> str:
    """Every robustness sweep's chart in a grid (three across on a desktop, one on a phone)."""
    return f'<div class="hl hl-sweeps">{"".join(sweep_chart(s, alphabet) for s in sweeps)}</div>'


def saliency_cards(saliency: list, canonical: np.ndarray, alphabet: Alphabet) -> str:
    """For each of the top classes: its occlusion map and its Grad-CAM map over the model input, side by side.

    Parameters
    ----------
    saliency : list of recognizer.explain.Saliency
        The top classes, most likely first.
    canonical : np.ndarray
        (28, 28) float32 in [0, 1], the model input.
    """
    scale = 4
    cards = []
    for item in saliency:
        maps = [("occlusion", item.occlusion), ("Grad-CAM", item.grad_cam)]
        figures = "".join(
            "<figure>"
            + (
                img(overlay(canonical, heat), f"{title} of {item.label}", scale)
                if heat is not None
                else '<p class="hl-note">no convolution in this model</p>'
            )
            + f"<figcaption>{title}</figcaption></figure>"
            for title, heat in maps
        )
        cards.append(
            f"<section><p><strong>{escape(alphabet.describe(item.label))}</strong> · {percent(item.probability)}</p>"
            f'<div class="hl-strip">{figures}</div></section>'
        )
    return f'<div class="hl hl-saliency">{"".join(cards)}</div>'


def reading_card(reading, image: np.ndarray, alphabet: Alphabet) -> str:
    """A row as one method read it: the drawing with a numbered box per character, and each character's input.

    The row networks have no inputs per character: their cards show the row they read, 28 x 140.
    """
    picture = img(boxes(image, [c.box for c in reading.characters]), f"boxes found by {reading.method}")
    if reading.row is not None:
        inputs = f"<figure>{img(to_display(reading.row), 'the row as the network sees it', 2)}"
        inputs += "<figcaption>what the network sees: 28 x 140</figcaption></figure>"
    else:
        inputs = "".join(
            f"<figure>{img(to_display(c.model_input), c.label, 2)}"
            f"<figcaption><strong>{n}: {escape(alphabet.describe(c.label))}</strong> {percent(c.p)}</figcaption>"
            "</figure>"
            for n, c in enumerate(reading.characters, start=1)
        )
    return f'<div class="hl hl-reading">{picture}<div class="hl-strip">{inputs}</div></div>'


def position_table(positions: np.ndarray, alphabet: Alphabet) -> str:
    """The multi-head network's probabilities: a row per head, a column per label and "no character"."""
    names = [*alphabet.labels, "–"]
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    body = ""
    for i, p in enumerate(positions, start=1):
        best = int(p.argmax())
        cells = "".join(
            f'<td class="{"hl-best" if k == best else ""}" style="background: rgba(108, 78, 217, {q:.2f})">'
            f"{round(100 * q)}</td>"
            for k, q in enumerate(p)
        )
        body += f"<tr><th>{i}</th>{cells}</tr>"
    caption = "Each head's probabilities in %, – is no digit"
    return f'<table class="hl hl-positions"><caption>{caption}</caption><tr><th></th>{head}</tr>{body}</table>'


def mistakes_gallery(mistakes: list[tuple[np.ndarray, int, int]], alphabet: Alphabet) -> str:
    """Probe drawings a model read wrong, each captioned "true → predicted"."""
    figures = [
        f"<figure>{img(thumbnail(image, 56), 'probe drawing')}<figcaption>{escape(alphabet.labels[true])} → "
        f"{escape(alphabet.labels[said]) if said >= 0 else 'none'}</figcaption></figure>"
        for image, true, said in mistakes
    ]
    return f'<div class="hl hl-strip">{"".join(figures)}</div>'


def has_hidden_maps(layers: list[LayerInfo]) -> bool:
    """Whether some layer has more feature maps than are shown at first (only then is "show all" worth offering)."""
    return any(len(info.shape) == 3 and info.shape[-1] > MAX_MAPS for info in layers)


def confusion_table(matrix: list[list[int]], alphabet: Alphabet) -> Styler:
    """A confusion matrix as a table (rows: true class, columns: prediction), its mistakes coloured.

    The colour of a wrong cell is its share of the row, red for the most frequent
    mistake; right answers (the diagonal) stay white. A table stays readable on a
    phone (it scrolls) where a picture of 26 x 26 numbers does not.
    """
    counts = pd.DataFrame(matrix, index=list(alphabet.labels), columns=list(alphabet.labels))
    shares = counts.div(counts.sum(axis=1).clip(lower=1), axis=0).to_numpy(copy=True)
    np.fill_diagonal(shares, 0.0)
    return counts.style.background_gradient(cmap="Reds", gmap=shares, axis=None, vmin=0, vmax=max(shares.max(), 1e-9))


def legend() -> str:
    """What the heatmaps show, with the colour scale from low to high."""
    return (
        '<div class="hl" style="display: flex; gap: 1rem; align-items: center; flex-wrap: wrap">'
        '<p class="hl-note">Every layer\'s output for this drawing. Each small square of a convolution or pooling'
        " layer is one feature map; dense layers show one cell per unit. One colour scale per layer:</p>"
        f'<figure style="display: flex; gap: 0.5rem; align-items: center">'
        f'<span class="hl-note">low</span>{img(colorbar(160, 10), "colour scale")}'
        '<span class="hl-note">high</span></figure></div>'
    )


def model_note(card: ModelCard, path: Path) -> str:
    """Markdown: which model answered and how well it does on data it was not trained on, from its card."""
    scores = ", ".join(f"{percent(acc)} on {validation_title(name)}" for name, (acc, _) in card.accuracies.items())
    return f"Model `{path.name}`" + (f" · validation accuracy {scores}" if scores else "")
