"""
===================================
The Haar decomposition of one digit
===================================

:func:`skwavpool.haar.haar_mrd` splits an image into a coarse approximation and,
per level, three bands of details. Drawn in the classic mosaic, each level's
horizontal (H), vertical (V) and diagonal (D) details sit beside a square that
holds the next, coarser, level, down to the approximation (A) in the corner.
:func:`skwavpool.haar.haar_imrd` puts the image back together exactly.
"""

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_digits

from skwavpool.haar import haar_imrd, haar_mrd

digits = load_digits()
image = torch.tensor(digits.images[0] / 16)  # an 8x8 zero, values in [0, 1], float64
mrd = haar_mrd(image)
print("approximation", tuple(mrd.approx.shape))
for level, (h, v, d) in zip(range(len(mrd.details), 0, -1), mrd.details):
    print(f"level {level}: three bands of {tuple(h.shape)}")

# %%
# The mosaic
# ----------
# Level 1, the finest, takes three quarters of the square: H top right, V
# bottom left, D bottom right. Its top left quarter holds level 2, laid out the
# same way, and so on. The approximation of ``n`` levels is ``2**n`` times the
# mean of its block of pixels, so it gets a grey scale from 0 to ``2**n``; the
# details are signed differences, drawn in red (positive) and blue
# (negative), each band scaled to its own largest value so that the small,
# fine details stay visible.

fig, (ax_image, ax_mosaic) = plt.subplots(1, 2, figsize=(9, 5), layout="constrained")
ax_image.imshow(image, cmap="gray_r")
ax_image.set_title("the digit, 8x8 pixels")

LABEL_BOX = {"fc": "white", "alpha": 0.8, "lw": 0, "pad": 1}  # readable on dark cells
size = image.shape[-1]
for level, (h, v, d) in zip(range(len(mrd.details), 0, -1), mrd.details):
    half = size / 2**level  # side of this level's bands in the mosaic
    for band, name, (x, y) in (
        (h, "H", (half, 0)),
        (v, "V", (0, half)),
        (d, "D", (half, half)),
    ):
        limit = float(band.abs().max()) or 1.0
        ax_mosaic.imshow(
            band,
            cmap="RdBu_r",
            vmin=-limit,
            vmax=limit,
            extent=(x, x + half, y + half, y),
        )
        ax_mosaic.text(
            x + 0.1,
            y + 0.1,
            f"{name}{level}",
            va="top",
            fontweight="bold",
            bbox=LABEL_BOX,
        )
    ax_mosaic.add_patch(plt.Rectangle((0, 0), 2 * half, 2 * half, fill=False, lw=1.5))
levels = len(mrd.details)
corner = size / 2**levels
ax_mosaic.imshow(
    mrd.approx, cmap="gray_r", vmin=0, vmax=2**levels, extent=(0, corner, corner, 0)
)
ax_mosaic.text(0.1, 0.1, f"A{levels}", va="top", fontweight="bold", bbox=LABEL_BOX)
ax_mosaic.set(xlim=(0, size), ylim=(size, 0), title="its bands: the mosaic")
for ax in (ax_image, ax_mosaic):
    ax.set_xticks([])
    ax.set_yticks([])

# %%
# Perfect reconstruction
# ----------------------
# The inverse gives the digit back to float rounding. Setting the finest
# details to zero before inverting shows what they carry: without them every
# 2x2 block becomes its mean.

restored = haar_imrd(mrd)
print("largest reconstruction error:", float((restored - image).abs().max()))

coarse_details = mrd.details[:-1] + (
    tuple(torch.zeros_like(band) for band in mrd.details[-1]),
)
blurred = haar_imrd(mrd._replace(details=coarse_details))

fig, axes = plt.subplots(1, 3, figsize=(9, 3.8), layout="constrained")
panels = (
    (image, "original"),
    (
        restored,
        f"haar_imrd(haar_mrd(x))\nerror {float((restored - image).abs().max()):.0e}",
    ),
    (blurred, "without level-1 details"),
)
for ax, (picture, title) in zip(axes, panels):
    ax.imshow(picture, cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()
