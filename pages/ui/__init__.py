"""What the pages share: pure HTML builders (:mod:`.builders`) and Streamlit widgets (:mod:`.widgets`).

Not a page: ``app.py`` lists the pages with ``st.navigation``.
"""
