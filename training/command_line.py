"""The one command-line convention of every command (runs, figures, studies, benchmarks): absl flags.

Each command defines its flags on its own `flags.FlagValues()` (several commands can be imported in one
process, the test suite, without their flags clashing on absl's global FLAGS) and starts with
`command_line.run(main, FLAGS, __doc__)`:
- `--help` (or -h, --helpshort, --helpfull) prints the command's docstring and its flags, exit 0;
- a mistyped flag or a bad value prints one line (`error: unknown flag --x; did you mean --y?`), exit 2;
- `fail(message)` prints `error: <message>` and exits 2 (a setting that cannot run);
- Ctrl-C prints one line (a run's: "interrupted at step t; rerun the same command to resume") and exits 130;
- list flags take comma-separated values (`--d=79510,1756426`: `define_integer_list`, `flags.DEFINE_list`);
  seeds are lists or ranges, `--seeds=1-3,7` (`parse_seeds`);
- arguments after `--` are refused, or passed to `main` with `run(..., positional=True)` (a launcher's);
- `import_tensorflow_quietly()` keeps TensorFlow's C++ INFO banners out of stderr.

A run's flags are made from `training.RunConfig`'s fields (`define_run_flags`): name, type, default,
help and choices are written once, on the field, so a field cannot lack its flag nor a flag its field.
"""

import dataclasses
import difflib
import logging
import os
import re
import shlex
import sys
import tempfile

from absl import app, flags

from training.config import RunConfig
from training.errors import Interrupted

HELP_FLAGS = ("--help", "-h", "--helpshort", "--helpfull", "-?")
MAX_SEEDS = 1000  # per command: a longer list is a typo (1-1000000), not a study
_DICT_FIELDS = ("gar_options", "attack_options")  # repeatable key=value flags


def _fields(names=None):
    fields = {field.name: field for field in dataclasses.fields(RunConfig)}
    unknown = sorted(set(names or ()) - set(fields))
    if unknown:
        raise ValueError(f"RunConfig has no field {unknown[0]!r}")
    return [fields[name] for name in names] if names is not None else list(fields.values())


def choices_of(field):
    """The values a RunConfig field accepts (a tuple), or None when it is free."""
    choices = field.metadata.get("choices")
    return tuple(choices() if callable(choices) else choices) if choices else None


def define_run_flags(flag_values, names=None, defaults=None):
    """Defines one flag per RunConfig field (all of them, or `names`) on `flag_values`.
    `defaults` ({name: value}) overrides a field's default for this command."""
    defaults = defaults or {}
    for field in _fields(names):
        default = defaults.get(field.name, field.default if field.default is not dataclasses.MISSING else None)
        help_text = field.metadata.get("help", "")
        choices = choices_of(field)
        if field.name in _DICT_FIELDS:
            flags.DEFINE_multi_string(field.name, [f"{k}={v}" for k, v in (default or {}).items()], help_text,
                                      flag_values=flag_values)
        elif choices and not field.metadata.get("closed", True):
            flags.DEFINE_string(field.name, default, f"{help_text} One of: {', '.join(choices)}.",
                                flag_values=flag_values)
        elif choices:
            flags.DEFINE_enum(field.name, default, list(choices), help_text, flag_values=flag_values)
        elif field.type is bool:
            flags.DEFINE_bool(field.name, default, help_text, flag_values=flag_values)
        elif field.type is int:
            flags.DEFINE_integer(field.name, default, help_text, flag_values=flag_values)
        elif field.type is float:
            flags.DEFINE_float(field.name, default, help_text, flag_values=flag_values)
        else:
            flags.DEFINE_string(field.name, default, help_text, flag_values=flag_values)


class _IntegerListParser(flags.ListParser):
    """A comma-separated list of integers ("79510,1756426")."""

    def parse(self, argument):
        values = super().parse(argument)
        try:
            return [int(value) for value in values]
        except (TypeError, ValueError):
            raise ValueError(f"expected comma-separated integers, got {argument!r}") from None

    def flag_type(self):
        return "comma-separated list of integers"


def define_integer_list(name, default, help_text, flag_values):
    """A flag taking comma-separated integers, `--name=79510,1756426` (a list of int)."""
    flags.DEFINE(_IntegerListParser(), name, default, help_text, flag_values=flag_values,
                 serializer=flags.CsvListSerializer(","))


def config_from_flags(flag_values, names=None, **fields):
    """A `RunConfig` from the run flags defined on `flag_values` (all, or `names`), then `fields`.
    ValueError for a malformed key=value option."""
    values = {}
    for field in _fields(names):
        value = flag_values[field.name].value
        values[field.name] = parse_options(value, field.name) if field.name in _DICT_FIELDS else value
    values.update(fields)
    return RunConfig(**values)


def run_options(flag_values, names):
    """{name: value} of the run flags `names` defined on `flag_values` (for commands that pass a few run
    settings, such as the strategy, to every run they plan)."""
    return {name: flag_values[name].value for name in names}


def parse_options(pairs, flag):
    """['key=value', ...] -> dict; values become int, float or str ('inf' stays the string 'inf')."""
    options = {}
    for pair in pairs or []:
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


def parse_seeds(values, default=1, flag="--seeds"):
    """['1', '2'], ['1-5'] (from a list flag) or '1-3,7' -> sorted unique ints. None or nothing -> [default]
    (default None: ValueError, a seed is required). ValueError naming `flag` and the bad part, or an empty
    range such as 3-1."""
    parts = str(values).split(",") if isinstance(values, str) else [str(v) for v in values or []]
    seeds = set()
    for part in filter(None, (p.strip() for p in parts)):
        low, dash, high = part.partition("-")
        try:
            found = range(int(low), int(high) + 1) if dash and low else [int(part)]
        except ValueError:
            raise ValueError(f"{flag} takes integers or ranges such as 1,2,3 or 1-5, got {part!r}") from None
        if not found:
            raise ValueError(f"{flag} range {part!r} is empty")
        if len(seeds) + len(found) > MAX_SEEDS:
            raise ValueError(f"{flag} names more than {MAX_SEEDS} seeds ({part!r}); split the work into "
                             "several commands")
        seeds.update(found)
    if not seeds:
        if default is None:
            raise ValueError(f"{flag} names no seed: {values!r}")
        seeds = {default}
    if min(seeds) < 0:
        raise ValueError(f"seeds must be >= 0, got {min(seeds)}")
    return sorted(seeds)


def parser(flag_values, doc):
    """An `app.run(..., flags_parser=...)` for `flag_values`: --help prints `doc` and the flags (exit 0);
    flags that `flag_values` does not know go to absl's global FLAGS (logging and the like); a mistyped
    flag or value prints one line to stderr and exits 2."""

    def parse(argv):
        own = argv[1:argv.index("--")] if "--" in argv else argv[1:]  # after "--": the positional arguments
        if any(arg in HELP_FLAGS for arg in own):
            print((doc or "").rstrip() + "\n\nflags:\n" + flag_values.get_help())
            sys.exit(0)
        try:
            return flags.FLAGS(flag_values(argv, known_only=True))
        except flags.UnrecognizedFlagError as error:
            close = difflib.get_close_matches(error.flagname, list(flag_values), n=1)
            fail(f"unknown flag --{error.flagname}" + (f"; did you mean --{close[0]}?" if close else ""))
        except flags.Error as error:
            fail(str(error).splitlines()[0] if str(error) else type(error).__name__)

    return parse


def run(main, flag_values, doc, positional=False):
    """`app.run(main)` with `parser(flag_values, doc)`. Positional arguments (those after `--`, for a
    command that passes them on) reach `main(argv)` as argv[1:] when `positional`, else are refused
    (exit 2)."""

    def checked_main(argv):
        if len(argv) > 1 and not positional:
            fail(f"unexpected arguments: {' '.join(argv[1:])}")
        try:
            return main(argv)
        except KeyboardInterrupt as interrupt:  # Ctrl-C: one line, no traceback
            print(str(interrupt) if isinstance(interrupt, Interrupted) else "interrupted; rerun the same "
                  "command to resume (finished runs are kept)", file=sys.stderr, flush=True)
            sys.exit(130)

    app.run(checked_main, flags_parser=parser(flag_values, doc))


def as_typed(module, args=None):
    """The command line `python -m <module> <args>` (default: this process's arguments), shell-quoted, for
    a report's "written by" line."""
    return shlex.join(["python", "-m", module, *(sys.argv[1:] if args is None else args)])


def fail(message):
    """Prints `error: <message>` to stderr and exits with code 2."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


# A C++ INFO line ("I0000 00:00:... port.cc:153] ...") and absl's notice preceding those TF 2.21 writes
# before its logging is set up (they ignore TF_CPP_MIN_LOG_LEVEL).
_INFO = re.compile(r"^(I\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] |WARNING: All log messages before absl::InitializeLog\(\))")


def is_info_line(line):
    """Whether `line` is a C++ or absl INFO log line (`I1201 16:13:38.169168 1234 file.py:157] ...`)."""
    return bool(_INFO.match(line))


def _not_retracing_warning(record):
    """Drops TensorFlow's "N out of the last M calls to <function> triggered tf.function retracing": the
    commands build one function per setting (d, n, a rule) on purpose."""
    return "triggered tf.function retracing" not in str(record.msg)


def import_tensorflow_quietly():
    """Imports TensorFlow with TF_CPP_MIN_LOG_LEVEL=1 (unless set), stderr captured meanwhile and written
    back without its INFO lines; drops its retracing warnings (`_not_retracing_warning`). Does nothing
    when TensorFlow is already imported."""
    logging.getLogger("tensorflow").addFilter(_not_retracing_warning)  # once: a filter is added once
    if "tensorflow" in sys.modules:
        return
    level = os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    if level == "0":
        import tensorflow  # noqa: F401
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not is_info_line(line)))
            sys.stderr.flush()
