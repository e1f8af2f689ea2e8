"""Training and prediction throughput of WavPoolClassifier against wavpool 0.1.3.

Both train the same network (28x28 inputs, hidden size 256, the paper's
configuration: hidden-layer scaling, max pooling with kernel 2) with SGD on
the same random images, in this process. skwavpool is timed through its
scikit-learn API, skorch's overhead included (``fit`` for one epoch,
``predict``); the original through a plain torch loop around its module,
which is the least overhead it can have. Our default configuration is timed
too, with its random shifts of the training images. The contenders take turns,
round after round. Prints images per second and the speed-up over the original.

The original is not a dependency of skwavpool; install it, in the benchmark
environment only, with::

    pip install --no-deps wavpool==0.1.3 kymatio==0.3.0

Run: ``python benchmarks/bench_wavpool.py [--n-images N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import scipy.special
import torch

from skwavpool import WavPoolClassifier
from skwavpool.nn import PAPER_CONFIG

HIDDEN = 256
ORIGINAL = "wavpool 0.1.3 (plain torch loop)"


def load_original():
    """wavpool 0.1.3's WavPool class, or None when it is not installed."""
    if not hasattr(scipy.special, "sph_harm"):
        # kymatio 0.3.0, which wavpool imports, needs this name, removed in SciPy 1.17.
        scipy.special.sph_harm = lambda m, n, theta, phi: scipy.special.sph_harm_y(n, m, phi, theta)
    try:
        from wavpool.models.wavpool import WavPool
    except ImportError:
        return None
    return WavPool


def original_fit(WavPool, X, y, batch_size):
    model = WavPool(in_channels=28, hidden_size=HIDDEN, out_channels=10, pooling_size=2,
                    pooling_mode="max", hidden_layer_scaling=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    order = torch.randperm(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start : start + batch_size]
        optimizer.zero_grad()
        loss_fn(model(X[rows]), y[rows]).backward()
        optimizer.step()
    return model


def original_predict(model, X, batch_size):
    with torch.no_grad():
        return np.concatenate(
            [model(torch.from_numpy(X[i : i + batch_size])).argmax(1).numpy() for i in range(0, len(X), batch_size)]
        )


def ours(batch_size, paper):
    # The paper's network trains as the original does: on the images as given,
    # plain SGD at a constant learning rate. The default configuration keeps
    # its random shifts, weight decay and schedule.
    paper_training = {"max_shift": 0, "weight_decay": 0.0, "lr_schedule": None}
    config = {**PAPER_CONFIG, "hidden_size": HIDDEN, **paper_training} if paper else {"hidden_size": HIDDEN}
    return WavPoolClassifier(**config, optimizer="sgd", lr=0.1, max_epochs=1, batch_size=batch_size,
                             device="cpu", random_state=0)


def interleaved(repeats, contenders):
    """Median seconds of each of ``contenders`` (name -> function) over
    ``repeats`` rounds, and each one's last result. Every round runs them all
    in turn, so that a drift in the machine's speed, which shows here over
    tens of seconds, reaches them alike rather than whichever ran then. A
    first round, not timed, takes the first calls' one-off costs."""
    times = {name: [] for name in contenders}
    results = {}
    for round_ in range(repeats + 1):
        for name, fn in contenders.items():
            start = time.perf_counter()
            results[name] = fn()
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-images", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.random((args.n_images, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, args.n_images)
    torch.manual_seed(0)
    original = load_original()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.n_images} random 28x28 images, "
          f"hidden {HIDDEN}, median of {args.repeats}; original wavpool 0.1.3 "
          f"{'found' if original else 'NOT installed: its rows are missing'}")
    rows = []
    for batch_size in (64, 256):
        fits = {}
        if original:
            fits[ORIGINAL] = lambda batch_size=batch_size: original_fit(original, X, y, batch_size)
        for name, paper in (("skwavpool, paper config", True), ("skwavpool, default config", False)):
            fits[name] = lambda paper=paper, batch_size=batch_size: ours(batch_size, paper).fit(X, y)
        fit_s, models = interleaved(args.repeats, fits)
        predictions = {
            name: (lambda model=model, batch_size=batch_size: original_predict(model, X, batch_size))
            if name == ORIGINAL
            else (lambda model=model: model.predict(X))
            for name, model in models.items()
        }
        predict_s, _ = interleaved(args.repeats, predictions)
        for name in fit_s:
            rows.append((batch_size, name, args.n_images / fit_s[name], args.n_images / predict_s[name],
                         fit_s.get(ORIGINAL, np.nan) / fit_s[name], predict_s.get(ORIGINAL, np.nan) / predict_s[name]))
    print(f"\n| batch | {'model':34} | fit images/s | predict images/s | fit speed-up | predict speed-up |")
    print(f"|------:|{'-' * 36}|-------------:|-----------------:|-------------:|-----------------:|")
    for batch, name, fit, predict, fit_x, predict_x in rows:
        print(f"| {batch:5d} | {name:34} | {fit:12.0f} | {predict:16.0f} | {fit_x:11.1f}x | {predict_x:15.1f}x |")


if __name__ == "__main__":
    main()
