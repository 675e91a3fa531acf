"""``xgrad.nn.functional``: PyTorch's functional API as decompositions into Tensor ops.

Ops with a fused backend kernel (softmax, log_softmax, gelu, linear, cross entropy, conv2d,
max-pooling) go through :mod:`xgrad.ops.fused`, which uses the kernel when the backend has it.
The functions live in small modules by concern (``functional_activation``, ``_linear``,
``_norm``, ``_conv``, ``_resize``, ``_loss``, ``_attention``); this module is their one
public namespace.
"""
from __future__ import annotations

from ..ops.fused import linear, log_softmax, softmax
from .functional_activation import (
    dropout,
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    mish,
    relu,
    relu6,
    sigmoid,
    silu,
    softplus,
    tanh,
)
from .functional_attention import (
    scaled_dot_product_attention,
)
from .functional_conv import (
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    max_pool1d,
    max_pool2d,
)
from .functional_linear import (
    bilinear,
    embedding,
    one_hot,
)
from .functional_loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .functional_norm import (
    batch_norm,
    cosine_similarity,
    group_norm,
    layer_norm,
    normalize,
)
from .functional_resize import (
    interpolate,
    pad,
)

__all__ = [
    "linear", "bilinear", "conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm", "layer_norm", "group_norm",
    "dropout", "embedding", "relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "mish",
    "sigmoid", "tanh", "softplus", "softmax", "log_softmax", "hardtanh", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "one_hot", "pad", "interpolate", "normalize",
    "scaled_dot_product_attention", "cosine_similarity",
]

from .functional_activation_extra import (
    alpha_dropout,
    celu,
    conv_transpose1d,
    glu,
    hardsigmoid,
    hardswish,
    logsigmoid,
    pairwise_distance,
    prelu,
    rms_norm,
    selu,
    softmin,
)
from .functional_conv3d import (
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool3d,
    conv3d,
    conv_transpose3d,
    max_pool3d,
)
from .functional_ctc import ctc_loss
from .functional_dropout import dropout1d, dropout2d, dropout3d, feature_dropout
from .functional_embedding_bag import embedding_bag
from .functional_fold import fold, pixel_shuffle, pixel_unshuffle, unfold
from .functional_loss_extra import (
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from .functional_norm_extra import instance_norm, local_response_norm

__all__ += [
    "conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_avg_pool1d", "fold", "unfold", "pixel_shuffle",
    "pixel_unshuffle", "instance_norm", "local_response_norm", "dropout1d", "dropout2d",
    "dropout3d", "feature_dropout",
    "prelu", "selu", "celu", "glu", "hardswish", "hardsigmoid", "logsigmoid", "softmin",
    "rms_norm", "pairwise_distance", "alpha_dropout", "conv_transpose1d",
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
    "poisson_nll_loss", "gaussian_nll_loss", "embedding_bag", "multi_margin_loss",
    "multilabel_margin_loss", "ctc_loss",
]
