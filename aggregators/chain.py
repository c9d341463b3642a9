"""Chains: pre-aggregation steps then a rule, read left to right and joined by "+".

    aggregators.get("arc+nnm+trimmed-mean")    # ARC, then NNM, then the trimmed mean
    aggregators.aggregate("bucketing+krum", gradients, f, **{"bucketing.s": 3, "norm": "inf"})

A chain is a `Rule` (`Chain`): the steps (`aggregators.steps()`: arc, bucketing, clip, nnm,
each an `aggregators.pre_aggregation.Step`) map the [n, d] submissions to [m, d] rows, and the
last part, a rule (`aggregators.names()`), aggregates those with the same f (ByzFL's
convention). Options of a step are prefixed with its name ("bucketing.s", "clip.c"; a step used
twice gets them both times); the others go to the rule ("norm"), except the rule's `distances`,
which a chain works out itself. From the command line:
`--gar=bucketing+krum --gar_options=bucketing.s=3 --gar_options=norm=inf`.

Workers: the chain needs the smallest n (`Chain.min_workers(f, **options)`) such that every
step gets at least its own minimum and the rule gets its a*f + b from the m rows before it;
each step's count m is non-decreasing in n. A shortfall names the part and the numbers:
"bucketing+krum: bucketing leaves ceil(n/2)=6 outputs but krum needs >= 7 for f=2 (n=11)".

Speed: NNM and bucketing output weighted means W @ X of their inputs, so the l2 distances
between their outputs follow from those of their inputs (`aggregators.mixing.mixed_distances`,
no pass over the d coordinates). A chain keeps the l2 distances it has (NNM computes them)
through such steps and hands them to the rule's `distances` option (at norm 2). When the rule
selects submissions (krum, multi-krum, geomed, brute: each outputs the mean of the rows it
selects), the selection is made from those distances and only the selected outputs' weights are
applied to X: `nnm+krum` costs one Gram matmul and one weighted sum, as much as Krum alone.
Clipping steps change the geometry and drop the distances.
"""

import dataclasses
import functools
from typing import Optional

import tensorflow as tf

from aggregators import mixing, registry, validation
from aggregators.distances import pairwise_distances
from aggregators.pre_aggregation import requirement
from aggregators.rule import Rule

MAX_WORKERS = 2 ** 40  # min_workers gives up past this


@dataclasses.dataclass(frozen=True)
class Chain(Rule):
    """A rule preceded by pre-aggregation steps; built by `build` (through `aggregators.get`).

    `name`, `source` (the parts' sources), `options` ("step.option" and the rule's own, but
    `distances`), `selects` (False) and `coordinatewise` (False) read as for any rule;
    `workers` is None: the requirement is not always of the form n >= a*f + b
    (see `min_workers`).
    """

    steps: tuple = ()
    rule: Optional[Rule] = None

    def min_workers(self, f, **options):
        """The smallest n the chain accepts with f Byzantine workers and these options."""
        f = validation.check_f(f, self.name)
        options = validation.check_options(options, self.options, self.name)
        return min_workers(self.name, self.steps, self.rule, f, split(options, self.steps)[0])

    def _check(self, gradients, f, options):
        f = validation.check_f(f, self.name)
        options = validation.check_options(options, self.options, self.name)
        gradients = validation.as_gradients(gradients, self.name)
        step_options = split(options, self.steps)[0]
        problem = shortfall(self.name, self.steps, self.rule, gradients.shape[0], f, step_options)
        if problem:
            raise ValueError(problem)
        return gradients, f, options


@functools.lru_cache(maxsize=None)
def build(name):
    """The `Chain` named `name` ("arc+nnm+trimmed-mean"), built once per name."""
    parts = parse(name)
    name = "+".join(parts)
    last = parts[-1]
    if last in registry.steps():
        raise ValueError(f"{name!r} ends with the step {last!r}: a chain ends with a rule "
                         "(aggregators.names()); aggregators.pre_aggregate gives the output of "
                         "steps alone")
    steps = tuple(_step(part, name) for part in parts[:-1])
    try:
        rule = registry.get(last)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    return Chain(
        name=name,
        source="; ".join(f"{part.name}: {part.source}" for part in (*steps, rule)),
        workers=None,
        aggregate_fn=functools.partial(_aggregate, steps, rule),
        options=validators(steps, rule),
        steps=steps,
        rule=rule,
    )


def pre_aggregate(name, gradients, f, **options):
    """The [m, d] output of the step or steps `name` ("bucketing", "arc+nnm"); options are
    prefixed with the step's name, as in a chain ("bucketing.s": 2)."""
    parts = parse(name)
    name = "+".join(parts)
    for part in parts:
        if part in registry.names():
            raise ValueError(f"{name}: {part} is a rule; pre_aggregate takes steps only: "
                             f"{', '.join(registry.steps())}")
    steps = tuple(_step(part, name) for part in parts)
    f = validation.check_f(f, name)
    options = validation.check_options(options, validators(steps, None), name)
    gradients = validation.as_gradients(gradients, name)
    step_options = split(options, steps)[0]
    problem = shortfall(name, steps, None, gradients.shape[0], f, step_options)
    if problem:
        raise ValueError(problem)
    rows, _, weights = run_steps(steps, step_options, gradients, f)
    return rows if weights is None else mixing.mix(weights, rows)


@functools.lru_cache(maxsize=None)
def parse(name):
    """The parts of `name` split at "+" (spaces around them dropped); ValueError on an empty one."""
    if not isinstance(name, str):
        raise ValueError(f"a chain is a str such as 'arc+nnm+trimmed-mean', got {name!r}")
    parts = tuple(part.strip() for part in name.split("+"))
    if not all(parts):
        raise ValueError(f"{name!r} has an empty part: join steps and a rule with single '+', "
                         "e.g. 'arc+nnm+trimmed-mean'")
    return parts


def _step(part, name):
    if part in registry.steps():
        return registry.get_step(part)
    if part in registry.names():
        raise ValueError(f"{name}: {part} is a rule, not a pre-aggregation step: only the last "
                         f"part of a chain is a rule; steps: {', '.join(registry.steps())}")
    raise ValueError(f"{name}: unknown pre-aggregation step {part!r}; known steps: "
                     f"{', '.join(registry.steps())}")


def validators(steps, rule):
    """The chain's options: "step.option" for each step's, then the rule's own but `distances`."""
    options = {f"{step.name}.{option}": validator
               for step in steps for option, validator in step.options.items()}
    if rule is not None:
        options.update((k, v) for k, v in rule.options.items() if k != "distances")
    return options


def split(options, steps):
    """({step name: its options}, the rule's options) from the chain's validated options."""
    per_step = {step.name: {} for step in steps}
    rule_options = {}
    for key, value in options.items():
        prefix, dot, option = key.partition(".")
        if dot:
            per_step[prefix][option] = value
        else:
            rule_options[key] = value
    return per_step, rule_options


def shortfall(name, steps, rule, n, f, step_options):
    """None if n workers are enough for every part, else the one-line message saying which."""
    count, formula, reducers = n, "n", []
    for part in (*steps, rule):
        if part is None:
            break
        a, b = part.workers
        if count < a * f + b:
            if not reducers:
                where = "" if name == part.name else f"{name}: "
                return (f"{where}{part.name} needs n >= {requirement(part.workers)}, "
                        f"got n={n}, f={f}")
            return (f"{name}: {' then '.join(reducers)} leaves {formula}={count} outputs but "
                    f"{part.name} needs >= {a * f + b} for f={f} (n={n})")
        if part is rule:
            break
        options = step_options.get(part.name, {})
        text = part.outputs_text_fn(formula, **options)
        if text != formula:
            reducers.append(part.name)
            formula = text
        count = part.outputs_fn(count, f, **options)
    return None


def min_workers(name, steps, rule, f, step_options):
    """The smallest n with no `shortfall` (counts non-decreasing in n: doubling, then bisection)."""
    high = 1
    while shortfall(name, steps, rule, high, f, step_options):
        if high >= MAX_WORKERS:
            problem = shortfall(name, steps, rule, high, f, step_options)
            raise ValueError(f"{name}: no number of workers is enough for f={f}: {problem}")
        high *= 2
    low = high // 2  # not enough (or 0)
    while high - low > 1:
        middle = (low + high) // 2
        if shortfall(name, steps, rule, middle, f, step_options):
            low = middle
        else:
            high = middle
    return high


def run_steps(steps, step_options, gradients, f):
    """(rows, distances, weights): the steps' output is `rows` if `weights` is None, else
    weights @ rows (left for the caller to form); `distances` are its l2 distances when known."""
    rows, distances, weights = gradients, None, None
    for step in steps:
        options = step_options.get(step.name, {})
        if weights is not None:
            rows, weights = mixing.mix(weights, rows), None
        if step.weights_fn is None:
            rows, distances = step.step_fn(rows, f, **options), None
            continue
        if step.needs_distances and distances is None:
            distances = pairwise_distances(rows)
        weights = step.weights_fn(rows, f, distances, **options)
        if distances is not None:
            distances = mixing.mixed_distances(distances, weights)
    return rows, distances, weights


def _aggregate(steps, rule, gradients, f, **options):
    """The chain's [d] output, from validated arguments."""
    step_options, rule_options = split(options, steps)
    rows, distances, weights = run_steps(steps, step_options, gradients, f)
    if distances is not None and rule_options.get("norm", 2) == 2 and "distances" in rule.options:
        if weights is not None and rule.selects:
            selected = rule.select_from_distances_fn(distances, f, **rule_options)
            combined = tf.reduce_mean(tf.gather(weights, selected), axis=0)
            return mixing.mix(combined[None, :], rows)[0]
        rule_options["distances"] = distances
    if weights is not None:
        rows = mixing.mix(weights, rows)
    return rule.aggregate_fn(rows, f, **rule_options)
