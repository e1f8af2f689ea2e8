"""
====================================================
WavPool against MLP and CNN baselines, by model size
====================================================

The WavPool paper compares its block with an MLP and a small CNN of about the
same number of parameters. This example makes that comparison on the 8x8
digits, for a few sizes of each network: :class:`~skwavpool.WavPoolClassifier`,
:class:`~skwavpool.MLPBaselineClassifier` (two linear layers, no activation,
as in the paper) and :class:`~skwavpool.CNNBaselineClassifier` (two
convolution blocks and a linear layer). All three are trained by the same
skorch machinery with the same optimiser, epochs and seed, so only the
network differs.

One small test set of 450 digits and one seed make this a quick look, not a
benchmark: differences of a percent are within the noise. The
:doc:`benchmark page <../benchmarks>` has the full comparison.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skwavpool import CNNBaselineClassifier, MLPBaselineClassifier, WavPoolClassifier
from skwavpool.nn import n_parameters

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.25, stratify=y, random_state=0
)
training = {"max_epochs": 20, "random_state": 0}

families = {
    "WavPool": [
        WavPoolClassifier(hidden_size=h, **training) for h in (8, 16, 32, 64, 128)
    ],
    "MLP": [
        MLPBaselineClassifier(hidden_size=h, **training) for h in (16, 32, 64, 128, 256)
    ],
    "CNN": [CNNBaselineClassifier(channels=(c, c), **training) for c in (2, 4, 8, 16)],
}
results = {}
for family, models in families.items():
    results[family] = []
    for model in models:
        model.fit(X_train, y_train)
        size, accuracy = n_parameters(model.net_.module_), model.score(X_test, y_test)
        results[family].append((size, accuracy))
        print(f"{family:8} {size:6d} parameters: test accuracy {accuracy:.3f}")

# %%
# Accuracy against size
# ---------------------

fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
for (family, points), marker in zip(results.items(), "osD"):
    sizes, accuracies = zip(*points)
    ax.plot(sizes, accuracies, marker=marker, label=family)
ax.set(
    xscale="log",
    xlabel="trainable parameters",
    ylabel="test accuracy",
    title="Digits, 20 epochs of AdamW for every network",
)
ax.grid(True, which="both", alpha=0.3)
ax.legend()
plt.show()
