"""One training run from flags (paper, section 5; defaults: the MNIST settings of section 5.2.1).

    python -m experiments.run --dataset=mnist --gar=krum --n=57 --f=27 --steps=300 --data_dir=../shared/data

Writes <results_dir>/<run_name>/ (config.json, metrics.csv, checkpoints/, tensorboard/); rerunning the same
command resumes an interrupted run, or returns at once when it is finished. --strategy=mirrored or
multi_worker shares the workers' gradients over devices or processes with the same metrics (README,
"Running on several devices or machines"). An impossible setting or a mistyped flag prints one line to
stderr and exits with code 2 before any data is loaded; so does a run that cannot start (missing or
corrupt data files, no readable checkpoint, a run folder holding other settings).
"""

import functools
import sys

import numpy as np
from absl import app, flags

from experiments import logs, own_flags

# Our own FlagValues: the figure scripts define flags of the same names (--seed, --data_dir, ...) on
# absl's global FLAGS, and both modules may be imported in one process (the test suite).
FLAGS = flags.FlagValues()
_string, _multi_string, _integer, _float, _enum = (
    functools.partial(define, flag_values=FLAGS) for define in (flags.DEFINE_string, flags.DEFINE_multi_string,
                                                                flags.DEFINE_integer, flags.DEFINE_float,
                                                                flags.DEFINE_enum))
_string("dataset", "mnist", "mnist | cifar10.")
_string("gar", "average", "Aggregation rule (see aggregators.names()).")
_multi_string("gar_options", [], "Rule option key=value (repeatable), e.g. norm=inf.")
_integer("n", 30, "Workers in all, honest + Byzantine.")
_integer("f", 0, "Byzantine workers, declared to the rule (the last f workers under an attack).")
_integer("batch_size", 83, "Mini-batch size of each worker.")
_float("lr0", 1.0, "Initial learning rate eta0.")
_float("lr_decay", 10000.0, "Fading rate r_eta: eta(t) = eta0 * r_eta / (t + r_eta).")
_integer("steps", 1000, "Training steps (the paper's epochs).")
_integer("eval_every", 50, "Test accuracy every this many steps (and at steps 0 and the last).")
_integer("checkpoint_every", 100, "Checkpoint every this many steps (and at the last).")
_string("attack", "none", "Attack of the f Byzantine workers (see attacks.names()).")
_multi_string("attack_options", [], "Attack option key=value (repeatable).")
_integer("attack_start", 0, "First step of the attack window [start, stop).")
_integer("attack_stop", None, "End of the attack window (exclusive); unset: never stops.")
_integer("seed", 1, "Seed of the initialisation, the mini-batches and the attack.")
_string("results_dir", "results", "Runs go to <results_dir>/<run_name>/.")
_string("run_name", None, "Folder name of the run; unset: derived from the settings.")
_string("data_dir", None, "Folder holding mnist/ (the 4 IDX .gz files) and/or cifar10/cifar-10-batches-py/ "
        "(or -bin/): read offline. Unset: TFDS.")
_string("tfds_dir", None, "TFDS's own data folder; unset: TFDS's default.")
_enum("data_source", "auto", ["auto", "raw", "tfds"], "auto: the raw files in --data_dir when present, else "
      "TFDS (offline MNIST from --data_dir as its manual_dir).")
_integer("eval_examples", None, "Evaluate on the first this many test images; unset: all.")
_enum("strategy", "none", ["none", "mirrored", "multi_worker"], "Where the workers' gradients run: this "
      "process (none), --replicas local devices (mirrored), or the processes of TF_CONFIG (multi_worker; see "
      "experiments.launch_local). The metrics are the same.")
_integer("replicas", None, "mirrored: the GPUs, or logical CPU devices when there is none, to use; unset: "
         "every GPU, or 2 CPU devices.")


def parse_options(pairs, flag):
    """['key=value', ...] -> dict; values become int, float or str ('inf' stays the string 'inf')."""
    options = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--{flag} takes key=value, got {pair!r}")
        options[key] = _parse_value(text)
    return options


def _parse_value(text):
    for convert in (int, float):
        try:
            value = convert(text)
        except ValueError:
            continue
        if convert is float and text.strip().lower() in ("inf", "+inf", "infinity", "-inf", "nan"):
            return text  # names such as norm=inf are the rules' and attacks' to read
        return value
    return text


def config_from_flags():
    import training

    return training.RunConfig(
        dataset=FLAGS.dataset, gar=FLAGS.gar, gar_options=parse_options(FLAGS.gar_options, "gar_options"),
        n=FLAGS.n, f=FLAGS.f, batch_size=FLAGS.batch_size, lr0=FLAGS.lr0, lr_decay=FLAGS.lr_decay,
        steps=FLAGS.steps, eval_every=FLAGS.eval_every, checkpoint_every=FLAGS.checkpoint_every,
        attack=FLAGS.attack, attack_options=parse_options(FLAGS.attack_options, "attack_options"),
        attack_start=FLAGS.attack_start, attack_stop=FLAGS.attack_stop, seed=FLAGS.seed,
        results_dir=FLAGS.results_dir, run_name=FLAGS.run_name, data_dir=FLAGS.data_dir,
        tfds_dir=FLAGS.tfds_dir, data_source=FLAGS.data_source, eval_examples=FLAGS.eval_examples,
        strategy=FLAGS.strategy, replicas=FLAGS.replicas)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    logs.import_tensorflow_quietly()
    import training
    from training import strategies

    try:
        config = config_from_flags()
        training.validate(config)
    except ValueError as error:
        _exit_with(error)
    try:
        run_dir = training.run(config)
    except training.RunError as error:  # the data, the run folder or its checkpoints
        _exit_with(error)
    if not strategies.is_chief(strategies.create(config)):
        print(f"{run_dir}: worker done (the chief writes the run's files)")
        return
    metrics = training.read_metrics(run_dir)
    accuracy = metrics["accuracy"][~np.isnan(metrics["accuracy"])]
    print(f"{run_dir}: final test accuracy {accuracy[-1]:.2%} after {int(metrics['step'][-1])} steps")


def _exit_with(error):
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)


parse_flags = own_flags.parser(FLAGS, __doc__)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
