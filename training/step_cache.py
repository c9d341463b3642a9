"""The traced training step and evaluation, kept for the next run of the same shapes in this process.

A grid trains many short runs in one process, and tracing a run's step (the workers' gradients, the
attack, the rule) takes seconds, as long as hundreds of its steps. Runs that differ only in their seed or
their learning rate (eta0, r_eta) have the same graph: the step reads those numbers from variables
(`training.step.RunNumbers`), and the parameters, the step counter and the step's state (worker momenta,
the attack's state) are variables kept with the traced functions. A run of the same shapes as the last
one reuses them, set to its own initial values; any other run traces anew and replaces them. Variables
read at run time hold the same values as the constants they replace, so a run's numbers are the same, bit
for bit, whether its step was traced for it or for an earlier run (tests/test_step_cache.py).

Only plain runs are kept (no tf.distribute strategy: a strategy's variables are its own), and only for
i.i.d. data (a heterogeneous split is drawn from the seed and fixed in the graph: a run of another seed
traces anew).
"""

import dataclasses

import tensorflow as tf

from training import distributed, step_state
from training.evaluate import make_evaluate
from training.step import RunNumbers, make_train_step

# Fields of `training.RunConfig` that the traced functions do not depend on: read from variables (seed,
# lr0, lr_decay), or used only outside the step (where the run is written, how long and how often).
_NOT_TRACED = ("seed", "lr0", "lr_decay", "steps", "eval_every", "checkpoint_every", "results_dir", "run_name",
               "keep_diverged")


@dataclasses.dataclass
class Engine:
    """A run's traced step and evaluation and the variables they read and update."""

    params: tf.Variable  # [d]
    step: tf.Variable  # int64
    state: step_state.StepState
    numbers: RunNumbers  # of variables, or of numbers (not kept)
    train_step: object  # () -> dict of scalar tensors (`training.step.make_train_step`)
    names: list  # the attack's logged values
    evaluate: object  # () -> (accuracy, test_loss)
    key: tuple = None  # what a run must share to reuse it (None: not kept)
    inputs: tuple = ()  # the dataset and model objects the functions captured, kept alive with them

    def reset(self, initial_params, config):
        """Sets every variable to the start of the run of `config`: its initial parameters, step 0, zero
        state, its seed and learning rate."""
        self.params.assign(initial_params)
        self.step.assign(0)
        for variable in self.state.variables().values():
            variable.assign(tf.zeros_like(variable))
        for name in ("seed", "lr0", "lr_decay"):
            getattr(self.numbers, name).assign(getattr(config, name))


_kept = []  # at most one Engine: the last run's


def key(config, dataset, model_name, method, build_step=make_train_step, build_evaluate=make_evaluate):
    """What two runs must share to use one traced step; None for a run whose step is not kept."""
    if config.strategy != "none":
        return None
    fields = {name: value for name, value in dataclasses.asdict(config).items() if name not in _NOT_TRACED}
    if config.heterogeneity != "iid":
        fields["seed"] = config.seed
    return repr(sorted(fields.items())), id(dataset), model_name, method, build_step, build_evaluate


def engine(config, dataset, model, model_name, method, initial_params, shares, strategy=None,
           build_step=make_train_step, build_evaluate=make_evaluate):
    """The `Engine` of the run of `config`, its variables at the run's start (`reset`). Reuses the last
    one when `key` matches (the caller passes the same dataset object, `training.datasets.load`'s), else
    creates the variables for `strategy` (`training.distributed`) and traces anew with `build_step` and
    `build_evaluate`, called with the arguments of `training.step.make_train_step` and
    `training.evaluate.make_evaluate` (a test may wrap them: a run reuses only what the same builders made)."""
    run_key = key(config, dataset, model_name, method, build_step, build_evaluate)
    if run_key is not None and _kept and _kept[0].key == run_key:
        kept = _kept[0]
        kept.reset(initial_params, config)
        return kept
    params, step = distributed.create_variables(strategy, initial_params)
    d = int(params.shape[0])
    state = step_state.create(config, d, strategy)
    if run_key is None:
        numbers = RunNumbers.of(config)
    else:
        numbers = RunNumbers(tf.Variable(config.seed, dtype=tf.int64, trainable=False, name="seed"),
                             tf.Variable(config.lr0, dtype=tf.float32, trainable=False, name="lr0"),
                             tf.Variable(config.lr_decay, dtype=tf.float32, trainable=False, name="lr_decay"))
    train_step, names = build_step(config, model, dataset, params, step, method, strategy, state=state,
                                   shares=shares, numbers=numbers)
    evaluate = build_evaluate(model, dataset, params, config.eval_examples)
    built = Engine(params, step, state, numbers, train_step, names, evaluate, run_key, (dataset, model))
    _kept.clear()
    if run_key is not None:
        _kept.append(built)
    return built


def clear():
    """Forgets the kept step (the next run traces anew)."""
    _kept.clear()
