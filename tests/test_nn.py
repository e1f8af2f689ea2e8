"""WavPool and MicroWav: shapes, the paper's network, gradients, parameter counts."""

import numpy as np
import pytest
import pywt
import torch
from torch.nn import functional as F
from torch.nn.utils import prune

import skwavpool.nn as wavnn
from skwavpool import MicroWav, WavPool
from skwavpool.baselines import PaperCNN, PaperMLP
from skwavpool.nn import PAPER_CONFIG, WavPoolBlock, n_parameters, n_parameters_with_gradient
from tests.conftest import DEVICES


def paper_transcription(model, x):
    """The forward pass of wavpool 0.1.3, written out with pywt, on ``model``'s weights."""
    coeffs = pywt.wavedec2(x.numpy(), "db1")  # level 1 = coarsest, as the original indexes them
    outputs = []
    for index, micro in enumerate(model.micro_wavs):
        bands = [torch.tensor(np.asarray(b)).flatten(1) for b in coeffs[index + 1]]
        heads = (micro.horizontal, micro.vertical, micro.diagonal)
        out = torch.stack([F.linear(b, head.weight, head.bias) for b, head in zip(bands, heads)], dim=-1)
        outputs.append(F.pad(out, (0, 0, model.max_hidden - out.shape[1], 0)))
    stacked = torch.stack(outputs, dim=-1)  # (batch, hidden, band, level): pooled as unbatched 3-D
    return model.output(torch.nn.MaxPool3d(2)(stacked).flatten(1))


@pytest.mark.parametrize("size, hidden, n_params", [(28, 268, 186_722), (32, 224, 201_672)])
def test_paper_configuration_reproduces_the_published_network(size, hidden, n_params):
    torch.manual_seed(0)
    model = WavPool((1, size, size), 10, hidden_size=hidden, **PAPER_CONFIG)
    assert model.n_parameters == n_params
    x = torch.rand(16, 1, size, size, dtype=torch.float32)
    with torch.no_grad():
        torch.testing.assert_close(model(x), paper_transcription(model, x), rtol=1e-4, atol=1e-5)


def test_paper_configuration_starves_the_diagonal_band_and_for_32_the_finest_level():
    torch.manual_seed(0)
    model = WavPool((1, 32, 32), 10, hidden_size=224, **PAPER_CONFIG)
    model(torch.rand(32, 1, 32, 32)).sum().backward()
    def learns(p):
        return p.grad is not None and bool(p.grad.any())

    coarsest_first = list(model.micro_wavs)
    assert not any(learns(micro.diagonal.weight) for micro in coarsest_first)
    assert not any(learns(p) for p in coarsest_first[-1].parameters())  # the finest level
    assert learns(coarsest_first[0].horizontal.weight)


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_default_configuration_connects_every_parameter_to_the_output(shape):
    # Random images, not digits: a digit's blank border gives coefficients that
    # are zero in nearly every image, so a gradient entry could be zero in exact
    # arithmetic and then 0 or 1e-9 after rounding, depending on the CPU.
    torch.manual_seed(0)
    x = torch.rand(256, *shape)
    model = WavPool(shape, 10)
    # Every band layer of every level learns: nothing is pooled away.
    model(x).sum().backward()
    for micro in model.micro_wavs:
        for head in (micro.horizontal, micro.vertical, micro.diagonal):
            assert head.weight.grad is not None and head.weight.grad.any()
    # Max pooling sends each sample's gradient to its window's winner; with the
    # windows averaged instead, every single entry gets gradient, so none is cut off.
    # (Without dropout, which could zero a rare input's only gradients by chance.)
    averaged = WavPool(shape, 10, pooling="avg").eval()
    assert n_parameters_with_gradient(averaged, x) == n_parameters(averaged)


def test_hidden_layer_scaling_follows_the_paper():
    model = WavPool((28, 28), 10, hidden_size=268, hidden_layer_scaling=True)
    sizes = [micro.horizontal.out_features for micro in model.micro_wavs]
    assert sizes == [67, 89, 134, 268]  # coarsest level first
    listed = WavPool((28, 28), 10, hidden_size=[32, 16], levels=[1, 3])
    assert [m.horizontal.in_features for m in listed.micro_wavs] == [16, 196]
    assert [m.horizontal.out_features for m in listed.micro_wavs] == [16, 32]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("image_shape", [(1, 28, 28), (3, 32, 32), (2, 13, 9), (1, 2, 2), (1, 1, 5)])
def test_shapes_and_input_layouts(device, image_shape):
    torch.manual_seed(0)
    model = WavPool(image_shape, 7).to(device).eval()  # no dropout
    x = torch.rand(4, *image_shape, device=device)
    out = model(x)
    assert out.shape == (4, 7) and out.device.type == device
    torch.testing.assert_close(model(x.flatten(1)), out)
    if image_shape[0] == 1:
        torch.testing.assert_close(model(x[:, 0]), out)


@pytest.mark.parametrize("config", [{}, PAPER_CONFIG, {"pooling": "avg"}])
def test_an_empty_batch_gives_empty_scores(config):
    model = WavPool((1, 28, 28), 10, **config)
    out = model(torch.rand(0, 1, 28, 28))
    assert out.shape == (0, 10)


@pytest.mark.parametrize("config", [{}, PAPER_CONFIG])
def test_hooked_layers_are_called_and_give_the_same_scores(config):
    # forward applies plain layers as one product each, without calling them;
    # a hook (pruning, capture, quantization...) must still see its layer run.
    torch.manual_seed(0)
    model = WavPool((1, 16, 16), 4, **config).eval()
    x = torch.rand(6, 1, 16, 16)
    plain = model(x)
    layers = [model.micro_wavs[0].horizontal, model.micro_wavs[-1].vertical, model.output]
    if model.approximation is not None:
        layers += [model.approximation, model.approximation[0]]
    seen = []
    for layer in layers:
        layer.register_forward_hook(lambda module, args, out: seen.append(module))
    torch.testing.assert_close(model(x), plain)
    assert len(seen) == len(layers)


def test_pruning_the_output_layer_trains():
    torch.manual_seed(0)
    model = WavPool((1, 16, 16), 4)
    prune.l1_unstructured(model.output, "weight", amount=0.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.rand(6, 1, 16, 16)
    for _ in range(2):  # the second step recomputes the pruned weight
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    assert (model.output.weight == 0).float().mean() >= 0.5


def test_hooks_run_in_training_and_double_backward_works():
    # The band layers are called as modules: hooks run, and autograd takes
    # gradients of gradients with respect to the images and to the weights.
    torch.manual_seed(0)
    model = WavPool((1, 16, 16), 3, hidden_size=8).double().train()
    seen = []
    model.micro_wavs[0].horizontal.register_forward_hook(lambda module, args, out: seen.append("layer"))
    model.micro_wavs[-1].register_forward_hook(lambda module, args, out: seen.append("level"))
    x = torch.rand(4, 1, 16, 16, dtype=torch.float64, requires_grad=True)
    scores = model(x)
    assert sorted(seen) == ["layer", "level"]
    (grad_x,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    grad_x.pow(2).sum().backward()
    assert model.output.weight.grad.abs().sum() > 0
    (grad_w,) = torch.autograd.grad(model(x.detach()).sum(), model.output.weight, create_graph=True)
    assert grad_w.requires_grad


@pytest.mark.parametrize("n_images, side", [(3, 16), (5000, 8), (2, 72)])  # small and large batches; large images
def test_a_gradient_penalty_works_at_every_batch_and_image_size(n_images, side):
    torch.manual_seed(0)
    model = WavPool((1, side, side), 3, hidden_size=8)
    x = torch.rand(n_images, 1, side, side, requires_grad=True)
    (grad_x,) = torch.autograd.grad(model(x).sum(), x, create_graph=True)
    grad_x.pow(2).sum().backward()
    assert model.output.weight.grad.abs().sum() > 0


def test_a_linear_layer_with_a_buffer_for_weight_is_called_as_a_module():
    torch.manual_seed(0)
    model = WavPool((1, 16, 16), 3, hidden_size=8).eval()
    x = torch.rand(4, 1, 16, 16)
    before = model(x)
    weight = model.output.weight.detach()
    del model.output.weight
    model.output.register_buffer("weight", weight)  # frozen
    torch.testing.assert_close(model(x), before)


def test_autocast_trains():
    torch.manual_seed(0)
    model = WavPool((3, 32, 32), 4, hidden_size=16)
    for n_images in (4, 128):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            scores = model(torch.rand(n_images, 3, 32, 32))
        scores.float().sum().backward()
    assert model.output.weight.grad.abs().sum() > 0


def test_colour_heads_see_all_channels_of_their_band():
    model = WavPool((3, 16, 16), 10, levels=[1])
    assert model.micro_wavs[0].horizontal.in_features == 3 * 8 * 8


@pytest.mark.parametrize("n_images", [3, 400])
def test_gradient_reaches_the_input_and_decomposition_runs_once(monkeypatch, n_images):
    calls = []
    original = wavnn.haar_mrd_packed
    monkeypatch.setattr(wavnn, "haar_mrd_packed", lambda *a, **k: calls.append(1) or original(*a, **k))
    model = WavPool((1, 28, 28), 10)
    x = torch.rand(n_images, 1, 28, 28, requires_grad=True)
    model(x).sum().backward()
    assert len(calls) == 1
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_small_and_large_batches_agree():
    # A sample's scores and gradients do not depend on how many others came with it.
    model = WavPool((3, 20, 17), 5).eval()
    x = torch.rand(300, 3, 20, 17, requires_grad=True)
    many = model(x)
    few = torch.cat([model(x[i : i + 4]) for i in range(0, 8, 4)])
    torch.testing.assert_close(few, many[:8], rtol=1e-5, atol=1e-5)
    (grad_many,) = torch.autograd.grad(many[:8].sum(), x)
    (grad_few,) = torch.autograd.grad(few.sum(), x)
    torch.testing.assert_close(grad_few, grad_many, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float64])
def test_other_dtypes_train(dtype):
    model = WavPool((1, 12, 12), 3).to(dtype)
    x = torch.rand(4, 1, 12, 12, dtype=dtype, requires_grad=True)
    out = model(x)
    out.sum().backward()
    assert out.dtype == dtype and x.grad.abs().sum() > 0


def test_a_first_forward_pass_in_inference_mode_does_not_break_training():
    # Nothing made inside inference mode may stay behind for a later pass with autograd.
    model = WavPool((1, 11, 13), 3)
    with torch.inference_mode():
        model(torch.rand(4, 1, 11, 13))
    x = torch.rand(4, 1, 11, 13, requires_grad=True)
    model(x).sum().backward()
    assert x.grad.abs().sum() > 0


def test_wavpool_block_composes_after_a_convolutional_stem():
    torch.manual_seed(0)
    block = WavPoolBlock((8, 28, 28), hidden_size=16)
    stem = torch.nn.Conv2d(1, 8, 3, padding=1)
    net = torch.nn.Sequential(stem, torch.nn.ReLU(), block, torch.nn.Linear(block.out_features, 10))
    out = net(torch.rand(5, 1, 28, 28))
    assert out.shape == (5, 10) and block(torch.rand(2, 8, 28, 28)).shape == (2, block.out_features)
    out.sum().backward()
    assert stem.weight.grad is not None and stem.weight.grad.abs().sum() > 0


def test_wavpool_is_the_block_with_dropout_and_an_output_layer():
    torch.manual_seed(0)
    model = WavPool((1, 16, 16), 4, hidden_size=8).eval()
    x = torch.rand(3, 1, 16, 16)
    assert isinstance(model, WavPoolBlock)
    features = WavPoolBlock.forward(model, x)
    assert features.shape == (3, model.out_features) == (3, model.output.in_features)
    torch.testing.assert_close(model(x), model.output(features))


def test_micro_wav_gives_each_band_its_own_layer():
    micro = MicroWav(4, 3)
    h, v, d = torch.eye(4)[:1], torch.eye(4)[1:2], torch.eye(4)[2:3]
    out = micro(h, v, d)
    assert out.shape == (1, 3, 3)  # (batch, band, hidden)
    torch.testing.assert_close(out[:, 1], micro.vertical(v))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_shape": (1, 2, 3, 4)}, "image_shape must be"),
        ({"pooling": "min"}, "pooling must be"),
        ({"activation": "swish"}, "activation must be"),
        ({"dropout": 1.0}, "dropout must be"),
        ({"mode": "mirror"}, "mode must be"),
        ({"levels": [5]}, "levels must be detail levels between 1 and 4"),
        ({"hidden_size": [8, 8]}, "hidden_size has 2 entries but 4 levels"),
        ({"pooling_kernel": (2, 2)}, "pooling_kernel must be"),
        ({"pooling_kernel": (1, 4, 1), "ceil_mode": False}, "larger than the"),
        ({"image_shape": (1, 1, 5), "approximation": False}, "no detail level"),
    ],
)
def test_bad_parameters(kwargs, match):
    params = {"image_shape": (1, 28, 28), "n_classes": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        WavPool(**params)


def test_paper_baselines_have_the_published_shapes():
    mlp = PaperMLP((28, 28), 10, hidden_size=272)
    assert n_parameters(mlp) == 784 * 272 + 272 + 272 * 10 + 10
    cnn = PaperCNN((1, 28, 28), 10, channels=(19, 12), kernel_size=3)
    convs = [m for m in cnn.features if isinstance(m, torch.nn.Conv2d)]
    assert [c.bias for c in convs] == [None, None] and [c.padding for c in convs] == [(1, 1), (1, 1)]
    assert cnn.output.in_features == 12 * 28 * 28  # kernel 3, padding 1: no shrinking, no pooling
    assert PaperCNN((28, 28), 10, channels=(15, 17), kernel_size=2).output.in_features == 17 * 30 * 30
    assert cnn(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="kernel_size=9 is too large"):
        PaperCNN((1, 3, 3), 10, kernel_size=9)
