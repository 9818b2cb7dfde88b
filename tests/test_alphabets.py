from __future__ import annotations

import pytest

from recognizer.alphabets import ALPHABETS, Alphabet, get_alphabet
from recognizer.paths import MODELS_DIR


def test_registry_holds_the_three_alphabets() -> None:
    assert list(ALPHABETS) == ["digits", "letters", "runes"]
    assert get_alphabet("digits").labels == tuple("0123456789")
    assert get_alphabet("letters").labels == tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def test_runes_are_the_elder_futhark_in_order() -> None:
    runes = get_alphabet("runes")
    assert runes.num_classes == 24
    assert "".join(runes.labels) == "ᚠᚢᚦᚨᚱᚲᚷᚹᚺᚾᛁᛃᛇᛈᛉᛊᛏᛒᛖᛗᛚᛜᛞᛟ"
    assert runes.names[:4] == ("fehu", "uruz", "thurisaz", "ansuz")
    assert runes.names[-1] == "othala"
    assert runes.transliterations[runes.labels.index("ᚦ")] == "th"
    assert all(0x16A0 <= ord(label) <= 0x16F0 for label in runes.labels)


def test_labels_are_unique_and_every_alphabet_says_what_to_draw() -> None:
    for alphabet in ALPHABETS.values():
        assert len(set(alphabet.labels)) == alphabet.num_classes
        assert alphabet.button and alphabet.prompt


def test_labels_names_and_transliterations_must_align() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        Alphabet("broken", "Broken", ("a", "b"), ("a",), ("a", "b"))


def test_a_label_is_described_with_its_name_where_it_has_one() -> None:
    assert get_alphabet("runes").describe("ᚦ") == "ᚦ thurisaz (th)"
    assert get_alphabet("letters").describe("Q") == "Q"


def test_letters_are_case_insensitive() -> None:
    letters = get_alphabet("letters")
    assert letters.index("a") == letters.index("A") == 0


def test_model_paths_point_into_models() -> None:
    assert get_alphabet("digits").model_path() == MODELS_DIR / "digits_cnn.keras"
    assert get_alphabet("letters").model_path("mlp") == MODELS_DIR / "letters_mlp.keras"


def test_unknown_alphabet_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="digits, letters, runes"):
        get_alphabet("greek")
