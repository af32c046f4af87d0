"""The first visit to any page starts importing TensorFlow in the background, after the page is drawn.

In a fresh interpreter, because this test process has long since imported Keras for other tests.
Like `streamlit run app.py` (streamlit.web.bootstrap._fix_sys_path), the script puts the app's folder
on sys.path before the first run. Without that, AppTest adds the folder for each run and removes it
when the run ends (streamlit's ``modified_sys_path``), shifting sys.path while the warm-up thread's
import walks it: one lookup in about 15 then skips site-packages and fails with "No module named
'keras'" (the CI failure of 2026-11-23). The real server never shifts sys.path, so it cannot race.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys, threading, traceback
    sys.path.insert(0, os.getcwd())  # as `streamlit run app.py` does (see the docstring)
    errors = []
    threading.excepthook = lambda e: errors.append("".join(traceback.format_exception(e.exc_value)))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("app.py", default_timeout=120).run()  # the Dataset page: it needs no Keras
    assert not at.exception, at.exception
    assert at.title[0].value.startswith("👗"), "the Dataset page was drawn"
    warm = [t for t in threading.enumerate() if t.name == "fashion-studio-warm-up"]
    for thread in warm:
        thread.join(300)
    print("".join(errors) or "no exception in any thread")
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
