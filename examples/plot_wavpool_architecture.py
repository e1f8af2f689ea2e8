"""
==========================
The WavPool network, drawn
==========================

A picture of :class:`~skwavpool.WavPool` with the defaults of
:class:`~skwavpool.WavPoolClassifier`, for the 8x8 digits. Every size in it is
read from an actual module, and the bands are those of an actual digit, so
the drawing follows the code.

From left to right: the image is decomposed into three detail bands (H, V, D)
per level and a coarse approximation (A); each band of each level has its own
dense layer, a *head* (one :class:`~skwavpool.MicroWav` per level); the
head outputs are stacked into a ``(hidden, band, level)`` tensor, which is
pooled; the pooled features and the output of the approximation's head go
through one linear layer to the class scores.
"""

import math

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyBboxPatch, Rectangle
from sklearn.datasets import load_digits

from skwavpool import WavPool
from skwavpool.haar import haar_mrd

net = WavPool((1, 8, 8), n_classes=10)
print(net)

digit = torch.tensor(load_digits().images[0] / 16)
mrd = haar_mrd(digit)

# %%
# The sizes, from the module
# --------------------------
# ``micro_wavs`` holds one MicroWav per level, coarsest first; each has a
# ``horizontal``, ``vertical`` and ``diagonal`` linear layer.

levels = net.levels_used  # finest first
heads = dict(zip(reversed(levels), net.micro_wavs))
stack = (net.max_hidden, 3, len(levels))
# With ceil_mode (the default), partial pooling windows are kept.
pooled = tuple(math.ceil(s / k) for s, k in zip(stack, net.pooling_kernel))
approx_head = net.approximation[0]
activation = type(net.micro_wavs[0].activation).__name__  # the default's, applied after every head
print("stack", stack, "pooled", pooled, "output", net.output)

# %%
# The drawing
# -----------

fig, ax = plt.subplots(figsize=(11, 5.6), layout="constrained")
ax.set(xlim=(0, 13.5), ylim=(1.6, 7.3), aspect="equal")
ax.axis("off")


def box(x, y, w, h, text, color, edge="0.3"):
    """A rounded box centred at (x, y), with its text."""
    corner = (x - w / 2, y - h / 2)
    style = "round,pad=0.08"
    ax.add_patch(FancyBboxPatch(corner, w, h, boxstyle=style, fc=color, ec=edge))
    ax.text(x, y, text, ha="center", va="center", fontsize=9.5)


def arrow(start, end):
    style = {"arrowstyle": "->", "color": "0.3", "lw": 1.2}
    ax.annotate("", end, start, arrowprops=style)


def thumbnail(band, x, y, name, color="black", **colors):
    """A band as a small image with its left edge at x, centred on y, named above."""
    side = 0.8
    ax.imshow(band, extent=(x, x + side, y - side / 2, y + side / 2), **colors)
    text = f"{name}  {band.shape[0]}x{band.shape[1]}"
    ax.text(
        x + side / 2,
        y + side / 2 + 0.08,
        text,
        ha="center",
        va="bottom",
        fontsize=9,
        color=color,
    )


# The image, and one row of bands per level, finest at the top, then the
# approximation. Each detail band is scaled to its own largest value.
ax.imshow(digit, cmap="gray_r", extent=(0.1, 1.7, 3.0, 4.6))
ax.text(0.9, 4.8, "image\n8x8", ha="center", fontsize=10)
rows = {level: 6.6 - 1.45 * i for i, level in enumerate(levels)}
approx_y = 6.6 - 1.45 * len(levels)
level_colors = dict(zip(levels, plt.cm.tab10.colors))
for (h, v, d), level in zip(mrd.details, reversed(levels)):
    for k, (band, name) in enumerate(((h, "H"), (v, "V"), (d, "D"))):
        limit = float(band.abs().max()) or 1.0
        thumbnail(
            band,
            2.6 + 0.95 * k,
            rows[level],
            f"{name}{level}",
            level_colors[level],
            cmap="RdBu_r",
            vmin=-limit,
            vmax=limit,
        )
    arrow((1.75, 3.8), (2.55, rows[level]))
thumbnail(
    mrd.approx,
    2.6,
    approx_y,
    f"A{len(levels)}",
    cmap="gray_r",
    vmin=0,
    vmax=2 ** len(levels),
)
arrow((1.75, 3.8), (2.55, approx_y))

# The heads.
for level, micro_wav in heads.items():
    layer = micro_wav.horizontal
    text = (
        f"MicroWav, level {level}\n"
        f"3 × Linear({layer.in_features} → {layer.out_features})\n+ {activation}"
    )
    box(6.6, rows[level], 2.0, 0.95, text, "#dfe9f5", edge=level_colors[level])
    arrow((5.35, rows[level]), (5.5, rows[level]))
text = f"Linear({approx_head.in_features} → {approx_head.out_features})\n+ {activation}"
box(6.6, approx_y, 2.0, 0.75, text, "#f5e6d3")
arrow((3.5, approx_y), (5.5, approx_y))

# The stack: one cell per (band, level), each holding `hidden` units.
cell, left, top = 0.42, 8.4, 6.2
for j, level in enumerate(levels):
    for k in range(3):
        corner = (left + k * cell, top - (j + 1) * cell)
        color = level_colors[level]
        ax.add_patch(Rectangle(corner, cell, cell, fc=color, alpha=0.6, ec="white"))
    arrow((7.7, rows[level]), (left - 0.05, top - (j + 0.5) * cell))
for k, name in enumerate("HVD"):
    ax.text(left + (k + 0.5) * cell, top + 0.05, name, ha="center", va="bottom")
text = f"stack\n(hidden {stack[0]},\nband {stack[1]}, level {stack[2]})"
ax.text(
    left + 1.5 * cell,
    top - len(levels) * cell - 0.15,
    text,
    ha="center",
    va="top",
    fontsize=9.5,
)

# Pooling, then the output layer.
kind = {"avg": "AvgPool", "max": "MaxPool"}[net.pooling]
n_pooled = math.prod(pooled)
text = (
    f"{kind}, kernel\n{net.pooling_kernel}\n"
    f"→ {pooled[0]} × {pooled[1]} × {pooled[2]}\n= {n_pooled} features"
)
box(10.85, 5.57, 1.55, 1.45, text, "#e3f1df")
arrow((left + 3 * cell + 0.05, 5.57), (9.98, 5.57))
n_in, n_out = net.output.in_features, net.output.out_features
text = (
    f"concatenate\n{n_pooled} + {approx_head.out_features}\n= {n_in}\n\n"
    f"Linear({n_in}\n→ {n_out})"
)
box(12.65, 3.0, 1.45, 1.7, text, "#eee")
arrow((10.85, 4.75), (12.3, 3.95))
arrow((7.7, approx_y), (11.85, 2.6))
ax.text(12.65, 1.95, f"{n_out} class scores", ha="center", va="top", fontsize=9.5)
title = f"WavPool for 8x8 digits: {net.n_parameters} trainable parameters"
ax.set_title(title, fontsize=12)
plt.show()
