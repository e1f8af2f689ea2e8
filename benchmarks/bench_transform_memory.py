"""Peak memory and time of HaarMRDTransformer.transform on 60000x28x28 float32.

Run: ``python benchmarks/bench_transform_memory.py``. Each way of transforming
runs in a fresh process; peak memory is the growth of its peak RSS during the
call, beyond the input, reported against the output's own size (the floor for
anything that returns the result in memory) and against one chunk. The peer is
PyWavelets doing the same in numpy: ``wavedec2`` on the batch, then ``hstack``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

N, SHAPE, CHUNK = 60000, (28, 28), 5000
WAYS = {
    "numpy, batch_size=None": "HaarMRDTransformer().fit(X[:1]).transform(X)",
    f"numpy, batch_size={CHUNK}": f"HaarMRDTransformer(batch_size={CHUNK}).fit(X[:1]).transform(X)",
    # Stored chunk by chunk into the result array, as a dask pipeline would
    # write to disk: compute() would first hold every chunk, then concatenate.
    f"dask, chunks of {CHUNK}, da.store": (
        f"store(HaarMRDTransformer().fit(X[:1]).transform(da.from_array(X, chunks=({CHUNK}, 28, 28))))"
    ),
    "pywt.wavedec2 + hstack (peer)": (
        "np.hstack([band.reshape(len(X), -1) for part in pywt.wavedec2(X, 'haar', axes=(-2, -1)) "
        "for band in (part if isinstance(part, tuple) else (part,))])"
    ),
}

CHILD = """
import time, numpy as np, pywt, dask.array as da
from benchmarks.bench_haar import peak_rss_bytes
from skwavpool import HaarMRDTransformer
X = np.random.default_rng(0).random(({n}, {h}, {w}), dtype=np.float32)


def store(lazy):
    out = np.empty(lazy.shape, lazy.dtype)
    da.store(lazy, out, lock=False, scheduler="threads")
    return out


transform = lambda X: {expr}
transform(X[:64])  # warm up: torch loads its kernels' code on first use, which counts as RSS
before = peak_rss_bytes(); start = time.perf_counter()
out = transform(X)
print(time.perf_counter() - start, peak_rss_bytes() - before, out.nbytes)
"""


def measure(expr):
    code = CHILD.format(n=N, h=SHAPE[0], w=SHAPE[1], expr=expr)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, extra, out_bytes = result.stdout.split()
    return float(seconds), int(extra), int(out_bytes)


def main(argv=None):
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    input_mib = N * SHAPE[0] * SHAPE[1] * 4 / 2**20
    chunk_mib = input_mib * CHUNK / N
    print(f"{N}x{SHAPE[0]}x{SHAPE[1]} float32: input {input_mib:.0f} MiB, one chunk of {CHUNK} images "
          f"{chunk_mib:.1f} MiB")
    print(f"| {'way':34} | {'seconds':>7} | {'peak extra MiB':>14} | {'output MiB':>10} | "
          f"{'(extra - output) / chunk':>24} |")
    print(f"|{'-' * 36}|{'-' * 9}|{'-' * 16}|{'-' * 12}|{'-' * 26}|")
    for name, expr in WAYS.items():
        seconds, extra, out_bytes = measure(expr)
        print(f"| {name:34} | {seconds:7.3f} | {extra / 2**20:14.0f} | {out_bytes / 2**20:10.0f} | "
              f"{(extra - out_bytes) / 2**20 / chunk_mib:24.2f} |")


if __name__ == "__main__":
    main()
