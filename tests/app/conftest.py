import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def app() -> AppTest:
    """The whole app (navigation included), started on its home page."""
    at = AppTest.from_file("../../studio.py", default_timeout=120)
    at.run()
    assert not at.exception
    return at
