"""One run's settings (`RunConfig`, fields named like `experiments/run.py`'s flags) and their checks."""

import dataclasses
import hashlib
import json
import math
import os
import tempfile

from training.errors import RunError

# Settings that do not change the trajectory of a run: they are left out of its derived name and may
# differ when a run is resumed.
LOGISTICS = ("results_dir", "run_name", "data_dir", "tfds_dir", "checkpoint_every", "strategy", "replicas",
             "keep_diverged")

# Compute dtypes of the workers' gradients (`RunConfig.precision`, `models.with_precision`).
PRECISIONS = ("float32", "mixed_bfloat16")


def _field(default, help, choices=None, closed=True, named_at_default=True):
    """A `RunConfig` field with its command-line help (`training.command_line` makes one flag of each);
    `choices` (a tuple, or a function returning one) lists the accepted values: all of them (`closed`),
    or those known when the flags are defined (tests register more datasets later).
    `named_at_default=False` (the fields added after runs were recorded): the field enters the run's
    derived name only when it differs from its default, so the runs recorded before it keep their
    folder names (`RunConfig.trajectory`)."""
    factory = {"default_factory": dict} if default == {} else {"default": default}
    return dataclasses.field(**factory, metadata={"help": help, "choices": choices, "closed": closed,
                                                  "named_at_default": named_at_default})


def _dataset_names():
    from training import datasets

    return tuple(datasets.names())


def _strategy_names():
    from training import strategies

    return strategies.STRATEGIES


def _data_sources():
    from training import datasets

    return datasets.SOURCES


@dataclasses.dataclass
class RunConfig:
    """One run's settings. Defaults: the paper's MNIST settings (section 5.2.1: eta0 = 1, r_eta = 10000,
    batch 83). Each field is one flag of `python -m experiments.run` (`training.command_line`)."""

    dataset: str = _field("mnist", "Dataset.", _dataset_names, closed=False)
    gar: str = _field("average", "Aggregation rule (see aggregators.names()).")
    gar_options: dict = _field({}, "Rule option key=value (repeatable), e.g. norm=inf.")
    n: int = _field(30, "Workers in all, honest + Byzantine.")
    f: int = _field(0, "Byzantine workers, declared to the rule (the last f workers under an attack).")
    batch_size: int = _field(83, "Mini-batch size of each worker.")
    lr0: float = _field(1.0, "Initial learning rate eta0.")
    lr_decay: float = _field(10000.0, "Fading rate r_eta: eta(t) = eta0 * r_eta / (t + r_eta).")
    steps: int = _field(1000, "Training steps (the paper's epochs).")
    eval_every: int = _field(50, "Test accuracy every this many steps (and at steps 0 and the last).")
    checkpoint_every: int = _field(100, "Checkpoint every this many steps (and at the last).")
    attack: str = _field("none", "Attack of the f Byzantine workers (see attacks.names()).")
    attack_options: dict = _field({}, "Attack option key=value (repeatable).")
    attack_start: int = _field(0, "First step of the attack window [start, stop).")
    attack_stop: int = _field(None, "End of the attack window (exclusive); unset: never stops.")
    seed: int = _field(1, "Seed of the initialisation, the mini-batches and the attack.")
    results_dir: str = _field("results", "Runs go to <results_dir>/<run_name>/.")
    run_name: str = _field(None, "Folder name of the run; unset: derived from the settings.")
    data_dir: str = _field(None, "Folder holding mnist/ (the 4 IDX .gz files) and/or "
                                 "cifar10/cifar-10-batches-py/ (or -bin/): read offline. Unset: TFDS.")
    tfds_dir: str = _field(None, "TFDS's own data folder; unset: TFDS's default.")
    data_source: str = _field("auto", "auto: the raw files in --data_dir when present, else TFDS (offline "
                                      "MNIST from --data_dir as its manual_dir).", _data_sources)
    l2: float = _field(1e-4, "L2 regularisation lambda: the loss adds lambda * sum(x^2) (section 5.1).")
    eval_examples: int = _field(None, "Evaluate on the first this many test images; unset: all.")
    strategy: str = _field("none", "Where the workers' gradients run: this process (none), --replicas local "
                                   "devices (mirrored), or the processes of TF_CONFIG (multi_worker; see "
                                   "experiments.launch_local). The metrics are the same.", _strategy_names)
    replicas: int = _field(None, "mirrored: the GPUs, or logical CPU devices when there is none, to use; "
                                 "unset: every GPU, or 2 CPU devices.")
    keep_diverged: bool = _field(False, "Train on to the last step once the run diverges (its training loss, "
                                        "aggregated gradient or parameters not finite; the update is applied as "
                                        "it is). Unset: the run stops at that step, evaluated and checkpointed, "
                                        "and is finished (config.json: diverged_at); rerunning a run stopped so, "
                                        "even with --keep_diverged or more steps, does not extend it (delete its "
                                        "folder to train it on).")
    momentum: float = _field(0.0, "Worker momentum beta (El Mhamdi, Guerraoui, Rouault, ICLR 2021): each worker "
                                  "that computes gradients submits m <- beta m + (1 - momentum_dampening) g, "
                                  "m starting at 0; 0 (the default): the gradients themselves. In [0, 1).",
                             named_at_default=False)
    momentum_dampening: float = _field(0.0, "Dampening of the worker momentum, in [0, 1]: 0 (the default) "
                                            "m <- beta m + g (the ICLR 2021 paper's); = momentum: ByzFL's "
                                            "m <- beta m + (1 - beta) g. Needs momentum > 0.",
                                       named_at_default=False)
    heterogeneity: str = _field("iid", "How the honest workers' data differ (training.heterogeneity): iid "
                                       "(every worker samples the whole training set), dirichlet:ALPHA (each "
                                       "class split over the workers with Dirichlet(ALPHA) proportions) or "
                                       "classes:K (each worker holds K classes).", named_at_default=False)
    precision: str = _field("float32", "Compute dtype of the workers' forward and backward passes: float32 (the "
                                       "paper's; the default) or mixed_bfloat16 (Keras mixed precision: bfloat16 "
                                       "compute on float32 parameters, the loss in float32, float32 gradients; "
                                       "the rule, attacks, momentum, update and evaluation stay float32). Not the "
                                       "paper's: for exploratory runs. Faster on CPUs with AVX512_BF16 or AMX "
                                       "(Figure 3's CIFAR-10 step: ~1.4x, benchmarks/bench_training.py --cifar) "
                                       "and on GPUs with bf16 tensor cores (NVIDIA Ampere or newer; untested: no "
                                       "GPU here).", PRECISIONS, named_at_default=False)
    model: str = _field(None, "Model trained, which must take the dataset's images: mnist_mlp, cifar10_cnn, or "
                              "cifar10_cnn_pool_stride (the CIFAR-10 model with pool strides = pool sizes, 3 and "
                              "4: d = 314,314, the other reading of section 5.1; models/cifar10_cnn.py). Unset: "
                              "the dataset's own (mnist: mnist_mlp, cifar10: cifar10_cnn).", named_at_default=False)

    def trajectory(self):
        """The settings that determine the metrics (everything but `LOGISTICS`), as a dict; the fields
        added after runs were recorded (`NAMED_WHEN_SET`) only when they differ from their defaults, so
        that a run without them keeps its derived name."""
        settings = dataclasses.asdict(self)
        return {key: value for key, value in settings.items()
                if key not in LOGISTICS and not (key in NAMED_WHEN_SET and value == NAMED_WHEN_SET[key])}

    def resolved_run_name(self):
        return self.run_name or derived_run_name(self)


# name -> default of the fields that enter the trajectory only when set (`_field(named_at_default=False)`).
NAMED_WHEN_SET = {field.name: field.default for field in dataclasses.fields(RunConfig)
                  if not field.metadata["named_at_default"]}


def model_name(config):
    """The `models` name `config` trains: its `model`, or unset, its dataset's own (None for a dataset
    registered without one, `training.datasets.register`)."""
    from training import datasets

    return config.model if config.model is not None else datasets.model_of(config.dataset)


def check_model_takes(model, dataset, image_shape, model_shape=None):
    """RunError unless model `model` takes images of shape `image_shape` (H, W, C), those of `dataset`.
    `model_shape`: the shape it takes, when known (None: `models.input_shape`, which builds it once)."""
    import models

    takes = tuple(model_shape) if model_shape is not None else models.input_shape(model)
    if takes != tuple(int(size) for size in image_shape):
        raise RunError(f"model {model} does not take {dataset}'s {'x'.join(map(str, image_shape))} images")


def derived_run_name(config):
    """A readable, deterministic folder name: main settings plus a hash of every trajectory setting."""
    digest = hashlib.sha1(json.dumps(config.trajectory(), sort_keys=True, default=str).encode()).hexdigest()
    return f"{config.dataset}-{config.gar}-n{config.n}-f{config.f}-{config.attack}-{digest[:10]}"


FLOAT32_MAX = 3.4028234663852886e38
NAME_MAX = 255  # bytes in a folder name on Linux, macOS and Windows file systems


def check_run_name(run_name):
    """RunError unless `run_name` is None or one plain folder name: no path separator, not "." or "..",
    no NUL, at most NAME_MAX bytes."""
    if run_name is None:
        return
    plain = (isinstance(run_name, str) and run_name not in ("", ".", "..") and "/" not in run_name
             and os.sep not in run_name and (os.altsep or "/") not in run_name and "\0" not in run_name)
    if not plain:
        raise RunError(f"run_name must be one plain folder name (no '/', not '.' or '..'), got {run_name!r}")
    if len(run_name.encode()) > NAME_MAX:
        raise RunError(f"run_name must be at most {NAME_MAX} bytes (the file system's limit on a folder "
                       f"name), got {len(run_name.encode())}")


def validate(config):
    """Raises ValueError (`RunError`), naming the value and the rule, when `config` cannot run; only checks.
    Reads no data: the data files are only looked for, and d (for the attack's options) comes from
    building the model. Builds a scratch graph (`_check_options`), which starts TensorFlow in this
    process: a process that will train `config` with a strategy creates it first
    (`training.strategies.create`, as `training.run` does), since a mirrored run's logical CPU devices and
    a multi-worker run's collectives cannot be configured once TensorFlow has started."""
    import aggregators
    import attacks
    import models
    from training import datasets, heterogeneity, pipeline, run_folder, strategies

    def check(holds, message):
        if not holds:
            raise RunError(message)

    check(config.dataset in datasets.names(),
          f"unknown dataset {config.dataset!r}; known datasets: {', '.join(datasets.names())}")
    try:
        rule = aggregators.get(config.gar)  # a rule, or a chain of steps and a rule ("arc+nnm+trimmed-mean")
    except ValueError as error:
        raise RunError(str(error)) from None
    attacks.get(config.attack)  # ValueError listing the known attacks
    if config.model is not None:
        check(isinstance(config.model, str) and config.model in models.names(),
              f"unknown model {config.model!r}; known models: {', '.join(models.names())}")
        own = datasets.model_of(config.dataset)  # its images are those its own model takes
        if own is not None:
            check_model_takes(config.model, config.dataset, models.input_shape(own))
    for name in ("n", "f", "batch_size", "steps", "eval_every", "checkpoint_every", "attack_start", "seed",
                 "attack_stop", "eval_examples"):
        value = getattr(config, name)
        check((isinstance(value, int) and not isinstance(value, bool))
              or (value is None and name in ("attack_stop", "eval_examples")),
              f"{name} must be an integer, got {value!r}")
    for name in ("lr0", "lr_decay", "l2", "momentum", "momentum_dampening"):
        value = getattr(config, name)
        check(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
              f"{name} must be a finite number, got {value!r}")
    check(config.precision in PRECISIONS,
          f"precision must be one of {', '.join(PRECISIONS)}, got {config.precision!r}")
    check(isinstance(config.keep_diverged, bool),
          f"keep_diverged must be True or False, got {config.keep_diverged!r}")
    check(config.n >= 1, f"n must be >= 1, got n={config.n}")
    check(config.f >= 0, f"f must be >= 0, got f={config.f}")
    check(config.f <= config.n, f"f must be <= n, got n={config.n}, f={config.f}")
    check(isinstance(config.gar_options, dict), f"gar_options must be a dict, got {config.gar_options!r}")
    try:
        pipeline.check(config)
        minimum = (rule.min_workers(config.f, **config.gar_options) if isinstance(rule, aggregators.Chain)
                   else rule.min_workers(config.f))  # a chain's step options change its outputs
    except ValueError as error:  # an unknown or bad step option
        raise RunError(str(error)) from None
    check(config.n >= minimum, f"{config.gar} needs n >= {minimum} for f={config.f}, got n={config.n}")
    check(config.n - config.f >= 1, f"at least one worker must be honest, got n={config.n}, f={config.f}")
    check(config.batch_size >= 1, f"batch_size must be >= 1, got {config.batch_size}")
    check(config.steps >= 1, f"steps must be >= 1, got {config.steps}")
    check(config.eval_every >= 1, f"eval_every must be >= 1, got {config.eval_every}")
    check(config.checkpoint_every >= 1, f"checkpoint_every must be >= 1, got {config.checkpoint_every}")
    check(config.lr0 > 0, f"lr0 must be > 0, got {config.lr0}")
    check(config.lr_decay > 0, f"lr_decay (r_eta) must be > 0, got {config.lr_decay}")
    check(config.l2 >= 0, f"l2 must be >= 0, got {config.l2}")
    for name in ("lr0", "lr_decay", "l2"):  # computed in float32: a larger value is inf there
        check(getattr(config, name) <= FLOAT32_MAX,
              f"{name} must be at most {FLOAT32_MAX:.4g} (float32's largest value), got {getattr(config, name)!r}")
    train_size = datasets.train_size_of(config.dataset)
    if train_size is not None:
        check(config.batch_size <= train_size, f"batch_size must be at most the {train_size:,} training images "
              f"of {config.dataset}, got {config.batch_size}")
    check_run_name(config.run_name)
    check(0 <= config.seed < 2 ** 32, f"seed must be in [0, 2**32), got {config.seed}")
    check(0 <= config.momentum < 1, f"momentum must be in [0, 1), got {config.momentum}")
    check(0 <= config.momentum_dampening <= 1,
          f"momentum_dampening must be in [0, 1], got {config.momentum_dampening}")
    check(config.momentum > 0 or config.momentum_dampening == 0,
          f"momentum_dampening={config.momentum_dampening} needs momentum > 0 (with momentum=0 the workers "
          "submit their gradients as they are)")
    model = model_name(config)
    try:
        kind, _ = heterogeneity.parse(config.heterogeneity)
        heterogeneity.check(config.heterogeneity,
                            heterogeneity.class_count(model) if model and kind == "classes" else None)
    except ValueError as error:
        raise RunError(str(error)) from None
    check(config.attack_start >= 0, f"attack_start must be >= 0, got {config.attack_start}")
    check(config.attack_stop is None or config.attack_stop >= config.attack_start,
          f"attack_stop must be >= attack_start, got [{config.attack_start}, {config.attack_stop})")
    check(config.eval_examples is None or config.eval_examples >= 1,
          f"eval_examples must be None or >= 1, got {config.eval_examples}")
    check(config.data_source in datasets.SOURCES,
          f"data_source must be one of {', '.join(datasets.SOURCES)}, got {config.data_source!r}")
    for name in ("gar_options", "attack_options"):
        check(isinstance(getattr(config, name), dict), f"{name} must be a dict, got {getattr(config, name)!r}")
    check(config.f > 0 or getattr(attacks.get(config.attack), "honest", False),
          f"attack {config.attack} needs Byzantine workers, got f=0; use attack=none for a run without attack")
    strategies.check(config)
    _check_options(config)
    datasets.check_source(config.dataset, config.data_dir, config.data_source)
    _check_run_folder(run_folder.path(config))


def _check_run_folder(run_dir):
    """The run folder, or the nearest of its parents that exists, must be a folder (not a file) where a
    file can be created (tried with a temporary folder, removed at once)."""
    path = os.path.abspath(run_dir)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    if not os.path.isdir(path):
        raise RunError(f"{path} is a file, not a folder: the run cannot be written to {run_dir}")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".writable-", dir=path))
    except OSError as error:
        raise RunError(f"{path} is not writable ({error.strerror or error}): the run cannot be written to "
                       f"{run_dir}; choose another --results_dir") from None


def _check_options(config):
    """Calls the rule on zero gradients of the model's real d in a scratch graph (`training.dry_run`:
    nothing runs; once per rule settings, `dry_run.once`), and the attack through
    `training.step.logged_names` (one dry run, which the run's training step reuses), so that a bad
    --gar_options or --attack_options fails here, before any data is loaded. For a dataset registered
    without its model, d is unknown: the attack's options are then checked when the run builds its
    training step."""
    import aggregators
    import models
    import tensorflow as tf
    from training import dry_run, pipeline, step

    model = model_name(config)
    d = models.parameter_count(model) if model else 4

    def rule_on_zeros():
        try:
            aggregators.aggregate(config.gar, tf.zeros([config.n, d]), config.f,
                                  **pipeline.options_at(config, tf.constant(0, tf.int64)))
        except TypeError as error:
            raise ValueError(f"{config.gar}: bad gar_options {config.gar_options}: {error}") from None

    settings = ("rule", config.gar, repr(sorted(config.gar_options.items())), config.n, config.f, d,
                pipeline.seeds_bucketing(config))
    dry_run.once(settings, aggregators.get(config.gar), lambda: dry_run.trace(rule_on_zeros))
    if model:
        step.logged_names(config, d)
