"""The Models page: every shipped model, its architecture and how well it does on unseen writers."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.ui import builders, widgets
from recognizer.alphabets import ALPHABETS, MODEL_TITLES, Alphabet
from recognizer.card import ModelCard, ModelFileError, rejection_title, validation_title
from recognizer.paths import MODELS_DIR
from recognizer.trainings import trained_alphabets, trained_models


@st.cache_data(show_spinner=False, max_entries=32)
def read_card(path: str, stamp: int) -> ModelCard | None:
    """A model's card; ``stamp`` (the file's mtime) rereads a replaced file."""
    return ModelCard.read(path)


def show_confusions(alphabet: Alphabet, card: ModelCard) -> None:
    """A confusion matrix per validation set, on demand."""
    names = [name for name, result in card.validation.items() if "confusion_matrix" in result]
    if not names:
        return
    with st.expander("Confusion matrices"):
        for tab, name in zip(st.tabs([validation_title(n) for n in names]), names, strict=True):
            with tab:
                st.caption("Rows: the true class; columns: what the model said. Red: its most frequent mistakes.")
                st.dataframe(builders.confusion_table(card.validation[name]["confusion_matrix"], alphabet))


def show_validation(card: ModelCard) -> None:
    """Accuracy on each validation set, with its most frequent confusions."""
    if not card.accuracies:
        st.caption("No validation results recorded.")
        return
    with st.container(horizontal=True, gap="medium"):
        for name, (accuracy, samples) in card.accuracies.items():
            st.metric(validation_title(name), builders.percent(accuracy), help=f"{samples:,} samples", width="content")
    for name, result in card.validation.items():
        if groups := result.get("by_group"):
            st.caption(f"{validation_title(name)}, place by place: {builders.place_by_place(groups, 'accuracy')}")
    first, result = next(iter(card.validation.items()))
    if confusions := result.get("top_confusions"):
        pairs = ", ".join(f"{c['true']} → {c['predicted']} ({c['count']})" for c in confusions[:5])
        st.caption(f"Most frequent confusions on the {validation_title(first)} (true → predicted): {pairs}")


def show_rejection(card: ModelCard) -> None:
    """How often the model says "none of these" where it should and where it should not, against the targets."""
    if card.rejection is None:
        return
    st.markdown("**None of these** :gray[· how often it turns a drawing away, on writers and shapes it never saw]")
    with st.container(horizontal=True, gap="medium"):
        for name, figure in card.rejection.figures.items():
            met = card.rejection.meets(name)
            st.metric(
                rejection_title(name),
                builders.percent(figure["rate"]),
                delta=f"target {figure['wanted']} {builders.percent(figure['target'])}" if met is not None else None,
                delta_color="green" if met else "red",
                delta_arrow="off",
                help=f"{figure['samples']:,} samples",
                width="content",
            )
    for name, figure in card.rejection.figures.items():
        if groups := figure.get("by_group"):
            st.caption(f"{rejection_title(name)}, place by place: {builders.place_by_place(groups, 'rate')}")
    if by_kind := card.rejection.figures.get("negatives_val", {}).get("by_kind"):
        kinds = ", ".join(f"{kind} {builders.percent(f['rate'])}" for kind, f in by_kind.items())
        st.caption(f"Shapes taken for a character, by kind: {kinds}")


def show_model(alphabet: Alphabet, path: Path, title: str) -> None:
    """One model file: what it is, how it was trained, how well it does."""
    shown = f"models/{path.name}" if path.parent == MODELS_DIR else path.name
    with st.container(border=True):
        st.markdown(f"**{alphabet.title}: {title}**")
        if not path.is_file():
            st.warning(f"`{shown}` is not there yet: this model has not been trained.", icon=":material/hourglass:")
            return
        try:
            card = read_card(str(path), path.stat().st_mtime_ns)
        except ModelFileError as err:
            st.error(f"**The model card cannot be read.** {err}", icon=":material/error:")
            return
        if card is None:
            st.caption(f"`{shown}` · no model card beside it")
            return
        facts = [f"`{shown}`", f"{path.stat().st_size / 1e6:.1f} MB", f"{card.params:,} parameters"]
        if training := card.training:
            facts.append(f"trained {training.get('epochs', '?')} epochs in {training.get('seconds', 0) / 60:.0f} min")
            if start := training.get("started_from"):
                facts.append(f"starting from {start}")
        st.caption(" · ".join(facts))
        show_validation(card)
        show_rejection(card)
        show_confusions(alphabet, card)
        with st.expander("Layers"):
            st.dataframe(list(card.architecture), hide_index=True, width="stretch")
        if card.command:
            st.code(card.command, language="bash")  # scrolls sideways rather than breaking a flag


def main() -> None:
    widgets.page("models")
    st.title("Models")
    st.markdown(
        "The models behind the Draw and Read a row pages. Accuracy is measured on writers the model never saw in"
        " training, and first on writers from other places: institutions none of the training writers came from."
    )
    shipped = [
        (alphabet, alphabet.model_path(model), MODEL_TITLES.get(model, model))
        for alphabet in ALPHABETS.values()
        for model in alphabet.shipped_models
    ]
    grid(shipped)
    alphabets = [*ALPHABETS.values(), *trained_alphabets()]
    if trained := [(a, path, "trained here") for a in alphabets for path in trained_models(a.key)]:
        st.subheader("Trained here", divider="gray")
        st.caption("Models trained on the Train page from the drawings collected here, newest first.")
        grid(trained)


def grid(models: list[tuple[Alphabet, Path, str]]) -> None:
    """Model cards two by two."""
    for start in range(0, len(models), 2):
        for col, model in zip(st.columns(2), models[start : start + 2], strict=False):
            with col:
                show_model(*model)


main()
