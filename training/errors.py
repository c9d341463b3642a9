"""`RunError`: a run cannot start or resume because of what it was given (a setting, a data file, a run
folder or a checkpoint), not because of a bug. Its message is one line naming the value at fault;
`python -m experiments.run` prints it and exits with code 2."""


class RunError(ValueError):
    """A run's input is unusable; the message names the value (setting, file or folder) and the rule."""


class RunInUse(RunError):
    """The run's folder is held by another process training it (`training.run_lock`)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: its message is the one line to print ("[run] interrupted at step t; rerun the
    same command to resume"). `training.command_line.run` prints it and exits with code 130."""
