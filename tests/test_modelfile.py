"""Loading any Keras classifier safely: crafted files each get one clear outcome, and nothing in them runs."""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest

from recognizer import modelfile
from recognizer.alphabets import get_alphabet
from recognizer.modelfile import MAX_MODEL_BYTES, Classifier, ModelFileError, load_classifier, load_model

layers = keras.layers


def image_classifier(shape: tuple[int, ...] = (28, 28, 1), classes: int = 10, activation: str = "softmax"):
    """A small Sequential classifier of images of ``shape``."""
    return keras.Sequential(
        [keras.Input(shape), layers.Flatten(), layers.Dense(classes, activation=activation, name="scores")]
    )


def save(model: keras.Model, path: Path) -> Path:
    """``model.save(path)``, quiet about the legacy format of ``.h5``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    return path


def edit_config(source: Path, target: Path, edit: Callable[[dict], None]) -> Path:
    """A copy of a ``.keras`` archive with its config.json changed by ``edit``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            new.writestr(info, data)
    return target


def refusal(path: Path, *fragments: str) -> str:
    """Load ``path``, expect a refusal of one short line naming the file and containing every fragment."""
    with pytest.raises(ModelFileError) as err:
        load_classifier(path)
    message = str(err.value)
    assert "\n" not in message, message
    assert message.startswith(f"{path}: "), message
    assert len(message) - len(str(path)) <= 180, f"{len(message)} characters: {message}"
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- classifiers that load ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(28, 28, 1), (784,), (32, 32, 3), (1, 28, 28), (3, 16, 16), (28, 28), (64,)])
def test_image_classifiers_of_every_input_layout_load(tmp_path: Path, shape: tuple[int, ...]) -> None:
    path = save(image_classifier(shape), tmp_path / "model.keras")
    classifier = load_classifier(path)
    assert isinstance(classifier, Classifier) and isinstance(classifier.model, keras.Model)
    assert classifier.input_shape == shape and classifier.num_outputs == 10
    assert not classifier.outputs_logits and classifier.notes == ()


def test_a_legacy_h5_file_loads(tmp_path: Path) -> None:
    model = image_classifier()
    path = save(model, tmp_path / "legacy.h5")
    with path.open("rb") as file:
        assert file.read(8) == b"\x89HDF\r\n\x1a\n"
    classifier = load_classifier(path)
    assert classifier.input_shape == (28, 28, 1) and classifier.num_outputs == 10
    x = np.random.default_rng(1).uniform(size=(2, 28, 28, 1)).astype(np.float32)
    assert np.allclose(classifier.model.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_the_kind_of_file_is_told_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    model = image_classifier()
    h5_named_keras = tmp_path / "really_h5.keras"
    save(model, tmp_path / "legacy.h5").rename(h5_named_keras)
    zip_named_h5 = tmp_path / "really_keras.h5"
    save(model, tmp_path / "model.keras").rename(zip_named_h5)
    for path in (h5_named_keras, zip_named_h5, save(model, tmp_path / "model.keras").rename(tmp_path / "model.bin")):
        assert load_classifier(path).num_outputs == 10


def test_a_functional_model_wrapping_a_sequential_one_loads(tmp_path: Path) -> None:
    inner = keras.Sequential([layers.Conv2D(4, 3, activation="relu"), layers.GlobalAveragePooling2D()], name="inner")
    inputs = keras.Input((28, 28, 1))
    outputs = layers.Dense(10, activation="softmax")(inner(layers.Rescaling(1.0)(inputs)))
    for name in ("nested.keras", "nested.h5"):
        classifier = load_classifier(save(keras.Model(inputs, outputs), tmp_path / name))
        assert classifier.input_shape == (28, 28, 1) and classifier.num_outputs == 10
        assert any(isinstance(layer, keras.Sequential) for layer in classifier.model.layers)


def test_logits_are_detected_and_softmax_is_applied(tmp_path: Path) -> None:
    """The crafted file of the issue: outputs that sum to 1.57 (every one of ten is 0.157)."""
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Flatten(),
            layers.Dense(10, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(0.157)),
        ]
    )
    classifier = load_classifier(save(model, tmp_path / "logits.keras"))
    assert classifier.outputs_logits
    assert classifier.notes == (
        "the output is not a probability distribution (it sums to 1.57): softmax is applied to it",
    )
    probabilities = classifier.probabilities(model.predict(np.zeros((3, 28, 28, 1)), verbose=0))
    assert (
        probabilities.shape == (3, 10) and np.allclose(probabilities.sum(axis=1), 1) and np.allclose(probabilities, 0.1)
    )


def test_raw_scores_of_a_random_dense_layer_are_logits(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    classifier = load_classifier(save(image_classifier(activation="linear"), tmp_path / "raw.keras"))
    assert classifier.outputs_logits
    (note,) = classifier.notes
    assert re.fullmatch(
        r"the output is not a probability distribution \(it sums to -?[\d.e+-]+\): softmax is applied to it", note
    )


def test_probabilities_are_left_as_they_are(tmp_path: Path) -> None:
    classifier = load_classifier(save(image_classifier(), tmp_path / "probs.keras"))
    outputs = np.array([[0.2, 0.8]], np.float32)
    assert np.array_equal(classifier.probabilities(outputs), outputs)


# --- code in a file is never run ---------------------------------------------------------------------------------


def marking_lambda(marker: Path) -> layers.Lambda:
    """A Lambda layer whose function, whenever it runs, creates ``marker``: its code is serialised into the file."""
    name = str(marker)
    return layers.Lambda(lambda x: (open(name, "w").close(), x)[1])


@pytest.fixture
def lambda_model(tmp_path: Path) -> tuple[keras.Model, Path]:
    marker = tmp_path / "the_lambda_ran"
    model = keras.Sequential([keras.Input((28, 28, 1)), marking_lambda(marker), layers.Flatten(), layers.Dense(10)])
    assert marker.exists(), "building the model ran the lambda, so the marker tells whether it ran"
    marker.unlink()
    return model, marker


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_lambda_layer_is_refused_and_never_run(tmp_path: Path, lambda_model, suffix: str) -> None:
    model, marker = lambda_model
    path = save(model, tmp_path / f"lambda{suffix}")
    marker.unlink(missing_ok=True)
    refusal(path, "contains a Lambda layer", "never run here")
    assert not marker.exists()
    with pytest.raises(ModelFileError, match="Lambda layer"):
        load_model(path, get_alphabet("digits"))
    assert not marker.exists()


def test_the_marker_would_show_that_the_lambda_ran(tmp_path: Path, lambda_model) -> None:
    """The control: loading the same file unsafely (never done by the project) runs the code and leaves the marker."""
    model, marker = lambda_model
    path = save(model, tmp_path / "lambda.keras")
    marker.unlink(missing_ok=True)
    keras.models.load_model(path, compile=False, safe_mode=False)
    assert marker.exists()


def test_a_lambda_slipped_past_the_config_scan_is_refused_by_keras(
    tmp_path: Path, lambda_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keras's safe mode is the second guard: with the scan switched off its refusal gets the same message."""
    model, marker = lambda_model
    path = save(model, tmp_path / "lambda.keras")
    marker.unlink(missing_ok=True)
    monkeypatch.setattr(modelfile, "_custom_code", lambda config: None)
    refusal(path, "contains a Lambda layer", "never run here")
    assert not marker.exists()


class Doubler(layers.Layer):
    """A custom layer; calling it creates the marker file named by the class attribute."""

    marker = ""

    def call(self, x):
        if Doubler.marker:
            Path(Doubler.marker).touch()
        return 2 * x


@pytest.fixture
def registered_doubler(tmp_path: Path):
    """A Doubler class registered as ``HandwritingLabTest>Doubler`` for this test only, and the marker it would leave.

    A fresh subclass each time: Keras remembers the name of a class it has registered, even once it is unregistered.
    """
    registered = keras.saving.register_keras_serializable(package="HandwritingLabTest")(type("Doubler", (Doubler,), {}))
    try:
        yield registered, tmp_path / "the_custom_layer_ran"
    finally:
        keras.saving.get_custom_objects().pop("HandwritingLabTest>Doubler", None)
        Doubler.marker = ""


def custom_model(layer: type[layers.Layer] = Doubler) -> keras.Model:
    return keras.Sequential([keras.Input((28, 28, 1)), layer(), layers.Flatten(), layers.Dense(10)])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_custom_layer_is_refused_even_while_registered(tmp_path: Path, registered_doubler, suffix: str) -> None:
    registered, marker = registered_doubler
    path = save(custom_model(registered), tmp_path / f"custom{suffix}")
    Doubler.marker = str(marker)
    refusal(path, "contains custom code (HandwritingLabTest>Doubler", "never run here")
    assert not marker.exists()


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_custom_layer_no_longer_registered_is_refused(tmp_path: Path, registered_doubler, suffix: str) -> None:
    registered, marker = registered_doubler
    path = save(custom_model(registered), tmp_path / f"custom{suffix}")
    keras.saving.get_custom_objects().pop("HandwritingLabTest>Doubler")
    Doubler.marker = str(marker)
    refusal(path, "contains custom code (HandwritingLabTest>Doubler", "never run here")
    assert not marker.exists()


def test_an_unregistered_custom_layer_names_its_module_and_is_refused(tmp_path: Path) -> None:
    path = save(custom_model(), tmp_path / "custom.keras")
    refusal(path, "contains custom code (Doubler from 'test_modelfile'), which is never run here")


# --- long Keras errors become one line ---------------------------------------------------------------------------


@pytest.fixture
def plain_keras(tmp_path: Path) -> Path:
    return save(image_classifier(), tmp_path / "plain.keras")


def set_second_layer(key: str, value: object) -> Callable[[dict], None]:
    def edit(config: dict) -> None:
        config["config"]["layers"][2][key] = value

    return edit


def test_a_class_keras_does_not_have_is_refused_as_custom_code(tmp_path: Path, plain_keras: Path) -> None:
    """A custom class disguised as one of Keras's own passes the scan; Keras's refusal becomes the same one line."""
    path = edit_config(plain_keras, tmp_path / "disguised.keras", set_second_layer("class_name", "Doubler"))
    refusal(path, "contains custom code (keras.layers.Doubler, not part of Keras), which is never run here")


@pytest.mark.parametrize(
    ("module", "function", "problem"),
    [
        ("os", "system", "contains custom code (system from 'os'), which is never run here"),
        ("builtins", "eval", "contains custom code (eval, not part of Keras), which is never run here"),
        ("keras.utils", "get_file", "uses keras.utils.get_file, which is not part of a model and is never run here"),
    ],
)
def test_a_function_outside_keras_layers_is_refused(
    tmp_path: Path, plain_keras: Path, module: str, function: str, problem: str
) -> None:
    """A config may name a function as a layer's activation: only Keras's own modelling functions are accepted."""

    def activation(config: dict) -> None:
        reference = {"module": module, "class_name": "function", "config": function, "registered_name": None}
        config["config"]["layers"][2]["config"]["activation"] = reference

    refusal(edit_config(plain_keras, tmp_path / f"{function}.keras", activation), problem)


def test_a_broken_config_gives_the_first_sentence_of_the_keras_error(tmp_path: Path, plain_keras: Path) -> None:
    """Keras's message here is over 3,000 characters, most of it the whole config."""

    def bad_units(config: dict) -> None:
        config["config"]["layers"][2]["config"]["units"] = "ten"

    path = edit_config(plain_keras, tmp_path / "units.keras", bad_units)
    message = refusal(path, "cannot be loaded as a Keras model", "invalid value for `units`")
    assert "config" not in message.removeprefix(str(path))


# --- not a classifier --------------------------------------------------------------------------------------------


def test_nan_weights_are_refused(tmp_path: Path) -> None:
    model = image_classifier()
    kernel, bias = model.get_layer("scores").get_weights()
    kernel[3, 4] = np.nan
    model.get_layer("scores").set_weights([kernel, bias])
    path = save(model, tmp_path / "nan.keras")
    refusal(path, "its weights contain NaN or infinite values")
    with pytest.raises(ModelFileError, match="NaN"):
        load_model(path, get_alphabet("digits"))


def test_outputs_that_overflow_to_nan_are_refused(tmp_path: Path) -> None:
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Flatten(),
            layers.Dense(10, activation="softmax", kernel_initializer=keras.initializers.Constant(1e38)),
        ]
    )
    refusal(save(model, tmp_path / "overflow.keras"), "its outputs are NaN or infinite")


def test_two_inputs_are_refused(tmp_path: Path) -> None:
    image, extra = keras.Input((28, 28, 1)), keras.Input((4,))
    joined = layers.Concatenate()([layers.Flatten()(image), extra])
    model = keras.Model([image, extra], layers.Dense(10, activation="softmax")(joined))
    refusal(save(model, tmp_path / "two_inputs.keras"), "takes 2 inputs")


def test_two_outputs_are_refused(tmp_path: Path) -> None:
    inputs = keras.Input((28, 28, 1))
    flat = layers.Flatten()(inputs)
    model = keras.Model(inputs, [layers.Dense(10)(flat), layers.Dense(3)(flat)])
    refusal(save(model, tmp_path / "two_outputs.keras"), "has 2 outputs")


def test_an_unbuilt_sequential_model_is_refused(tmp_path: Path) -> None:
    path = save(
        keras.Sequential([layers.Flatten(), layers.Dense(10, activation="softmax")]), tmp_path / "unbuilt.keras"
    )
    refusal(path, "not a model with a defined input")
    with pytest.raises(ModelFileError, match="defined input"):
        load_model(path, get_alphabet("digits"))


@pytest.mark.parametrize(
    ("shape", "problem"),
    [
        ((10,), "input shape (10,) is not a square image"),
        ((28, 28, 5), "input shape (28, 28, 5) is not a square image"),
    ],
)
def test_inputs_that_are_not_images_are_refused(tmp_path: Path, shape: tuple[int, ...], problem: str) -> None:
    refusal(save(image_classifier(shape), tmp_path / "not_image.keras"), problem)


def test_an_input_of_any_size_is_refused(tmp_path: Path) -> None:
    model = keras.Sequential(
        [keras.Input((None, None, 1)), layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")]
    )
    refusal(save(model, tmp_path / "any_size.keras"), "input shape (None, None, 1) is not a square image")


def test_a_single_output_is_not_class_scores(tmp_path: Path) -> None:
    model = image_classifier(classes=1, activation="sigmoid")
    refusal(save(model, tmp_path / "one_output.keras"), "output shape (None, 1) is not class scores")


# --- not a model file --------------------------------------------------------------------------------------------


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    refusal(tmp_path / "missing.keras", "model file not found")


@pytest.mark.parametrize("name", ["noise.keras", "noise.h5", "noise"])
def test_random_bytes_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    refusal(path, "not a Keras model file (expected a .keras zip archive or a legacy .h5 HDF5 file)")


def test_a_damaged_hdf5_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "damaged.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + np.random.default_rng(0).bytes(4096))
    refusal(path, "cannot be read as a Keras model")


def test_a_weights_only_hdf5_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "only.weights.h5"
    image_classifier().save_weights(path)
    refusal(path, "an HDF5 file without a model")


def test_a_zip_archive_without_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    refusal(path, "a zip archive without config.json")


def test_a_file_over_the_size_cap_is_refused_without_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.keras"
    with path.open("wb") as file:
        file.truncate(MAX_MODEL_BYTES + 1)  # sparse: takes no space on disk
    monkeypatch.setattr(keras.models, "load_model", lambda *args, **kwargs: pytest.fail("Keras was asked to load it"))
    refusal(path, "100.0 MB is larger than the 100 MB limit for a model")


def test_archives_and_hdf5_files_that_unpack_to_too_much_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small on disk, 4 MB of zeros once unpacked: refused under a 1 MB limit before Keras sees them."""
    import h5py

    zeros = np.zeros(4 * 1024**2, np.uint8)
    keras_path = save(image_classifier(), tmp_path / "model.keras")
    with zipfile.ZipFile(keras_path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("padding.bin", zeros.tobytes())
    h5_path = save(image_classifier(), tmp_path / "model.h5")
    with h5py.File(h5_path, "a") as file:
        file.create_dataset("padding", data=zeros, compression="gzip")
    assert max(keras_path.stat().st_size, h5_path.stat().st_size) < 1024**2
    monkeypatch.setattr(modelfile, "MAX_MODEL_BYTES", 1024**2)
    monkeypatch.setattr(keras.models, "load_model", lambda *args, **kwargs: pytest.fail("Keras was asked to load it"))
    refusal(keras_path, "unpacks to 4.0 MB, more than the 1 MB limit for a model")
    refusal(h5_path, "its weights hold 4.0 MB, more than the 1 MB limit for a model")
