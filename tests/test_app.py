"""The app's pages in AppTest: drawings, uploads, hints, unsure predictions, heatmaps and model files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from app_samples import SAMPLES, canvas_rgba, canvas_state, drawing_state, model_file, needs_model, png_bytes
from drawing import DIGITS, noisy_photo, row
from fixtures import LETTER_STROKES, none_biased_model, without_none
from streamlit.testing.v1 import AppTest

import recognizer.paths
from pages.ui.builders import percent
from recognizer.alphabets import ALPHABETS
from recognizer.card import ModelCard, Rejection, validation_title
from recognizer.imageio import FORMATS, MAX_FILE_BYTES
from recognizer.modelfile import save_model
from recognizer.training.architectures import build_cnn, build_mlp

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60  # the first run imports TensorFlow and loads a model


def open_app(alphabet: str = "digits", mode: str = "draw") -> AppTest:
    """The Draw page (the default page), run once, with an alphabet and input mode chosen."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    if alphabet != "digits":
        at.segmented_control(key="alphabet").set_value(alphabet).run()
    if mode != "draw":
        at.segmented_control(key="input_mode").set_value(mode).run()
    assert not at.exception, at.exception
    return at


def draw_on(at: AppTest, strokes) -> AppTest:
    """Inject a drawing as the canvas component would send it, and rerun."""
    at.session_state["canvas"] = canvas_state(strokes)
    return at.run()


def upload(at: AppTest, name: str, data: bytes, mime: str = "image/png") -> AppTest:
    return at.file_uploader(key="upload").upload(name, data, mime).run()


def prediction(at: AppTest) -> str:
    metrics = [m for m in at.metric if m.label == "Prediction"]
    assert len(metrics) == 1, f"expected one Prediction metric, found {[m.label for m in at.metric]}"
    return metrics[0].value


def html_blocks(at: AppTest, css_class: str) -> list[str]:
    """The st.html blocks holding an element of class ``css_class``."""
    return [h.value for h in at.html if re.search(rf'class="(hl )?{css_class}"', h.value)]


def layers_html(at: AppTest) -> str:
    """The layer cards (after the colour legend in the same block)."""
    blocks = html_blocks(at, "hl-layers")
    assert len(blocks) == 1, "expected one block of layer heatmaps"
    return blocks[0][blocks[0].index('class="hl hl-layers"') :]


def inspected_layers(path: Path) -> list[str]:
    """The model's layers the page shows, from the architecture in its card."""
    skip = {"InputLayer", "Dropout"}
    return [layer["name"] for layer in ModelCard.read(path).architecture if layer["type"] not in skip]


def assert_heatmaps_for_every_layer(at: AppTest, path: Path) -> None:
    html = layers_html(at)
    names = inspected_layers(path)
    titles = re.findall(r"<strong>([^<]+)</strong>", html)
    assert [t.split(" (")[0] for t in titles] == names, "one titled card per layer, in model order"
    assert all(re.fullmatch(r"\S+ \(\d+( x \d+)*(, first \d+ of \d+ maps)?\)", t) for t in titles), titles
    assert html.count("<img ") == len(names) - 1, "a heatmap for every layer but the output"
    assert html.count('class="hl-col"') == len(ModelCard.read(path).output_names()), "one column per output"


@pytest.fixture(scope="module")
def untrained_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding untrained digit models (a CNN and an MLP): their predictions are unsure."""
    folder = tmp_path_factory.mktemp("untrained_models")
    card = ModelCard("untrained", "digits", ALPHABETS["digits"].labels)
    save_model(build_cnn(10), folder / "digits_cnn.keras", card)
    save_model(build_mlp(10), folder / "digits_mlp.keras", card)
    return folder


@pytest.fixture
def untrained_models(untrained_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at :func:`untrained_dir` instead of the shipped models."""
    monkeypatch.setattr(recognizer.paths, "MODELS_DIR", untrained_dir)
    return untrained_dir


# ---------------------------------------------------------------- drawing


@pytest.mark.parametrize("alphabet", list(SAMPLES))
def test_a_drawing_is_recognised_and_every_layer_shown(alphabet: str) -> None:
    path = model_file(alphabet)
    if not path.is_file():
        pytest.skip(f"{path} not trained yet")
    expected, strokes = SAMPLES[alphabet]
    at = draw_on(open_app(alphabet), strokes)
    assert not at.exception, at.exception
    assert prediction(at) == expected
    assert "Top 3" in [m.value.strip("*") for m in at.markdown]
    [bars] = html_blocks(at, "hl-bars")
    assert bars.count('class="hl-track"') == 3 and re.search(r"\d+\.\d%", bars)
    [strip] = html_blocks(at, "hl-strip")
    assert "<figcaption>model input, 28 x 28</figcaption>" in strip
    assert_heatmaps_for_every_layer(at, path)


@needs_model("runes")
def test_a_rune_is_shown_with_its_name_and_transliteration() -> None:
    label, strokes = SAMPLES["runes"]
    at = draw_on(open_app("runes"), strokes)
    runes = ALPHABETS["runes"]
    i = runes.index(label)
    assert prediction(at) == label
    assert any(runes.names[i] in m.value and runes.transliterations[i] in m.value for m in at.markdown)


def test_runes_come_with_a_reference_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recognizer.paths, "MODELS_DIR", tmp_path)  # the chart does not need the model
    at = open_app("runes")
    [chart] = at.expander
    assert "24 runes" in chart.label
    [cards] = [h.value for h in chart.get("html")]
    runes = ALPHABETS["runes"]
    assert cards.count("<img ") == 24
    captions = re.findall(r"<figcaption><strong>(\S+) (\w+)</strong><br>(\w+)</figcaption>", cards)
    assert captions == list(zip(runes.labels, runes.names, runes.transliterations, strict=True))


def test_an_empty_canvas_shows_a_hint(untrained_models: Path) -> None:
    at = open_app()
    assert [i.value for i in at.info] == ["Draw a digit from 0 to 9 on the black canvas, or upload a photo of one."]
    assert not at.metric and not html_blocks(at, "hl-layers")


def test_a_drawing_survives_a_visit_to_the_upload(untrained_models: Path) -> None:
    at = draw_on(open_app(), SAMPLES["digits"][1])
    before = prediction(at)
    at.segmented_control(key="input_mode").set_value("upload").run()
    assert not at.metric
    at.segmented_control(key="input_mode").set_value("draw").run()
    assert not at.exception, at.exception
    assert prediction(at) == before


def test_clear_starts_a_fresh_canvas(untrained_models: Path) -> None:
    at = draw_on(open_app(), SAMPLES["digits"][1])
    assert at.metric
    next(b for b in at.button if b.label == "Clear").click().run()
    assert not at.metric and "Draw a digit" in at.info[0].value


def test_a_cleared_or_dotted_canvas_says_why_nothing_is_recognised(untrained_models: Path) -> None:
    at = draw_on(open_app(), [])  # the toolbar's "clear" sends an empty black canvas
    assert "one flat colour" in at.info[0].value
    at = draw_on(at, [[(0.5, 0.5), (0.5, 0.51)]])
    assert "Only a dot or a blob" in at.info[0].value
    assert not at.metric
    [strip] = html_blocks(at, "hl-strip")
    assert "<figcaption>mask</figcaption>" in strip and "model input" not in strip, "the steps up to where it stopped"


def test_an_unsure_prediction_says_so_but_still_shows_the_top_3(untrained_models: Path) -> None:
    at = draw_on(open_app(), SAMPLES["digits"][1])
    assert prediction(at) in ALPHABETS["digits"].labels
    assert [w.value for w in at.warning] == ["Not sure: maybe none of these?"]
    assert at.metric[0].proto.delta.endswith("% sure")
    assert at.metric[0].proto.color == at.metric[0].proto.MetricColor.ORANGE, "unsure looks unsure"
    [bars] = html_blocks(at, "hl-bars")
    assert bars.count('class="hl-track"') == 3


def test_a_drawing_the_model_rejects_is_none_of_these_with_the_closest_three(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = ModelCard("rejecting", "digits", ALPHABETS["digits"].labels, rejection=Rejection(output=10))
    save_model(none_biased_model(4.0), tmp_path / "digits_cnn.keras", card)
    monkeypatch.setattr(recognizer.paths, "MODELS_DIR", tmp_path)
    at = draw_on(open_app(), SAMPLES["digits"][1])
    assert not at.exception, at.exception
    assert prediction(at) == "None of these"
    assert at.metric[0].proto.delta == "84.5% sure"  # e^4 / (e^4 + 10)
    assert "**Closest characters**" in [m.value for m in at.markdown]
    assert "none of the digits" in at.warning[0].value and "Draw a digit from 0 to 9" in at.warning[0].value
    [bars] = html_blocks(at, "hl-bars")
    assert bars.count('class="hl-track"') == 3
    assert "<span>∅</span>" in layers_html(at), "the output layer shows the none-of-these output too"


def test_the_model_can_be_chosen_when_an_alphabet_has_several(untrained_models: Path) -> None:
    at = open_app()
    choice = at.segmented_control(key="model_digits")
    assert choice.options == ["CNN (convolutional)", "MLP (dense only)"]
    choice.set_value("mlp").run()
    at = draw_on(at, SAMPLES["digits"][1])
    assert not at.exception, at.exception
    assert_heatmaps_for_every_layer(at, untrained_models / "digits_mlp.keras")
    assert not at.toggle, "an MLP has no feature maps to show all of"
    assert "the input image laid out as one long vector" in layers_html(at)


def test_show_all_feature_maps(untrained_models: Path) -> None:
    at = draw_on(open_app(), SAMPLES["digits"][1])
    assert "first 32 of 128 maps" in layers_html(at)
    at.toggle(key="show_all").set_value(True).run()
    assert "first 32 of" not in layers_html(at)
    assert "conv3 (7 x 7 x 128)" in layers_html(at)


# ----------------------------------------------------------------- upload


def test_an_uploaded_photo_is_recognised() -> None:
    if not model_file("digits").is_file():
        pytest.skip(f"{model_file('digits')} not trained yet")
    label, strokes = SAMPLES["digits"]
    photo = noisy_photo(canvas_rgba(strokes)[..., 0])  # dark ink on unevenly lit paper, JPEG artefacts
    at = upload(open_app(mode="upload"), "seven.png", png_bytes(photo))
    assert not at.exception and not at.error
    assert prediction(at) == label


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.png", b"this is not an image", "not a readable image"),
        ("broken.png", png_bytes(canvas_rgba(SAMPLES["digits"][1]))[:100], "not a readable image"),
        ("empty.jpg", b"", "empty"),
        ("huge.png", b"\x89PNG" + bytes(MAX_FILE_BYTES), "over the 10 MB limit"),
    ],
)
def test_a_bad_upload_gets_a_clear_message(untrained_models: Path, name: str, data: bytes, message: str) -> None:
    at = upload(open_app(mode="upload"), name, data)
    assert not at.exception, at.exception
    assert len(at.error) == 1 and message in at.error[0].value and name in at.error[0].value
    assert not at.metric and not at.info, "the reason, and no hint to upload beside it"


def test_an_image_too_small_to_read_gets_a_clear_message(untrained_models: Path) -> None:
    at = upload(open_app(mode="upload"), "tiny.png", png_bytes(np.full((4, 4), 255, np.uint8)))
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "at least 8x8" in at.error[0].value
    assert not at.metric


def test_the_uploader_accepts_what_the_decoder_reads_and_says_the_limit(untrained_models: Path) -> None:
    uploader = open_app(mode="upload").file_uploader(key="upload")
    assert sorted(uploader.allowed_type) == sorted(f".{ext}" for ext in FORMATS)
    assert "up to 10 MB" in uploader.label and "WebP" in uploader.label
    assert uploader.proto.max_upload_size_mb > MAX_FILE_BYTES // 2**20, "a file over 10 MB gets a message as text"


def test_an_uploaded_photo_is_shown_large(untrained_models: Path) -> None:
    photo = noisy_photo(canvas_rgba(SAMPLES["digits"][1])[..., 0])
    at = upload(open_app(mode="upload"), "seven.png", png_bytes(photo))
    [image] = at.get("image")
    assert [img.caption for img in image.proto.imgs] == ["seven.png"]


# ------------------------------------------------------------ model files


def test_a_missing_model_file_is_named_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recognizer.paths, "MODELS_DIR", tmp_path)
    at = open_app()
    assert len(at.error) == 1
    assert str(tmp_path / "digits_cnn.keras") in at.error[0].value and "not found" in at.error[0].value


def test_a_broken_model_file_is_named_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "letters_cnn.keras").write_bytes(b"definitely not a zip archive")
    monkeypatch.setattr(recognizer.paths, "MODELS_DIR", tmp_path)
    at = open_app("letters")
    assert len(at.error) == 1
    assert "letters_cnn.keras" in at.error[0].value and "not a Keras model file" in at.error[0].value


# ------------------------------------------------------------ models page


def test_the_models_page_lists_every_model(untrained_models: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/models.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Models"
    expected = sum(len(a.shipped_models) for a in ALPHABETS.values())
    assert len(at.get("expander")) == 2, "the two untrained digit models have a layer table"
    assert len(at.warning) == expected - 2, "every other model is not trained yet"
    assert any("No validation results" in c.value for c in at.caption)


@needs_model("digits")
def test_the_models_page_shows_validation_accuracy() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/models.py").run()
    assert not at.exception, at.exception
    shown = [(m.label, m.value) for m in at.metric]
    cards = [
        ModelCard.read(a.model_path(m))
        for a in ALPHABETS.values()
        for m in a.shipped_models
        if a.model_path(m).is_file()
    ]
    for card in cards:
        for name, (accuracy, _) in card.accuracies.items():
            assert (validation_title(name), percent(accuracy)) in shown
    assert all("_" not in label for label, _ in shown), "validation sets are named for people"
    starts = [c.training["started_from"] for c in cards if "started_from" in c.training]
    assert starts, "the row networks start from the digits CNN"
    assert all(any(start in c.value for c in at.caption) for start in starts)
    tables = at.dataframe
    confusions = sum("confusion_matrix" in v for c in cards for v in c.validation.values())
    assert len(tables) == confusions + len(cards), "a confusion table per set that has one, a layer table each"


def test_users_never_see_tracebacks() -> None:
    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


# ------------------------------------------------------------ your model


@pytest.fixture(scope="module")
def inverted_model_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The shipped digits CNN behind a layer that makes it expect dark ink on light in 0..255, without a card."""
    import keras

    import recognizer

    base = without_none(recognizer.load("digits").model)
    inputs = keras.Input((28, 28, 1))
    model = keras.Model(inputs, base(keras.layers.Rescaling(-1 / 255, offset=1.0)(inputs)))
    path = tmp_path_factory.mktemp("yours") / "inverted.keras"
    model.save(path)
    return path.read_bytes()


def open_your_model() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    return at.switch_page("pages/your_model.py").run()


@needs_model("digits")
def test_your_model_is_checked_and_drawn_with(inverted_model_bytes: bytes) -> None:
    at = open_your_model()
    at = at.file_uploader(key="model_upload").upload("inverted.keras", inverted_model_bytes, "application/zip").run()
    assert not at.exception, at.exception
    [verdict] = at.success
    assert "dark ink on light" in verdict.value and "values from 0 to 255" in verdict.value
    assert any("Fed like MNIST" in m.value and "always predicts one class" in m.value for m in at.markdown)
    [gallery] = [h.value for e in at.expander if "reads wrong" in e.label for h in e.get("html")]
    assert gallery.count("<figure>") >= 1 and " → " in gallery, "the probe drawings it reads wrong"
    at.button[0].click().run()  # "Draw with this model": AppTest follows neither its switch_page nor its choice
    at.switch_page("pages/draw.py").run()
    choice = at.segmented_control(key="model_digits")
    assert "Your model (inverted)" in choice.options
    choice.set_value("yours").run()
    at = draw_on(at, SAMPLES["digits"][1])
    assert not at.exception, at.exception
    assert prediction(at) == SAMPLES["digits"][0]
    note = next(c.value for c in at.caption if c.value.startswith("Model"))
    assert "inverted.keras" in note and "our probe drawings" in note and "MNIST" not in note, "its own figures only"
    [strip] = html_blocks(at, "hl-strip")
    assert "as this model gets it" in strip


def test_a_hostile_or_broken_model_file_gets_a_clear_message() -> None:
    at = open_your_model()
    at = at.file_uploader(key="model_upload").upload("notes.keras", b"not a model at all", "application/zip").run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "notes.keras" in at.error[0].value and "/tmp" not in at.error[0].value


@needs_model("digits")
def test_a_model_can_be_picked_from_the_folder_given_on_the_command_line(
    inverted_model_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.keras").write_bytes(inverted_model_bytes)
    (tmp_path / "notes.txt").write_text("not a model")
    monkeypatch.setattr("sys.argv", ["app.py", "--models-dir", str(tmp_path)])  # streamlit run app.py -- --models-dir
    at = open_your_model()
    [select] = at.selectbox
    assert select.options == ["mine.keras"], "model files only"
    at = select.set_value(tmp_path / "mine.keras").run()
    assert not at.exception, at.exception
    assert "mine.keras" in at.success[0].value and "dark ink on light" in at.success[0].value


@needs_model("digits")
def test_labels_given_on_the_page_are_used(inverted_model_bytes: bytes) -> None:
    at = open_your_model()
    at = at.file_uploader(key="model_upload").upload("inverted.keras", inverted_model_bytes, "application/zip").run()
    at = at.text_input(key="output_labels").input("9,8,7,6,5,4,3,2,1,0").run()  # wrong on purpose
    assert not at.exception, at.exception
    assert "No convention works" in at.warning[0].value
    at = at.text_input(key="output_labels").input("1,2,3").run()
    assert "3 labels given for its 10 outputs" in at.error[0].value
    at = at.text_input(key="output_labels").input("").run()  # still there to be corrected
    assert "dark ink on light" in at.success[0].value


# ------------------------------------------------------------ why models fail


@needs_model("digits")
def test_why_models_fail_takes_the_draw_pages_drawing_and_shows_every_variant() -> None:
    at = draw_on(open_app(), SAMPLES["digits"][1])
    at.switch_page("pages/why.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Why models fail"
    [strip] = html_blocks(at, "hl-variants")
    assert strip.count("<figure>") == 8 and "full pipeline" in strip and "no polarity fix" in strip
    first = re.search(r"says <strong>(.*?)</strong>", strip).group(1)
    assert first == SAMPLES["digits"][0], "the full pipeline reads the drawing right"
    [sweeps] = html_blocks(at, "hl-sweeps")
    assert sweeps.count('class="hl-sweep"') == 6 and "rotation" in sweeps and "noise" in sweeps
    [saliency] = html_blocks(at, "hl-saliency")
    assert saliency.count("<section>") == 3 and "Grad-CAM" in saliency and "occlusion" in saliency
    assert [h.value for h in at.subheader] == ["How far can the drawing move?", "Why this and not that?"]


def test_why_models_fail_asks_for_a_drawing_when_there_is_none(untrained_models: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/why.py").run()
    assert not at.exception, at.exception
    assert "Draw a digit" in at.info[0].value and not html_blocks(at, "hl-variants")


# ------------------------------------------------------------ read a row


def open_row_page(alphabet: str = "digits") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/row.py").run()
    if alphabet != "digits":
        at.segmented_control(key="alphabet").set_value(alphabet).run()
    assert not at.exception, at.exception
    return at


def on_row_canvas(ink: np.ndarray) -> dict:
    """The wide canvas's state when its 720 x 200 picture holds ``ink`` (white on opaque black) at the top left."""
    canvas = np.zeros((200, 720), np.uint8)
    canvas[: ink.shape[0], : ink.shape[1]] = ink[:200, :720]
    return drawing_state(np.dstack([canvas] * 3 + [np.full(canvas.shape, 255, np.uint8)]))


def write_row(at: AppTest, characters: list) -> AppTest:
    """Inject a row of characters as the wide canvas would send it, and rerun."""
    at.session_state["row_canvas-0"] = on_row_canvas(row(characters, height=110, width=9))
    return at.run()


@needs_model("digits")
def test_the_row_page_reads_a_number_four_ways() -> None:
    at = write_row(open_row_page(), [DIGITS[c] for c in "2024"])
    assert not at.exception, at.exception
    assert at.title[0].value == "Read a row"
    read = {m.label: m.value for m in at.metric}
    assert read == {m: "2024" for m in ("Segmentation", "Sequence network", "Multi-head network", "Sliding window")}
    html = "".join(block.proto.body for block in at.get("html"))
    assert html.count('class="hl hl-reading"') == 4 and 'class="hl hl-positions"' in html
    assert "When each wins" in at.markdown[-1].value


@needs_model("letters")
def test_the_row_page_reads_a_word_without_the_digits_only_network() -> None:
    at = write_row(open_row_page("letters"), [LETTER_STROKES[c] for c in "LAx"])
    assert not at.exception, at.exception
    read = {m.label: m.value for m in at.metric}
    assert read["Segmentation"] == "LAX" and "Multi-head network" not in read and "Sequence network" not in read


def test_an_empty_row_canvas_asks_for_a_row() -> None:
    at = open_row_page()
    at.session_state["row_canvas-0"] = on_row_canvas(np.zeros((1, 1), np.uint8))
    at.run()
    assert not at.exception, at.exception
    assert any("in a row" in info.value for info in at.info)
