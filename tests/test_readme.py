"""README stays true: its first screen has exactly the two commands, and its rule example registers a
rule that aggregates as its docstring says."""

import os
import re

import numpy as np

import aggregators

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def _text():
    with open(README) as file:
        return file.read()


def test_first_screen_has_the_install_and_test_commands():
    first_block = re.search(r"```bash\n(.*?)```", _text(), re.S).group(1)
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert "experiments.figure2 --preset=quick --data_dir=../shared/data" in commands[0]
    assert commands[1].endswith("python -m pytest -q tests")
    with open(os.path.join(os.path.dirname(README), ".ci", "run")) as file:
        assert commands[1].split("&& ", 2)[-1] in file.read()  # CI runs the README's test command


def test_the_rule_example_registers_a_working_rule():
    example = re.search(r"```python\n(.*?)```", _text(), re.S).group(1)
    example = example.replace('"my-rule"', '"test-readme-example-rule"')
    exec(compile(example, "README.md", "exec"), {})
    gradients = np.array([[1.0, 0.0], [0.0, 2.0], [30.0, 40.0], [2.0, 2.0]], np.float32)
    out = aggregators.aggregate("test-readme-example-rule", gradients, 1)
    np.testing.assert_allclose(out, [1.0, 4.0 / 3.0], rtol=1e-6)  # the 3 rows of smallest norm
    assert aggregators.get("test-readme-example-rule").min_workers(1) == 3
