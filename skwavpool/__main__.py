"""The skwavpool demo: WavPool against two scikit-learn baselines on one dataset.

``python -m skwavpool`` (or the ``skwavpool`` command) trains a
WavPoolClassifier on scikit-learn's bundled digits, printing its progress, and
compares it with a logistic regression on HaarMRDTransformer features and an
MLPClassifier of about the same size: test accuracy, trainable parameters and
fit time. ``--dataset`` picks one of the benchmark datasets instead, read from
``--data`` (nothing is downloaded; see ``benchmarks/fetch_data.sh``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skwavpool import HaarMRDTransformer, WavPoolClassifier, datasets

LOADERS = {
    "mnist": datasets.load_mnist,
    "fashion-mnist": datasets.load_fashion_mnist,
    "cifar10": datasets.load_cifar10_jpeg,
    "cifar10-gray": lambda path: datasets.load_cifar10_jpeg(path, grayscale=True),
}


def load(name, path, n_train, seed):
    """Train/test images scaled to [0, 1] as ``(n, C, H, W)`` float32, and labels."""
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        X = (X / 16).reshape(-1, 1, 8, 8).astype(np.float32)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
    else:
        if path is None:
            raise SystemExit(f"--dataset {name} needs --data PATH (see benchmarks/fetch_data.sh).")
        data = LOADERS[name](path)
        X_train, y_train = data.X_train.astype(np.float32) / 255, data.y_train
        X_test, y_test = data.X_test.astype(np.float32) / 255, data.y_test
    if n_train is not None and n_train < len(X_train):
        # The sources are sorted by class: take a seeded random subset.
        keep = np.random.default_rng(seed).permutation(len(X_train))[:n_train]
        X_train, y_train = X_train[keep], y_train[keep]
    return X_train, X_test, y_train, y_test


def mlp_hidden_units(n_params, n_features, n_classes):
    """Hidden units of a one-layer MLP with about ``n_params`` parameters."""
    return max(1, round((n_params - n_classes) / (n_features + 1 + n_classes)))


def run(models, X_train, X_test, y_train, y_test):
    rows = []
    for name, model, n_params in models:
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        rows.append((name, model.score(X_test, y_test), n_params(model), seconds))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="skwavpool", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits", choices=["digits", *LOADERS])
    parser.add_argument("--data", help="where the dataset lives (a directory, or the CIFAR-10 zip)")
    parser.add_argument("--n-train", type=int, help="train on a seeded random subset of this size")
    parser.add_argument("--epochs", type=int, default=WavPoolClassifier().max_epochs,
                        help="WavPool training epochs (default: WavPoolClassifier's, %(default)s)")
    parser.add_argument("--device", default="auto", help="'auto' (CUDA if available), 'cpu', 'cuda'...")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    args = parser.parse_args(argv)

    X_train, X_test, y_train, y_test = load(args.dataset, args.data, args.n_train, args.seed)
    flat_train, flat_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    print(f"{args.dataset}: {len(X_train)} training and {len(X_test)} test images of shape {X_train.shape[1:]}")

    wavpool = WavPoolClassifier(
        max_epochs=args.epochs, device=args.device, random_state=args.seed, verbose=0 if args.quiet else 1
    )
    (wav_row,) = run(
        [("WavPoolClassifier", wavpool, lambda m: m.net_.module_.n_parameters)], X_train, X_test, y_train, y_test
    )
    n_classes = len(np.unique(y_train))
    hidden = mlp_hidden_units(wav_row[2], flat_train.shape[1], n_classes)
    haar_logreg = make_pipeline(
        HaarMRDTransformer(image_shape=X_train.shape[1:]), StandardScaler(), LogisticRegression(max_iter=1000)
    )
    mlp = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=300, random_state=args.seed)
    rows = [wav_row] + run(
        [
            ("HaarMRD + LogisticRegression", haar_logreg, lambda m: m[-1].coef_.size + m[-1].intercept_.size),
            (f"MLPClassifier ({hidden} hidden)", mlp, lambda m: sum(w.size for w in m.coefs_ + m.intercepts_)),
        ],
        flat_train,
        flat_test,
        y_train,
        y_test,
    )

    print(f"\n| {'model':32} | {'test accuracy':>13} | {'parameters':>10} | {'fit time (s)':>12} |")
    print(f"|{'-' * 34}|{'-' * 15}|{'-' * 12}|{'-' * 14}|")
    for name, accuracy, n_params, seconds in rows:
        print(f"| {name:32} | {accuracy:13.4f} | {n_params:10d} | {seconds:12.2f} |")
    print(f"\nWavPool trained on {wavpool.device_}.")


if __name__ == "__main__":
    main()
