"""Records the metrics of a few short MNIST runs (see `runs.py`) into `metrics.json`.

    python tests/golden/record.py --data_dir=../shared/data

The file is the reference of `tests/test_same_numbers.py`: rerun this only when a change is meant to
move the numbers, and say so in the commit.
"""

import json
import os
import sys
import tempfile

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [TESTS, os.path.dirname(TESTS)]  # tests/ and the repository root

from golden.runs import train_all  # noqa: E402


def main():
    data_dir = sys.argv[1].split("=", 1)[1] if len(sys.argv) > 1 else "../shared/data"
    with tempfile.TemporaryDirectory() as results:
        recorded = train_all(data_dir, results)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics.json")
    with open(path, "w") as file:
        json.dump(recorded, file, indent=1, sort_keys=True)
    print(f"wrote {len(recorded)} runs to {path}")


if __name__ == "__main__":
    main()
