"""The server: `streamlit run app.py` finds ``app`` below and serves ``studio.py`` (every visitor's page script).

Its lifespan hook warms the process up once, before the first request (ui/warm.py): TensorFlow imported,
the dataset read, the shipped models loaded and traced, the Train page's first architecture measured.
`make run`, the tests, the benchmarks and Community Cloud all start this same command.
"""

import streamlit as st

from ui import warm

app = st.App("studio.py", lifespan=warm.lifespan)
