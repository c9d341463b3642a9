"""Compiles the native Bulyan op (`closest_to_median_mean.cc`) into a shared library next to it.

setup.py's build_ext calls `build()`; developers can run `python -m native.build` directly.
The compiler is g++ (or $CXX), with TensorFlow's own compile and link flags, so TensorFlow must be
importable by the Python running this.
"""

import argparse
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(LIBRARY), help="where to write the library")
    parser.add_argument("--compiler", default=None, help="C++ compiler (default: $CXX or g++)")
    args = parser.parse_args(argv)
    try:
        path = build(args.output, args.compiler, verbose=True)
    except (ImportError, RuntimeError) as error:
        print(f"native.build: {error}", file=sys.stderr)
        return 1
    print(f"built {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
