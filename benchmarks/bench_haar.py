"""Throughput and memory of the torch Haar MRD against batched PyWavelets.

Run: ``python benchmarks/bench_haar.py [--repeats N] [--device cpu|cuda]``.
Prints one table per data shape: milliseconds per call (median of the
repeats), images per second, speed-up over ``pywt.wavedec2`` on the same batch,
and how many times a plain copy of the batch (the floor for anything that
writes a new array of that size) the call takes. The reference row is the
plain whole-tensor decomposition of :mod:`skwavpool.haar`, which runs when a
gradient is needed; the default rows run the passes of
:mod:`skwavpool._haar_passes`, which must beat it to be worth keeping.
``haar_mrd(compiled=True)`` compiles on its first call, which is timed apart
and not in the median.
Peak memory beyond the input is measured in a fresh subprocess per function,
as growth of the peak RSS over one call, after a first call on two images
(which compiles the kernels of the compiled row, for every batch size): the
output itself is about 1.0x the input.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import pywt
import torch

from skwavpool.haar import _mrd_reference, haar_mrd, haar_mrd_packed, max_level

SHAPES = {"10000x28x28": (10000, 1, 28, 28), "10000x3x32x32": (10000, 3, 32, 32)}


def _make(shape, device="cpu"):
    return torch.from_numpy(np.random.default_rng(0).random(shape, dtype=np.float32)).to(device)


def _sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def candidates(x, device):
    array = x.cpu().numpy()
    out = {
        "copy (floor)": lambda: x.clone(),
        "haar_mrd_packed, reference": lambda: _mrd_reference(x, max_level(x.shape[-2:]), "symmetric"),
        "skwavpool haar_mrd_packed": lambda: haar_mrd_packed(x),
        "skwavpool haar_mrd": lambda: haar_mrd(x),
        "haar_mrd, compiled": lambda: haar_mrd(x, compiled=True),
    }
    if device == "cpu":
        out["pywt.wavedec2 (batched)"] = lambda: pywt.wavedec2(array, "haar", axes=(-2, -1))
    return out


def timeit(fn, device, repeats):
    """Seconds of the first call, and the median of ``repeats`` calls after it."""
    start = time.perf_counter()
    fn()
    _sync(device)
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def peak_rss_bytes():
    """This process's peak resident memory (VmHWM; unlike ru_maxrss, not
    inherited from the parent process)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def peak_extra_bytes(shape_name, name):
    """Peak RSS growth of one call, beyond the input, in a fresh process, after
    a call on two images; writing 5 to clear_refs resets the peak to the
    current RSS (Linux), so that the compiler's own memory does not count."""
    code = (
        "import benchmarks.bench_haar as b;"
        f"x = b._make(b.SHAPES[{shape_name!r}]); b.candidates(x[:2], 'cpu')[{name!r}]();"
        "open('/proc/self/clear_refs', 'w').write('5');"
        f"fns = b.candidates(x, 'cpu'); before = b.peak_rss_bytes(); fns[{name!r}]();"
        "print(b.peak_rss_bytes() - before)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(result.stdout.strip())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, pywt {pywt.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} torch threads, device {args.device}")
    report = {}
    for shape_name, shape in SHAPES.items():
        x = _make(shape, args.device)
        fns = candidates(x, args.device)
        timed = {name: timeit(fn, args.device, args.repeats) for name, fn in fns.items()}
        seconds = {name: median for name, (_, median) in timed.items()}
        peak = {name: peak_extra_bytes(shape_name, name) for name in fns} if args.device == "cpu" else {}
        print(f"\n{shape_name} float32 ({x.numel() * 4 / 2**20:.0f} MiB)")
        print(f"| {'function':28} | {'ms':>7} | {'images/s':>10} | {'vs pywt':>7} | {'x copy':>6} | {'peak extra / input':>18} |")
        print(f"|{'-' * 30}|{'-' * 9}|{'-' * 12}|{'-' * 9}|{'-' * 8}|{'-' * 20}|")
        for name, s in seconds.items():
            vs_pywt = seconds.get("pywt.wavedec2 (batched)", float("nan")) / s
            extra = f"{peak[name] / (x.numel() * 4):.2f}" if name in peak else "n/a"
            print(f"| {name:28} | {s * 1e3:7.2f} | {shape[0] / s:10.0f} | {vs_pywt:7.1f} | "
                  f"{s / seconds['copy (floor)']:6.1f} | {extra:>18} |")
        first = {name: timed[name][0] for name in fns if "compiled" in name}
        print("first call, compiling: " + ", ".join(f"{name} {s:.1f} s" for name, s in first.items()))
        report[shape_name] = {"seconds": seconds, "first_call_seconds": first, "peak_extra_bytes": peak}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
