"""Load: eight visitors predict at once while a ninth trains a model, all on one server.

Nine browser contexts in one Chromium are nine Streamlit sessions. Each of eight uploads a
different garment (its own file name and pixel size, so its own caption), all eight uploads
going in before any answer is awaited, while the ninth visitor's training run is live. Every
visitor must get its own answer (the strong shipped model's top class, as computed here in the
test process for the same bytes) and nothing of anyone else's: no other file, caption, answer
or training run. Meanwhile the server's resident memory is read from /proc, as
harness/memory.py reads it for bench/bench_memory.py, and must stay under a budget.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from core.data import CLASS_NAMES
from core.models import store
from core.predict import inference, preprocess
from harness.memory import Reading, read
from tests.e2e.conftest import OUTPUT_DIR, StreamlitServer, serving, source_button, wait_for_app

pytestmark = pytest.mark.e2e

# Streamlit Community Cloud gives an app about 2.7 GB for everything (Python, TensorFlow, every
# session); the server alone, with every model loaded, nine sessions and a training run, must
# leave room under that.
MEMORY_BUDGET_MB = 2048
VISITORS = 8
ANSWER_TIMEOUT_MS = 180_000  # eight reruns and a training thread share 2 busy cores
STRONG_MODEL = "cnn_bn_dropout"  # a shipped CNN, ~91% on the test set: confident on clear examples
# Eight classes the strong model rarely confuses (not Coat or Shirt), one per visitor, and eight
# photo sizes, so that every visitor's caption ("JPEG, 260×260, RGB · …") is its own.
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Sandal", "Sneaker", "Bag", "Ankle boot")
SIDES = (200, 224, 240, 256, 280, 300, 320, 336)
CONFIDENT = 0.9  # only images the model is sure of: its top class cannot flip between two processes
RUN_NAME = "load-mlp"
EPOCHS = 5
EXAMPLES = "10000"  # ~30 s on 2 busy cores: still running when the uploads go in


@dataclass(frozen=True)
class Upload:
    name: str  # the file name: the uploader's remove button is named after it
    photo: bytes
    caption: str  # what the Predict page says about the input
    top: str  # the strong model's first class for these bytes, computed in the test process

    @property
    def file(self) -> dict:
        return {"name": self.name, "mimeType": "image/jpeg", "buffer": self.photo}


class MemoryWatch:
    """The server's resident memory (itself plus children, and its VmHWM peak), read from /proc
    twice a second in a thread, plus a named reading at each step of the test."""

    def __init__(self, pid: int):
        self.pid = pid
        self.readings: list[Reading] = []
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self.mark("before any visitor")
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.mark("all done")

    def _sample(self) -> None:
        while not self._stop.wait(0.5):  # polling /proc, not waiting on the UI
            self.readings.append(read(self.pid, "sample", 0.0))

    def mark(self, step: str) -> None:
        reading = read(self.pid, step, time.monotonic() - self._started)
        self.readings.append(reading)
        print(
            f"  {reading.seconds:5.0f} s  {step}: {reading.total_mb:.0f} MB (peak {reading.peak_mb:.0f} MB)", flush=True
        )

    @property
    def peak_mb(self) -> float:
        """The highest resident size seen: the server's own peak plus its children's highest."""
        return max(item.peak_mb for item in self.readings) + max(item.children_mb for item in self.readings)


@pytest.fixture(scope="module")
def load_runs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("load-runs")


@pytest.fixture(scope="module")
def load_server(load_runs_dir):
    """A server of its own: its memory is this test's alone, and the run it trains stays here."""
    with serving({store.ENV_RUNS_DIR: str(load_runs_dir)}, "load-server") as server:
        yield server


@pytest.fixture(scope="module")
def uploads(dataset) -> list[Upload]:
    """For each class, the first test image that the strong model, loaded here, names confidently."""
    shipped = {item.model_id for item in store.list_artifacts([store.SHIPPED_DIR]) if item.ok}
    if STRONG_MODEL not in shipped:
        pytest.fail(f"{STRONG_MODEL} is not among the shipped models: {sorted(shipped)}")
    strong = inference.load_predictor(STRONG_MODEL, [store.SHIPPED_DIR])
    found = []
    for visitor, (class_name, side) in enumerate(zip(CLASSES, SIDES, strict=True), start=1):
        label = CLASS_NAMES.index(class_name)
        for index in (dataset.y_test == label).nonzero()[0][:50]:
            photo = preprocess.render_as_photo(dataset.x_test[index], side)
            prepared = preprocess.preprocess(photo)
            best = strong.predict(prepared.image, 1)[0].best
            if best.class_name == class_name and best.probability >= CONFIDENT:
                break
        else:
            pytest.fail(f"{STRONG_MODEL} is not confident on any of the first 50 {class_name} test images")
        assert prepared.inverted  # a dark-on-white photo: the page says so in its caption
        stem = re.sub(r"[^a-z]+", "-", class_name.lower())
        caption = f"{prepared.description} · dark on light, so inverted"
        found.append(Upload(f"visitor{visitor}-{stem}.jpg", photo, caption, best.class_name))
    assert len({item.caption for item in found}) == VISITORS  # the test itself: one caption per visitor
    return found


@pytest.fixture
def sessions(browser):
    """Nine browser contexts, so nine Streamlit sessions; screenshots of three on the way out."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(VISITORS + 1)]
    tabs = [context.new_page() for context in contexts]
    for tab in tabs:
        tab.set_default_timeout(120_000)
    yield tabs
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for number in (0, 1, VISITORS):
        name = "trainer" if number == 0 else f"visitor-{number}"
        tabs[number].screenshot(path=OUTPUT_DIR / f"test_load-{name}.png", full_page=True)
    for context in contexts:
        context.close()


def open_upload_tab(page: Page) -> Locator:
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Predict")).to_be_visible()
    # The first visitor loads TensorFlow and every model once ("Preparing the models…").
    expect(source_button(page, "Upload")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    source_button(page, "Upload").click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    expect(uploader).to_have_count(1)
    return uploader


def start_training(server: StreamlitServer, page: Page) -> None:
    page.goto(f"{server.url}/train")
    wait_for_app(page)
    page.get_by_role("spinbutton", name="Epochs").fill(str(EPOCHS))
    examples = page.get_by_role("slider", name="Training examples")
    examples.focus()
    examples.press("Home")  # 1,000, then on to 2,000, 5,000 and 10,000
    for _ in range(3):
        examples.press("ArrowRight")
    expect(examples).to_have_attribute("aria-valuetext", EXAMPLES)
    page.get_by_role("textbox", name="Model name").fill(RUN_NAME)
    page.get_by_role("button", name="Start training").click()


def best_bar(block: Locator) -> Locator:
    """The chart's first bar, its best class: Vega names each bar "probability: 75.3%; class: T-shirt/top; …",
    and the bars are drawn best first (the answer's own order; the axis sorts by probability too)."""
    return block.locator("[aria-label^='probability:']").first


def names_class(class_name: str) -> re.Pattern:
    return re.compile(rf"; class: {re.escape(class_name)}(;|$)")  # a field of the bar's label, wherever it stands


def test_eight_visitors_predict_while_a_ninth_trains(load_server, load_runs_dir, sessions, uploads):
    trainer, *visitors = sessions
    with MemoryWatch(load_server.process.pid) as memory:
        # Eight visitors open Predict (all loading at once), each on its Upload tab.
        for tab in visitors:
            tab.goto(f"{load_server.url}/predict")
        uploaders = [open_upload_tab(tab) for tab in visitors]
        memory.mark("8 visitors on Predict")

        # The ninth starts a training run and sees it live.
        start_training(load_server, trainer)
        stop = trainer.get_by_role("button", name="Stop training")
        expect(stop).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        expect(trainer.get_by_text(f"Run: {RUN_NAME}")).to_be_visible()

        # All eight uploads go in before any answer is awaited: eight reruns at once, beside the run.
        for uploader, upload in zip(uploaders, uploads, strict=True):
            uploader.set_input_files(files=[upload.file])
        expect(stop).to_be_visible()  # the run was still going when the uploads went in
        memory.mark("8 uploads sent, training")

        for tab, upload in zip(visitors, uploads, strict=True):
            block = tab.locator(f".st-key-prediction-{STRONG_MODEL}")
            expect(block).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
            expect(tab.get_by_text(upload.caption)).to_be_visible()
            expect(tab.get_by_role("button", name=f"Remove {upload.name}")).to_be_visible()
            # Vega draws each chart once its script has loaded: slow in nine busy tabs on 2 cores.
            expect(best_bar(block)).to_have_attribute("aria-label", names_class(upload.top), timeout=ANSWER_TIMEOUT_MS)
            # must NOT happen: another visitor's file, caption or answer; the trainer's run; an error
            for other in uploads:
                if other is not upload:
                    expect(tab.get_by_role("button", name=f"Remove {other.name}")).to_have_count(0)
                    expect(tab.get_by_text(other.caption)).to_have_count(0)
                    expect(best_bar(block)).not_to_have_attribute("aria-label", names_class(other.top))
            expect(tab.get_by_text(f"Run: {RUN_NAME}")).to_have_count(0)
            expect(tab.get_by_test_id("stException")).to_have_count(0)
            expect(tab.get_by_test_id("stAlertContentError")).to_have_count(0)
        still_training = stop.is_visible()  # for the log only: a fast machine may have finished
        memory.mark(f"8 answers in, training {'still running' if still_training else 'over'}")

        # The run finishes, in its own session.
        expect(trainer.get_by_text(re.compile(r"Test accuracy \d+\.\d+% on the"))).to_be_visible(
            timeout=ANSWER_TIMEOUT_MS
        )
        expect(trainer.get_by_text(f"Saved as {RUN_NAME}")).to_be_visible()
        expect(trainer.get_by_text(f"Epoch {EPOCHS}/{EPOCHS}")).to_be_visible()
        memory.mark("training done")
        # must NOT happen: a failed run, an error, any visitor's upload on the trainer's page
        expect(trainer.get_by_text("Training failed")).to_have_count(0)
        expect(trainer.get_by_test_id("stException")).to_have_count(0)
        expect(trainer.get_by_test_id("stAlertContentError")).to_have_count(0)
        for upload in uploads:
            expect(trainer.get_by_role("button", name=f"Remove {upload.name}")).to_have_count(0)

        # A predicting visitor moves to Train in the same session: the other session's run is not theirs.
        visitor = visitors[0]
        visitor.get_by_test_id("stSidebarNavLink").filter(has_text="Train").click()
        expect(visitor.get_by_role("heading", name="Train a model")).to_be_visible()
        wait_for_app(visitor)
        expect(visitor.get_by_role("button", name="Start training")).to_be_enabled()
        # (the run's heading: a text search for "Run: " also finds "for one run: lower the epochs" in a warning)
        expect(visitor.get_by_role("heading", name=re.compile(r"^Run: "))).to_have_count(0)
        expect(visitor.get_by_text(f"Saved as {RUN_NAME}")).to_have_count(0)
        expect(visitor.get_by_role("button", name="Stop training")).to_have_count(0)
        expect(visitor.get_by_test_id("stException")).to_have_count(0)

    saved = store.find(RUN_NAME, [load_runs_dir])
    assert saved.ok and saved.meta.epochs_run == EPOCHS and saved.meta.hyperparameters["subset"] == int(EXAMPLES)
    print(
        f"  server memory peak under load: {memory.peak_mb:.0f} MB "
        f"(budget {MEMORY_BUDGET_MB} MB, {len(memory.readings)} readings)",
        flush=True,
    )
    assert memory.peak_mb < MEMORY_BUDGET_MB
