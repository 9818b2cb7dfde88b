"""The Collect and Train pages in AppTest: saving drawings, alphabets of one's own, export and import, refusals,
the training queue, and drawing with a model trained here."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from app_samples import canvas_rgba, png_bytes
from drawing import DIGITS
from fixtures import SHAPES, collect
from streamlit.testing.v1 import AppTest

from recognizer.drawings import DrawingStore
from recognizer.paths import USER_MODELS_DIR
from recognizer.training.collected import load_collected, train_collected
from recognizer.trainings import TrainingQueue

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DrawingStore:
    """A database of this test's own, which the app opens too (``HANDWRITING_LAB_DATABASE``)."""
    url = f"sqlite:///{tmp_path}/drawings.db"
    monkeypatch.setenv("HANDWRITING_LAB_DATABASE", url)
    return DrawingStore(url)


def open_page(page: str, nickname: str = "ada", alphabet: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if alphabet:
        at.query_params["alphabet"] = alphabet
    at.switch_page(f"pages/{page}.py").run()
    if nickname:
        at.text_input(key="nickname").input(nickname).run()
    assert not at.exception, at.exception
    return at


def draw_and_save(at: AppTest, strokes) -> AppTest:
    """Draw on the collecting canvas as its frontend sends it (picture and pen paths), then press Save."""
    url = "data:image/png;base64," + base64.b64encode(png_bytes(canvas_rgba(strokes))).decode()
    paths = [{"type": "path", "path": [["M", *s[0]], *[["L", *p] for p in s[1:]]]} for s in strokes]
    generation = at.session_state["collect_generation"] if "collect_generation" in at.session_state else 0  # noqa: SIM401 (no .get)
    at.session_state[f"collect_canvas-{generation}"] = {
        "drawing": {"raw": {"objects": paths}, "data": url},
        "backgroundFit": None,
    }
    at.run()
    return button(at, "Save").click().run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def prompted(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("### Draw: ")).removeprefix("### Draw: ")


def test_collecting_asks_for_a_nickname_then_saves_what_is_drawn_and_undoes(database: DrawingStore) -> None:
    at = open_page("collect", nickname="")
    assert any("nickname" in i.value for i in at.info) and not any(b.label == "Save" for b in at.button)
    at.text_input(key="nickname").input("ada").run()
    assert button(at, "Save").disabled, "nothing drawn yet"
    labels = []
    for _ in range(3):
        labels.append(prompted(at))
        at = draw_and_save(at, DIGITS[labels[-1]])
        assert not at.exception and not at.error, at.error
    saved = database.drawings("digits")
    assert [d.label for d in saved][::-1] == labels and {d.writer for d in saved} == {"ada"}
    assert all(d.strokes and d.png.startswith(b"\x89PNG") for d in saved), "pen strokes and the picture"
    assert len(set(labels)) == 3, "each prompt is a label this writer has drawn least"
    assert any("3 drawings" in m.value and "1 writer" in m.value for m in at.markdown)
    assert not any("The network reads" in c.value for c in at.caption), "the new canvas is empty"
    button(at, "Undo last save").click().run()
    assert len(database.drawings("digits")) == 2


def test_the_network_says_what_it_reads_before_saving(database: DrawingStore) -> None:
    at = open_page("collect")
    url = "data:image/png;base64," + base64.b64encode(png_bytes(canvas_rgba(DIGITS["7"]))).decode()
    at.session_state["collect_canvas-0"] = {"drawing": {"raw": {"objects": []}, "data": url}, "backgroundFit": None}
    at.run()
    assert any("The network reads: **7" in c.value for c in at.caption)


def test_an_alphabet_of_ones_own_is_made_and_bad_ones_are_refused(database: DrawingStore) -> None:
    at = open_page("collect")
    at.text_input(key="new_title").input("Shapes")
    at.text_area(key="new_labels").input("circle, circle, bar")
    button(at, "Make it").click().run()
    assert any("repeated: circle" in e.value for e in at.error) and not database.custom_alphabets()
    at.text_area(key="new_labels").input("circle\ncross, bar")
    button(at, "Make it").click().run()
    assert [a.labels for a in database.custom_alphabets()] == [("circle", "cross", "bar")]
    assert next(s for s in at.selectbox if s.label == "Alphabet").value == "custom-shapes"
    assert prompted(at) in SHAPES
    at = draw_and_save(at, SHAPES[prompted(at)])
    assert sum(database.counts(database.alphabet("custom-shapes")).values()) == 1


def test_exports_import_back_and_a_bad_file_is_refused(database: DrawingStore) -> None:
    alphabet = database.define("Shapes", list(SHAPES))
    collect(database, alphabet, ["bob"], per_label=2)
    at = open_page("collect", alphabet=alphabet.key)
    assert [d.label for d in at.get("download_button")] == ["Export as .npz (pen strokes)", "Export as .zip of PNGs"]
    at.file_uploader(key="import").upload("shapes.npz", database.export_npz(alphabet.key), "application/zip").run()
    button(at, "Import these drawings").click().run()
    assert any("Imported 6 drawings" in s.value for s in at.success)
    at.file_uploader(key="import").upload("broken.zip", b"not a zip", "application/zip").run()
    button(at, "Import these drawings").click().run()
    assert any("not a drawings export" in e.value for e in at.error)
    assert len(database.drawings(alphabet.key)) == 12, "nothing lost, nothing half-imported"


def test_deleting_my_drawings_asks_first_and_leaves_others(database: DrawingStore) -> None:
    alphabet = database.define("Shapes", list(SHAPES))
    collect(database, alphabet, ["ada", "bob"], per_label=1)
    at = open_page("collect", alphabet=alphabet.key)
    assert button(at, "Delete them").disabled
    at.checkbox[0].check().run()
    button(at, "Delete them").click().run()
    assert {d.writer for d in database.drawings(alphabet.key)} == {"bob"}


def test_a_database_that_cannot_be_opened_is_said_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "folder.db").mkdir()
    monkeypatch.setenv("HANDWRITING_LAB_DATABASE", f"sqlite:///{tmp_path}/folder.db")
    for page in ("collect", "train"):
        at = open_page(page, nickname="")
        assert any("database is not available" in e.value for e in at.error), page


def test_training_too_few_drawings_is_refused_with_what_is_missing(database: DrawingStore) -> None:
    alphabet = database.define("Shapes", list(SHAPES))
    collect(database, alphabet, ["ada"], per_label=2)
    at = open_page("train", alphabet=alphabet.key)
    assert any("6 drawings" in m.value and "1 writer" in m.value for m in at.markdown)
    button(at, "Train").click().run()
    assert any("still short: circle (2), cross (2), bar (2)" in w.value for w in at.warning)


def test_a_finished_training_shows_its_result_and_draws_on_the_draw_page(database: DrawingStore) -> None:
    alphabet = database.define("Shapes", list(SHAPES))
    collect(database, alphabet, ["ada", "bob"], per_label=3)
    card = train_collected(load_collected(database.engine.url, alphabet.key), "app-test", epochs=1, samples=600)
    model = USER_MODELS_DIR / f"{card.name}.keras"
    TrainingQueue(database)  # its table
    with database.transaction("test") as conn:  # as the queue records a training that ended
        conn.exec_driver_sql(
            "INSERT INTO trainings (alphabet, fine_tune, requested_by, status, created, message, model)"
            f" VALUES ('{alphabet.key}', 0, 'ada', 'done', '2026-11-26 10:00:00', 'wrote it', '{model}')"
        )
    at = open_page("train", alphabet=alphabet.key)
    [expander] = [e for e in at.expander if e.label.startswith("#1 · Shapes · ada · done")]
    assert [m.label for m in expander.get("metric")] == ["your held-out drawings"]
    assert len(expander.dataframe) == 1, "the confusion matrix"
    at.switch_page("pages/models.py").run()
    assert [h.value for h in at.subheader] == ["Trained here"]
    assert any(m.value == "**Shapes: trained here**" for m in at.markdown), "its card, with its confusion matrix"
    at.switch_page("pages/draw.py").run()
    choice = next(s for s in at.segmented_control if s.label == "Alphabet")
    assert choice.options[-1] == "Shapes", "alphabets of one's own with a model trained here come last"
    choice.set_value("custom-shapes").run()
    at.session_state["canvas"] = {
        "drawing": {"raw": {"objects": []}, "data": "data:image/png;base64,"
                    + base64.b64encode(png_bytes(canvas_rgba(SHAPES["cross"]))).decode()},
        "backgroundFit": None,
    }  # fmt: skip
    at.run()
    assert not at.exception, at.exception
    [prediction] = [m for m in at.metric if m.label == "Prediction"]
    assert prediction.value in SHAPES
    model.unlink()
    model.with_suffix(".json").unlink()
