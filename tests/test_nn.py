"""WavPool and MicroWav: shapes, the paper's network, gradients, parameter counts."""

import numpy as np
import pytest
import pywt
import torch
from sklearn.datasets import load_digits
from torch.nn import functional as F
from torch.nn.utils import prune

import skwavpool.nn as wavnn
from skwavpool import MicroWav, WavPool
from skwavpool.baselines import PaperCNN, PaperMLP
from skwavpool.nn import PAPER_CONFIG, n_parameters, n_parameters_with_gradient
from tests.conftest import DEVICES


@pytest.fixture
def digits():
    X, y = load_digits(return_X_y=True)
    return torch.tensor(X[:256] / 16, dtype=torch.float32).reshape(-1, 1, 8, 8)


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
def test_default_configuration_connects_every_parameter_to_the_output(digits, shape):
    torch.manual_seed(0)
    x = digits if shape == (1, 8, 8) else torch.rand(256, *shape)
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


FUSED_CONFIGS = [
    {},
    PAPER_CONFIG,
    {"activation": "relu", "approximation": False},
    {"activation": None, "normalize_levels": True},
    {"hidden_size": [7, 5, 9], "levels": [1, 2, 3], "pooling_kernel": 3},
    {"hidden_layer_scaling": True, "pooling_kernel": (3, 1, 2), "ceil_mode": False},
]


def _general_path(self, coeffs):
    return None


def _scores_and_grads(model, x, weights):
    model.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    scores = model(x)
    (scores * weights).sum().backward()
    return scores, [torch.zeros_like(p) if p.grad is None else p.grad for p in model.parameters()]


@pytest.mark.parametrize("mode", ["train", "eval", "dropout only", "some frozen"])
@pytest.mark.parametrize("config", FUSED_CONFIGS)
@pytest.mark.parametrize("image_shape", [(1, 28, 28), (3, 13, 10)])
def test_the_fused_pass_equals_the_general_one(monkeypatch, config, image_shape, mode):
    # On the CPU, WavPool's layers run as one autograd node (_FusedWavPool) with
    # a written-out backward pass; it must give the general path's scores and
    # gradients, dropout's random draws included.
    torch.manual_seed(0)
    model = WavPool(image_shape, 7, **{"hidden_size": 16, **config}).double().train(mode != "eval")
    if mode == "dropout only":  # Monte Carlo dropout: the dropout module's own flag counts
        model.eval().dropout.train()
    if mode == "some frozen":
        for param in list(model.parameters())[::3]:
            param.requires_grad_(False)
    x = torch.rand(9, *image_shape, dtype=torch.float64)
    weights = torch.randn(9, 7, dtype=torch.float64)
    scores, grads = _scores_and_grads(model, x, weights)
    assert type(scores.grad_fn).__name__ == "_FusedWavPoolBackward"
    monkeypatch.setattr(WavPool, "_fused_inputs", _general_path)
    expected_scores, expected_grads = _scores_and_grads(model, x, weights)
    assert type(expected_scores.grad_fn).__name__ != "_FusedWavPoolBackward"
    torch.testing.assert_close(scores, expected_scores)
    for got, expected in zip(grads, expected_grads):
        torch.testing.assert_close(got, expected)


def test_the_fused_pass_equals_the_general_one_on_a_large_float32_batch(monkeypatch):
    # Enough images for the transform's passes instead of the sparse product,
    # whose coefficients come transposed.
    torch.manual_seed(0)
    model = WavPool((1, 28, 28), 10, hidden_size=32)
    x, weights = torch.rand(400, 1, 28, 28), torch.randn(400, 10)
    scores, grads = _scores_and_grads(model, x, weights)
    assert type(scores.grad_fn).__name__ == "_FusedWavPoolBackward"
    monkeypatch.setattr(WavPool, "_fused_inputs", _general_path)
    expected_scores, expected_grads = _scores_and_grads(model, x, weights)
    torch.testing.assert_close(scores, expected_scores, rtol=1e-5, atol=1e-5)
    for got, expected in zip(grads, expected_grads):
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_an_output_layer_wider_than_the_features_gets_zero_gradient_on_the_rest(monkeypatch):
    torch.manual_seed(0)
    model = WavPool((1, 16, 16), 4, hidden_size=8)
    model.approximation = None  # the output layer keeps the head's columns
    x, weights = torch.rand(5, 1, 16, 16), torch.randn(5, 4)
    scores, grads = _scores_and_grads(model, x, weights)
    assert type(scores.grad_fn).__name__ == "_FusedWavPoolBackward"
    assert (model.output.weight.grad[:, -8:] == 0).all()
    monkeypatch.setattr(WavPool, "_fused_inputs", _general_path)
    for got, expected in zip(grads, _scores_and_grads(model, x, weights)[1]):
        torch.testing.assert_close(got, expected)


def test_gradients_of_gradients():
    torch.manual_seed(0)
    model = WavPool((1, 16, 16), 3, hidden_size=8).double()
    # With respect to the images (a gradient penalty): torch's autograd throughout.
    x = torch.rand(4, 1, 16, 16, dtype=torch.float64, requires_grad=True)
    scores = model(x)
    assert type(scores.grad_fn).__name__ != "_FusedWavPoolBackward"
    (grad_x,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    (grad_x.pow(2).sum()).backward()
    assert model.output.weight.grad.abs().sum() > 0
    # With respect to the weights: the fused pass says it cannot; fused=False can.
    scores = model(x.detach())
    with pytest.raises(RuntimeError, match="set the network's fused attribute to False"):
        torch.autograd.grad(scores.sum(), model.output.weight, create_graph=True)
    model.fused = False
    (grad_w,) = torch.autograd.grad(model(x.detach()).sum(), model.output.weight, create_graph=True)
    assert grad_w.requires_grad


def test_a_linear_layer_with_a_buffer_for_weight_is_called_as_a_module():
    torch.manual_seed(0)
    model = WavPool((1, 16, 16), 3, hidden_size=8).eval()
    x = torch.rand(4, 1, 16, 16)
    before = model(x)
    weight = model.output.weight.detach()
    del model.output.weight
    model.output.register_buffer("weight", weight)  # frozen
    torch.testing.assert_close(model(x), before)


def test_the_fused_pass_passes_gradcheck():
    torch.manual_seed(0)
    model = WavPool((1, 9, 8), 3, hidden_size=4, dropout=0.0).double()
    names = [name for name, _ in model.named_parameters()]
    x = torch.rand(3, 1, 9, 8, dtype=torch.float64)  # images that need a gradient take the general path

    def scores(*params):
        return torch.func.functional_call(model, dict(zip(names, params)), (x,))

    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    assert type(scores(*params).grad_fn).__name__ == "_FusedWavPoolBackward"
    assert torch.autograd.gradcheck(scores, params)


def _decreasing_activation(model):
    model.micro_wavs[0].activation.negative_slope = -0.5  # does not commute with the maximum


def _other_approximation_activation(model):
    model.approximation[1] = torch.nn.ReLU()  # the band layers' is a leaky ReLU


def _alpha_dropout(model):
    model.dropout = torch.nn.AlphaDropout(0.5)


def _hooked_dropout(model):
    model.dropout.register_forward_hook(lambda module, args, out: None)


def _not_fused(model):
    model.fused = False


@pytest.mark.parametrize(
    "config, change",
    [
        ({"activation": "gelu"}, None),
        ({"pooling": "avg"}, None),
        ({}, _decreasing_activation),
        ({}, _other_approximation_activation),
        ({}, _alpha_dropout),
        ({}, _hooked_dropout),
        ({}, _not_fused),
    ],
)
def test_the_general_path_takes_what_the_fused_pass_cannot(monkeypatch, config, change):
    torch.manual_seed(0)
    model = WavPool((1, 16, 16), 4, **config)
    if change is not None:
        change(model)
    model.eval()
    x = torch.rand(3, 1, 16, 16)
    scores = model(x)
    assert type(scores.grad_fn).__name__ != "_FusedWavPoolBackward"
    monkeypatch.setattr(WavPool, "_fused_inputs", _general_path)
    torch.testing.assert_close(scores, model(x))


def test_autocast_takes_the_general_path():
    torch.manual_seed(0)
    model = WavPool((3, 32, 32), 4, hidden_size=16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        scores = model(torch.rand(128, 3, 32, 32))  # a batch for the transform's passes
    assert type(scores.grad_fn).__name__ != "_FusedWavPoolBackward"
    scores.float().sum().backward()
    assert model.output.weight.grad.abs().sum() > 0


def test_colour_heads_see_all_channels_of_their_band():
    model = WavPool((3, 16, 16), 10, levels=[1])
    assert model.micro_wavs[0].horizontal.in_features == 3 * 8 * 8


@pytest.mark.parametrize("n_images", [3, 400])  # a sparse product on the CPU; the transform's passes
def test_gradient_reaches_the_input_and_decomposition_runs_once(monkeypatch, n_images):
    calls = []
    for name in ("haar_mrd_packed", "_cached_haar_matrix"):
        original = getattr(wavnn, name)
        monkeypatch.setattr(wavnn, name, lambda *a, original=original, **k: calls.append(1) or original(*a, **k))
    model = WavPool((1, 28, 28), 10)
    x = torch.rand(n_images, 1, 28, 28, requires_grad=True)
    model(x).sum().backward()
    assert len(calls) == 1
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_small_and_large_batches_agree():
    # A few images go through a sparse product, many through the transform's passes.
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
    # The cached Haar matrix made inside inference mode must still serve autograd.
    wavnn._cached_haar_matrix.cache_clear()
    model = WavPool((1, 11, 13), 3)
    with torch.inference_mode():
        model(torch.rand(4, 1, 11, 13))
    x = torch.rand(4, 1, 11, 13, requires_grad=True)
    model(x).sum().backward()
    assert x.grad.abs().sum() > 0


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("ceil_mode", [True, False])
@pytest.mark.parametrize("kernel", [(2, 2, 2), (2, 1, 1), (3, 2, 4), (1, 3, 2)])
def test_pooling_equals_torch_3d_pooling(kind, ceil_mode, kernel):
    stack = torch.randn(5, 4, 3, 11, dtype=torch.float64, requires_grad=True)  # (batch, level, band, hidden)
    pool = (torch.nn.MaxPool3d if kind == "max" else torch.nn.AvgPool3d)(kernel, ceil_mode=ceil_mode)
    expected = pool(stack.permute(0, 3, 2, 1).unsqueeze(1)).squeeze(1)  # over (hidden, band, level)
    batch_last = stack.permute(1, 2, 3, 0).contiguous()  # WavPool's layout: (level, band, hidden, batch)

    def pooled(pool_fn):  # back to (batch, hidden, band, level)
        return pool_fn(batch_last, kernel[::-1], kind, ceil_mode).permute(3, 2, 1, 0)

    got = pooled(wavnn._pool)
    torch.testing.assert_close(got, expected)
    with torch.no_grad():
        torch.testing.assert_close(pooled(wavnn._pool), expected)
    elementwise = pooled(wavnn._window_pool)  # CUDA's path
    torch.testing.assert_close(elementwise, expected)
    weights = torch.randn_like(expected)
    (expected_grad,) = torch.autograd.grad((expected * weights).sum(), stack)
    (got_grad,) = torch.autograd.grad((got * weights).sum(), stack)
    torch.testing.assert_close(got_grad, expected_grad)
    (elementwise_grad,) = torch.autograd.grad((elementwise * weights).sum(), stack)
    torch.testing.assert_close(elementwise_grad, expected_grad)


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
