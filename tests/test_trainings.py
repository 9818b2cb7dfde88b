"""The training queue: requests and refusals, one real training in a child process, cancelling, a dead server."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures import SHAPES, collect

from recognizer.card import ModelCard
from recognizer.drawings import DrawingStore
from recognizer.trainings import MIN_PER_LABEL, TrainingQueue, load_trained, trained_alphabets, trained_models


@pytest.fixture
def queue(tmp_path: Path) -> TrainingQueue:
    db = DrawingStore(f"sqlite:///{tmp_path}/drawings.db")
    for title in ("Shapes", "Other shapes"):
        collect(db, db.define(title, list(SHAPES)), ["ada", "bob"], per_label=3)
    return TrainingQueue(db, models_dir=tmp_path / "models", epochs=1)


def wait_for(queue: TrainingQueue, training_id: int, statuses: set[str], seconds: float = 240) -> str:
    """Run the queue (as its thread does) until the training reaches one of ``statuses``."""
    end = time.monotonic() + seconds
    while (status := queue.get(training_id).status) not in statuses:
        assert time.monotonic() < end, f"still {status} after {seconds} s: {queue.last_words(queue.get(training_id))}"
        queue.step()
        time.sleep(0.2)
    return status


def test_a_training_needs_enough_drawings_of_every_label_and_one_at_a_time(queue: TrainingQueue) -> None:
    few = queue.store.define("Few", ["circle", "bar"])
    collect(queue.store, few, ["ada"], per_label=MIN_PER_LABEL - 1)
    with pytest.raises(ValueError, match=r"still short: circle \(4\), bar \(4\)"):
        queue.request(few, "ada")
    shapes = queue.store.alphabet("custom-shapes")
    first = queue.request(shapes, "  ada  ")
    assert (first.status, first.requested_by, first.fine_tune) == ("queued", "ada", False)
    with pytest.raises(ValueError, match="already queued or running"):
        queue.request(shapes, "bob")


def test_trainings_run_in_turn_in_a_child_process_and_can_be_cancelled(queue: TrainingQueue) -> None:
    shapes, other = queue.store.alphabet("custom-shapes"), queue.store.alphabet("custom-other-shapes")
    first, second = queue.request(shapes, "ada"), queue.request(other, "bob")
    queue.step()
    assert [queue.get(first.id).status, queue.get(second.id).status] == ["running", "queued"], "one at a time"
    queue.cancel(second.id)
    assert queue.get(second.id).status == "cancelled"

    assert wait_for(queue, first.id, {"done", "failed"}) == "done", queue.get(first.id).message
    done = queue.get(first.id)
    epochs = queue.epoch_log(done)
    assert [e["epoch"] for e in epochs] == [1] and {"loss", "accuracy", "val_accuracy"} <= set(epochs[0])
    assert Path(done.model) == queue.models_dir / "custom-shapes_class-1.keras"
    assert trained_models("custom-shapes", queue.models_dir) == [Path(done.model)]
    assert [a.key for a in trained_alphabets(queue.models_dir)] == ["custom-shapes"]
    rec = load_trained(done.model)
    assert rec.alphabet.title == "Shapes" and rec.alphabet.labels == tuple(SHAPES)
    card = ModelCard.read(done.model)
    assert "users_val" in card.accuracies
    assert card.command.endswith("--drawings app") or "--drawings app " in card.command, "no database URL in it"

    third = queue.request(other, "bob")
    assert wait_for(queue, third.id, {"running"}) == "running"
    queue.cancel(third.id)
    assert wait_for(queue, third.id, {"cancelled"}, seconds=30) == "cancelled"
    assert not (queue.models_dir / f"custom-other-shapes_class-{third.id}.keras").exists()


def test_a_training_whose_server_died_ends_as_failed_and_its_process_is_stopped(queue: TrainingQueue) -> None:
    job = queue.request(queue.store.alphabet("custom-shapes"), "ada")
    queue.step()
    child = queue._process
    assert queue.get(job.id).status == "running" and child is not None
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_server = f"{queue.server.split(':')[0]}:{int(gone.stdout)}"  # as if a server that has exited started it
    with queue.store.transaction("test") as conn:
        conn.exec_driver_sql(f"UPDATE trainings SET server = '{dead_server}' WHERE id = {job.id}")
    TrainingQueue(queue.store, models_dir=queue.models_dir)  # a new server starts
    assert queue.get(job.id).status == "failed" and "server stopped" in queue.get(job.id).message
    assert child.wait(30) is not None, "its training process is stopped"
