"""Accuracy of the shipped UNIPEN models on writers from other places, institution by institution.

    python bench/bench_places.py [--alphabets digits,letters] [--sheets DIR]

The headline validation figure (``unipen_places_val``) pools four institutions that
training never saw (``recognizer.training.datasets.OTHER_PLACES``). This splits it
by institution and, for letters, into capitals and small letters, next to the
writers held out of the training institutions (``unipen_val``), with the most
frequent confusions: where a gap comes from, and how many real characters each
model takes for "none of these". Drawings are rendered with the validation seed,
as training renders them. ``--sheets DIR`` also draws every model's wrong readings
of the other places' characters (up to 240), as the model saw them, into
``DIR/<model>-errors.png``: whether the drawing or the model is wrong, one can see.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import recognizer
from recognizer.paths import DEFAULT_DATA_DIR
from recognizer.training import datasets
from recognizer.training.data import label_indices, load_unipen, prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alphabets", default="digits,letters")
    parser.add_argument("--sheets", type=Path, help="a folder for the contact sheets of wrong readings")
    args = parser.parse_args()
    unipen = load_unipen(DEFAULT_DATA_DIR / datasets.UNIPEN_FILE)
    parts = datasets.unipen_parts(unipen)
    groups = {place: parts["other places"] & (unipen.sources == place) for place in datasets.OTHER_PLACES}
    groups["unseen writers, training places"] = parts["validation"]
    seed = datasets.VALIDATION_SEED_OFFSET
    for key in args.alphabets.split(","):
        alphabet = recognizer.get_alphabet(key)
        y, known = label_indices(alphabet, unipen.labels)
        small = np.char.islower(unipen.labels.astype(str))
        sets = {}
        for name, mask in groups.items():
            cases = {"": mask} if key == "digits" else {", capitals": mask & ~small, ", small": mask & small}
            for case, where in cases.items():
                index = np.flatnonzero(known & where)
                if len(index):  # uqb wrote capitals only
                    sets[name + case] = prepare(unipen.subset(index), y[index], seed)
        for model in alphabet.models:
            rec = recognizer.load(key, model)
            print(f"\n{key}_{model}")
            print(f"  {'':42} {'right':>7} {'':8} {'rejected':>8}   most frequent confusions")
            errors = []
            for name, data in sets.items():
                chunks = [rec.score_inputs(rec.convention.apply(data.x[i : i + 512])) for i in range(0, len(data), 512)]
                predicted = np.concatenate([c.probabilities for c in chunks]).argmax(axis=1)
                pairs = zip(data.y, predicted, strict=True)
                wrong = Counter(f"{alphabet.labels[t]}->{alphabet.labels[p]}" for t, p in pairs if t != p)
                top = ", ".join(f"{pair} x{n}" for pair, n in wrong.most_common(4))
                right, rejected = np.mean(predicted == data.y), np.mean(np.concatenate([c.rejected for c in chunks]))
                print(f"  {name:42} {right:7.2%} of {len(data):5} {rejected:8.2%}   {top}")
                if name.startswith(datasets.OTHER_PLACES):
                    labels = np.array(alphabet.labels)
                    for k in np.flatnonzero(predicted != data.y):
                        errors.append((data.x[k], f"{labels[data.y[k]]}>{labels[predicted[k]]} {name.split(',')[0]}"))
            if args.sheets:
                args.sheets.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(args.sheets / f"{key}_{model}-errors.png"), contact_sheet(errors))


def contact_sheet(tiles: list[tuple[np.ndarray, str]], columns: int = 16, limit: int = 240) -> np.ndarray:
    """Canonical 28 x 28 images in [0, 1] with a caption each, 3 times their size, in rows of ``columns``."""
    side = 84
    sheet = np.zeros((max(1, -(-min(len(tiles), limit) // columns)) * side, columns * side), np.uint8)
    for k, (image, caption) in enumerate(tiles[:limit]):
        tile = cv2.resize(np.rint(image * 255).astype(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST)
        cv2.putText(tile, caption, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.35, 170, 1, cv2.LINE_AA)
        row, col = divmod(k, columns)
        sheet[row * side : (row + 1) * side, col * side : (col + 1) * side] = tile
    sheet[::side] = sheet[:, ::side] = 60  # a grid line between tiles
    return sheet


if __name__ == "__main__":
    main()
