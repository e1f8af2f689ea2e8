"""
=============================================
WavPoolBlock after a convolutional stem
=============================================

:class:`~skwavpool.WavPoolBlock` is the WavPool layers without an output
layer: it maps ``(batch, C, H, W)`` to ``(batch, out_features)`` and is
differentiable end to end, so it can follow other layers. Here a small
convolutional stem turns each digit into 8 feature maps, the block decomposes
each map with the Haar transform and pools its band layers, and a linear layer
classifies. skorch trains the composed network; the plain
:class:`~skwavpool.WavPoolClassifier` and the paper's CNN
(:class:`~skwavpool.CNNBaselineClassifier`) train on the same digits with the
same optimiser, epochs and seed.

One split and one seed of the 8x8 digits make this a demonstration of the
API, not a benchmark.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
from torch import nn

from skwavpool import CNNBaselineClassifier, WavPoolBlock, WavPoolClassifier
from skwavpool.nn import n_parameters

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32).reshape(-1, 1, 8, 8)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
EPOCHS = 30

# %%
# The composed network
# --------------------
# The stem keeps the image size (padding 1), so the block sees 8 channels of
# 8x8 maps; its band layers take all 8 channels of a band at once.


class StemWavPool(nn.Module):
    def __init__(self, channels=8, n_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.ReLU())
        self.block = WavPoolBlock((channels, 8, 8), hidden_size=64)
        self.output = nn.Linear(self.block.out_features, n_classes)

    def forward(self, x):
        return self.output(self.block(self.stem(x)))


torch.manual_seed(0)
composed = NeuralNetClassifier(
    StemWavPool,
    criterion=nn.CrossEntropyLoss,  # the module returns logits
    optimizer=torch.optim.AdamW,
    lr=3e-3,
    max_epochs=EPOCHS,
    batch_size=64,
    iterator_train__shuffle=True,
    train_split=None,
    verbose=0,
)

# %%
# Training the three
# ------------------

models = {
    "conv stem + WavPoolBlock": composed,
    "WavPoolClassifier": WavPoolClassifier(hidden_size=64, max_epochs=EPOCHS, random_state=0),
    "CNN (paper)": CNNBaselineClassifier(channels=(8, 8), max_epochs=EPOCHS, random_state=0),
}
rows = []
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    module = model.module_ if name.startswith("conv") else model.net_.module_
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    rows.append((name, accuracy, n_parameters(module), seconds))
    print(f"{name:26} accuracy {accuracy:.3f}, {n_parameters(module):6d} parameters, fit {seconds:.1f} s")

# %%
# Gradients reach the stem
# ------------------------
# The Haar decomposition inside the block is differentiable, so the stem's
# filters learn from the classification loss like any other layer.

stem = composed.module_.stem[0]
print("stem filter norms:", stem.weight.detach().flatten(1).norm(dim=1).numpy().round(2))

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.barh([r[0] for r in rows], [r[1] for r in rows], color=["#4c72b0", "#55a868", "#c44e52"])
for k, (_, accuracy, params, _) in enumerate(rows):
    ax.text(accuracy - 0.005, k, f"{accuracy:.3f} ({params:,} parameters)", ha="right", va="center", color="w")
ax.set(xlim=(0.8, 1.0), xlabel="test accuracy")
plt.show()
