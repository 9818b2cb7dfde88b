"""The floor for bench/bench_browser.py: the Draw page's canvas and a "Prediction" metric, and no model.

What a stroke costs in Streamlit itself: the canvas sends its PNG, the fragment
reruns, decodes it and shows one number (the share of the canvas covered with
ink). Handwriting Lab cannot be faster than this, so the benchmark reports its
round trip as a multiple of this one. Run by the benchmark, or by hand::

    streamlit run bench/floor_app.py
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

st.set_page_config(page_title="Floor", layout="wide")


def clear_canvas() -> None:
    st.session_state.canvas_generation = st.session_state.get("canvas_generation", 0) + 1


@st.fragment
def lab() -> None:
    """As on the Draw page: after a stroke only this part reruns, the canvas left and the result right."""
    input_col, result_col = st.columns([1, 2], gap="large")
    with input_col:
        generation = st.session_state.get("canvas_generation", 0)
        result = st_canvas(
            stroke_width=20,
            stroke_color="#FFFFFF",
            background_color="#000000",
            width=280,
            height=280,
            drawing_mode="freedraw",
            return_image_data=True,
            key="canvas" if generation == 0 else f"canvas-{generation}",
        )
        st.button("Clear", on_click=clear_canvas)
    image = result.image_data
    if image is None or not image[..., :3].any():
        return
    with result_col:
        st.metric("Prediction", f"{(image[..., :3].max(axis=2) > 127).mean():.1%} ink")


st.title("Floor")
lab()
