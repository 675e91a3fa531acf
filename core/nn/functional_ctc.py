"""``F.ctc_loss``: connectionist temporal classification, by the forward (alpha) recursion
over the blank-extended targets in log space, written in Tensor ops so autograd gives the
alpha-beta gradient. Unreachable states hold a large negative number rather than ``-inf``
(``exp(-inf - -inf)`` would make the gradient NaN); a loss that stays at that level is an
impossible alignment and reads ``inf`` (0 with ``zero_infinity``)."""
from __future__ import annotations

from typing import Any

from ..creation import tensor
from ..dtypes import int64
from ..ops.shape import cat
from ..tensor import Tensor
from .functional_common import _reduce, _where
from .functional_loss import _check_reduction

__all__ = ["ctc_loss"]

_NEG = -1e30  # log of an unreachable state
_IMPOSSIBLE = -1e29


def _lengths(v: Any, n: int, name: str) -> list[int]:
    vals = v.reshape(-1).tolist() if isinstance(v, Tensor) else list(v) if \
        isinstance(v, (list, tuple)) else [v]
    vals = [int(x) for x in vals]
    if len(vals) != n:
        raise RuntimeError(f"{name} must be of size batch_size, got {len(vals)} for a batch of "
                           f"{n}")
    return vals


def _lse(*xs: Tensor) -> Tensor:
    m = xs[0]
    for x in xs[1:]:
        m = m.maximum(x)
    m = m.detach()
    s = (xs[0] - m).exp()
    for x in xs[1:]:
        s = s + (x - m).exp()
    return m + s.log()


def _extended(targets: Tensor, target_lengths: list[int], blank: int) -> list[list[int]]:
    """Each sample's labels with a blank before, between and after them."""
    out = []
    flat = targets.ndim == 1
    labels = targets.tolist()
    start = 0
    for i, s in enumerate(target_lengths):
        row = labels[start:start + s] if flat else labels[i][:s]
        start += s
        ext = [blank]
        for c in row:
            ext += [int(c), blank]
        out.append(ext)
    return out


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The CTC loss of ``log_probs`` ((T, N, C) or (T, C) log-probabilities) against
    ``targets`` ((N, S) padded, or the targets concatenated in 1-d); ``'mean'`` divides each
    sample's loss by its target length before averaging."""
    _check_reduction(reduction)
    if log_probs.dtype.name in ("float16", "bfloat16"):  # -1e30 does not fit: PyTorch's refusal
        name = "Half" if log_probs.dtype.name == "float16" else "BFloat16"
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{name}'")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if lp.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs of 2 or 3 dims (T, N, C), got "
                           f"{list(log_probs.shape)}")
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    tg = targets.unsqueeze(0) if unbatched and targets.ndim == 1 else targets
    in_len = _lengths(input_lengths, n, "input_lengths")
    tg_len = _lengths(target_lengths, n, "target_lengths")
    for v in in_len:
        if v > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                               f"value {v} (while checking arguments for ctc_loss_allocate_outputs)")
    if tg.ndim == 2 and tg_len and max(tg_len) > tg.shape[1]:
        raise RuntimeError(f"Expected tensor to have size at least {max(tg_len)} at dimension 1, "
                           f"but got size {tg.shape[1]} for argument #2 'targets' (while checking "
                           f"arguments for ctc_loss_allocate_outputs)")
    ext = _extended(tg, tg_len, blank)
    width = max(len(e) for e in ext)
    dev = log_probs.device
    labels = tensor([e + [blank] * (width - len(e)) for e in ext], dtype=int64, device=dev)
    skip = [[s >= 2 and e[s] != blank and e[s] != e[s - 2] if s < len(e) else False
             for s in range(width)] for e in ext]
    can_skip = tensor(skip, device=dev)
    emit = lp.gather(2, labels.unsqueeze(0).expand(t_max, n, width))  # (T, N, width)
    neg = emit[0] * 0.0 + _NEG
    start = tensor([[s < 2 for s in range(width)]] * n, device=dev)
    alpha = _where(start, emit[0], neg)
    ends = tensor([[v - 1] for v in in_len], dtype=int64, device=dev)
    final = _where(ends == 0, alpha, neg)
    for t in range(1, t_max):
        one = cat([neg[:, :1], alpha[:, :-1]], 1)
        two = _where(can_skip, cat([neg[:, :2], alpha[:, :-2]], 1), neg) if width > 2 else neg
        alpha = _lse(alpha, one, two) + emit[t]
        final = _where(ends == t, alpha, final)
    last = tensor([[len(e) - 1, max(len(e) - 2, 0)] for e in ext], dtype=int64, device=dev)
    picked = final.gather(1, last)
    second = _where(last[:, 1:] == last[:, :1], neg[:, :1], picked[:, 1:])
    loss = -_lse(picked[:, :1], second).reshape(n)
    impossible = loss > -_IMPOSSIBLE
    loss = _where(impossible, loss.detach() * 0.0 + (0.0 if zero_infinity else float("inf")),
                  loss)
    if reduction == "mean":
        div = tensor([max(v, 1) for v in tg_len], dtype=loss.dtype, device=dev)
        return (loss / div).mean()
    out = _reduce(loss, reduction)
    return out.reshape(()) if unbatched and reduction == "none" else out
