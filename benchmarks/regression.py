"""An image regression benchmark: the rotation angle and scale of Fashion-MNIST items.

Each Fashion-MNIST image is rotated by an angle drawn uniformly from [-45, 45]
degrees and scaled by a factor drawn from [0.7, 1.3] about its centre
(``scipy.ndimage.affine_transform``, bilinear); the targets are the angle in
degrees and the scale, two outputs in different units. Training images come
from the training set, test images from the test set; each seed draws its own
subsets, angles and scales, and initialises the models afresh.

Contenders, 3 seeds each: ``WavPoolRegressor`` (its defaults), scikit-learn's
``MLPRegressor`` on the pixels (targets standardised by
``TransformedTargetRegressor``, as WavPoolRegressor does internally) and
``HaarMRDTransformer`` + ``RidgeCV``. ``--search`` instead runs the small
search that chose WavPoolRegressor's defaults, on a validation split of the
training images (the test set is never used for it).

Run: ``eval "$(benchmarks/fetch_data.sh)"; python benchmarks/regression.py``
(``--search``; ``--quick`` for a smoke run written to ``benchmarks/results/quick/``).
Writes ``regression.md``, ``.json`` and ``regression.png`` (predicted against
true) to ``benchmarks/results/``, or ``regression_search.md`` with ``--search``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import scipy
import sklearn
import torch
from scipy.ndimage import affine_transform
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skwavpool import HaarMRDTransformer, WavPoolRegressor
from skwavpool.datasets import load_fashion_mnist

RESULTS = Path(__file__).parent / "results"
TARGETS = ("angle (degrees)", "scale")
MAX_ANGLE, SCALES = 45.0, (0.7, 1.3)

# The search behind WavPoolRegressor's defaults: dropout, epochs, random
# shifts (in pixels) and pooling around the classifier's defaults.
SEARCH = {
    "dropout 0.5, 90 epochs, no shift": {"dropout": 0.5, "max_epochs": 90, "max_shift": 0},
    "dropout 0.5, 90 epochs, shift 1 (the classifier's defaults)": {"dropout": 0.5, "max_epochs": 90, "max_shift": 1},
    "dropout 0.1, 90 epochs, no shift": {"dropout": 0.1, "max_epochs": 90, "max_shift": 0},
    "dropout 0.1, 60 epochs, no shift": {"dropout": 0.1, "max_epochs": 60, "max_shift": 0},
    "dropout 0, 60 epochs, no shift": {"dropout": 0.0, "max_epochs": 60, "max_shift": 0},
    "dropout 0.1, 30 epochs, no shift": {"dropout": 0.1, "max_epochs": 30, "max_shift": 0},
    "dropout 0.1, 60 epochs, shift 1": {"dropout": 0.1, "max_epochs": 60, "max_shift": 1},
    "dropout 0.1, 90 epochs, shift 1": {"dropout": 0.1, "max_epochs": 90, "max_shift": 1},
    "dropout 0.1, 60 epochs, shift 2": {"dropout": 0.1, "max_epochs": 60, "max_shift": 2},
    "dropout 0.1, 60 epochs, shift 1, no pooling": {"dropout": 0.1, "max_epochs": 60, "max_shift": 1,
                                                    "pooling_kernel": 1},
}


def make_task(images, rng):
    """Rotated and scaled copies of ``images`` (n, H, W) in [0, 1], and their
    targets (n, 2): the angle in degrees and the scale."""
    n, height, width = images.shape
    angles = rng.uniform(-MAX_ANGLE, MAX_ANGLE, n)
    scales = rng.uniform(*SCALES, n)
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    out = np.empty((n, 1, height, width), np.float32)
    for k, (image, angle, scale) in enumerate(zip(images, angles, scales)):
        theta = np.deg2rad(angle)
        # Output pixel -> input pixel: the inverse of "rotate by theta, scale by s".
        inverse = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]]) / scale
        out[k, 0] = affine_transform(image, inverse, offset=centre - inverse @ centre, order=1)
    return out, np.column_stack([angles, scales])


def load(data_dir, n_train, n_test, seed, loader=load_fashion_mnist):
    """A seed's training and test tasks, from ``loader(data_dir)``'s images."""
    data = loader(data_dir)
    rng = np.random.default_rng(seed)
    train = rng.choice(len(data.X_train), n_train, replace=False)
    test = rng.choice(len(data.X_test), n_test, replace=False)
    side = data.X_train.shape[-2:]
    X_train, y_train = make_task(data.X_train[train].reshape(n_train, *side) / 255, rng)
    X_test, y_test = make_task(data.X_test[test].reshape(n_test, *side) / 255, rng)
    return X_train, y_train, X_test, y_test


def contenders(seed, quick, image_shape):
    """(name, estimator, flat input?) for each model; ``quick`` shortens training."""
    epochs = {"max_epochs": 2} if quick else {}
    return [
        ("WavPoolRegressor", WavPoolRegressor(random_state=seed, **epochs), False),
        ("MLPRegressor on pixels (256 hidden)",
         TransformedTargetRegressor(MLPRegressor(hidden_layer_sizes=(256,), early_stopping=True, max_iter=5 if quick else 200,
                                                 random_state=seed), transformer=StandardScaler()), True),
        ("HaarMRD + RidgeCV", make_pipeline(HaarMRDTransformer(image_shape=image_shape), StandardScaler(),
                                             RidgeCV(alphas=np.logspace(-3, 3, 13))), True),
    ]


def n_parameters(model):
    if isinstance(model, WavPoolRegressor):
        return model.net_.module_.n_parameters
    if isinstance(model, TransformedTargetRegressor):
        mlp = model.regressor_
        return sum(w.size for w in mlp.coefs_ + mlp.intercepts_)
    ridge = model[-1]
    return ridge.coef_.size + ridge.intercept_.size


def fit_and_score(model, flat, X_train, y_train, X_test, y_test):
    if flat:
        X_train, X_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    y_pred = model.predict(X_test)
    return {
        "r2": float(r2_score(y_test, y_pred)),
        "mae_angle": float(mean_absolute_error(y_test[:, 0], y_pred[:, 0])),
        "mae_scale": float(mean_absolute_error(y_test[:, 1], y_pred[:, 1])),
        "fit_seconds": seconds,
        "parameters": int(n_parameters(model)),
    }, y_pred


def stamp():
    return (f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), "
            f"{torch.get_num_threads()} torch threads; Python {platform.python_version()}, torch {torch.__version__}, "
            f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}")


def summarise(runs):
    keys = ("r2", "mae_angle", "mae_scale", "fit_seconds")
    return {key: (float(np.mean([r[key] for r in runs])), float(np.std([r[key] for r in runs]))) for key in keys} | {
        "parameters": runs[0]["parameters"], "seeds": len(runs)}


def compare(data_dir, seeds, n_train, n_test, quick, loader=load_fashion_mnist, log=print):
    """Every contender on every seed: ``{name: summary}`` and the first seed's predictions."""
    runs, predictions = {}, {}
    for seed in seeds:
        X_train, y_train, X_test, y_test = load(data_dir, n_train, n_test, seed, loader)
        for name, model, flat in contenders(seed, quick, X_train.shape[1:]):
            result, y_pred = fit_and_score(model, flat, X_train, y_train, X_test, y_test)
            runs.setdefault(name, []).append(result)
            log(f"seed {seed} {name}: R^2 {result['r2']:.4f}, {result['fit_seconds']:.1f} s")
            if seed == seeds[0]:
                predictions[name] = (y_test, y_pred)
    return {name: summarise(r) for name, r in runs.items()}, predictions


def search(data_dir, seed, n_train, quick, loader=load_fashion_mnist, log=print):
    """Each entry of :data:`SEARCH` scored on a validation split of the training images."""
    X, y, _, _ = load(data_dir, n_train, 1, seed, loader)
    n_val = len(X) // 5
    results = {}
    for name, params in SEARCH.items():
        params = {**params, "max_epochs": 2} if quick else params
        result, _ = fit_and_score(WavPoolRegressor(random_state=seed, **params), False,
                                  X[n_val:], y[n_val:], X[:n_val], y[:n_val])
        results[name] = result
        log(f"{name}: validation R^2 {result['r2']:.4f}, {result['fit_seconds']:.1f} s")
    return results


def markdown(summary, header):
    lines = [f"# {header}", "", f"- {stamp()}", "",
             "| model | R^2 (mean +- sd) | angle MAE (degrees) | scale MAE | parameters | fit time (s) | seeds |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, s in summary.items():
        lines.append(f"| {name} | {s['r2'][0]:.4f} +- {s['r2'][1]:.4f} | {s['mae_angle'][0]:.2f} +- "
                     f"{s['mae_angle'][1]:.2f} | {s['mae_scale'][0]:.4f} +- {s['mae_scale'][1]:.4f} | "
                     f"{s['parameters']:,} | {s['fit_seconds'][0]:.1f} | {s['seeds']} |")
    return "\n".join(lines) + "\n"


def plot(predictions, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(TARGETS), len(predictions), figsize=(3.2 * len(predictions), 6.4),
                             layout="constrained", squeeze=False)
    for col, (name, (y_true, y_pred)) in enumerate(predictions.items()):
        for row, target in enumerate(TARGETS):
            ax = axes[row, col]
            ax.scatter(y_true[:, row], y_pred[:, row], s=2, alpha=0.3)
            low, high = y_true[:, row].min(), y_true[:, row].max()
            ax.plot([low, high], [low, high], color="k", lw=0.8)
            ax.set(xlabel=f"true {target}", ylabel=f"predicted {target}")
            if row == 0:
                ax.set_title(name, fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKWAVPOOL_FASHION_DIR"),
                        help="Fashion-MNIST directory (default: $SKWAVPOOL_FASHION_DIR)")
    parser.add_argument("--search", action="store_true", help="run the search for WavPoolRegressor's defaults")
    parser.add_argument("--quick", action="store_true", help="a smoke run on small subsets, to results/quick/")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-test", type=int, default=5_000)
    args = parser.parse_args(argv)
    if args.data is None:
        raise SystemExit("needs --data or SKWAVPOOL_FASHION_DIR (eval \"$(benchmarks/fetch_data.sh)\").")
    n_train, n_test = (500, 200) if args.quick else (args.n_train, args.n_test)
    out = RESULTS / "quick" if args.quick else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    if args.search:
        results = search(args.data, 0, n_train, args.quick)
        lines = ["# WavPoolRegressor's search", "", f"- {stamp()}",
                 (f"- {n_train} rotated and scaled Fashion-MNIST training images, the first fifth held out; "
                  "seed 0"), "", "| entry | validation R^2 | fit time (s) |", "|---|---:|---:|"]
        lines += [f"| {name} | {r['r2']:.4f} | {r['fit_seconds']:.1f} |" for name, r in results.items()]
        (out / "regression_search.md").write_text("\n".join(lines) + "\n")
        return
    summary, predictions = compare(args.data, list(range(args.seeds)), n_train, n_test, args.quick)
    header = (f"Rotation angle and scale of Fashion-MNIST items: {n_train} training and {n_test} test "
              f"images, {args.seeds} seeds")
    (out / "regression.md").write_text(markdown(summary, header))
    (out / "regression.json").write_text(json.dumps({"stamp": stamp(), "results": summary}, indent=1))
    plot(predictions, out / "regression.png")


if __name__ == "__main__":
    main()
