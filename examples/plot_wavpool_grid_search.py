"""
==========================================
Tuning WavPoolClassifier with GridSearchCV
==========================================

:class:`~skwavpool.WavPoolClassifier` is a scikit-learn estimator, so
:class:`~sklearn.model_selection.GridSearchCV` tunes it like any other. The
grid here is small and the training short, so that the example runs in
seconds; ``early_stopping=True`` holds out a tenth of each training fold,
stops when its loss no longer improves and keeps the best epoch.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GridSearchCV, train_test_split

from skwavpool import WavPoolClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.25, stratify=y, random_state=0
)

search = GridSearchCV(
    WavPoolClassifier(max_epochs=25, early_stopping=True, patience=4, random_state=0),
    {"hidden_size": [32, 128], "lr": [3e-3, 1e-2]},
    cv=3,
)
search.fit(X_train, y_train)
for params, score, seconds in zip(
    search.cv_results_["params"],
    search.cv_results_["mean_test_score"],
    search.cv_results_["mean_fit_time"],
):
    print(f"{params}: accuracy {score:.3f}, fit {seconds:.1f} s")
accuracy = search.score(X_test, y_test)  # with the best parameters, refitted
print("best:", search.best_params_, f"test accuracy {accuracy:.3f}")

# %%
# Training curves
# ---------------
# The refitted best model keeps its skorch net as ``net_``, and the net's
# history has the losses of every epoch. The validation loss is measured on
# the held-out tenth; the marked epoch is the one whose weights were kept.

history = search.best_estimator_.net_.history
epochs = history[:, "epoch"]
valid_loss = history[:, "valid_loss"]
best = epochs[valid_loss.index(min(valid_loss))]

fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
ax.plot(epochs, history[:, "train_loss"], "o-", label="train loss")
ax.plot(epochs, valid_loss, "s-", label="validation loss")
ax.axvline(best, color="gray", ls="--", label=f"best epoch ({best})")
ax.set(
    xlabel="epoch",
    ylabel="cross-entropy",
    yscale="log",
    title="Training of the best model",
)
ax.legend()

# %%
# Confusion matrix
# ----------------
# On the test set, which the search never saw.

fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
ConfusionMatrixDisplay.from_estimator(
    search, X_test, y_test, ax=ax, cmap="Blues", colorbar=False
)
ax.set_title(f"WavPoolClassifier on the test digits (accuracy {accuracy:.3f})")
plt.show()
