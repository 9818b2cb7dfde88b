"""The pages' HTML builders on their own: one element per candidate, step, class and layer, and text escaped."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from drawing import digit

from pages.ui import builders
from recognizer.alphabets import ALPHABETS, Alphabet
from recognizer.card import ModelCard
from recognizer.layers import KINDS, LayerInfo
from recognizer.preprocess import preprocess
from recognizer.reading import Character, Reading

DIGITS, RUNES = ALPHABETS["digits"], ALPHABETS["runes"]
# Labels and a name that would break the HTML if written as they are.
ODD = Alphabet("odd", "Odd", ("<b>", "&", "x"), ("<b>", "ampersand <i>", "x"), ("b", "and", "x"))


def sections(html: str) -> list[str]:
    return re.findall(r"<section>(.*?)</section>", html)


def test_probability_bars_one_row_per_candidate() -> None:
    html = builders.probability_bars(DIGITS, [("7", 0.9), ("1", 0.075), ("2", 0.025)])
    assert html.count('class="hl-track"') == 3
    assert re.findall(r'class="hl-pct"[^>]*>([^<]*)<', html) == ["90.0%", "7.5%", "2.5%"]
    assert re.findall(r'style="width: ([\d.]+)%"', html) == ["90.0", "7.5", "2.5"]
    assert html.count('class="hl-first"') == 2, "the winner's label and percentage stand out"


def test_probability_bars_name_the_runes() -> None:
    html = builders.probability_bars(RUNES, [("ᛏ", 0.8), ("ᚠ", 0.2)])
    assert "ᛏ tiwaz (t)" in html and "ᚠ fehu (f)" in html


def test_steps_strip_one_figure_per_step() -> None:
    steps = preprocess(digit("3")).steps
    html = builders.steps_strip(steps)
    assert html.count("<figure>") == len(steps)
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert captions == [step.value for step in list(steps)[:-1]] + ["model input, 28 x 28"]
    sizes = [(int(w), int(h)) for w, h in re.findall(r'<img [^>]*width="(\d+)" height="(\d+)"', html)]
    assert all(max(size) == builders.THUMB for size in sizes[:-1]), "thumbnails keep their shape, no grey bars"
    assert sizes[-1] == (140, 140), "the model input is shown 5 times enlarged"
    assert html.count("<li>") == len(steps) and "What each step does" in html


def test_output_columns_heights_are_the_probabilities() -> None:
    probabilities = np.array([0.0, 0.5, 0.25, 0.125, 0.125, 0, 0, 0, 0, 0], np.float32)
    html = builders.output_columns(DIGITS, probabilities)
    assert html.count('class="hl-col"') == 10
    heights = [float(h) for h in re.findall(r'style="height: ([\d.]+)%"', html)]
    assert np.allclose(heights, 100 * probabilities, atol=0.05)
    assert re.findall(r"<span>(.*?)</span>", html) == list(DIGITS.labels)


def test_layer_cards_one_section_per_layer() -> None:
    layers = [
        LayerInfo("conv_a", "convolution", "Conv2D", (28, 28, 4)),
        LayerInfo("dense_b", "dense", "Dense", (16,)),
        LayerInfo("probs", "output", "Dense", (10,)),
    ]
    rng = np.random.default_rng(0)
    probabilities = np.full(10, 0.1, np.float32)
    activations = {
        "conv_a": rng.random((28, 28, 4), np.float32),
        "dense_b": rng.random(16, np.float32),
        "probs": probabilities,
    }
    cards = sections(builders.layer_cards(layers, activations, DIGITS))
    assert len(cards) == 3
    for info, card in zip(layers, cards, strict=True):
        assert KINDS[info.kind] in card
    assert "conv_a (28 x 28 x 4)" in cards[0] and "dense_b (16)" in cards[1]
    assert cards[0].count("<img") == 1 and cards[1].count("<img") == 1
    assert "<img" not in cards[2] and cards[2].count('class="hl-col"') == 10, "the output: one column per class"


def test_layer_cards_show_at_most_max_maps_unless_asked() -> None:
    layers = [LayerInfo("wide", "convolution", "Conv2D", (4, 4, 40)), LayerInfo("probs", "output", "Dense", (10,))]
    activations = {"wide": np.ones((4, 4, 40), np.float32), "probs": np.full(10, 0.1, np.float32)}
    assert f"first {builders.MAX_MAPS} of 40 maps" in builders.layer_cards(layers, activations, DIGITS)
    assert "of 40 maps" not in builders.layer_cards(layers, activations, DIGITS, show_all=True)


def test_labels_and_layer_names_are_escaped() -> None:
    bars = builders.probability_bars(ODD, [("<b>", 0.6), ("&", 0.4)])
    columns = builders.output_columns(ODD, np.array([0.6, 0.4, 0.0], np.float32))
    layers = [LayerInfo("<script>", "dense", "Dense", (3,)), LayerInfo("out", "output", "Dense", (3,))]
    activations = {"<script>": np.ones(3, np.float32), "out": np.array([0.6, 0.4, 0.0], np.float32)}
    cards = builders.layer_cards(layers, activations, ODD)
    for html in (bars, columns, cards):
        assert "<b>" not in html and "&lt;b&gt;" in html
    assert "&amp; ampersand &lt;i&gt; (and)" in bars
    assert "<script>" not in cards and "&lt;script&gt;" in cards


@pytest.mark.parametrize(
    ("validation", "note"),
    [
        (
            {"mnist_test": {"samples": 10000, "accuracy": 0.9951}, "unipen_val": {"samples": 900, "accuracy": 0.97}},
            "Model `digits_cnn.keras` · validation accuracy 99.5% on MNIST test set, 97.0% on UNIPEN, unseen writers",
        ),
        ({}, "Model `digits_cnn.keras`"),
    ],
    ids=["validated", "no validation"],
)
def test_model_note_lists_the_accuracies(validation: dict, note: str) -> None:
    card = ModelCard("digits_cnn", "digits", DIGITS.labels, validation=validation)
    assert builders.model_note(card, Path("models/digits_cnn.keras")) == note


def test_chart_cards_show_every_rune_with_its_name() -> None:
    html = builders.chart_cards(RUNES)
    assert html.count("<img") == 24
    captions = re.findall(r"<figcaption><strong>(\S+) (\S+)</strong><br>(\S+)</figcaption>", html)
    assert captions == list(zip(RUNES.labels, RUNES.names, RUNES.transliterations, strict=True))
    assert set(re.findall(r'alt="([^"]*)"', html)) == set(RUNES.names)


def test_the_confusion_table_colours_mistakes_not_right_answers() -> None:
    digits = ALPHABETS["digits"]
    matrix = np.diag(np.full(10, 50)).tolist()
    matrix[7][1] = 10  # the most frequent mistake: 7 read as 1
    matrix[3][8] = 2
    styler = builders.confusion_table(matrix, digits)
    html = styler.to_html()
    assert list(styler.data.index) == list(digits.labels) and int(styler.data.loc["7", "1"]) == 10
    colours = re.findall(r"background-color: (#[0-9a-f]{6})", html)
    assert len(set(colours)) >= 3, "white for right answers and zeros, shades of red for mistakes"


def test_the_variants_strip_shows_each_input_as_the_model_gets_it_and_what_it_says() -> None:
    from recognizer.convention import Convention
    from recognizer.variants import failure_variants

    convention = Convention(shape=(32, 32, 1), value_range=(0, 255))
    variants = failure_variants(digit("3"), convention)
    probabilities = np.eye(10, dtype=np.float32)[[3, 8, 3, 1, 3, 3, 3, 3]]
    html = builders.variants_strip(variants, probabilities, DIGITS, convention)
    assert html.count("<figure>") == 8
    assert re.findall(r"says <strong>(.*?)</strong>", html) == list("38313333")
    assert 'width="96" height="96"' in html, "a 32x32 input shown 3 times enlarged"


def test_a_rejected_variant_says_none_of_these() -> None:
    from recognizer.convention import MNIST
    from recognizer.variants import failure_variants

    variants = failure_variants(digit("3"), MNIST)[:2]
    html = builders.variants_strip(
        variants, np.eye(10, dtype=np.float32)[[3, 8]], DIGITS, MNIST, np.array([False, True])
    )
    assert re.findall(r"says <strong>(.*?)</strong>", html) == ["3", "none of these"]
    assert "(closest 8)" in html


def svg_of(html: str) -> str:
    import base64

    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    return base64.b64decode(data).decode()


def test_a_sweep_chart_draws_one_line_per_class_and_marks_each_flip() -> None:
    from recognizer.card import NONE_OF_THESE as NONE
    from recognizer.explain import Sweep

    amounts = np.array([-20.0, -10, 0, 10, 20], np.float32)
    lines = {"x": np.array([0.1, 0.6, 0.9, 0.7, 0.2]), "<b>": np.array([0.9, 0.4, 0.1, 0.1, 0.1])}
    sweep = Sweep(
        "rotation", "degrees", amounts, 2, {**lines, NONE: np.array([0, 0, 0, 0.2, 0.7])}, ["<b>", "x", "x", "x", NONE]
    )
    html = builders.sweep_chart(sweep, ODD)
    svg = svg_of(html)
    assert svg.count("<polyline") == 3 and svg.count('stroke-dasharray="4 3"') == 1, "none of these is dashed"
    assert svg.count('stroke="#d6336c"') == 2, "two flips, each a red line"
    assert "&lt;b&gt;" in svg and "<b>" not in svg.replace("&lt;b&gt;", "")
    assert "x flips to &lt;b&gt; at -15, to none of these at 15" in html
    still = Sweep("blur", "sigma", amounts, 2, lines, ["x"] * 5)
    assert "x all the way" in builders.sweep_chart(still, ODD) and 'stroke="#d6336c"' not in svg_of(
        builders.sweep_chart(still, ODD)
    )
    assert builders.sweeps_grid([sweep, still], ODD).count('class="hl-sweep"') == 2


def test_the_saliency_cards_show_both_maps_per_class_or_say_why_not() -> None:
    from recognizer.explain import Saliency

    heat = np.linspace(-1, 1, 784, dtype=np.float32).reshape(28, 28)
    items = [Saliency("7", 0.9, heat, np.abs(heat)), Saliency("1", 0.05, heat, None)]
    html = builders.saliency_cards(items, np.zeros((28, 28), np.float32), DIGITS)
    assert html.count("<section>") == 2 and html.count("<img") == 3
    assert "no convolution in this model" in html and "90.0%" in html


def test_the_output_layer_has_a_column_for_none_of_these() -> None:
    from recognizer.card import ModelCard, Rejection

    card = ModelCard("m", "digits", DIGITS.labels, rejection=Rejection(output=10))
    layers = [LayerInfo("output", "output", "Dense", (11,))]
    raw = np.full(11, 1 / 11, np.float32)
    html = builders.layer_cards(layers, {"output": raw}, DIGITS, card=card)
    assert html.count('class="hl-col"') == 11 and "<span>∅</span>" in html and 'title="none of these: 9.0%"' in html


def test_a_reading_card_has_the_boxes_and_an_input_per_character() -> None:
    x = np.zeros((28, 28), np.float32)
    reading = Reading(
        "17", "segment", [Character("1", 0.9, (2, 2, 10, 30), x), Character("7", 0.8, (12, 2, 20, 30), x)]
    )
    html = builders.reading_card(reading, np.zeros((40, 60), np.uint8), DIGITS)
    assert html.count("<img") == 3 and "1: 1</strong> 90.0%" in html and "2: 7</strong> 80.0%" in html


def test_the_position_table_marks_each_heads_best() -> None:
    positions = np.full((5, 11), 0.01, np.float32)
    positions[:, 10] = 0.9
    positions[0, :] = 0.0
    positions[0, 3] = 1.0
    html = builders.position_table(positions, DIGITS)
    assert html.count("<tr>") == 6 and html.count('class="hl-best"') == 5 and ">100<" in html
