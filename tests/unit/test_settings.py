"""The one table of training settings (core/models/settings.py): every row reaches the CLI, the exported script,
the lessons and the validation; the form and the URL are walked in tests/app/test_train_page.py."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from core import cli
from core.models import export, settings, zoo
from core.training import lessons

ARCH = "mlp_128"


def other_value(row: settings.Setting):
    """A valid value that differs from the architecture's default (what a learner would change it to)."""
    default = getattr(zoo.get_spec(ARCH).defaults, row.name)
    bounds = [row.form_minimum, row.form_maximum, row.maximum, None if row.minimum is None else row.minimum + 1]
    numbers = [type(row.minimum)(bound) for bound in bounds if bound is not None and row.kind != settings.SWITCH]
    candidates = [*row.lesson_values, *row.stops, *row.choices, *numbers, True, False]
    for value in candidates:
        right_kind = isinstance(value, bool) == (row.kind == settings.SWITCH)
        if right_kind and value != default and row.problem(value) is None:
            return value
    raise AssertionError(f"no other valid value for {row.name}")


def test_every_hyperparameter_is_one_row():
    assert [row.name for row in settings.SETTINGS] == [field.name for field in fields(zoo.Hyperparameters)]
    assert len({row.key for row in settings.SETTINGS}) == len(settings.SETTINGS)  # URL keys unique
    assert len({row.cli_flag for row in settings.SETTINGS}) == len(settings.SETTINGS)


@pytest.mark.parametrize("row", settings.SETTINGS, ids=lambda row: row.name)
def test_each_row_reaches_the_cli_and_the_exported_script(row):
    value = other_value(row)
    flag = row.cli_flag
    switch = [flag if value else "--no-" + flag.removeprefix("--")]
    argv = switch if row.kind == settings.SWITCH else [flag, str(value)]
    args = cli.build_parser().parse_args(["code", "--arch", ARCH, *argv])
    spec, hp = cli.hyperparameters(args)
    assert getattr(hp, row.name) == value
    script = export.script(spec, hp)
    assert f"    {row.name!r}: {value!r},\n" in script  # the script's SETTINGS dict carries it


@pytest.mark.parametrize("row", settings.SETTINGS, ids=lambda row: row.name)
def test_each_row_is_validated_in_its_own_words(row):
    bad = "neither" if row.kind in (settings.CHOICE, settings.SWITCH) else -1e9
    with pytest.raises(ValueError, match=f"^{row.words} must be"):
        replace(zoo.Hyperparameters(), **{row.name: bad}).validate()


def test_lessons_offer_exactly_the_rows_with_lesson_values_and_each_value_is_valid():
    offered = {row.name: row.lesson_values for row in settings.SETTINGS if row.lesson_values}
    assert offered == lessons.VARIABLE_SETTINGS
    for name, values in offered.items():
        for value in values:
            zoo.with_overrides(zoo.get_spec(ARCH), **{name: value})  # raises if a lesson offered a bad value
