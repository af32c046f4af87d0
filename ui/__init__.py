"""Streamlit glue shared by the pages: cached loaders, session keys, widgets, charts."""
