"""Every architecture builds, has its published size, and trains a step; bad values are refused."""

from dataclasses import replace

import numpy as np
import pytest

from core.models import zoo


@pytest.mark.parametrize("key", list(zoo.ZOO))
def test_every_architecture_builds_and_trains_one_step(key):
    spec = zoo.ZOO[key]
    hp = replace(spec.defaults, batch_size=16)
    model = zoo.compile_model(zoo.build(spec, hp), hp)
    assert model.input_shape == (None, 28, 28)
    assert model.output_shape == (None, 10)
    if spec.published_params is not None:
        assert model.count_params() == spec.published_params
    x = np.random.default_rng(0).integers(0, 256, (16, 28, 28)).astype(np.float32)
    y = np.arange(16) % 10
    before = [w.copy() for w in model.get_weights()]
    logs = model.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(logs["loss"])
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    probabilities = np.asarray(model(x, training=False))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_published_sizes():
    assert zoo.build(zoo.ZOO["mlp_512_256_128_dropout"]).count_params() == 567_434
    assert zoo.build(zoo.ZOO["mlp_128"]).count_params() == 101_770  # "~101k"
    assert [layer.units for layer in zoo.build(zoo.ZOO["mlp_784_392_196_49"]).layers if hasattr(layer, "units")] == [
        784,
        392,
        196,
        49,
        10,
    ]


def test_recipes_follow_their_sources():
    assert zoo.ZOO["mlp_512_256_128_dropout"].defaults.learning_rate == 5e-4
    assert zoo.ZOO["mlp_512_256_128_dropout"].defaults.dropout_rate == 0.3
    assert zoo.ZOO["mlp_512_256_128_dropout"].defaults.early_stopping_patience > 0
    assert zoo.ZOO["mlp_512_256_dropout"].defaults.validation_split == 0.2
    assert zoo.ZOO["mlp_128"].defaults.epochs == 15
    assert zoo.ZOO["cnn_bn_dropout"].defaults.lr_schedule == "plateau"
    bn_mlp = zoo.build(zoo.ZOO["mlp_256_128_64_bn"])
    kinds = [type(layer).__name__ for layer in bn_mlp.layers]
    assert kinds.count("BatchNormalization") == 3 and kinds.count("LeakyReLU") == 3


def test_normalization_switch_adds_or_removes_rescaling():
    spec = zoo.ZOO["mlp_128"]
    with_norm = [type(layer).__name__ for layer in zoo.build(spec).layers]
    without = [type(layer).__name__ for layer in zoo.build(spec, replace(spec.defaults, normalize=False)).layers]
    assert "Rescaling" in with_norm and "Rescaling" not in without


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"epochs": 0}, "epochs must be"),
        ({"batch_size": 0}, "batch size must be"),
        ({"learning_rate": -0.01}, "learning rate must be"),
        ({"learning_rate": float("nan")}, "learning rate must be"),
        ({"subset": 70_000}, "training subset must be from 100 to 60,000"),
        ({"dropout_rate": 1.0}, "dropout rate"),
        ({"validation_split": 0.0}, "validation split"),
        ({"optimizer": "adamw2"}, "optimizer must be one of"),
        ({"lr_schedule": "warp"}, "schedule must be one of"),
        ({"seed": -1}, "seed must be"),
    ],
)
def test_bad_hyperparameters_get_clear_errors(override, message):
    with pytest.raises(ValueError, match=message):
        zoo.with_overrides(zoo.ZOO["mlp_128"], **override)


def test_unknown_architecture():
    with pytest.raises(ValueError, match="unknown architecture 'resnet9000'; choose one of: mlp_128"):
        zoo.get_spec("resnet9000")


def test_cosine_schedule_anneals_every_step_to_zero():
    hp = zoo.ZOO["cnn_quick"].defaults
    steps_per_epoch = 100
    schedule = zoo.learning_rate(hp, steps_per_epoch)
    total = hp.epochs * steps_per_epoch
    rates = [float(schedule(step)) for step in (0, 50, total // 2, total - 1, total)]
    assert rates[0] == pytest.approx(hp.learning_rate)
    assert rates[0] > rates[1] > rates[2] > rates[3] > 0  # falls within an epoch, not only between epochs
    assert rates[2] == pytest.approx(hp.learning_rate / 2, rel=1e-3)  # halfway
    assert rates[4] == pytest.approx(0.0, abs=1e-9)
    assert zoo.learning_rate(replace(hp, lr_schedule="constant"), steps_per_epoch) == hp.learning_rate
    optimizer = zoo.make_optimizer(hp, steps_per_epoch)
    assert float(optimizer.learning_rate) == pytest.approx(hp.learning_rate)  # at step 0


def test_studio_cnn_is_small_and_augments_only_while_training():
    spec = zoo.ZOO["studio_cnn"]
    model = zoo.build(spec)
    assert model.count_params() < 1_000_000
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"RandomTranslation", "RandomFlip", "RandomErasing"} <= kinds
    x = np.random.default_rng(1).integers(0, 256, (8, 28, 28)).astype(np.float32)
    # at inference the augmentation layers do nothing: the same input, the same answer
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), np.asarray(model(x, training=False)))
    flip, erase = (
        next(layer for layer in model.layers if type(layer).__name__ == kind)
        for kind in ("RandomFlip", "RandomErasing")
    )
    images = np.ones((64, 28, 28, 1), np.float32)
    np.testing.assert_array_equal(np.asarray(erase(images, training=False)), images)
    assert np.asarray(erase(images, training=True)).min() == 0.0  # some patches are erased while training
    ramp = np.tile(np.arange(28, dtype=np.float32), (64, 28, 1))[..., None]
    np.testing.assert_array_equal(np.asarray(flip(ramp, training=False)), ramp)


def test_mirror_average_is_the_mean_over_the_image_and_its_mirror(tmp_path):
    import keras

    spec = zoo.ZOO["cnn_quick"]
    model = zoo.build(spec)
    x = np.random.default_rng(2).integers(0, 256, (6, 28, 28)).astype(np.float32)
    expected = (np.asarray(model(x)) + np.asarray(model(x[:, :, ::-1].copy()))) / 2
    wrapped = zoo.mirror_averaged(model)
    np.testing.assert_allclose(np.asarray(wrapped(x)), expected, atol=1e-6)
    assert wrapped.count_params() == model.count_params() + 28 * 28  # the frozen mirror
    wrapped.save(tmp_path / "mirrored.keras")
    reloaded = keras.saving.load_model(tmp_path / "mirrored.keras", compile=False, safe_mode=True)
    np.testing.assert_allclose(np.asarray(reloaded(x)), expected, atol=1e-6)
    assert zoo.ZOO["studio_cnn"].mirror_average and not spec.mirror_average


def test_augment_applies_what_the_architecture_takes():
    """Shifts, flips and erasing, except for notebook 001's MLP: flips only (a shifted image is a new pattern to it)."""
    layer_of = {"shift": "RandomTranslation", "flip": "RandomFlip", "erase": "RandomErasing"}
    for key, spec in zoo.ZOO.items():
        model = zoo.build(spec, replace(spec.defaults, augment=True))
        kinds = [type(layer).__name__ for layer in model.layers if type(layer).__name__.startswith("Random")]
        assert kinds == [layer_of[kind] for kind in spec.augmentation]
        assert spec.augmentation == (("flip",) if key == "mlp_256_128_64_bn" else zoo.AUGMENTATIONS)
