"""Installs the toolkit; the native Bulyan op is built by `native/build.py` (see issue 3)."""

from setuptools import find_packages, setup

setup(
    name="bulyan-tf",
    version="0.1.0",
    description="Byzantine-resilient distributed SGD in TensorFlow 2: the Bulyan paper (ICML 2018) and beyond",
    packages=find_packages(include=["aggregators*", "attacks*", "experiments*", "models*",
                                    "native*", "plots*", "training*"]),
    python_requires=">=3.10",
    install_requires=[
        "tensorflow-cpu>=2.16; platform_machine=='x86_64'",
        "tensorflow>=2.16; platform_machine!='x86_64'",
        "tensorflow-datasets",
        "importlib_resources",
        "numpy",
        "matplotlib",
        "absl-py",
    ],
    extras_require={"test": ["pytest"]},
)
