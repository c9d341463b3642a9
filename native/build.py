"""Compiles the native Bulyan op (`closest_to_median_mean.cc`) into a shared library next to it.

setup.py's build_ext calls `build()`; developers can run `python -m native.build` directly.
The compiler is g++ (or $CXX), with TensorFlow's own compile and link flags, so TensorFlow must be
importable by the Python running this.

    python -m native.build [--output=native/_closest_to_median_mean.so] [--compiler=g++]

Its flags follow the repository's convention (`training.command_line`, which this lowest layer cannot
import): --help exit 0, a mistyped flag one line and exit 2. absl is imported only when `main` runs: setup.py
loads this file by path to call `build()`, in a build environment that may lack it.
"""

import difflib
import os
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().with_name("closest_to_median_mean.cc")
LIBRARY = Path(__file__).resolve().with_name("_closest_to_median_mean.so")


def compile_command(output, compiler=None):
    """The g++ command line that builds SOURCE into `output` against the installed TensorFlow."""
    import tensorflow as tf  # imported here: the build needs it, importing this module does not

    compiler = compiler or os.environ.get("CXX") or "g++"
    return [compiler, "-std=c++17", "-O3", "-fPIC", "-shared", "-DNDEBUG", str(SOURCE),
            "-o", str(output), *tf.sysconfig.get_compile_flags(), *tf.sysconfig.get_link_flags()]


def build(output=LIBRARY, compiler=None, verbose=False):
    """Compiles the op into `output` (written atomically) and returns its path.
    Raises ImportError without TensorFlow, RuntimeError when the compiler is missing or fails."""
    output = Path(output).resolve()
    command = compile_command(output.with_name(output.name + ".tmp"), compiler)
    if verbose:
        print(" ".join(command))
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise RuntimeError(f"cannot run the C++ compiler {command[0]!r}: {error}") from error
    if result.returncode != 0:
        raise RuntimeError(f"compiling {SOURCE.name} failed (exit {result.returncode}):\n"
                           f"{result.stderr.strip()}")
    os.replace(command[command.index("-o") + 1], output)
    return output


def _parse(argv):
    """(--output, --compiler) from `argv` (sys.argv style); exits 0 after --help, 2 on a bad flag."""
    from absl import flags

    flag_values = flags.FlagValues()
    flags.DEFINE_string("output", str(LIBRARY), "Where to write the library.", flag_values=flag_values)
    flags.DEFINE_string("compiler", None, "C++ compiler; unset: $CXX or g++.", flag_values=flag_values)
    if any(arg in ("--help", "-h", "--helpshort", "--helpfull", "-?") for arg in argv[1:]):
        print(__doc__.rstrip() + "\n\nflags:\n" + flag_values.get_help(include_special_flags=False))
        sys.exit(0)
    try:
        rest = flag_values(argv)
    except flags.UnrecognizedFlagError as error:
        close = difflib.get_close_matches(error.flagname, list(flag_values), n=1)
        _fail(f"unknown flag --{error.flagname}" + (f"; did you mean --{close[0]}?" if close else ""))
    except flags.Error as error:
        _fail(str(error).splitlines()[0] if str(error) else type(error).__name__)
    if len(rest) > 1:
        _fail(f"unexpected arguments: {' '.join(rest[1:])}")
    return flag_values.output, flag_values.compiler


def _fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv=None):
    """`python -m native.build`: builds the op; returns the exit code (1 when the build fails)."""
    output, compiler = _parse(sys.argv if argv is None else argv)
    try:
        path = build(output, compiler, verbose=True)
    except (ImportError, RuntimeError) as error:
        print(f"native.build: {error}", file=sys.stderr)
        return 1
    print(f"built {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
