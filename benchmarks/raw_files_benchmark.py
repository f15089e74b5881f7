"""What reading the raw files through before a build costs (retail_warehouse/inputs/raw_files.py:
the gzip CRC, the decoding, the line lengths), on the first build and on one that finds every
file in the cache.

    .venv/bin/python benchmarks/raw_files_benchmark.py "DIR/sales_*.csv" ["DIR/*.csv.gz" ...]
        [--runs 3]

For each glob: the files' size, then per run the wall and CPU seconds of prepare_all with an
empty cache, and the seconds of a second call that finds them all in the cache.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# The project's package, from the checkout this script is in.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retail_warehouse.inputs.raw_files import prepare_all


def timed_prepare(files: list[str], cache_dir: str) -> tuple[float, float]:
    request = json.dumps(
        {"files": files, "encoding": "utf-8", "max_line_size": 2097152, "cache_dir": cache_dir}
    )
    wall, cpu = time.perf_counter(), time.process_time()
    answer = json.loads(prepare_all(request))
    failed = [prepared["error"] for prepared in answer if prepared["error"]]
    if failed:
        raise SystemExit(f"raw files benchmark: {failed}")
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("globs", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for pattern in args.globs:
        files = sorted(glob.glob(pattern))
        megabytes = sum(os.path.getsize(file) for file in files) / 1e6
        print(f"{pattern}: {len(files)} files, {megabytes:,.0f} MB")
        for number in range(args.runs):
            with tempfile.TemporaryDirectory() as cache_dir:
                wall, cpu = timed_prepare(files, cache_dir)
                cached, _ = timed_prepare(files, cache_dir)
            print(
                f"  run {number + 1}: first read {wall:.2f} s wall, {cpu:.2f} s CPU;"
                f" cached {cached * 1000:.1f} ms (load {os.getloadavg()[0]:.1f})"
            )


if __name__ == "__main__":
    main()
