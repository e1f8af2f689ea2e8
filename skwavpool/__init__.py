"""skwavpool: the WavPool block and the multi-level Haar decomposition for scikit-learn."""

from skwavpool.transformer import HaarMRDTransformer

__all__ = ["HaarMRDTransformer"]
__version__ = "0.1.0"
