"""Command line: ``python -m recognizer {predict,train,evaluate} ...``."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from .alphabets import ALPHABETS, get_alphabet
from .data import DEFAULT_DATA_DIR
from .imageio import ImageReadError, read_image

__all__ = ["main"]


def _predict(args: argparse.Namespace) -> int:
    from .inference import load

    rec = load(args.alphabet, args.model)
    status = 0
    for file in args.files:
        try:
            result = rec.recognize(read_image(file))
        except (ImageReadError, ValueError) as err:
            print(json.dumps({"file": file, "error": str(err)}, ensure_ascii=False), flush=True)
            status = 2
            continue
        line = {"file": file, "blank": result.is_blank, "top_k": [[label, round(p, 6)] for label, p in result.top_k]}
        if result.is_blank:
            line["reason"] = result.blank_reason
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return status


def _train(args: argparse.Namespace) -> int:
    from .train import train

    command = "python -m recognizer " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["train"] else None
    train(args.alphabet, args.model, args.data_dir, args.epochs, args.out, args.seed, args.limit, command=command)
    return 0


def _evaluate_data(alphabet: str, data: str, data_dir: Path, limit: int | None):
    """A named validation set of the alphabet, or an .npz of raw images (x uint8 NxHxW[xC], y labels)."""
    from . import datasets
    from .data import Dataset, label_indices
    from .preprocess import preprocess

    if data.endswith(".npz"):
        with np.load(data) as f:
            images, labels = f["x"], f["y"]
        y, known = label_indices(get_alphabet(alphabet), [str(v) for v in labels])
        if not known.all():
            raise ValueError(f"{data}: labels not in {alphabet}: {sorted(set(map(str, labels[~known])))[:10]}")
        inputs = [preprocess(image) for image in images]
        keep = np.array([not p.is_blank for p in inputs])
        x = np.array([p.model_input for p in inputs], np.float32)
        return Dataset(x[keep], y[keep]), int((~keep).sum())
    sources = datasets.build(alphabet, data_dir, limit=limit, train=False)
    if data not in sources.validation:
        raise ValueError(
            f"unknown data {data!r} for {alphabet}; expected an .npz or one of {', '.join(sources.validation)}"
        )
    return sources.validation[data], 0


def _evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate_predictions, plot_confusion
    from .inference import load

    rec = load(args.alphabet, args.model)
    data, blanks = _evaluate_data(args.alphabet, args.data, args.data_dir, args.limit)
    result = evaluate_predictions(data.y, rec.classify(data.x).argmax(axis=1), rec.alphabet.labels)
    print(
        f"{rec.path.name} on {args.data}: accuracy {result.accuracy:.2%} ({result.samples} samples"
        + (f", {blanks} blank images skipped)" if blanks else ")")
    )
    worst = sorted(result.per_class.items(), key=lambda kv: kv[1])[:5]
    print("weakest classes: " + ", ".join(f"{k} {v:.1%}" for k, v in worst))
    confusions = ", ".join(f"{t}->{p} x{c}" for t, p, c in result.confusions[:10])
    print(f"most frequent confusions: {confusions or 'none'}")
    png = Path(args.png or f"confusion_{rec.path.stem}_{Path(args.data).stem}.png")
    plot_confusion(result, f"{rec.path.stem} on {args.data}", png, tick_labels=rec.alphabet.names)
    print(f"confusion matrix: {png}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m recognizer", description="Handwriting Lab recognizer")
    commands = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--alphabet", required=True, choices=list(ALPHABETS))
        p.add_argument("--model", help="shipped model name (cnn, mlp) or a .keras path; default: the alphabet's first")

    predict = commands.add_parser("predict", help="recognise image files, one JSON object per line")
    common(predict)
    predict.add_argument("files", nargs="+", metavar="FILE")
    predict.set_defaults(run=_predict)

    train = commands.add_parser("train", help="train a model and write it with its metadata")
    train.add_argument("--alphabet", required=True, choices=list(ALPHABETS))
    train.add_argument("--model", default="cnn", choices=["cnn", "mlp"], help="architecture")
    train.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    train.add_argument("--epochs", type=int)
    train.add_argument("--out", type=Path, default=Path("models"))
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--limit", type=int, help="cap samples per source (quick runs)")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="accuracy, confusions and a confusion-matrix PNG")
    common(evaluate)
    evaluate.add_argument("--data", required=True, help="a validation set name (e.g. unipen_val) or an .npz (x, y)")
    evaluate.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    evaluate.add_argument("--limit", type=int)
    evaluate.add_argument("--png", help="where to write the confusion matrix")
    evaluate.set_defaults(run=_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
