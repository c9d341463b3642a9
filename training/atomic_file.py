"""Replacing a file whole: readers see the old content or the new, never a part (a temporary file renamed
into place). `durable=True` also fsyncs the file and its folder, so the new content survives a power cut."""

import os


def replace_text(path, text, durable=False):
    """Writes `text` to `path` + ".tmp", then renames it to `path`."""
    temporary = path + ".tmp"
    with open(temporary, "w", newline="") as file:
        file.write(text)
        if durable:
            file.flush()
            os.fsync(file.fileno())
    os.replace(temporary, path)
    if durable:
        folder = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself
        finally:
            os.close(folder)
