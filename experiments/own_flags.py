"""Command-line scripts with their own absl FlagValues, so that their flags (--seed, --data_dir, ...) do
not clash with other scripts' on absl's global FLAGS when several are imported in one process."""

import difflib
import sys

from absl import flags


def parser(flag_values, doc):
    """An `app.run(..., flags_parser=...)` for `flag_values`: --help prints `doc` and the flags; the
    flags `flag_values` does not know go to absl's global FLAGS (logging and the like). A mistyped flag
    or value prints one line to stderr and exits 2."""

    def parse(argv):
        if any(arg in ("--help", "-h", "--helpshort", "-?") for arg in argv[1:]):
            print(doc + "\n" + flag_values.get_help())
            sys.exit(0)
        try:
            return flags.FLAGS(flag_values(argv, known_only=True))
        except flags.UnrecognizedFlagError as error:
            close = difflib.get_close_matches(error.flagname, list(flag_values), n=1)
            _exit_with(f"unknown flag --{error.flagname}" + (f"; did you mean --{close[0]}?" if close else ""))
        except flags.Error as error:
            _exit_with(str(error).splitlines()[0] if str(error) else type(error).__name__)

    return parse


def _exit_with(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)
