"""
=======================================
Training on a folder of your own images
=======================================

Images usually come as files, sorted into one folder per class::

    my_images/
        cat/001.jpg, cat/002.png, ...
        dog/001.jpg, ...

:func:`~skwavpool.datasets.load_image_folder` reads such a folder into an
array of shape ``(n_images, channels, height, width)`` with values in [0, 1],
which :class:`~skwavpool.WavPoolClassifier` takes as it is. Here the folder
is made from scikit-learn's 8x8 digits, saved as PNG files of three different
sizes, as photos from different sources would be.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skwavpool import WavPoolClassifier
from skwavpool.datasets import load_image_folder

# %%
# A folder of PNG files
# ---------------------
# Each digit becomes a PNG file in the subfolder of its class, upscaled to a
# side of 16, 24 or 32 pixels.

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
digits = load_digits()
folder = tempfile.TemporaryDirectory()
root = Path(folder.name)
rng = np.random.default_rng(0)
for i, (image, label) in enumerate(zip(digits.images, digits.target)):
    side = int(rng.choice([16, 24, 32]))
    png = Image.fromarray((image * 255 / 16).astype(np.uint8))
    png = png.resize((side, side), Image.Resampling.BILINEAR)
    (root / NAMES[label]).mkdir(exist_ok=True)
    png.save(root / NAMES[label] / f"{i:04d}.png")
print(sorted(p.name for p in root.iterdir()))

# %%
# Loading it
# ----------
# The images differ in size, so ``image_size`` resizes them all to 16x16
# (without it, the loader stops and names two files of different sizes). The
# classes are the subfolders in sorted order: ``target`` holds indices into
# ``target_names``.

data = load_image_folder(root, image_size=(16, 16))
print("images:", data.images.shape, data.images.dtype)
print("classes:", data.target_names.tolist())

fig, axes = plt.subplots(2, 6, figsize=(8, 3.2), layout="constrained")
for ax, i in zip(axes.flat, rng.choice(len(data.images), axes.size, replace=False)):
    ax.imshow(data.images[i, 0], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(data.target_names[data.target[i]], fontsize=9)
    ax.set_axis_off()
fig.suptitle("Images as loaded: 16x16, values in [0, 1]")

# %%
# Training WavPoolClassifier
# --------------------------
# The loaded arrays go straight into the classifier; its predictions are
# indices again, which ``target_names`` turns back into class names.

X_train, X_test, y_train, y_test = train_test_split(
    data.images, data.target, test_size=0.25, stratify=data.target, random_state=0
)
model = WavPoolClassifier(max_epochs=10, random_state=0)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")
print("predicted:", data.target_names[model.predict(X_test[:6])].tolist())
print("labelled: ", data.target_names[y_test[:6]].tolist())

folder.cleanup()
plt.show()
