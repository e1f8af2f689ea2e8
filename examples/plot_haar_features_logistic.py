"""
====================================================
Haar features for a linear model, and where they sit
====================================================

:class:`~skwavpool.HaarMRDTransformer` turns images into Haar coefficients, so
any scikit-learn model can learn from them. Here a logistic regression on the
coefficients of the 8x8 digits is cross-validated, and the coefficients it
leans on most are drawn back onto the image grid, using nothing but their
feature names.
"""

import re

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skwavpool import HaarMRDTransformer

X, y = load_digits(return_X_y=True)
X = X / 16
model = make_pipeline(
    HaarMRDTransformer(image_shape=(8, 8)),
    StandardScaler(),
    LogisticRegression(max_iter=2000),
)
scores = cross_val_score(model, X, y, cv=5)
print(f"5-fold accuracy: {scores.mean():.3f} +- {scores.std():.3f}")

# %%
# The most important coefficients
# -------------------------------
# After standardisation every coefficient has unit variance, so the size of
# its weights says how much the model uses it. The multinomial model has one
# weight per class; a coefficient's importance is its largest ``|coef|``
# over the classes.

model.fit(X, y)
names = model[0].get_feature_names_out()
importance = np.abs(model[-1].coef_).max(axis=0)
top = np.argsort(importance)[::-1][:8]
for i in top:
    print(f"{names[i]:8} {importance[i]:.2f}")

# %%
# Drawn back onto the image
# -------------------------
# A name ``<band><level>_<row>_<col>`` locates its coefficient: at level
# ``l`` each coefficient summarises a block of ``2**l x 2**l`` pixels, and
# ``h1_3_2`` is the block of rows 6-7 and columns 4-5. Each panel below
# outlines that block over the mean digit, and shows in colour the pattern
# the coefficient measures: its basis image, the inverse transform of a
# vector that is 1 at the coefficient and 0 elsewhere (red pixels count
# positively, blue ones negatively).

NAME = re.compile(r"(?P<band>[ahvd])(?P<level>\d+)_(?P<row>\d+)_(?P<col>\d+)")
mean_digit = X.mean(axis=0).reshape(8, 8)

fig, axes = plt.subplots(2, 4, figsize=(9, 5.5), layout="constrained")
for ax, i in zip(axes.flat, top):
    parts = NAME.fullmatch(names[i])
    side = 2 ** int(parts["level"])
    row, col = int(parts["row"]) * side, int(parts["col"]) * side
    unit = np.zeros((1, len(names)))
    unit[0, i] = 1
    basis = model[0].inverse_transform(unit).reshape(8, 8)
    limit = np.abs(basis).max()
    ax.imshow(
        mean_digit, cmap="gray_r", vmax=2 * mean_digit.max()
    )  # faint, under the colours
    ax.imshow(
        np.ma.masked_equal(basis, 0), cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.85
    )
    # Pixel (r, c) covers [c - 0.5, c + 0.5] in imshow's coordinates.
    ax.add_patch(
        plt.Rectangle(
            (col - 0.5, row - 0.5), side, side, fill=False, lw=2.5, ec="black"
        )
    )
    ax.set_title(f"{names[i]}: |coef| {importance[i]:.2f}")
    ax.set_xticks(range(8))
    ax.set_yticks(range(8))
    ax.tick_params(labelsize=7)
fig.suptitle("The eight coefficients with the largest weights, on the 8x8 grid")
plt.show()
