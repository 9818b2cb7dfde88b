"""The Train page: train a network on the collected drawings, in its own process, and watch it learn."""

from __future__ import annotations

import streamlit as st

from pages.ui import builders, classroom, widgets
from recognizer.alphabets import ALPHABETS, Alphabet
from recognizer.card import ModelCard, ModelFileError, validation_title
from recognizer.drawings import StoreError
from recognizer.trainings import ACTIVE, STATUSES, Training, TrainingQueue

GO_DRAW = "go_draw"  # set by "Draw with this model": the alphabet to open the Draw page with


def ask(queue: TrainingQueue, alphabet: Alphabet, writer: str) -> None:
    """What a training of this alphabet will do, and the button that queues it."""
    counts = queue.store.counts(alphabet)
    writers = queue.store.writers(alphabet.key)
    drawings, by = builders.amount(sum(counts.values()), "drawing"), builders.amount(len(writers), "writer")
    st.markdown(f"**{drawings}** of {alphabet.title} by **{by}**.")
    fine_tune = alphabet.key in ALPHABETS and not st.toggle(
        "From scratch", help="Off: the shipped model learns your drawings on top of what it knows."
    )
    st.caption(
        ("The shipped CNN is fine-tuned with your drawings mixed into its own training data." if fine_tune
         else "A CNN learns your labels from scratch.")
        + " Each drawing is redrawn with many pens, sizes, slants and turns (up to 15°); "
        + ("whole writers are held out to test it." if len(writers) > 1 else "a fifth of the drawings is held out.")
    )  # fmt: skip
    st.button("Train", type="primary", icon=":material/play_arrow:", on_click=request,
              args=(queue, alphabet, writer or "someone", fine_tune))  # fmt: skip


def request(queue: TrainingQueue, alphabet: Alphabet, writer: str, fine_tune: bool) -> None:
    try:
        queue.request(alphabet, writer, fine_tune)
    except ValueError as err:
        classroom.notice("warning", str(err))
    except StoreError as err:
        classroom.notice("error", str(err))


def progress(queue: TrainingQueue, job: Training) -> None:
    """A running or waiting training: progress, its loss and accuracy epoch by epoch, and Cancel."""
    epochs = queue.epoch_log(job)
    if job.status == "queued":
        ahead = sum(t.status == "queued" and t.id < job.id for t in queue.trainings())
        st.caption(f"Waiting: {builders.amount(ahead, 'training')} ahead of it, and one running.")
    elif epochs:
        last = epochs[-1]
        shown = f"epoch {last['epoch']} of {last['epochs']} · loss {last.get('loss', 0):.3f}"
        if "val_accuracy" in last:
            shown += f" · held-out accuracy {builders.percent(last['val_accuracy'])}"
        st.progress(last["epoch"] / last["epochs"], text=shown)
        st.line_chart(builders.epoch_table(epochs), x_label="epoch", height=220)
    else:
        st.progress(0.0, text=queue.last_words(job) or "starting: preparing the drawings…")
    if job.status != "cancelling":
        st.button("Cancel", key=f"cancel-{job.id}", icon=":material/stop:", on_click=queue.cancel, args=(job.id,))


def result(queue: TrainingQueue, job: Training) -> None:
    """A finished training: its accuracy on held-out drawings against the shipped model's, confusions, Draw."""
    if job.status != "done":
        st.caption(job.message or job.status)
        return
    try:
        card = ModelCard.read(job.model)
    except ModelFileError as err:
        st.error(str(err), icon=":material/error:")
        return
    if card is None:
        st.caption("Its model file is gone.")
        return
    with st.container(horizontal=True, gap="medium"):
        for name, (accuracy, samples) in card.accuracies.items():
            st.metric(validation_title(name), builders.percent(accuracy), help=f"{samples} drawings", width="content")
    st.caption(builders.training_summary(card))
    if "users_val" in card.validation:
        st.dataframe(
            builders.confusion_table(
                card.validation["users_val"]["confusion_matrix"], queue.store.alphabet(job.alphabet)
            )
        )
    st.button("Draw with this model", key=f"draw-{job.id}", icon=":material/draw:", on_click=draw_with, args=(job,))


def draw_with(job: Training) -> None:
    """Open the Draw page with this model chosen."""
    st.session_state[widgets.DRAW_WITH] = widgets.TRAINED + job.model
    st.session_state[GO_DRAW] = job.alphabet


def trainings(queue: TrainingQueue) -> None:
    """The queue, newest first: each training's state, and the details of the latest ones."""
    if alphabet := st.session_state.pop(GO_DRAW, None):  # its button is in here: only this part reruns
        st.switch_page("pages/draw.py", query_params={"alphabet": alphabet})
    jobs = queue.trainings(limit=10)
    if not jobs:
        st.caption("No training yet.")
        return
    for job in jobs:
        status, icon = STATUSES[job.status]
        title = f"#{job.id} · {queue.store.alphabet(job.alphabet).title} · {job.requested_by} · {status}"
        with st.expander(title, expanded=job.status in ACTIVE or job is jobs[0], icon=icon):
            if job.status in ACTIVE:
                progress(queue, job)
            else:
                result(queue, job)
    active = any(job.status in ACTIVE for job in jobs)
    if st.session_state.get("train_active") and not active:  # one just ended: the whole page shows its result
        st.session_state.train_active = False
        st.rerun()
    st.session_state.train_active = active


def main() -> None:
    widgets.page("train")
    widgets.heading(
        "Train a model",
        "Teach a network the drawings collected on the Collect page. It trains in a process of its own, one"
        " training at a time; everyone sees the queue. When it is done, draw with it.",
    )
    queue = classroom.queue()
    if queue is None:
        return
    with st.container(horizontal=True, gap="medium", key="controls"):
        alphabet = classroom.pick_collection(queue.store, "train_alphabet")
        writer = classroom.nickname()
    if alphabet is None:
        return
    try:
        ask(queue, alphabet, writer)
        classroom.show_notice()
        st.subheader("Trainings", divider="gray")
        active = any(job.status in ACTIVE for job in queue.trainings())
        st.fragment(run_every=1.0 if active else None)(trainings)(queue)
    except StoreError as err:
        classroom.store_failed(err)


main()
