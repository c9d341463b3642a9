"""Quiet TensorFlow for the command lines: its C++ INFO lines (the oneDNN and CPU-feature banners) are
left out of stderr; warnings and errors stay. `TF_CPP_MIN_LOG_LEVEL` set by the user is respected (0: all
INFO lines shown)."""

import os
import re
import sys
import tempfile

# A C++ INFO line ("I0000 00:00:... port.cc:153] ...") and absl's notice preceding those TF 2.21 writes
# before its logging is set up (they ignore TF_CPP_MIN_LOG_LEVEL).
_INFO = re.compile(r"^(I\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] |WARNING: All log messages before absl::InitializeLog\(\))")


def import_tensorflow_quietly():
    """Imports TensorFlow with TF_CPP_MIN_LOG_LEVEL=1 (unless set), stderr captured meanwhile and written
    back without its INFO lines. Does nothing when TensorFlow is already imported."""
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
            sys.stderr.write("".join(line for line in lines if not _INFO.match(line)))
            sys.stderr.flush()
