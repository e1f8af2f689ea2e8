"""The paper-table benchmark's code paths, on digits, so that it cannot silently rot."""

import functools
import json

import numpy as np
import pytest
from sklearn.datasets import load_digits

from benchmarks import paper_table, regression, same_recipe, same_recipe_diagnosis


def digits_as(name, data_dir):
    """Digits standing in for a real dataset: (X_train, y_train, X_test, y_test) in [0, 1]."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    return X[:1400], y[:1400], X[1400:], y[1400:]


@pytest.mark.parametrize("protocol", ["A", "B"])
def test_protocols_run_and_write_their_outputs(protocol, tmp_path):
    lines = []
    results = paper_table.run(
        protocol, ["mnist"], seeds=2 if protocol == "A" else 1, quick=True, data_dir=None, cnn_seeds=1, cnn_epochs=1,
        loader=digits_as, log=lines.append,
    )
    assert {r["model"] for r in results.values()} == {
        "WavPool (paper)", "MLP (paper)", "CNN (paper)", "WavPool (skwavpool default)",
        "WavPool (skwavpool default, no shift)",
    }
    assert len(lines) == 5
    paper = results["mnist / WavPool (paper)"]
    assert paper["published"] == 0.960
    assert 0 <= paper["final_mean"] <= paper["max_mean"] <= 1 if protocol == "A" else 0 <= paper["final_mean"] <= 1
    assert paper["with_gradient"] < paper["parameters"]  # the paper's pooling drops the diagonal band
    ours = results["mnist / WavPool (skwavpool default)"]
    assert ours["with_gradient"] / ours["parameters"] > paper["with_gradient"] / paper["parameters"]
    assert results["mnist / CNN (paper)"]["seeds"] == 1
    assert len(paper["finals"]) == paper["seeds"]  # each seed's score, to see the spread
    for r in results.values():
        r["meta"] = "first run"
    results["mnist / CNN (paper)"]["meta"] = "second run"
    table = paper_table.markdown(results, protocol)
    assert table.count("\n| mnist |") == 5
    assert "\n- CNN (paper) on mnist: second run\n" in table
    # Each run's line names the rows it produced, so a replaced row leaves no stale line behind.
    assert ("\n- WavPool (paper), MLP (paper), WavPool (skwavpool default), WavPool (skwavpool default, no shift) "
            "on mnist: first run\n") in table
    paper_table.plot(results, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
    json.dumps(results)  # everything in the results is JSON-serialisable


def test_protocol_a_uses_the_first_rows_in_file_order():
    X = np.arange(20000)[:, None]
    y = np.arange(20000)
    _, y_train, _, y_val = paper_table.split("A", (X, y, X[:10], y[:10]), quick=False)
    assert y_train[0] == 0 and y_train[-1] == 9999 and y_val[0] == 10000 and y_val[-1] == 13999


def test_a_partial_run_only_runs_the_named_models():
    results = paper_table.run(
        "A", ["mnist"], seeds=1, quick=True, data_dir=None, only=["MLP (paper)"], loader=digits_as,
        log=lambda line: None,
    )
    assert list(results) == ["mnist / MLP (paper)"]


def test_wavpool_epochs_shortens_our_default_only():
    results = paper_table.run(
        "B", ["mnist"], seeds=1, quick=True, data_dir=None, only=["MLP (paper)", "WavPool (skwavpool default)"],
        loader=digits_as, log=lambda line: None, wavpool_epochs=2,
    )
    assert results["mnist / WavPool (skwavpool default)"]["epochs"] == 2
    assert results["mnist / MLP (paper)"]["epochs"] == 3  # --quick's epochs, shorter than its patience


def test_protocol_b_trains_our_default_as_shipped_and_stops_the_others_early():
    models = paper_table.models("mnist", "B", 120)
    for name in ("WavPool (skwavpool default)", "WavPool (skwavpool default, no shift)"):
        ours = models.pop(name)
        assert not ours.early_stopping and ours.max_epochs == type(ours)().max_epochs
    assert ours.max_shift == 0 and type(ours)().max_shift > 0
    assert all(model.early_stopping and model.max_shift == 0 for model in models.values())  # as published
    under_a = paper_table.models("mnist", "A", 120)["WavPool (skwavpool default)"]
    assert not under_a.early_stopping and under_a.max_epochs == type(under_a)().max_epochs


def test_quick_protocol_b_takes_seeded_subsets_of_class_sorted_data():
    y = np.repeat(np.arange(10), 500)  # grouped by class, as CIFAR-10's JPEG test set is
    X = np.arange(len(y))[:, None]
    first = paper_table.split("B", (X, y, X, y), quick=True)
    assert len(first[1]) == 1000 and len(first[3]) == 300
    assert len(np.unique(first[3])) == 10 and len(np.unique(first[1])) == 10
    assert all(np.array_equal(a, b) for a, b in zip(first, paper_table.split("B", (X, y, X, y), quick=True)))


@pytest.mark.parametrize("quick", [False, True])
def test_a_quick_run_leaves_the_committed_results_alone(quick, monkeypatch, tmp_path):
    monkeypatch.setattr(paper_table, "RESULTS", tmp_path)
    monkeypatch.setattr(paper_table, "run", lambda *args, **kwargs: {})
    monkeypatch.setattr(paper_table, "plot", lambda results, path: path.touch())
    paper_table.main(["--datasets", "mnist"] + (["--quick"] if quick else []))
    expected = tmp_path / "quick" if quick else tmp_path
    assert sorted(p.name for p in expected.glob("paper_table*")) == ["paper_table.json", "paper_table.md"]
    assert quick == (not (tmp_path / "paper_table.json").exists())


def digits_dataset(data_dir):
    """Digits as 0..255 images, standing in for Fashion-MNIST."""
    from skwavpool.datasets import ImageDataset

    images = (load_digits().images * 255 / 16).astype(np.uint8)
    labels = load_digits().target
    return ImageDataset(images[:1400], labels[:1400], images[1400:], labels[1400:])


def test_regression_task_targets_are_the_applied_rotation_and_scale():
    image = np.zeros((1, 21, 21))
    image[0, 10, 4:17] = 1.0  # a horizontal bar through the centre
    rng = np.random.default_rng(0)
    moved, targets = regression.make_task(image, rng)
    angle, scale = targets[0]
    assert -45 <= angle <= 45 and 0.7 <= scale <= 1.3
    # The bar's ink lies along the drawn angle, its length scaled.
    rows, cols = np.nonzero(moved[0, 0] > 0.3)
    slope = np.polyfit(cols - 10, -(rows - 10), 1)[0]
    assert np.degrees(np.arctan(slope)) == pytest.approx(angle, abs=6)


def test_regression_benchmark_runs_and_writes_its_outputs(tmp_path):
    lines = []
    summary, predictions = regression.compare(None, [0, 1], 300, 100, quick=True, loader=digits_dataset,
                                              log=lines.append)
    assert set(summary) == set(predictions) and len(summary) == 3 and len(lines) == 6
    for s in summary.values():
        assert s["seeds"] == 2 and s["r2"][0] <= 1 and s["parameters"] > 0
    table = regression.markdown(summary, "digits")
    assert table.count("\n| ") == 1 + 3  # header and one row per model
    regression.plot(predictions, tmp_path / "regression.png")
    assert (tmp_path / "regression.png").stat().st_size > 1000
    searched = regression.search(None, 0, 300, quick=True, loader=digits_dataset, log=lines.append)
    assert set(searched) == set(regression.SEARCH)
    json.dumps(summary)


def test_same_recipe_benchmark_runs_and_writes_its_outputs(tmp_path):
    lines = []
    results = same_recipe.run(["mnist"], [0, 1], quick=True, data_dir=None, loader=digits_as, log=lines.append)
    models = {r["model"] for r in results.values()}
    assert {"WavPoolClassifier (default)", "CNN (paper), same recipe, same epochs",
            "CNN (paper), same recipe, same time", "MLPClassifier on pixels (256 hidden)",
            "HaarMRD + LogisticRegression"} <= models
    assert any(m.endswith("WavPool's parameters, same recipe, same time") for m in models)  # kymatio's is optional
    for r in results.values():
        assert r["seeds"] == (2 if "LogisticRegression" not in r["model"] else 1)
        assert 0 <= r["accuracy_mean"] <= 1 and r["fit_seconds"] > 0
    same_epochs = results["mnist / CNN (paper), same recipe, same epochs"]
    assert same_epochs["epochs"] == [2, 2]  # WavPool's (quick) recipe
    width = next(r for r in results.values() if "WavPool's parameters" in r["model"])
    wavpool = results["mnist / WavPoolClassifier (default)"]
    assert abs(width["parameters"] - wavpool["parameters"]) < 0.5 * wavpool["parameters"]
    table = same_recipe.markdown(results, {"mnist": "digits"})
    assert table.count("\n| mnist |") == len(results)
    same_recipe.plot(results, tmp_path / "same_recipe.png")
    assert (tmp_path / "same_recipe.png").stat().st_size > 1000
    cell = {"dataset": "d", "accuracy_mean": 0.9, "fit_seconds": 10.0}
    cells = {"a": cell, "slower": {**cell, "fit_seconds": 20.0}, "better": {**cell, "accuracy_mean": 0.95},
             "faster": {**cell, "accuracy_mean": 0.5, "fit_seconds": 1.0}, "other": {**cell, "dataset": "e"}}
    assert same_recipe.pareto_front(cells) == {"better", "faster", "other"}
    cheaper = same_recipe.run(["mnist"], [0], quick=True, data_dir=None, loader=digits_as, log=lines.append,
                              same_time_only=True)
    assert "mnist / CNN (paper), same recipe, same time" in cheaper
    assert any("WavPool's parameters" in key for key in cheaper)
    assert not any("same epochs" in key for key in cheaper)
    # A later run of another dataset keeps these rows; a rerun of mnist replaces them.
    path = tmp_path / "same_recipe.json"
    path.write_text(json.dumps({"stamps": {"mnist": "first"}, "results": results}))
    other = {key.replace("mnist", "cifar10"): {**r, "dataset": "cifar10"} for key, r in results.items()}
    stamps, merged = same_recipe.merge(path, ["cifar10"], other, "second")
    assert stamps == {"mnist": "first", "cifar10": "second"} and len(merged) == 2 * len(results)
    stamps, merged = same_recipe.merge(path, ["mnist"], {}, "third")
    assert stamps == {"mnist": "third"} and merged == {}


def test_same_recipe_variants_add_rows_beside_the_others(tmp_path):
    variants = same_recipe.parse_variants(['hidden 8={"hidden_size": 8}'])
    assert variants == {"hidden 8": {"hidden_size": 8}}
    with pytest.raises(SystemExit, match="name=json"):
        same_recipe.parse_variants(["hidden 8"])
    only = same_recipe.run(["mnist"], [0, 1], quick=True, data_dir=None, loader=digits_as, log=[].append,
                           variants=variants, only="variants")
    assert list(only) == ["mnist / WavPool, hidden 8"]
    row = only["mnist / WavPool, hidden 8"]
    assert row["seeds"] == 2 and row["epochs"] == [2, 2] and row["parameters"] < 50_000
    # Added to the rows already written, which keep their dataset's stamp.
    path = tmp_path / "same_recipe.json"
    earlier = {"mnist / WavPoolClassifier (default)": {**row, "model": "WavPoolClassifier (default)"}}
    path.write_text(json.dumps({"stamps": {"mnist": "first"}, "results": earlier}))
    stamps, merged = same_recipe.merge(path, ["mnist"], only, "second", rows_only=True)
    assert stamps == {"mnist": "first"} and list(merged) == [*earlier, *only]


def test_same_recipe_adds_the_matched_cnn_for_the_recorded_wavpool_time(tmp_path):
    path = tmp_path / "same_recipe.json"
    with pytest.raises(SystemExit, match="mnist"):
        same_recipe.recorded_seconds(path, ["mnist"])
    row = {"dataset": "mnist", "model": "WavPoolClassifier (default)", "fit_seconds": 5.0}
    path.write_text(json.dumps({"stamps": {}, "results": {"mnist / WavPoolClassifier (default)": row}}))
    seconds = same_recipe.recorded_seconds(path, ["mnist"])
    assert seconds == {"mnist": 5.0}
    only = same_recipe.run(["mnist"], [0, 1], quick=True, data_dir=None, loader=digits_as, log=[].append,
                           only="matched-cnn", wavpool_seconds=seconds)
    [(key, cnn)] = only.items()
    assert "WavPool's parameters, same recipe, same time" in key and cnn["seeds"] == 2
    assert all(epochs >= 1 for epochs in cnn["epochs"])


def test_same_recipe_adds_the_same_epochs_cnn_and_says_so_in_the_stamp(tmp_path, monkeypatch):
    monkeypatch.setattr(same_recipe, "RESULTS", tmp_path)
    monkeypatch.setattr(same_recipe, "data_dirs", lambda: None)
    monkeypatch.setattr(same_recipe, "run", functools.partial(same_recipe.run, loader=digits_as, log=[].append))
    row = {"dataset": "mnist", "model": "WavPoolClassifier (default)", "accuracies": [0.9], "accuracy_mean": 0.9,
           "accuracy_sd": 0.0, "fit_seconds": 10.0, "predict_per_second": 100.0, "parameters": 1000.0,
           "epochs": [2], "seeds": 1}
    earlier = same_recipe.stamp([0], quick=True, same_time_only=True)
    (tmp_path / "quick").mkdir()
    (tmp_path / "quick" / "same_recipe.json").write_text(json.dumps(
        {"stamps": {"mnist": earlier}, "results": {"mnist / WavPoolClassifier (default)": row}}))
    same_recipe.main(["--datasets", "mnist", "--seeds", "1", "--quick", "--only-same-epochs-cnn"])
    written = json.loads((tmp_path / "quick" / "same_recipe.json").read_text())
    assert list(written["results"]) == ["mnist / WavPoolClassifier (default)",
                                        "mnist / CNN (paper), same recipe, same epochs"]
    assert written["results"]["mnist / CNN (paper), same recipe, same epochs"]["epochs"] == [2]  # WavPool's
    assert same_recipe.SAME_TIME_ONLY in earlier and same_recipe.SAME_TIME_ONLY not in written["stamps"]["mnist"]
    assert "the CNN for WavPool's epochs: " in written["stamps"]["mnist"]


def test_same_recipe_orders_rows_and_replots_from_the_json(tmp_path, monkeypatch):
    def row(dataset, model):
        return {"dataset": dataset, "model": model, "accuracies": [0.9], "accuracy_mean": 0.9, "accuracy_sd": 0.0,
                "fit_seconds": 10.0, "predict_per_second": 100.0, "parameters": 1000.0, "epochs": [2], "seeds": 1}

    models = ["HaarMRD + LogisticRegression", "CNN (53, 53), WavPool's parameters, same recipe, same time",
              "WavPool, dropout 0.25", "CNN (paper), same recipe, same time", "WavPoolClassifier (default)"]
    rows = {f"{d} / {m}": row(d, m) for d in ("cifar10", "mnist") for m in models}
    ordered = [(r["dataset"], same_recipe.kind(r["model"])) for r in same_recipe.by_dataset(rows).values()]
    kinds = ["WavPoolClassifier (default)", "WavPool, dropout 0.25", "CNN (paper), same recipe, same time",
             "CNN (w, w), WavPool's parameters, same recipe, same time", "HaarMRD + LogisticRegression"]
    assert ordered == [("mnist", k) for k in kinds] + [("cifar10", k) for k in kinds]
    monkeypatch.setattr(same_recipe, "RESULTS", tmp_path)
    (tmp_path / "same_recipe.json").write_text(json.dumps({"stamps": {"mnist": "a run"}, "results": rows}))
    same_recipe.main(["--replot"])
    table = (tmp_path / "same_recipe.md").read_text()
    assert table.index("WavPoolClassifier (default)") < table.index("HaarMRD") and "- mnist: a run" in table
    assert (tmp_path / "same_recipe.png").stat().st_size > 1000


def test_shifted_images_move_and_fill_with_zeros():
    image = np.arange(1.0, 17.0).reshape(1, 4, 4)
    right = same_recipe_diagnosis.shifted(image, 0, 1)
    assert np.array_equal(right[0, :, 1:], image[0, :, :-1]) and not right[0, :, 0].any()
    up = same_recipe_diagnosis.shifted(image[None], -2, 0)  # (n, C, H, W)
    assert np.array_equal(up[0, 0, :2], image[0, 2:]) and not up[0, 0, 2:].any()


def test_same_recipe_diagnosis_runs_on_a_validation_split():
    lines = []
    results = same_recipe_diagnosis.run(["mnist"], {"hidden 8": {"hidden_size": 8}}, quick=True, data_dir=None,
                                        loader=digits_as, log=lines.append)
    assert {r["model"] for r in results.values()} == {
        "WavPoolClassifier (default)", "CNN (paper), same recipe, same time", "WavPool, hidden 8"}
    for r in results.values():
        for key in ("train_accuracy", "val_accuracy", "val_shift1_accuracy", "val_shift2_accuracy"):
            assert 0 <= r[key] <= 1
        assert r["fit_seconds"] > 0 and len(lines) == len(results)
    assert results["mnist / 1000 / WavPool, hidden 8"]["epochs"] == 2
    table = same_recipe_diagnosis.markdown(results, ["digits"])
    assert table.count("\n| mnist | 1,000 |") == len(results) and "\n- digits\n" in table
    only = same_recipe_diagnosis.run(["mnist"], {"hidden 8": {"hidden_size": 8}}, quick=True, data_dir=None,
                                     loader=digits_as, log=lines.append, only_variants=True, n_train=500)
    assert list(only) == ["mnist / 500 / WavPool, hidden 8"]
    assert only["mnist / 500 / WavPool, hidden 8"]["training_images"] == 500


def test_a_diagnosis_run_keeps_the_rows_and_stamps_of_earlier_runs(tmp_path):
    path = tmp_path / "same_recipe_diagnosis.json"

    def row(model, n, accuracy):
        return {f"mnist / {n} / {model}": {"dataset": "mnist", "training_images": n, "model": model,
                                           "val_accuracy": accuracy}}

    first = row("WavPoolClassifier (default)", 500, 0.5) | row("WavPool, h8", 1000, 0.6)
    path.write_text(json.dumps({"stamps": ["first run, a note"], "results": first}))
    stamps, merged = same_recipe_diagnosis.merge(path, row("WavPool, h8", 1000, 0.7), "second run")
    assert stamps == ["first run, a note", "second run"]
    assert list(merged) == ["mnist / 1000 / WavPool, h8", "mnist / 500 / WavPoolClassifier (default)"]
    assert merged["mnist / 1000 / WavPool, h8"]["val_accuracy"] == 0.7
    assert same_recipe_diagnosis.merge(path, {}, "first run, a note")[0] == ["first run, a note"]
    assert same_recipe_diagnosis.merge(tmp_path / "none.json", first, "a run") == (["a run"], first)
