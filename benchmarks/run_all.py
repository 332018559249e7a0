"""`make bench`: every benchmark, each in its own process, printing ratios measured in one run.

Targets live here, not in tests: the machine is noisy, so absolute times are not stable, but
ratios of two things measured side by side are.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    for bench in sorted(HERE.glob("bench_*.py")):
        print(f"== {bench.stem}", flush=True)
        done = subprocess.run([sys.executable, str(bench), *sys.argv[1:]], cwd=HERE.parent)
        failed += done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
