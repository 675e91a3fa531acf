"""The in-place random fills as Tensor methods, with PyTorch's names, defaults and checks:
``uniform_``, ``normal_``, ``random_``, ``bernoulli_``, ``exponential_``, ``geometric_``,
``cauchy_``, ``log_normal_``, and the out-of-place ``Tensor.bernoulli``.

Each accepts ``generator=`` (an :class:`xgrad.Generator`; default: the global one). A fill
writes through :meth:`Tensor.copy_` without recording history, so views and their bases see
it; a leaf that requires grad is refused while grad mode is on, as PyTorch does.
"""
from __future__ import annotations

import math
from typing import Any

from .autograd.grad_mode import is_grad_enabled, no_grad
from .dtypes import float32, float64
from .random import _TORCH_DTYPE_NAMES, Generator, _gen, _num, _uniform01, _words_below, bernoulli, randn
from .tensor import Tensor

__all__ = ["uniform_", "normal_", "random_", "bernoulli_", "exponential_", "geometric_",
           "cauchy_", "log_normal_", "bernoulli_method"]


def _torch_name(t: Tensor) -> str:
    return _TORCH_DTYPE_NAMES.get(t.dtype.name, t.dtype.name)


def _check_target(t: Tensor, kernel: str | None) -> None:
    if is_grad_enabled() and t.requires_grad and t.is_leaf:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    if kernel is not None and not t.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(t)}\'')


def _fill(t: Tensor, values: Tensor) -> Tensor:
    with no_grad():
        return t.copy_(values)


def _u(t: Tensor, gen: Generator, dtype: Any = None) -> Tensor:
    """Uniform [0, 1) samples of ``t``'s shape, in ``dtype`` (default ``t``'s float dtype)."""
    dt = dtype or (t.dtype if t.dtype.is_floating_point else float32)
    return _uniform01(t._backend, t._data.shape, dt, gen)


def _wide(t: Tensor) -> Any:
    """The float dtype a transform runs in: float64 where the backend has it."""
    return float64 if float64 in t._backend.dtypes else float32


def uniform_(self: Tensor, from_: float = 0, to: float = 1, *,
             generator: Generator | None = None, **kw: Any) -> Tensor:
    """Fill with samples from the continuous uniform distribution on ``[from, to)``."""
    from_ = kw.pop("from", from_)
    _no_more(kw, "uniform_")
    gen = _gen(generator, "uniform_")
    _check_target(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_num(from_)} > to={_num(to)}")
    return _fill(self, _u(self, gen) * (to - from_) + from_)


def normal_(self: Tensor, mean: float = 0, std: float = 1, *,
            generator: Generator | None = None) -> Tensor:
    """Fill with samples from the normal distribution N(``mean``, ``std``²)."""
    gen = _gen(generator, "normal_")
    _check_target(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    z = randn(self._data.shape, generator=gen, dtype=self.dtype, device=self._backend)
    return _fill(self, z * std + mean)


def _no_more(kw: dict, fn: str) -> None:
    if kw:
        raise TypeError(f"{fn}() got an unexpected keyword argument {next(iter(kw))!r}")


#: Largest integer each dtype holds exactly: the default upper end of ``random_()``.
_RANDOM_TOP = {"float16": 2 ** 11, "bfloat16": 2 ** 8, "float32": 2 ** 24, "float64": 2 ** 53,
               "int32": 2 ** 31 - 1, "int64": 2 ** 63 - 1, "bool": 1}


def random_(self: Tensor, from_: int | None = None, to: int | None = None, *,
            generator: Generator | None = None, **kw: Any) -> Tensor:
    """Fill with integers uniform in ``[from, to - 1]``: ``random_()`` covers ``[0, top]``
    (the largest integer the dtype holds exactly; for bool ``{False, True}``),
    ``random_(to)`` is ``[0, to)`` and ``random_(from, to)`` is ``[from, to)``."""
    from_ = kw.pop("from", from_)
    _no_more(kw, "random_")
    gen = _gen(generator, "random_")
    _check_target(self, None)
    top = _RANDOM_TOP[self.dtype.name]
    if to is None and from_ is None:
        lo, hi = 0, top + 1
    elif from_ is None:
        lo, hi = 0, int(to)
    elif to is None:
        lo, hi = 0, int(from_)
    else:
        lo, hi = int(from_), int(to)
    if lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= "
                           f"to={hi}")
    if self.dtype.name in ("int32", "bool") and (hi - 1 > top or lo < -top - 1):
        raise RuntimeError(f"to - 1 is out of bounds for {_torch_name(self).lower()}")
    return _fill(self, _words_below(self._backend, self._data.shape, hi - lo, gen) + lo)


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill with 1 where a uniform sample falls below ``p`` (a float, or a tensor that
    broadcasts to ``self``), else 0."""
    gen = _gen(generator, "bernoulli_")
    _check_target(self, None)
    if isinstance(p, Tensor):
        if p.numel() and not bool(((p >= 0) & (p <= 1)).all().item()):
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
        prob: Any = p.detach().to(self._backend).expand(self._data.shape)
    else:
        if not 0 <= float(p) <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
        prob = float(p)
    u = _u(self, gen, float64 if self.dtype is float64 else float32)
    return _fill(self, u < prob)


def exponential_(self: Tensor, lambd: float = 1, *, generator: Generator | None = None) -> Tensor:
    """Fill with samples from the exponential distribution of rate ``lambd``."""
    gen = _gen(generator, "exponential_")
    _check_target(self, None)
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {_torch_name(self)}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    u = _u(self, gen).to(_wide(self))
    return _fill(self, -(1.0 - u).log() / lambd)


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to and including the first success
    (values 1, 2, ...)."""
    gen = _gen(generator, "geometric_")
    _check_target(self, None)
    if self.dtype.name == "bool":
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
    u = _u(self, gen).to(_wide(self))
    trials = -(-((1.0 - u).log() / math.log1p(-p))).floor()  # ceil
    return _fill(self, trials.clamp(min=1))


def cauchy_(self: Tensor, median: float = 0, sigma: float = 1, *,
            generator: Generator | None = None) -> Tensor:
    """Fill with samples from the Cauchy distribution."""
    gen = _gen(generator, "cauchy_")
    _check_target(self, None)
    if not self.dtype.is_floating_point:
        names = {"int64": "long int", "int32": "int", "bool": "bool"}
        raise RuntimeError(f"Cauchy distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified "
                           f"{names.get(self.dtype.name, self.dtype.name)}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_num(sigma)}")
    u = _u(self, gen).to(_wide(self))
    a = (u - 0.5) * math.pi
    return _fill(self, a.sin() / a.cos() * sigma + median)


def log_normal_(self: Tensor, mean: float = 1, std: float = 2, *,
                generator: Generator | None = None) -> Tensor:
    """Fill with ``exp(N(mean, std²))`` samples."""
    gen = _gen(generator, "log_normal_")
    _check_target(self, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num(std)}")
    z = randn(self._data.shape, generator=gen, dtype=_wide(self), device=self._backend)
    return _fill(self, (z * std + mean).exp())


def bernoulli_method(self: Tensor, p: float | None = None, *,
                     generator: Generator | None = None) -> Tensor:
    """``xgrad.bernoulli(self, p, generator=generator)``."""
    return bernoulli(self, p, generator=generator)


bernoulli_method.__name__ = "bernoulli"
# Random fills have no op-table row (no value to check a backend against), so their Tensor
# methods are bound here, as ``multinomial`` is in :mod:`.random`.
for _fn in (uniform_, normal_, random_, bernoulli_, exponential_, geometric_, cauchy_,
            log_normal_, bernoulli_method):
    setattr(Tensor, _fn.__name__, _fn)
del _fn
