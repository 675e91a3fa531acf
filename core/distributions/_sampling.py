"""Samplers built on xgrad's RNG (so ``xgrad.manual_seed`` makes them reproducible)."""
from __future__ import annotations

from ..autograd.grad_mode import no_grad
from ..random import rand, randn
from ..tensor import Tensor

__all__ = ["standard_gamma"]


def standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(concentration, 1) draws of ``concentration``'s shape (not differentiable).

    Marsaglia and Tsang's squeeze/rejection method for ``alpha >= 1``, run on every element
    at once and repeated for the rejected ones until all are accepted; ``alpha < 1`` draws
    ``Gamma(alpha + 1) * U ** (1 / alpha)``.
    """
    with no_grad():
        alpha = concentration.detach()
        dt, dev, shape = alpha.dtype, alpha.device, tuple(alpha.shape)
        boost = alpha < 1
        a = alpha + boost.to(dt)
        d = a - 1.0 / 3.0
        c = 1.0 / (9.0 * d).sqrt()
        out = alpha * 0.0
        done = out != out  # all False
        for _ in range(1000):
            x = randn(tuple(shape), dtype=dt, device=dev)
            v = (1.0 + c * x) ** 3
            u = rand(*shape, dtype=dt, device=dev)
            vp = v.clamp(min=1e-30)
            accept = (v > 0) & (u.log() < 0.5 * x * x + d - d * vp + d * vp.log())
            new = accept & ~done
            out = out.where(~new, d * vp)
            done = done | accept
            if bool(done.all().item()):
                break
        u = rand(*shape, dtype=dt, device=dev)
        scale = (u.log() / alpha.where(boost, 1.0)).exp()
        out = out.where(~boost, out * scale)
        tiny = 1.1754943508222875e-38 if dt.itemsize == 4 else 2.2250738585072014e-308
        return out.clamp(min=tiny)
