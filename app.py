import streamlit as st

st.set_page_config(page_title="Fashion-MNIST Studio", page_icon="👗", layout="wide")
st.navigation(
    [
        st.Page("pages/home.py", title="Dataset", icon="🏠", default=True),
        st.Page("pages/train.py", title="Train", icon="🏋️"),
        st.Page("pages/evaluate.py", title="Evaluate", icon="🔍"),
        st.Page("pages/predict.py", title="Predict", icon="🔮"),
    ]
).run()
