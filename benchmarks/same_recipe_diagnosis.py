"""Why does the CNN trained with WavPool's recipe beat WavPool? A diagnosis on validation data.

``same_recipe.py`` finds the paper's CNN, trained with WavPool's recipe for
WavPool's fit time, more accurate than ``WavPoolClassifier`` on MNIST and
Fashion-MNIST. This script looks for the reason without touching a test set:
each dataset's canonical training set is split into 10,000 validation images
and the rest (50,000 for MNIST and Fashion-MNIST, 40,000 for CIFAR-10) for
training (stratified, a fixed seed), and every model is fitted on the latter and
measured on both:

- accuracy on the (unshifted) training images: how well the model fits;
- accuracy on the validation images: how well it generalises;
- accuracy on the validation images translated by 1 and 2 pixels (zero
  fill, the mean over the four directions): how much a translation the
  training shifts did not show costs it.

The models are ``WavPoolClassifier`` with its defaults, the paper's CNN with
WavPool's recipe for the epochs that take WavPool's fit time (measured, as in
``same_recipe.py``, from a fit of two epochs), and the WavPool variants named
with ``--variants`` (``name=json`` of parameters, e.g.
``'h256={"hidden_size": 256}'``), the candidates for a better default.
``--n-train N`` fits them on a stratified subset of N of the training
images, validating on the same 10,000 images: whether a candidate also holds
on smaller training sets.

Run: ``eval "$(benchmarks/fetch_data.sh)"; python -m benchmarks.same_recipe_diagnosis
[--datasets ...] [--variants ...] [--only-variants] [--n-train N]``; writes
``benchmarks/results/same_recipe_diagnosis.md`` and ``.json``, replacing the
rows of the models it runs and keeping the others (``--quick``: small subsets,
two epochs, to ``benchmarks/results/quick/``).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from sklearn.model_selection import train_test_split

from benchmarks import paper_table, same_recipe
from skwavpool import WavPoolClassifier

#: Translations of the validation images, in pixels.
SHIFTS = (1, 2)


def shifted(X, dy, dx):
    """Images ``(n, H, W)`` or ``(n, C, H, W)`` translated by ``(dy, dx)`` pixels, zero-filled."""
    out = np.zeros_like(X)
    h, w = X.shape[-2:]
    out[..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = \
        X[..., max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)]
    return out


def measure(model, X_train, y_train, X_val, y_val):
    """Training, validation and shifted-validation accuracies of a fitted model."""
    record = {"train_accuracy": float(np.mean(model.predict(X_train) == y_train)),
              "val_accuracy": float(np.mean(model.predict(X_val) == y_val))}
    for k in SHIFTS:
        moves = [(k, 0), (-k, 0), (0, k), (0, -k)]
        record[f"val_shift{k}_accuracy"] = float(np.mean(
            [np.mean(model.predict(shifted(X_val, dy, dx)) == y_val) for dy, dx in moves]))
    return record


def fit_measured(model, data, seed):
    model.set_params(random_state=seed)
    start = time.perf_counter()
    model.fit(data[0], data[1])
    seconds = time.perf_counter() - start
    return {"fit_seconds": seconds, "epochs": len(model.net_.history), **measure(model, *data)}


def run(names, variants, quick, data_dir, seed=0, only_variants=False, n_train=None, loader=paper_table.load,
        log=print):
    """``{"dataset / training images / model": record}`` for the models on the datasets; ``n_train``
    fits on that many of the training images (a stratified subset), validating on the same validation images."""
    results = {}
    quick_epochs = {"max_epochs": 2} if quick else {}
    for name in names:
        X, y, _, _ = loader(name, data_dir)
        if quick:
            X, y = X[:1300], y[:1300]
        X_train, X_val, y_train, y_val = train_test_split(
            X, y, test_size=300 if quick else 10000, stratify=y, random_state=0)
        if n_train:
            X_train, _, y_train, _ = train_test_split(X_train, y_train, train_size=n_train, stratify=y_train,
                                                      random_state=0)
        data = X_train, y_train, X_val, y_val
        if not only_variants:
            wavpool = fit_row(results, name, "WavPoolClassifier (default)", WavPoolClassifier(**quick_epochs),
                              data, seed, log)
        for variant, params in variants.items():
            fit_row(results, name, f"WavPool, {variant}", WavPoolClassifier(**{**params, **quick_epochs}),
                    data, seed, log)
        if not only_variants:
            cnn = same_recipe.paper_cnn(name, quick)
            per_epoch = same_recipe.seconds_per_epoch(cnn, seed, X_train, y_train)
            fit_row(results, name, f"{same_recipe.PAPER_CNN}, same time",
                    same_recipe.same_time(cnn, wavpool["fit_seconds"], per_epoch), data, seed, log)
    return results


def fit_row(results, name, model, estimator, data, seed, log):
    """Fit and measure one model, adding its row to ``results``."""
    record = fit_measured(estimator, data, seed)
    n = len(data[0])
    results[f"{name} / {n} / {model}"] = {"dataset": name, "training_images": n, "model": model, **record}
    log(f"{name}: {model} {record}")
    return record


def markdown(results, stamps):
    """The table, after one line per run whose rows it holds (``stamps``)."""
    lines = ["# Why the CNN with WavPool's recipe wins: a diagnosis on validation data", ""]
    lines += [f"- {stamp}" for stamp in stamps]
    lines += ["",
              ("Each canonical training set split into 10,000 validation images and the rest for training "
               "(stratified, seed 0); no test set is used. Rows with fewer training images fit on a stratified "
               "subset of the rest (seed 0). Shifted: the validation images translated by that "
               "many pixels, zero-filled, the mean over the four directions."), "",
              ("| dataset | training images | model | train accuracy | validation | shifted 1 px | shifted 2 px "
               "| fit time (s) | epochs |"),
              "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in results.values():
        lines.append(f"| {r['dataset']} | {r['training_images']:,} | {r['model']} | {r['train_accuracy']:.4f} | "
                     f"{r['val_accuracy']:.4f} | "
                     f"{r['val_shift1_accuracy']:.4f} | {r['val_shift2_accuracy']:.4f} | "
                     f"{r['fit_seconds']:.0f} | {r['epochs']} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist"], choices=list(paper_table.PAPER))
    parser.add_argument("--variants", nargs="*", default=[], help="name=json of WavPoolClassifier parameters")
    parser.add_argument("--only-variants", action="store_true", help="run the variants only")
    parser.add_argument("--n-train", type=int, help="fit on this many of the training images")
    parser.add_argument("--quick", action="store_true", help="small subsets, 2 epochs, to results/quick/")
    args = parser.parse_args(argv)
    variants = same_recipe.parse_variants(args.variants)
    results = run(args.datasets, variants, args.quick, same_recipe.data_dirs(), only_variants=args.only_variants,
                  n_train=args.n_train)
    out = same_recipe.RESULTS / "quick" if args.quick else same_recipe.RESULTS
    out.mkdir(parents=True, exist_ok=True)
    path = out / "same_recipe_diagnosis.json"
    stamps, results = merge(path, results, same_recipe.stamp([0], args.quick))
    path.write_text(json.dumps({"stamps": stamps, "results": results}, indent=1))
    table = markdown(results, stamps)
    (out / "same_recipe_diagnosis.md").write_text(table)
    print(table)


def merge(path, results, stamp):
    """The stamps and rows already at ``path`` with this run's added: a run replaces the rows of the
    models it fits and keeps the others, so every run's stamp stays, each line once."""
    previous = json.loads(path.read_text()) if path.exists() else {"stamps": [], "results": {}}

    def rank(item):  # each dataset's rows, the most training images first
        dataset, model = same_recipe.row_rank(item[1])
        return dataset, -item[1]["training_images"], model

    stamps = list(dict.fromkeys([*previous["stamps"], stamp]))
    return stamps, dict(sorted((previous["results"] | results).items(), key=rank))


if __name__ == "__main__":
    main()
