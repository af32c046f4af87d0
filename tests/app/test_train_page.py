import time

from core import store


def run_until(at, condition, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception
        if condition(at):
            return at
        time.sleep(0.5)
    raise AssertionError("the page never reached the expected state")


def test_train_page_describes_the_architecture(app):
    at = app.switch_page("app_pages/train.py").run()
    assert not at.exception
    architecture = at.selectbox[0]
    architecture.set_value("mlp_512_256_128_dropout").run()
    assert "567,434 parameters" in " ".join(caption.value for caption in at.caption)
    assert "Adam at 0.0005" in " ".join(block.value for block in at.markdown)


def test_tiny_training_run_finishes_and_is_saved(app, runs_dir):
    at = app.switch_page("app_pages/train.py").run()
    at.selectbox[0].set_value("mlp_128").run()
    at.number_input[0].set_value(1)  # epochs
    at.select_slider[1].set_value(1_000)  # training examples
    at.text_input[0].set_value("apptest-tiny")
    at.button[0].click().run()
    assert not at.exception
    run_until(at, lambda page: len(page.success) > 0)
    assert "Test accuracy" in at.success[0].value
    saved = store.find("apptest-tiny", [runs_dir])
    assert saved.ok and saved.meta.hyperparameters["subset"] == 1000


def test_bad_model_name_gets_a_clear_message(app):
    at = app.switch_page("app_pages/train.py").run()
    at.text_input[0].set_value("../../etc/evil")
    at.button[0].click().run()
    assert not at.exception
    assert "may not contain" in at.error[0].value
