"""skwavpool: the WavPool block and the multi-level Haar decomposition for scikit-learn.

- :mod:`skwavpool.haar`: the Haar decomposition and its inverse in torch.
- :class:`MicroWav`, :class:`WavPoolBlock`, :class:`WavPool`: the network as torch modules.
- :class:`HaarMRDTransformer`, :class:`WavPoolClassifier`, :class:`WavPoolRegressor`: scikit-learn estimators;
  :class:`MLPBaselineClassifier`, :class:`CNNBaselineClassifier`: the paper's baselines.
"""

from skwavpool.classifier import CNNBaselineClassifier, MLPBaselineClassifier, WavPoolClassifier
from skwavpool.nn import MicroWav, WavPool, WavPoolBlock
from skwavpool.regressor import WavPoolRegressor
from skwavpool.transformer import HaarMRDTransformer

__all__ = [
    "CNNBaselineClassifier",
    "HaarMRDTransformer",
    "MLPBaselineClassifier",
    "MicroWav",
    "WavPool",
    "WavPoolBlock",
    "WavPoolClassifier",
    "WavPoolRegressor",
]
__version__ = "0.1.0"
