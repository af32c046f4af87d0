"""Every visitor's script: page config, the browser's identity and the navigation (served by app.py)."""

import streamlit as st

from core.models import store
from ui.shared import identity, loaders, widgets

loaders.keep_keras_state()  # models and training outlive each run: see its docstring
loaders.use_run_store_from_secrets()  # runs kept in a database when the app's secrets name one
st.set_page_config(page_title="Fashion-MNIST Studio", page_icon="👗", layout="wide")
identity.ensure_cookie()  # runs belong to the browser that started them
widgets.page_style()  # the app's one style sheet, on every page
pages = st.navigation(
    [
        st.Page("app_pages/home.py", title="Dataset", icon="🏠", default=True),
        st.Page("app_pages/train.py", title="Train", icon="🏋️"),
        st.Page("app_pages/lessons.py", title="Lessons", icon="🧪"),
        st.Page("app_pages/evaluate.py", title="Evaluate", icon="🔍"),
        st.Page("app_pages/inside.py", title="Inside", icon="🔬"),
        st.Page("app_pages/labels.py", title="Label mistakes", icon="🏷️"),
        st.Page("app_pages/predict.py", title="Predict", icon="🔮"),
        st.Page("app_pages/teach.py", title="Teach a model", icon="🖍️"),
        st.Page("app_pages/compare.py", title="Compare", icon="📊"),
        st.Page("app_pages/bring.py", title="Bring a model", icon="📥"),
        st.Page("app_pages/play.py", title="Beat the model", icon="🎯"),
        st.Page("app_pages/teacher.py", title="Teacher", icon="🧑‍🏫"),
    ]
)
try:
    pages.run()
except store.StoreUnavailable as error:  # the run store went away mid-page: say so, and the next rerun recovers
    loaders.show_store_unavailable(error)
