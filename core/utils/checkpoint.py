"""Activation checkpointing, as ``torch.utils.checkpoint``: trade compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` without recording its graph (its intermediate results
are freed at once) and runs it again, recording, when backward reaches it; gradients then
flow to ``args`` and to the parameters ``fn`` uses, exactly as without checkpointing. With
``preserve_rng_state=True`` (the default) the recomputation draws the same random numbers
(dropout masks) as the first run.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..autograd import Function, backward, enable_grad, is_grad_enabled, no_grad
from ..random import default_generator
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Recompute(Function):
    @staticmethod
    def forward(ctx: Any, fn: Callable, preserve_rng: bool, kwargs: dict, *args: Any) -> Any:
        ctx.fn, ctx.kwargs = fn, kwargs
        gen = default_generator
        ctx.rng = (gen.initial_seed(), gen.get_offset()) if preserve_rng else None
        ctx.tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.others = [a for a in args]
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_pos])
        with no_grad():
            return fn(*args, **kwargs)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        args = list(ctx.others)
        for i, t in zip(ctx.tensor_pos, ctx.saved_tensors):
            args[i] = t.detach().requires_grad_(t.requires_grad)
        gen = default_generator
        now = (gen.initial_seed(), gen.get_offset())
        if ctx.rng is not None:
            gen.manual_seed(ctx.rng[0]).set_offset(ctx.rng[1])
        try:
            with enable_grad():
                out = ctx.fn(*args, **ctx.kwargs)
        finally:
            if ctx.rng is not None:
                gen.manual_seed(now[0]).set_offset(now[1])
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if pairs:
            backward([o for o, _ in pairs], [g for _, g in pairs])
        grads_in = [None] * len(args)
        for i in ctx.tensor_pos:
            grads_in[i] = args[i].grad if args[i].requires_grad else None
        return (None, None, None, *grads_in)


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Any = None, determinism_check: str = "default", debug: bool = False,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, with its activations recomputed during backward instead
    of kept (see the module docstring). ``use_reentrant`` is accepted (both behave the same
    here); leaving it out warns, as PyTorch does."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. In version 2.5 we will raise an exception if use_reentrant "
                      "is not passed. use_reentrant=False is recommended, but if you need to "
                      "preserve the current default behavior, you can pass use_reentrant=True. "
                      "Refer to docs for more details on the differences between the two "
                      "variants.", stacklevel=2)
    if use_reentrant and (context_fn is not None or debug):
        raise ValueError("Passing `context_fn` or `debug` is only supported when "
                         "use_reentrant=False.")
    if context_fn is not None:
        raise NotImplementedError("checkpoint(): context_fn is not supported by xgrad")
    if not is_grad_enabled():
        return function(*args, **kwargs)
    return _Recompute.apply(function, bool(preserve_rng_state), kwargs, *args)


def checkpoint_sequential(functions: Any, segments: int, input: Any, use_reentrant: bool | None = None,
                          **kwargs: Any) -> Any:
    """Run a ``Sequential`` (or list of modules/functions) in ``segments`` checkpointed
    chunks; the last chunk runs normally, as PyTorch does."""
    funcs = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential(): segments must be positive, got {segments}")
    size = max(len(funcs) // segments, 1)

    def run(chunk: list) -> Callable:
        def forward(x: Any) -> Any:
            for f in chunk:
                x = f(x)
            return x

        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(funcs[start:end + 1]), input, use_reentrant=use_reentrant
                           if use_reentrant is not None else True, **kwargs)
    return run(funcs[end + 1:])(input)
