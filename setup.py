"""Installs the toolkit and builds the native Bulyan op (paper, section 4).

The op is compiled by `native/build.py` with TensorFlow's compile and link flags, so TensorFlow must
be importable while building: install with

    pip install -e ".[test]"                          # the package and its dependencies
    pip install --no-build-isolation --no-deps -e .   # again, now building the op against them

(pip's default build isolation hides the installed TensorFlow from this script).

TensorFlow comes from an extra, so that exactly one TensorFlow distribution is installed (two, such as
tensorflow-cpu and tensorflow, write the same files and shadow each other):
- "cpu" (and "test", which adds pytest): tensorflow-cpu on x86_64 (no CUDA kernels: 274 MB against
  572 MB for the tensorflow 2.21 wheel), tensorflow elsewhere;
- "gpu": tensorflow[and-cuda] (TensorFlow with its CUDA libraries from pip), in a fresh environment.
A plain `pip install -e .` installs no TensorFlow and leaves an installed one as it is. A missing
TensorFlow or compiler, or a failed compile, only prints a warning: the package still installs and
Bulyan uses its pure-TF path. `python -m native.build` rebuilds the op in place.
"""

import importlib.util
import os
import sys

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
CPU_TENSORFLOW = ["tensorflow-cpu>=2.16; platform_machine=='x86_64'",
                  "tensorflow>=2.16; platform_machine!='x86_64'"]


class BuildNativeOp(build_ext):
    """Builds the op with g++ through native/build.py instead of the Python extension machinery."""

    def get_ext_filename(self, ext_name):
        # A TensorFlow op library, not a Python extension module: a plain name, no ABI tag.
        return os.path.join(*ext_name.split(".")) + ".so"

    def build_extensions(self):
        # Only the libraries that did build are kept, so that the install does not look for
        # the others (the package then installs without the op).
        self.extensions = [ext for ext in self.extensions if self.build_native_op(ext)]

    def build_native_op(self, ext):
        """Compiles `ext`; on any failure prints a warning and returns False."""
        output = self.get_ext_fullpath(ext.name)
        try:
            spec = importlib.util.spec_from_file_location(
                "_native_build", os.path.join(HERE, "native", "build.py"))
            native_build = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(native_build)
            native_build.build(output, verbose=True)
            return True
        except Exception as error:  # never fail the install: the pure-TF path remains
            print(f"WARNING: the native Bulyan op was not built ({type(error).__name__}: "
                  f"{error}). Bulyan will use its pure-TF path. To build the op, run "
                  "`pip install --no-build-isolation --no-deps -e .` once TensorFlow is "
                  "installed, or `python -m native.build`.", file=sys.stderr)
            return False

setup(
    name="bulyan-tf",
    version="0.1.0",
    description="Byzantine-resilient distributed SGD in TensorFlow 2: the Bulyan paper (ICML 2018) and beyond",
    packages=find_packages(include=["aggregators*", "attacks*", "experiments*", "models*",
                                    "native*", "plots*", "training*"]),
    python_requires=">=3.10",
    install_requires=[
        "tensorflow-datasets",
        "importlib_resources",
        "numpy",
        "matplotlib",
        "absl-py",
    ],
    extras_require={"cpu": CPU_TENSORFLOW, "gpu": ["tensorflow[and-cuda]>=2.16"],
                    "test": CPU_TENSORFLOW + ["pytest"]},
    ext_modules=[Extension(
        "native._closest_to_median_mean",
        sources=["native/closest_to_median_mean.cc"],
        depends=["native/closest_to_median_mean.h", "native/selection_network.h",
                 "native/build.py"],
    )],
    cmdclass={"build_ext": BuildNativeOp},
)
