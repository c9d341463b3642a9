"""The "Settings and choices" section states what the code does: its numbers are checked against the code."""

import dataclasses

import keras

import attacks
import models
from experiments.paper import choices, presets, settings
from training.config import RunConfig


def _text():
    return "\n".join(choices.markdown())


def test_the_model_sizes_stated_are_the_models():
    text = _text()
    assert f"d = {models.parameter_count('mnist_mlp'):,}" in text
    assert f"d = {models.parameter_count('cifar10_cnn'):,}" in text


def test_the_other_cnn_reading_has_the_size_stated():
    """'same' padding, pool stride = pool size: the d the section gives for the other reading."""
    same = {"padding": "same"}
    other = keras.Sequential([
        keras.Input((32, 32, 3)), keras.layers.Conv2D(16, 3, **same), keras.layers.MaxPooling2D(3, **same),
        keras.layers.Conv2D(64, 4, **same), keras.layers.MaxPooling2D(4, **same), keras.layers.Flatten(),
        keras.layers.Dense(384), keras.layers.Dense(192), keras.layers.Dense(10)])
    assert f"d = {other.count_params():,}" in _text()


def test_the_attack_defaults_and_l2_stated_are_the_code_s():
    lp = attacks.get("lp")
    assert lp.options["coordinate"] == -1 and lp.options["objective"] == "displacement"
    assert f"{lp.options['budget']} rule evaluations per step" in _text()
    default_l2 = {field.name: field.default for field in dataclasses.fields(RunConfig)}["l2"]
    assert default_l2 == 1e-4 and "1e-4 * sum(x^2) over all d parameters" in _text()


def test_the_evaluation_cadence_and_figure6_batches_stated_are_the_presets():
    text = _text()
    paper = presets.PRESETS["paper"]
    assert f"every {paper['mnist'].eval_every} steps (MNIST) or {paper['cifar10'].eval_every} steps" in text
    for panel in settings.get(6).panels:
        assert ", ".join(map(str, panel.batch_sizes)) in text


def test_the_section_is_in_the_published_report():
    with open("docs/reproduction/README.md", encoding="utf-8") as file:
        report = file.read()
    assert "\n".join(choices.markdown()).strip() in report
