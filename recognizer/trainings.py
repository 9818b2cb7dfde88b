"""Trainings asked for in the app: a queue in the drawings database, run one at a time per server in a child process.

The server never trains: :class:`TrainingQueue` starts ``python -m recognizer train --drawings ...``
for the oldest queued training, follows its per-epoch log (loss, accuracy, validation accuracy),
and ends or cancels it. The queue lives in the database, so every session (and every server
sharing a PostgreSQL database) sees the same one; each server runs at most one training at a time::

    queue = TrainingQueue(store)
    queue.start()                                  # a thread that runs the queue
    job = queue.request(alphabet, "ada")           # queued; refused with a message when it cannot train
    queue.trainings()[0].status                    # "queued", "running", "done", ...
    queue.epoch_log(job)                              # [{"epoch": 1, "loss": ..., "val_accuracy": ...}, ...]
    queue.cancel(job.id)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .alphabets import ALPHABETS, Alphabet
from .card import ModelCard, ModelFileError
from .drawings import APP_DATABASE, DrawingStore, custom_alphabet
from .paths import ROOT, USER_DATA_DIR, USER_MODELS_DIR

if TYPE_CHECKING:
    from .inference import Recognizer

__all__ = [
    "ACTIVE",
    "MIN_PER_LABEL",
    "STATUSES",
    "Training",
    "TrainingQueue",
    "alphabet_of",
    "load_trained",
    "trained_alphabets",
    "trained_models",
]

MIN_PER_LABEL = 5
"""Fewest drawings of every label a training accepts."""
ACTIVE = ("queued", "running", "cancelling")
"""Statuses of a training that has not ended; the others are ``done``, ``failed`` and ``cancelled``."""
STATUSES = {
    "queued": ("waiting", ":material/hourglass_top:"),
    "running": ("training", ":material/model_training:"),
    "cancelling": ("cancelling", ":material/pending:"),
    "done": ("done", ":material/check_circle:"),
    "failed": ("failed", ":material/error:"),
    "cancelled": ("cancelled", ":material/cancel:"),
}
"""Every status a training can have, as the pages show it: words and a Material icon."""
LOGS_DIR = USER_DATA_DIR / "trainings"

_trainings = sa.Table(
    "trainings",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alphabet", sa.String(64), nullable=False),
    sa.Column("fine_tune", sa.Boolean, nullable=False),
    sa.Column("requested_by", sa.String(160), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("server", sa.String(160)),
    sa.Column("pid", sa.Integer),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started", sa.DateTime(timezone=True)),
    sa.Column("finished", sa.DateTime(timezone=True)),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("model", sa.Text),
)


@dataclass(frozen=True)
class Training:
    """One training asked for in the app.

    Attributes
    ----------
    id : int
    alphabet : str
        Key of the alphabet it trains.
    fine_tune : bool
        Whether it starts from the shipped model (shipped alphabets) or from scratch.
    requested_by : str
        The nickname that asked for it.
    status : str
        ``queued``, ``running``, ``cancelling``, ``done``, ``failed`` or ``cancelled``.
    created, started, finished : datetime or None
    message : str
        Why it failed, or its last words.
    model : str or None
        The model file it wrote, once done.
    """

    id: int
    alphabet: str
    fine_tune: bool
    requested_by: str
    status: str
    created: datetime
    started: datetime | None
    finished: datetime | None
    message: str
    model: str | None

    @property
    def name(self) -> str:
        """The model's name after the alphabet's: ``class-<id>``."""
        return f"class-{self.id}"

    @property
    def log(self) -> Path:
        """Its per-epoch log: one JSON line per epoch."""
        return LOGS_DIR / f"{self.id}.jsonl"

    @property
    def output(self) -> Path:
        """What the training process printed."""
        return LOGS_DIR / f"{self.id}.out"


def trained_models(alphabet: str, folder: Path | None = None) -> list[Path]:
    """Models trained in the app for ``alphabet``, newest first."""
    folder = folder or USER_MODELS_DIR
    found = [p for p in folder.glob(f"{alphabet}_*.keras") if p.with_suffix(".json").is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def trained_alphabets(folder: Path | None = None) -> list[Alphabet]:
    """The custom alphabets that have a model trained in the app, in the order their first model was made."""
    found: dict[str, Alphabet] = {}
    for path in sorted((folder or USER_MODELS_DIR).glob("custom-*.keras"), key=lambda p: p.stat().st_mtime):
        try:
            card = ModelCard.read(path)
            if card is not None:
                found.setdefault(card.alphabet, alphabet_of(card))
        except ModelFileError:  # a damaged card: the Models page says so
            continue
    return list(found.values())


def load_trained(path: str | Path) -> Recognizer:
    """A recognizer of a model trained in the app, with the alphabet its card names (TensorFlow starts here).

    Raises
    ------
    ModelFileError
        The file or its card is missing, damaged or does not fit.
    """
    from .inference import load

    card = ModelCard.read(path)
    if card is None:
        raise ModelFileError(f"{path}: no model card beside it")
    return load(alphabet_of(card), Path(path))


def alphabet_of(card: ModelCard) -> Alphabet:
    """The alphabet a model card's labels belong to: a shipped one, or the custom one it was trained for.

    Raises
    ------
    ModelFileError
        The card names no shipped alphabet and no custom alphabet can be made of it.
    """
    if card.alphabet in ALPHABETS:
        return ALPHABETS[card.alphabet]
    title = card.training_data.get("collected", {}).get("alphabet", card.alphabet.removeprefix("custom-"))
    try:
        return custom_alphabet(title, card.labels)
    except ValueError as err:
        raise ModelFileError(f"{card.name}: {err}") from None


def _server() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class TrainingQueue:
    """The trainings of one database, run by this server one at a time.

    Parameters
    ----------
    store : DrawingStore
        Where the drawings and the queue are.
    url : str, optional
        The database URL the training process opens (default: the store's own).
    models_dir : Path, optional
        Where trained models are written; default :data:`recognizer.paths.USER_MODELS_DIR`.
    epochs : int, optional
        Epochs of every training (default: ``recognizer.training.collected.EPOCHS``), fewer for a quick run.
    """

    def __init__(
        self, store: DrawingStore, url: str | None = None, models_dir: Path | None = None, epochs: int | None = None
    ) -> None:
        self.store = store
        self.url = url or store.engine.url.render_as_string(hide_password=False)
        self.models_dir = models_dir or USER_MODELS_DIR
        self.epochs = epochs
        self.server = _server()
        self._process: subprocess.Popen | None = None
        self._running: Training | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        with store.transaction("open the training queue") as conn:
            _trainings.create(conn, checkfirst=True)
        self._forget_dead()

    # ---- what the pages call ----------------------------------------------

    def request(self, alphabet: Alphabet, requested_by: str, fine_tune: bool | None = None) -> Training:
        """Queue a training of ``alphabet`` on its collected drawings.

        Raises
        ------
        ValueError
            A label with fewer than :data:`MIN_PER_LABEL` drawings, or a training of this alphabet not yet ended.
        """
        counts = self.store.counts(alphabet)
        if short := {label: n for label, n in counts.items() if n < MIN_PER_LABEL}:
            raise ValueError(
                f"Every label needs at least {MIN_PER_LABEL} drawings before training; still short: "
                + ", ".join(f"{label} ({n})" for label, n in short.items())
                + "."
            )
        if any(t.alphabet == alphabet.key and t.status in ACTIVE for t in self.trainings()):
            raise ValueError(f"A training of {alphabet.title} is already queued or running.")
        fine_tune = alphabet.key in ALPHABETS if fine_tune is None else fine_tune
        with self.store.transaction("queue the training") as conn:
            new = conn.execute(
                _trainings.insert().values(
                    alphabet=alphabet.key,
                    fine_tune=bool(fine_tune and alphabet.key in ALPHABETS),
                    requested_by=" ".join(requested_by.split()) or "someone",
                    status="queued",
                    created=datetime.now(UTC),
                    message="",
                )
            ).inserted_primary_key[0]
        return self.get(int(new))

    def get(self, training_id: int) -> Training:
        with self.store.transaction("read the trainings") as conn:
            row = conn.execute(sa.select(_trainings).where(_trainings.c.id == training_id)).one()
        return _training(row)

    def trainings(self, limit: int = 20) -> list[Training]:
        """The latest trainings, newest first."""
        with self.store.transaction("read the trainings") as conn:
            rows = conn.execute(sa.select(_trainings).order_by(_trainings.c.id.desc()).limit(limit)).all()
        return [_training(row) for row in rows]

    def cancel(self, training_id: int) -> None:
        """Cancel a queued training at once, a running one within a second."""
        with self.store.transaction("cancel the training") as conn:
            conn.execute(
                _trainings.update()
                .where((_trainings.c.id == training_id) & (_trainings.c.status == "queued"))
                .values(status="cancelled", finished=datetime.now(UTC), message="cancelled before it started")
            )
            conn.execute(
                _trainings.update()
                .where((_trainings.c.id == training_id) & (_trainings.c.status == "running"))
                .values(status="cancelling")
            )
        self.step()

    @staticmethod
    def epoch_log(training: Training) -> list[dict[str, Any]]:
        """Its per-epoch records so far: ``epoch``, ``epochs``, ``loss``, ``accuracy``, ``val_loss``,
        ``val_accuracy``, ``seconds``."""
        try:
            lines = training.log.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:  # a line being written
                break
        return out

    @staticmethod
    def last_words(training: Training) -> str:
        """The last line the training process printed (its progress, or its error)."""
        try:
            lines = training.output.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    # ---- the runner -------------------------------------------------------

    def start(self) -> None:
        """Run the queue in a background thread of this server (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="training-queue", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the runner thread and cancel the training it runs."""
        self._stop.set()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.step()
            except Exception as err:  # a database hiccup must not end the runner
                print(f"training queue: {err}", file=sys.stderr)

    def step(self) -> None:
        """Follow the running training, end or cancel it, and start the next queued one."""
        with self._lock:
            if self._running is not None:
                self._follow()
            if self._running is None:
                self._start_next()

    def _follow(self) -> None:
        job, process = self._running, self._process
        assert job is not None and process is not None
        if self.get(job.id).status == "cancelling":
            process.send_signal(signal.SIGTERM)
            process.wait(30)
            self._end(job, "cancelled", "cancelled while training")
            return
        code = process.poll()
        if code is None:
            return
        model = self.models_dir / f"{job.alphabet}_{job.name}.keras"
        if code == 0 and model.is_file():
            self._end(job, "done", self.last_words(job), model)
        else:
            self._end(job, "failed", self.last_words(job).removeprefix("error: ") or f"exit code {code}")

    def _end(self, job: Training, status: str, message: str, model: Path | None = None) -> None:
        with self.store.transaction("end the training") as conn:
            conn.execute(
                _trainings.update()
                .where(_trainings.c.id == job.id)
                .values(status=status, finished=datetime.now(UTC), message=message, model=model and str(model))
            )
        self._running = self._process = None

    def _start_next(self) -> None:
        with self.store.transaction("start the next training") as conn:
            first = conn.execute(
                sa.select(_trainings.c.id).where(_trainings.c.status == "queued").order_by(_trainings.c.id).limit(1)
            ).scalar()
            if first is None:
                return
            claimed = conn.execute(  # another server may have claimed it in the meantime
                _trainings.update()
                .where((_trainings.c.id == first) & (_trainings.c.status == "queued"))
                .values(status="running", server=self.server, started=datetime.now(UTC))
            ).rowcount
        if not claimed:
            return
        job = self.get(first)
        LOGS_DIR.mkdir(parents=True, exist_ok=True)
        job.log.unlink(missing_ok=True)
        command = [sys.executable, "-m", "recognizer", "train", "--alphabet", job.alphabet, "--drawings", APP_DATABASE]
        command += ["--name", job.name, "--out", str(self.models_dir), "--log", str(job.log)]
        if not job.fine_tune:
            command.append("--from-scratch")
        if self.epochs:
            command += ["--epochs", str(self.epochs)]
        with job.output.open("w", encoding="utf-8") as out:
            self._process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,  # the database's URL goes in the environment: no password on a command line or in a card
                env=os.environ | {"PYTHONUNBUFFERED": "1", "HANDWRITING_LAB_DATABASE": self.url},
            )
        self._running = job
        with self.store.transaction("start the training") as conn:
            conn.execute(_trainings.update().where(_trainings.c.id == job.id).values(pid=self._process.pid))

    def _forget_dead(self) -> None:
        """Trainings whose server on this machine stopped end as failed (their process too), so the queue goes on."""
        host = socket.gethostname()
        with self.store.transaction("read the trainings") as conn:
            rows = conn.execute(sa.select(_trainings).where(_trainings.c.status.in_(("running", "cancelling")))).all()
            for row in rows:
                where, _, owner = (row.server or "").partition(":")
                if where != host or row.server == self.server or _alive(int(owner or 0)):
                    continue
                if _alive(row.pid):
                    os.kill(row.pid, signal.SIGTERM)
                conn.execute(
                    _trainings.update()
                    .where(_trainings.c.id == row.id)
                    .values(status="failed", finished=datetime.now(UTC), message="the server stopped meanwhile")
                )


def _training(row: Any) -> Training:
    return Training(
        row.id,
        row.alphabet,
        bool(row.fine_tune),
        row.requested_by,
        row.status,
        row.created,
        row.started,
        row.finished,
        row.message or "",
        row.model,
    )
