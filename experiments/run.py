"""One training run from flags (paper, section 5; defaults: the MNIST settings of section 5.2.1).

    python -m experiments.run --dataset=mnist --gar=krum --n=57 --f=27 --steps=300 --data_dir=../shared/data

Writes <results_dir>/<run_name>/ (config.json, metrics.csv, checkpoints/, tensorboard/); rerunning the same
command resumes an interrupted run, or returns at once when it is finished. A run whose training loss or
update becomes non-finite stops there (exit 0; --keep_diverged trains on). --strategy=mirrored or
multi_worker shares the workers' gradients over devices or processes with the same metrics (README,
"Running on several devices or machines"). An impossible setting or a mistyped flag prints one line to
stderr and exits with code 2 before any data is loaded; so does a run that cannot start (missing or
corrupt data files, no readable checkpoint, a run folder holding other settings).
"""

import numpy as np
from absl import flags

from training import command_line

# One flag per RunConfig field, on this command's own FlagValues (training.command_line).
FLAGS = flags.FlagValues()
command_line.define_run_flags(FLAGS)


def main(argv):
    command_line.import_tensorflow_quietly()
    import training
    from training import run_folder, strategies

    try:
        config = command_line.config_from_flags(FLAGS)
        strategy = strategies.create(config)  # before validate's scratch graph starts TensorFlow
        training.validate(config)
    except ValueError as error:
        command_line.fail(error)
    try:
        run_dir = training.run(config, validated=True)
    except training.RunError as error:  # the data, the run folder or its checkpoints
        command_line.fail(error)
    if not strategies.is_chief(strategy):
        print(f"{run_dir}: worker done (the chief writes the run's files)")
        return
    metrics = training.read_metrics(run_dir)
    accuracy = metrics["accuracy"][~np.isnan(metrics["accuracy"])]
    diverged = run_folder.state(run_dir).diverged_at
    print(f"{run_dir}: final test accuracy {accuracy[-1]:.2%} after {int(metrics['step'][-1])} steps"
          + (f" (diverged at step {diverged})" if diverged is not None else ""))


if __name__ == "__main__":
    command_line.run(main, FLAGS, __doc__)
