"""``xgrad.func``: function transforms, as ``torch.func``.

* :func:`functional_call` runs a module with the parameters and buffers of a dict in place of
  its own (meta-learning, ensembling, per-sample gradients);
* :func:`grad` / :func:`grad_and_value`, :func:`vjp`, :func:`jvp`, :func:`jacrev` /
  :func:`jacfwd` and :func:`hessian` turn a function into its derivative; they compose
  (``grad(grad(f))``) because each differentiates with ``create_graph=True``;
* :func:`vmap` maps a function over a batch dimension. It runs the function once per batch
  entry and stacks the results, so it gives exactly the per-example values and gradients but
  none of the speed of PyTorch's batching rules.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .autograd import functional as _F
from .autograd.engine import grad as _grad
from .autograd.grad_mode import enable_grad
from .ops.shape import stack
from .tensor import Tensor

__all__ = ["functional_call", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd",
           "hessian", "vmap"]


# ---- functional_call -------------------------------------------------------------------------
@contextlib.contextmanager
def _swapped(module: Any, values: Mapping[str, Tensor], strict: bool) -> Iterator[None]:
    saved = []
    known = {n for n, _ in module.named_parameters(remove_duplicate=False)} | \
        {n for n, _ in module.named_buffers(remove_duplicate=False)}
    if strict:
        missing = sorted(known - set(values))
        unexpected = sorted(set(values) - known)
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                               + (f"Missing key(s): {', '.join(map(repr, missing))}." if missing
                                  else "")
                               + (f"Unexpected key(s): {', '.join(map(repr, unexpected))}."
                                  if unexpected else ""))
    try:
        for name, value in values.items():
            prefix, _, leaf = name.rpartition(".")
            owner = module.get_submodule(prefix) if prefix else module
            store = owner._parameters if leaf in owner._parameters else (
                owner._buffers if leaf in owner._buffers else None)
            if store is None:
                raise AttributeError(f"{type(owner).__name__} has no parameter or buffer named "
                                     f"'{leaf}' (functional_call key '{name}')")
            saved.append((store, leaf, store[leaf]))
            store[leaf] = value
        yield
    finally:
        for store, leaf, old in reversed(saved):
            store[leaf] = old


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the tensors of ``parameter_and_buffer_dicts`` (a dict
    by dotted name, or a tuple of dicts) in place of its parameters and buffers."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, Mapping):
        values = dict(dicts)
    else:
        values = {}
        for d in dicts:
            overlap = set(values) & set(d)
            if overlap:
                raise ValueError(f"{sorted(overlap)[0]} appeared in multiple dictionaries; "
                                 f"behavior of functional call is ambiguous")
            values.update(d)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, values, strict):
        return module(*args, **(kwargs or {}))


# ---- derivatives -----------------------------------------------------------------------------
def _argnums(argnums: int | tuple, n: int) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise RuntimeError(f"Got argnums={argnums}, but only {n} positional inputs")
    return tuple(a % n for a in nums), single


def _tree_tensors(x: Any) -> list[Tensor]:
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, Mapping):
        return [t for v in x.values() for t in _tree_tensors(v)]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _tree_tensors(v)]
    return []


def _tree_map(fn: Callable, x: Any) -> Any:
    if isinstance(x, Tensor):
        return fn(x)
    if isinstance(x, Mapping):
        return type(x)((k, _tree_map(fn, v)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return type(x)(_tree_map(fn, v) for v in x)
    return x


def _tree_fill(x: Any, it: Iterator) -> Any:
    if isinstance(x, Tensor):
        return next(it)
    if isinstance(x, Mapping):
        return type(x)((k, _tree_fill(v, it)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return type(x)(_tree_fill(v, it) for v in x)
    return x


def grad_and_value(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(gradient of func's scalar output, output)`` (``(gradient,
    (output, aux))`` with ``has_aux``); the gradient is in the structure of the argument."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args))
        args = list(args)
        for a in nums:
            args[a] = _tree_map(lambda t: t.detach().requires_grad_(True)
                                if not t.requires_grad else t.view_as(t), args[a])
        with enable_grad():
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be "
                                       "a tuple: (output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {getattr(out, 'ndim', '?')} "
                                   f"dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   f"instead?")
            leaves = [t for a in nums for t in _tree_tensors(args[a])]
            gs = _grad(out, leaves, create_graph=True, allow_unused=True)
            gs = iter([t * 0 if g is None else g for g, t in zip(gs, leaves)])
            result = tuple(_tree_fill(args[a], gs) for a in nums)
        g = result[0] if single else result
        return (g, (out, aux)) if has_aux else (g, out)

    return wrapper


def grad(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of ``func``'s scalar output with respect to the
    ``argnums`` arguments (``(gradient, aux)`` with ``has_aux``)."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives a tuple with one
    vector-Jacobian product per primal."""
    ins = [p.detach().requires_grad_(True) for p in primals]
    with enable_grad():
        out = func(*ins)
        aux = None
        if has_aux:
            out, aux = out
    outs = _tree_tensors(out)

    def vjp_fn(cotangents: Any) -> tuple:
        cts = _tree_tensors(cotangents)
        pairs = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        if not pairs:
            return tuple(p * 0 for p in ins)
        gs = _grad([o for o, _ in pairs], ins, [c for _, c in pairs], retain_graph=True,
                   create_graph=True, allow_unused=True)
        return tuple(p * 0 if g is None else g for g, p in zip(gs, ins))

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def jvp(func: Callable, primals: tuple, tangents: tuple, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """``(func(*primals), J @ tangents)``."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be "
                           "tuples. E.g. it should be valid to call f(*primals).")
    aux_box = []

    def plain(*xs: Tensor) -> Any:
        out = func(*xs)
        if has_aux:
            out, aux = out
            aux_box.append(aux)
        return out

    out, tangent_out = _F.jvp(plain, primals, tangents, create_graph=True, strict=strict)
    return (out, tangent_out, aux_box[0]) if has_aux else (out, tangent_out)


def jacrev(func: Callable, argnums: int | tuple = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable:
    """A function returning the Jacobian of ``func`` with respect to the ``argnums``
    arguments (``out.shape + arg.shape``)."""

    def wrapper(*args: Any) -> Any:
        nums, single = _argnums(argnums, len(args))
        aux_box = []

        def of_selected(*sel: Tensor) -> Any:
            full = list(args)
            for a, s in zip(nums, sel):
                full[a] = s
            out = func(*full)
            if has_aux:
                out, aux = out
                aux_box.append(aux)
            return out

        sel = tuple(args[a] for a in nums)
        jac = _F.jacobian(of_selected, sel[0] if single else sel, create_graph=True)
        return (jac, aux_box[0]) if has_aux else jac

    return wrapper


def jacfwd(func: Callable, argnums: int | tuple = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The same Jacobian as :func:`jacrev` (computed in reverse mode here)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums: int | tuple = 0) -> Callable:
    """A function returning the Hessian of ``func``'s scalar output."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---- vmap ----------------------------------------------------------------------------------
def _dims_for(in_dims: Any, args: tuple) -> list:
    if isinstance(in_dims, int) or in_dims is None:
        return [in_dims] * len(args)
    dims = list(in_dims)
    if len(dims) != len(args):
        raise ValueError(f"vmap(func, in_dims={tuple(in_dims)}, ...)(<inputs>): in_dims is not "
                         f"compatible with the structure of `inputs`. in_dims has structure "
                         f"with {len(dims)} entries but inputs has {len(args)}.")
    return dims


def _batch_size(args: tuple, dims: list) -> int:
    sizes = set()
    for a, d in zip(args, dims):
        for t in _tree_tensors(a) if d is not None else []:
            sizes.add(t.shape[d])
    if not sizes:
        raise ValueError("vmap(func)(*args): at least one input must be a Tensor mapped over "
                         "(in_dims not None)")
    if len(sizes) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
    return sizes.pop()


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``func`` mapped over dimension ``in_dims`` of its arguments, results stacked along
    ``out_dims`` (see the module docstring: one call per batch entry)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    def wrapper(*args: Any) -> Any:
        dims = _dims_for(in_dims, args)
        n = _batch_size(args, dims)
        results = []
        for i in range(n):
            sliced = [a if d is None else _tree_map(lambda t, d=d, i=i: t.select(d, i), a)
                      for a, d in zip(args, dims)]
            results.append(func(*sliced))
        first = results[0]
        if isinstance(first, Tensor):
            return stack(results, out_dims if isinstance(out_dims, int) else out_dims[0])
        if isinstance(first, tuple):
            od = [out_dims] * len(first) if isinstance(out_dims, int) else list(out_dims)
            return tuple(stack([r[k] for r in results], od[k]) for k in range(len(first)))
        if isinstance(first, Mapping):
            return {k: stack([r[k] for r in results], out_dims) for k in first}
        raise ValueError(f"vmap: `{getattr(func, '__name__', func)}` must only return Tensors, "
                         f"got type {type(first)}")

    return wrapper
