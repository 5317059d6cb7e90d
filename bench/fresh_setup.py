"""Fresh-clone set-up times: `make demo`, then `make test` in the same clone, as a new user runs them.

    python3 bench/fresh_setup.py [--repo PATH_OR_URL] [--branch main] [--demo-only] [--keep]

Clones the repository into a temporary folder (no .venv: everything is installed from scratch,
through pip's cache when it is warm) and times each target's wall clock and the CPU time of its
processes. Also checks that `make demo` installed no torch and that `make demo` after `make test`
installs nothing. The load average is printed beside the times: on a shared machine, wall time
grows with it while CPU time does not.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the children, last lines of output) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode:
        sys.exit(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return wall, cpu, done.stdout


def report(label: str, wall: float, cpu: float) -> None:
    load = os.getloadavg()[0]
    print(
        f"{label:<28} {wall:7.1f} s wall  {cpu:7.1f} s CPU  (load average {load:.1f}, {os.cpu_count()} CPUs)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=str(ROOT), help="the repository to clone (default: this one)")
    parser.add_argument("--branch", default=None, help="branch to clone (default: the repository's)")
    parser.add_argument("--demo-only", action="store_true", help="time `make demo` only")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = parser.parse_args()

    clone = Path(tempfile.mkdtemp(prefix="smmile-fresh-"))
    try:
        branch = ["-b", args.branch] if args.branch else []
        subprocess.run(["git", "clone", "-q", *branch, args.repo, str(clone)], check=True)
        wall, cpu, _ = timed(["make", "demo"], clone)
        report("make demo (fresh clone)", wall, cpu)
        pip_list = subprocess.run(
            [str(clone / ".venv/bin/python"), "-m", "pip", "list", "--format=freeze"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.lower()
        print(f"  torch installed by make demo: {'yes' if 'torch==' in pip_list else 'no'}")
        if not args.demo_only:
            wall, cpu, _ = timed(["make", "test"], clone)
            report("make test (after make demo)", wall, cpu)
            _, _, out = timed(["make", "-n", "demo"], clone)
            print(
                f"  make demo after make test installs nothing: {'yes' if 'pip install' not in out else 'no'}"
            )
    finally:
        if args.keep:
            print(f"clone kept in {clone}")
        else:
            shutil.rmtree(clone, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
