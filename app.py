"""Handwriting Lab: draw a character and watch a neural network recognise it. Run ``streamlit run app.py``."""

import streamlit as st

st.set_page_config(page_title="Handwriting Lab", page_icon="✍️", layout="wide")
# Less empty space above the title, so the canvas and the prediction fit on a projected screen.
st.html("<style>[data-testid='stMainBlockContainer'] { padding-top: 3rem; }</style>")

pages = [
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page("pages/row.py", title="Read a row", icon=":material/pin:"),
    st.Page("pages/why.py", title="Why models fail", icon=":material/psychology_alt:"),
    st.Page("pages/collect.py", title="Collect", icon=":material/collections:"),
    st.Page("pages/train.py", title="Train", icon=":material/school:"),
    st.Page("pages/models.py", title="Models", icon=":material/model_training:"),
    st.Page("pages/your_model.py", title="Your model", icon=":material/upload_file:"),
]
st.navigation(pages, position="top").run()
