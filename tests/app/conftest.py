import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def app() -> AppTest:
    """The whole app (navigation included), started on its home page."""
    at = AppTest.from_file("../../studio.py", default_timeout=120)
    at.run()
    assert not at.exception
    return at


def open_page(page: str) -> AppTest:
    """A fresh visitor's app (navigation included) switched to ``app_pages/<page>.py``, run without an exception."""
    at = AppTest.from_file("../../studio.py", default_timeout=120)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [item.value for item in at.exception]
    return at
