"""``F.embedding_bag``: sums, means or maxima of bags of embedding rows, as an embedding
lookup followed by a scatter-add (sum, mean) or a masked maximum over a bag/element match."""
from __future__ import annotations

from ..creation import tensor, zeros
from ..dtypes import int64
from ..tensor import Tensor
from .functional_common import _where
from .functional_linear import embedding

__all__ = ["embedding_bag"]


def _bags(input: Tensor, offsets: Tensor | None, include_last_offset: bool) -> tuple:
    """The flat indices, each element's bag number and the number of bags."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is "
                             "a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        b, n = input.shape
        bag = [i for i in range(b) for _ in range(n)]
        return input.reshape(-1), bag, b
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if offsets is None or offsets.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor but got "
                         f"{None if offsets is None else offsets.ndim}")
    starts = [int(v) for v in offsets.tolist()]
    if starts and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {starts[0]}")
    n = input.shape[0]
    if include_last_offset:
        starts = starts[:-1]
    ends = starts[1:] + [n]
    bag = [0] * n
    for k, (s, e) in enumerate(zip(starts, ends)):
        for j in range(s, min(e, n)):
            bag[j] = k
    return input, bag, len(starts)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2, scale_grad_by_freq: bool = False,
                  mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Reduce (``mode``: ``'sum'``, ``'mean'`` or ``'max'``) the embedding rows of each bag:
    the rows of a 2-D ``input``, or the slices of a 1-D ``input`` starting at ``offsets``.
    ``per_sample_weights`` scale the rows (sum only); ``padding_idx`` entries are left out;
    an empty bag gives zeros."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None:
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) "
                             f"is not None, then it must have the same shape as the input "
                             f"({input.shape})")
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                f"GitHub.")
    flat, bag, nbags = _bags(input, offsets, include_last_offset)
    rows = embedding(flat, weight, padding_idx, max_norm, norm_type)
    keep = None
    if padding_idx is not None:
        pad = padding_idx + weight.shape[0] if padding_idx < 0 else padding_idx
        keep = flat != pad
        rows = _where(keep.unsqueeze(-1), rows, 0.0)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    bag_t = tensor(bag, dtype=int64, device=weight.device)
    dim = weight.shape[1]
    if mode == "max":
        pos = tensor(list(range(nbags)), dtype=int64, device=weight.device)
        match = bag_t.reshape(1, -1) == pos.reshape(-1, 1)  # (bags, elements)
        if keep is not None:
            match = match & keep.reshape(1, -1)
        filled = _where(match.unsqueeze(-1), rows.unsqueeze(0), float("-inf"))
        best = filled.amax(1) if flat.numel() else zeros(nbags, dim, dtype=weight.dtype,
                                                         device=weight.device)
        return _where(match.any(1, keepdim=True), best, 0.0) if flat.numel() else best
    out = zeros(nbags, dim, dtype=weight.dtype, device=weight.device)
    if flat.numel():
        out = out.index_put_add((bag_t,), rows)
    if mode == "mean":
        ones = zeros(nbags, dtype=weight.dtype, device=weight.device)
        counted = keep.to(weight.dtype) if keep is not None else \
            zeros(flat.shape[0], dtype=weight.dtype, device=weight.device) + 1.0
        if flat.numel():
            ones = ones.index_put_add((bag_t,), counted)
        out = out / ones.clamp_min(1.0).unsqueeze(-1)
    return out

