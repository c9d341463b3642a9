"""Moved to `training.command_line.import_tensorflow_quietly`; kept until every command imports it there."""

from training.command_line import import_tensorflow_quietly  # noqa: F401
