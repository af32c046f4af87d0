"""The server: `streamlit run app.py` finds ``app`` below and serves ``studio.py`` (every visitor's page script).

Its lifespan hook warms the process up once, before the first request (ui/warm.py): TensorFlow imported,
the dataset read, the shipped models loaded and traced, the Train page's first architecture measured.
Its routes serve training in the browser (ui/browser_routes.py: TensorFlow.js, the training images, the runs'
reports and weights) from this same server.
`make run`, the tests, the benchmarks and Community Cloud all start this same command.
"""

import streamlit as st

from server import routes, warm

# The routes live under the app's base path (``--server.baseUrlPath``), where its pages ask for them.
app = st.App("studio.py", lifespan=warm.lifespan, routes=routes.under(st.get_option("server.baseUrlPath")))
