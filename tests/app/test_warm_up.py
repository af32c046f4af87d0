"""The first visit to any page starts importing TensorFlow in the background, after the page is drawn.

In a fresh interpreter, because this test process has long since imported Keras for other tests.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("app.py", default_timeout=120).run()  # the Dataset page: it needs no Keras
    assert not at.exception, at.exception
    assert at.title[0].value.startswith("👗"), "the Dataset page was drawn"
    warm = [t for t in threading.enumerate() if t.name == "fashion-studio-warm-up"]
    for thread in warm:
        thread.join(300)
    print(len(warm), "keras" in sys.modules)
    """
)


def test_first_page_starts_the_tensorflow_import_in_the_background():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=400, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "True", done.stdout  # Keras imported: by the warm-up (see below)
    # Without the warm-up nothing on the Dataset page imports Keras:
    without = SCRIPT.replace('AppTest.from_file("app.py"', 'AppTest.from_file("app_pages/home.py"')
    done = subprocess.run(
        [sys.executable, "-c", without], cwd=ROOT, capture_output=True, text=True, timeout=400, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["0", "False"], done.stdout
