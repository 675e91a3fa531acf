"""More layers with PyTorch's names, arguments and reprs: PReLU, SELU, CELU, GLU, Hardswish,
Hardsigmoid, LogSigmoid, Softmin, CosineSimilarity, PairwiseDistance, RMSNorm, AlphaDropout,
BatchNorm3d and the padding layers (ConstantPad1d/2d/3d, ZeroPad1d/2d/3d,
ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d). Thin wrappers over
:mod:`xgrad.nn.functional`."""
from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import empty
from ..tensor import Tensor
from . import functional as F
from . import init
from .dropout import _DropoutNd
from .module import Module
from .normalization import _BatchNorm
from .parameter import Parameter

__all__ = ["PReLU", "SELU", "CELU", "GLU", "Hardswish", "Hardsigmoid", "LogSigmoid", "Softmin",
           "CosineSimilarity", "PairwiseDistance", "RMSNorm", "AlphaDropout", "BatchNorm3d",
           "EmbeddingBag", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d",
           "ZeroPad2d", "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d"]


# ---- activations ---------------------------------------------------------------------------
class PReLU(Module):
    """``x`` if positive else ``weight * x``, with a learnable slope (one, or one per
    channel), initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every slope back to ``init``."""
        _fill(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        """Apply PReLU."""
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


def _fill(p: Tensor, value: float) -> None:
    init.constant_(p, value)


class SELU(Module):
    """Scaled ELU with the self-normalising constants."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply SELU."""
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class CELU(Module):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply CELU."""
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GLU(Module):
    """Gated linear unit over ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Apply GLU."""
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Hardswish(Module):
    """``x * relu6(x + 3) / 6``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply Hardswish."""
        return F.hardswish(input, self.inplace)


class Hardsigmoid(Module):
    """``relu6(x + 3) / 6``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply Hardsigmoid."""
        return F.hardsigmoid(input, self.inplace)


class LogSigmoid(Module):
    """``log(sigmoid(x))``."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply LogSigmoid."""
        return F.logsigmoid(input)


class Softmin(Module):
    """``softmax(-x)`` along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Apply Softmin."""
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


# ---- distances -----------------------------------------------------------------------------
class CosineSimilarity(Module):
    """Cosine similarity along ``dim``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Cosine similarity of ``x1`` and ``x2``."""
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """The ``p``-norm distance of ``x1`` and ``x2`` over the last dim."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Distance of ``x1`` and ``x2``."""
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


# ---- normalisation and dropout -------------------------------------------------------------
class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims, with a
    learnable elementwise scale (ones)."""

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Scale back to ones."""
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        """Normalise ``input``."""
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's self-normalising statistics (training only)."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply alpha dropout when ``self.training``."""
        return F.alpha_dropout(input, self.p, self.training, self.inplace)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W) input."""

    _expected_dims = (5,)


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embedding rows (N(0, 1) rows; the ``padding_idx``
    row zero and left out of every bag)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Tensor | None = None,
                 include_last_offset: bool = False, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("padding_idx must be within num_embeddings")
            padding_idx = padding_idx + num_embeddings if padding_idx < 0 else padding_idx
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), device=device,
                                          dtype=dtype))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight)
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def reset_parameters(self) -> None:
        """N(0, 1) rows; the padding row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input: Tensor, offsets: Tensor | None = None,
                per_sample_weights: Tensor | None = None) -> Tensor:
        """Reduce the bags of ``input`` (rows of a 2-D one, or slices at ``offsets``)."""
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


# ---- padding -------------------------------------------------------------------------------
class _Pad(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding: Any, value: float = 0.0) -> None:
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self._n)
        padding = tuple(padding)
        if len(padding) != 2 * self._n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of "
                             f"{2 * self._n} ints, got {padding}")
        self.padding = padding
        if self._mode == "constant":
            self.value = value

    def forward(self, input: Tensor) -> Tensor:
        """Pad ``input``."""
        if self._mode == "constant":
            return F.pad(input, list(self.padding), "constant", self.value)
        return F.pad(input, list(self.padding), self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPad(_Pad):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


def _pad_class(name: str, base: type, n: int, mode: str, doc: str) -> type:
    return type(name, (base,), {"_n": n, "_mode": mode, "__doc__": doc, "__module__": __name__})


ConstantPad1d = _pad_class("ConstantPad1d", _ConstantPad, 1, "constant",
                           "Pad the last dim with a constant ``value``.")
ConstantPad2d = _pad_class("ConstantPad2d", _ConstantPad, 2, "constant",
                           "Pad the last two dims with a constant ``value``.")
ConstantPad3d = _pad_class("ConstantPad3d", _ConstantPad, 3, "constant",
                           "Pad the last three dims with a constant ``value``.")
ZeroPad1d = _pad_class("ZeroPad1d", _ZeroPad, 1, "constant", "Pad the last dim with zeros.")
ZeroPad2d = _pad_class("ZeroPad2d", _ZeroPad, 2, "constant", "Pad the last two dims with zeros.")
ZeroPad3d = _pad_class("ZeroPad3d", _ZeroPad, 3, "constant",
                       "Pad the last three dims with zeros.")
ReflectionPad1d = _pad_class("ReflectionPad1d", _Pad, 1, "reflect",
                             "Pad the last dim with its reflection (edge not repeated).")
ReflectionPad2d = _pad_class("ReflectionPad2d", _Pad, 2, "reflect",
                             "Pad the last two dims with their reflection.")
ReflectionPad3d = _pad_class("ReflectionPad3d", _Pad, 3, "reflect",
                             "Pad the last three dims with their reflection.")
ReplicationPad1d = _pad_class("ReplicationPad1d", _Pad, 1, "replicate",
                              "Pad the last dim by repeating its edge values.")
ReplicationPad2d = _pad_class("ReplicationPad2d", _Pad, 2, "replicate",
                              "Pad the last two dims by repeating their edge values.")
ReplicationPad3d = _pad_class("ReplicationPad3d", _Pad, 3, "replicate",
                              "Pad the last three dims by repeating their edge values.")
