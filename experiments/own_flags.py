"""Command-line scripts with their own absl FlagValues, so that their flags (--seed, --data_dir, ...) do
not clash with other scripts' on absl's global FLAGS when several are imported in one process."""

import sys

from absl import flags


def parser(flag_values, doc):
    """An `app.run(..., flags_parser=...)` for `flag_values`: --help prints `doc` and the flags; the
    flags `flag_values` does not know go to absl's global FLAGS (logging and the like)."""

    def parse(argv):
        if any(arg in ("--help", "-h", "--helpshort", "-?") for arg in argv[1:]):
            print(doc + "\n" + flag_values.get_help())
            sys.exit(0)
        return flags.FLAGS(flag_values(argv, known_only=True))

    return parse
