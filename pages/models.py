"""The Models page: every shipped model, its architecture and how well it does on unseen writers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from recognizer.alphabets import ALPHABETS, MODEL_TITLES, Alphabet


@st.cache_data(show_spinner=False, max_entries=32)
def metadata(path: str, stamp: int) -> dict[str, Any]:
    """A model's metadata JSON; ``stamp`` (the file's mtime) rereads a replaced file."""
    from recognizer.model import read_metadata

    return read_metadata(path)


@st.cache_data(show_spinner=False, max_entries=32)
def confusion_png(path: str, stamp: int, name: str, alphabet: str) -> bytes:
    """The confusion matrix of one validation set of a model, as a PNG (drawn once per model file)."""
    from recognizer.evaluate import evaluate_matrix, plot_confusion

    spec = ALPHABETS[alphabet]
    evaluation = evaluate_matrix(metadata(path, stamp)["validation"][name]["confusion_matrix"], spec.labels)
    return plot_confusion(evaluation, f"{Path(path).stem} on {name}", tick_labels=spec.names)


def show_confusions(alphabet: Alphabet, path: Path, validation: dict[str, Any]) -> None:
    """A confusion matrix per validation set, on demand."""
    names = [name for name, result in validation.items() if "confusion_matrix" in result]
    if not names:
        return
    with st.expander("Confusion matrices"):
        for tab, name in zip(st.tabs(names), names, strict=True):
            with tab:
                png = confusion_png(str(path), path.stat().st_mtime_ns, name, alphabet.key)
                st.image(png, caption=f"rows: true class, columns: prediction ({name})", width="stretch")


def show_validation(validation: dict[str, Any]) -> None:
    """Accuracy on each validation set, with its most frequent confusions."""
    if not validation:
        st.caption("No validation results recorded.")
        return
    cols = st.columns(len(validation))
    for col, (name, result) in zip(cols, validation.items(), strict=True):
        col.metric(f"Accuracy: {name}", f"{result['accuracy']:.1%}", help=f"{result['samples']:,} samples")
    confusions = next(iter(validation.values())).get("top_confusions") or []
    if confusions:
        pairs = ", ".join(f"{c['true']} → {c['predicted']} ({c['count']})" for c in confusions[:5])
        st.caption(f"Most frequent confusions on {next(iter(validation))} (true → predicted): {pairs}")


def show_model(alphabet: Alphabet, model: str) -> None:
    """One model file: what it is, how it was trained, how well it does."""
    path: Path = alphabet.model_path(model)
    with st.container(border=True):
        st.markdown(f"**{alphabet.title}: {MODEL_TITLES.get(model, model)}**")
        if not path.is_file():
            st.warning(
                f"`models/{path.name}` is not there yet: this model has not been trained.", icon=":material/hourglass:"
            )
            return
        try:
            meta = metadata(str(path), path.stat().st_mtime_ns)
        except ValueError as err:
            st.error(f"**The metadata cannot be read.** {err}", icon=":material/error:")
            return
        params = sum(layer.get("params", 0) for layer in meta.get("architecture", []))
        facts = [f"`models/{path.name}`", f"{path.stat().st_size / 1e6:.1f} MB", f"{params:,} parameters"]
        if training := meta.get("training"):
            facts.append(f"trained {training.get('epochs', '?')} epochs in {training.get('seconds', 0) / 60:.0f} min")
        st.caption(" · ".join(facts))
        show_validation(meta.get("validation", {}))
        show_confusions(alphabet, path, meta.get("validation", {}))
        with st.expander("Layers"):
            st.dataframe(meta.get("architecture", []), hide_index=True, width="stretch")
        if "command" in meta:
            st.code(meta["command"], language="bash", wrap_lines=True)


def main() -> None:
    st.title("Models")
    st.markdown("The models behind the Draw page. Accuracy is measured on writers the model never saw in training.")
    shipped = [(alphabet, model) for alphabet in ALPHABETS.values() for model in alphabet.models]
    for start in range(0, len(shipped), 2):
        for col, (alphabet, model) in zip(st.columns(2), shipped[start : start + 2], strict=False):
            with col:
                show_model(alphabet, model)


main()
