"""The Label mistakes page through AppTest, against the shipped out-of-sample probabilities."""

from streamlit.testing.v1 import AppTest

from core.data import CLASS_NAMES
from core.understand import label_issues
from tests.conftest import REPO_ROOT
from ui import labels


def test_flagged_images_and_the_class_filter(dataset):
    ranked = label_issues.rank(dataset.y_train, label_issues.load().probabilities)
    at = AppTest.from_file(str(REPO_ROOT / "studio.py"), default_timeout=180)
    at.run()
    at.switch_page("app_pages/labels.py").run()
    assert not at.exception, [item.value for item in at.exception]
    assert any(f"**{len(ranked):,} of 60,000 training images**" in item.value for item in at.markdown)
    assert any(f"Showing 36 of {len(ranked):,}" in caption.value for caption in at.caption)
    # each image says how sure the models are of its given label and of what they think it is, in words that
    # tell the images apart (every caption once read "<1%")
    captions = [image.caption for image in at.image[0].proto.imgs]
    first = next(ranked.itertuples())
    assert captions[0] == (
        f"#{first.index}: labelled {CLASS_NAMES[first.given]} ({labels.chance(first.score)}); "
        f"looks like {CLASS_NAMES[first.suggested]} ({labels.chance(first.suggested_probability)})"
    )
    assert len(captions) == 36 and not any("<1%" in caption for caption in captions)
    at.selectbox(key="labels_given").set_value("Shirt").run()
    shirts = int((ranked["given"] == CLASS_NAMES.index("Shirt")).sum())
    assert not at.exception
    assert any(f"of {shirts:,}, most likely" in caption.value for caption in at.caption)
    at.selectbox(key="labels_suggested").set_value("Shirt").run()  # given Shirt, suggested Shirt: never flagged
    assert any("No flagged images" in info.value for info in at.info)
