"""Command line: ``python -m recognizer {predict,read,check,train,evaluate} ...``.

The entry point of both halves: ``predict``, ``read`` and ``check`` use the runtime only; ``train``
and ``evaluate`` import :mod:`recognizer.training` when they run.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from .alphabets import ALPHABETS, get_alphabet
from .drawings import APP_DATABASE, StoreError
from .imageio import ImageReadError, read_image
from .paths import DEFAULT_DATA_DIR, MODELS_DIR, in_repo
from .reading import METHOD_MODELS, METHODS, methods

__all__ = ["main"]

SCRIPT = "handwriting-lab"
"""The console script installed by ``pip install -e .`` (in requirements.txt)."""
IN_REPO = "a relative path starts at the repository, not the working directory"


def _json_lines(files: list[str], describe) -> int:
    """Print one JSON line per image file: ``{"file": ..., **describe(image)}``, or its error (exit status 2)."""
    status = 0
    for file in files:
        try:
            line = {"file": file, **describe(read_image(file))}
        except (ImageReadError, ValueError) as err:
            line, status = {"file": file, "error": str(err)}, 2
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return status


def _predict(args: argparse.Namespace) -> int:
    from .inference import load

    rec = load(args.alphabet, args.model)

    def describe(image) -> dict:
        result = rec.recognize(image)
        line = {
            "blank": result.is_blank,
            "rejected": result.is_rejected,
            "none": round(result.none_probability, 6),
            "top_k": [[label, round(p, 6)] for label, p in result.top_k],
        }
        return line | ({"reason": result.blank_reason} if result.is_blank else {})

    return _json_lines(args.files, describe)


def _read(args: argparse.Namespace) -> int:
    from .inference import load

    usable = methods(ALPHABETS[args.alphabet])
    if args.method and args.method not in usable:
        raise ValueError(f"{args.alphabet} cannot be read with {args.method}; use {', '.join(usable)}")
    rec = load(args.alphabet, args.model)

    def describe(image) -> dict:
        reading = rec.read(image, args.method)
        return reading.to_json() | ({"reason": reading.blank_reason} if reading.blank_reason else {})

    return _json_lines(args.files, describe)


def _labels(given: str | None) -> list[str] | None:
    """``--labels``: a file with one label per line, or the labels separated by commas ("-" for none)."""
    if given is None:
        return None
    path = Path(given)
    return path.read_text(encoding="utf-8").splitlines() if path.is_file() else given.split(",")


def _check(args: argparse.Namespace) -> int:
    from .inference import check_model

    checked = check_model(args.model, args.alphabet, _labels(args.labels))
    found, notes = checked.found, checked.notes
    if args.json:
        table = [{"convention": c.describe(), "accuracy": round(a, 4)} for c, a in found.table]
        line = {
            "file": args.model,
            "works": found.works,
            "accuracy": round(found.accuracy, 4),
            "samples": found.samples,
            "convention": found.convention.to_json(),
            "mapping": list(found.mapping),
            "notes": list(notes),
            "table": table,
        }
        print(json.dumps(line, ensure_ascii=False))
        return 0
    print(f"{args.model}: {found.verdict(get_alphabet(args.alphabet))}")
    for note in notes:
        print(f"note: {note}")
    print(f"each convention tried, on {found.searched} of the {found.samples} probe drawings, best first:")
    for convention, accuracy in found.table[: args.rows]:
        print(f"  {accuracy:6.1%}  {convention.describe()}")
    if len(found.table) > args.rows:
        print(f"  ... {len(found.table) - args.rows} more (--rows to see them)")
    return 0


def _train(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # before TensorFlow starts: see recognizer.backend
    from .training.train import train, train_rows

    command = "python -m recognizer " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["train"] else None
    if args.drawings:
        return _train_collected(args, command)
    get_alphabet(args.alphabet)
    if args.model in METHOD_MODELS.values():
        if args.model not in ALPHABETS[args.alphabet].row_models:
            print(f"error: no {args.model} model for {args.alphabet}; only digits have one", file=sys.stderr)
            return 2
        train_rows(in_repo(args.data_dir), args.epochs, in_repo(args.out), args.seed, args.limit, model=args.model)
        return 0
    train(
        args.alphabet,
        args.model,
        in_repo(args.data_dir),
        args.epochs,
        in_repo(args.out),
        args.seed,
        args.limit,
        command=command,
    )
    return 0


def _train_collected(args: argparse.Namespace, command: str | None) -> int:
    from .training.collected import load_collected, train_collected
    from .training.train import print_progress

    source = args.drawings if "://" in args.drawings or args.drawings == APP_DATABASE else in_repo(args.drawings)
    collected = load_collected(source, args.alphabet)
    train_collected(
        collected,
        args.name,
        out=in_repo(args.out) if args.out != MODELS_DIR else None,
        fine_tune=False if args.from_scratch else None,
        epochs=args.epochs,
        data_dir=in_repo(args.data_dir),
        seed=args.seed,
        on_progress=print_progress,
        log=args.log,
        command=command or "",
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .inference import load
    from .training.evaluate import evaluate, validation_data
    from .training.train import remeasure
    from .visualize import plot_confusion

    if args.card:
        remeasure(args.alphabet, args.model, in_repo(args.data_dir))
        return 0
    if not args.data:
        raise ValueError("evaluate needs --data or --card")
    rec = load(args.alphabet, args.model)
    data, blanks = validation_data(args.alphabet, args.data, in_repo(args.data_dir), args.limit)
    result = evaluate(rec, data)
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
    prog = SCRIPT if Path(sys.argv[0]).name == SCRIPT else "python -m recognizer"
    parser = argparse.ArgumentParser(prog=prog, description="Handwriting Lab recognizer")
    commands = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--alphabet", required=True, choices=list(ALPHABETS))
        p.add_argument("--model", help="shipped model name (cnn, mlp) or a .keras path; default: the alphabet's first")

    predict = commands.add_parser("predict", help="recognise image files, one JSON object per line")
    common(predict)
    predict.add_argument("files", nargs="+", metavar="FILE")
    predict.set_defaults(run=_predict)

    read = commands.add_parser("read", help="read a row of characters in image files, one JSON object per line")
    common(read)
    read.add_argument(
        "--method", choices=METHODS, help="default: the most accurate the alphabet can use (digits: sequence)"
    )
    read.add_argument("files", nargs="+", metavar="FILE")
    read.set_defaults(run=_read)

    check = commands.add_parser("check", help="find the input convention and output order a Keras classifier needs")
    check.add_argument("model", metavar="MODEL", help="a .keras or .h5 file; nothing in it is run")
    check.add_argument("--alphabet", required=True, choices=list(ALPHABETS))
    check.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    check.add_argument("--rows", type=int, default=12, help="conventions to list (default 12)")
    check.add_argument(
        "--labels", help='the label of each output in order: "a,b,..." or a file, one a line ("-": none)'
    )
    check.set_defaults(run=_check)

    train = commands.add_parser("train", help="train a model and write it with its metadata")
    train.add_argument(
        "--alphabet", required=True, help=f"{', '.join(ALPHABETS)}, or with --drawings a custom alphabet's key"
    )
    train.add_argument(
        "--model",
        default="cnn",
        choices=["cnn", "mlp", *METHOD_MODELS.values()],
        help="architecture (row: the multi-head row reader; sequence: the sequence (CTC) row reader; digits)",
    )
    train.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=IN_REPO)
    train.add_argument("--epochs", type=int)
    train.add_argument("--out", type=Path, default=MODELS_DIR, help=IN_REPO)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--limit", type=int, help="cap samples per source (quick runs)")
    collected = train.add_argument_group("collected drawings (a CNN on the drawings people saved in the app)")
    collected.add_argument(
        "--drawings",
        metavar="SOURCE",
        help="a database URL, app (the app's database: HANDWRITING_LAB_DATABASE), or an exported .npz or .zip",
    )
    collected.add_argument("--name", default="class", help="the model's name after the alphabet's (default: class)")
    collected.add_argument(
        "--from-scratch", action="store_true", help="a shipped alphabet: train anew instead of fine-tuning its model"
    )
    collected.add_argument("--log", type=Path, help="append one JSON line per epoch to this file")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="accuracy, confusions and a confusion-matrix PNG")
    common(evaluate)
    evaluate.add_argument("--data", help="a validation set name (e.g. unipen_val) or an .npz (x, y)")
    evaluate.add_argument(
        "--card", action="store_true", help="measure every figure of the model's card again and write them into it"
    )
    evaluate.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="relative paths start at the repository"
    )
    evaluate.add_argument("--limit", type=int)
    evaluate.add_argument("--png", help="where to write the confusion matrix")
    evaluate.set_defaults(run=_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, StoreError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
