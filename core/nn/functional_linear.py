"""Embedding lookups, one-hot encoding and the bilinear form of :mod:`xgrad.nn.functional`."""
from __future__ import annotations

from ..autograd.grad_mode import no_grad
from ..creation import arange
from ..dtypes import int64
from ..ops.linalg import einsum
from ..tensor import Tensor
from .functional_common import _where

__all__ = [
    "embedding", "one_hot", "bilinear",
]


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` selected by the integer ``input``; no gradient to ``padding_idx``."""
    if input.dtype.is_floating_point or input.dtype.name == "bool":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.dtype} instead")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got a weight of shape {list(weight.shape)}")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    if input.numel() and n == 0:
        raise RuntimeError("index_select(): self indexing axis dim should be positive "
                           f"(embedding: a weight of shape {list(weight.shape)} has no rows)")
    if input.numel():
        hi, lo = input.amax().item(), input.amin().item()
        if (hi >= n or lo < 0) and weight.shape[1] == 0:  # PyTorch's other kernel for width 0
            raise RuntimeError(f"INDICES element is out of DATA bounds, id="
                               f"{hi if hi >= n else lo} axis_dim={n}")
        if hi >= n or lo < 0:
            raise IndexError(f"index {hi if hi >= n else lo} is out of range for an embedding "
                             f"of {n} rows (expected indices in [0, {n - 1}])")
    if max_norm is not None:
        with no_grad():
            rows = weight[input.reshape(-1)]
            norms = rows.norm(norm_type, -1, keepdim=True)
            scale = _where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight[input.reshape(-1)] = rows * scale
    out = weight[input]
    if padding_idx is not None and weight.requires_grad:
        keep = (input != padding_idx).unsqueeze(-1)
        out = _where(keep, out, out.detach())
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Int64 one-hot encoding with a new last dimension of ``num_classes``."""
    if num_classes.__class__ is not int:
        raise TypeError(f"one_hot(): argument 'num_classes' (position 2) must be int, not "
                        f"{type(num_classes).__name__}")
    if tensor.dtype is not int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor. "
                           f"(got {tensor.dtype.name})")
    if tensor.numel() == 0 and num_classes <= 0:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(tensor.amax().item()) + 1 if tensor.numel() else 0
    if tensor.numel():
        if tensor.amin().item() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if tensor.amax().item() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = arange(num_classes, dtype=tensor.dtype, device=tensor.backend)
    return (tensor.unsqueeze(-1) == classes).to(int64)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k`` with ``weight`` of shape (out, in1, in2)."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape)} and {list(input2.shape)}")
    o, i1, i2 = weight.shape
    if input1.shape[-1] != i1 or input2.shape[-1] != i2:
        raise RuntimeError(f"bilinear(): expected inputs of {i1} and {i2} features for weight "
                           f"{list(weight.shape)}, got {list(input1.shape)} and "
                           f"{list(input2.shape)}")
    lead = input1.shape[:-1]
    a = input1.reshape(-1, i1)
    b = input2.reshape(-1, i2)
    t = a.matmul(weight.permute(1, 0, 2).reshape(i1, o * i2)).reshape(-1, o, i2)
    out = einsum("nok,nk->no", t, b)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, o)
