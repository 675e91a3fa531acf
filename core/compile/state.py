"""What a compiled step reads and writes besides its arguments, and the guard signature.

A step reads tensors it is not given: the parameters and buffers of modules, the state of
optimizers, tensors in globals. :class:`Scope` finds them the way a reader of the code would:
the compiled module itself; the globals and closure variables the function's code names;
the attributes of the object a bound method belongs to (one level, lists and tuples of
tensors included). Modules and optimizers are recognised by their public API
(``named_parameters``/``training`` and ``param_groups``/``state``), so this layer imports
neither ``xgrad.nn`` nor ``xgrad.optim``.

Each call, :meth:`Scope.scan` lists the live objects in a fixed order (a :class:`Live`) and
computes the guard signature: argument shapes, dtypes, devices and ``requires_grad``, grad
mode, the fused/decomposed switch, the identity, shape and dtype of every parameter, buffer
and optimizer state tensor, whether each ``.grad`` is set (and its shape), the optimizer
hyperparameters, every submodule's ``training`` flag and the values of Python scalars the
code reads from globals. Every tensor's array is guarded on its strides too (as PyTorch
guards sizes and strides). Integer entries of optimizer state (``state["step"]``) are host
counters: not guarded, but advanced at replay as the step advanced them.
"""
from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from ..autograd.grad_mode import _State
from ..ops.fusion import fusion_mode
from ..tensor import Tensor

__all__ = ["Scope", "Live", "flatten", "is_module", "is_optimizer"]

_SCALARS = (int, float, bool, str, type(None), bytes)
_KIND: dict[type, str] = {}


def is_module(obj: Any) -> bool:
    """Duck test for an ``nn.Module``."""
    return (hasattr(obj, "named_parameters") and hasattr(obj, "named_buffers")
            and hasattr(obj, "training") and hasattr(obj, "modules"))


def is_optimizer(obj: Any) -> bool:
    """Duck test for an ``optim.Optimizer``."""
    return hasattr(obj, "param_groups") and isinstance(getattr(obj, "state", None), dict)


def _kind(obj: Any) -> str:
    t = type(obj)
    k = _KIND.get(t)
    if k is None:
        if issubclass(t, Tensor):
            k = "tensor"
        elif t in _SCALARS:
            k = "scalar"
        elif t in (list, tuple):
            k = "seq"
        elif isinstance(obj, (types.ModuleType, types.FunctionType, type, types.BuiltinFunctionType,
                              types.MethodType)):
            k = "other"
        elif is_module(obj):
            k = "module"
        elif is_optimizer(obj):
            k = "optimizer"
        else:
            k = "other"
        _KIND[t] = k
    return k


def _strides(d: Any) -> Any:
    """The memory layout of a native array (None where the library has no strides): a
    replayed program's kernels produce the layouts (and so the summation orders) of the
    capture only when its arrays are laid out as they were."""
    return getattr(d, "strides", None)


def flatten(obj: Any, leaves: list, sig: list, objs: list) -> None:
    """Flatten the arguments (tuples, lists and dicts): tensors are appended to ``leaves``,
    other objects to ``objs`` and the guard key of each to ``sig``."""
    t = type(obj)
    if t is tuple or t is list:
        sig.append((t, len(obj)))
        for x in obj:
            flatten(x, leaves, sig, objs)
    elif t is dict:
        sig.append((dict, tuple(obj)))
        for v in obj.values():
            flatten(v, leaves, sig, objs)
    elif isinstance(obj, Tensor):
        d = obj._data
        sig.append((d.shape, d.dtype, _strides(d), id(obj._backend), obj._rg, obj._node is None))
        leaves.append(obj)
    elif t in _SCALARS:
        sig.append(obj)
    else:
        sig.append(("id", t, id(obj)))
        objs.append(obj)


def _code_names(code: types.CodeType, out: set) -> None:
    out.update(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_names(c, out)


class Live:
    """The objects one call reads, in the order the program binds them.

    ``tensors``: argument tensors, then tensors from globals/attributes, then module
    parameters and buffers, then optimizer parameters and state tensors (repeats allowed);
    ``owners``: the leaves among them that require grad (their ``.grad`` is read and
    written); ``counters``: ``(dict, key)`` of integer optimizer state; ``modules`` and
    ``optimizers`` found; ``structure``: what must not change inside the step."""

    __slots__ = ("tensors", "owners", "counters", "modules", "optimizers", "n_args")

    def __init__(self) -> None:
        self.tensors: list[Tensor] = []
        self.owners: list[Tensor] = []
        self.counters: list[tuple[dict, Any]] = []
        self.modules: list[Any] = []
        self.optimizers: list[Any] = []
        self.n_args = 0

    def grads(self) -> list[Any]:
        """The current ``.grad`` of each owner (None where unset)."""
        return [t.grad for t in self.owners]

    def structure(self) -> tuple:
        """Identities of everything whose replacement inside the step makes it unreplayable:
        module parameters and buffers, optimizer state entries, hyperparameters."""
        out: list[Any] = []
        for m in self.modules:
            out.extend(id(p) for p in m.parameters())
            out.extend(id(b) for b in m.buffers())
            out.extend(s.training for s in m.modules())
        for o in self.optimizers:
            for g in o.param_groups:
                out.append(_hyper(g))
            for st in o.state.values():
                out.extend((k, id(v) if isinstance(v, Tensor) else type(v)) for k, v in st.items())
        return tuple(out)


def _hyper(group: dict) -> tuple:
    items = []
    for k, v in group.items():
        if k != "params":
            try:
                hash(v)
            except TypeError:
                v = ("id", id(v))
            items.append((k, v))
    return tuple(items)


class _Tree:
    """A module's submodules, parameters and buffers as the public traversal lists them,
    with the containers they were read from: while every container holds the same entries
    (same sizes, same objects under the same keys) the lists are still right, and checking
    that is a few dict lookups instead of a traversal per call."""

    __slots__ = ("module", "subs", "params", "buffers", "sizes", "edges")

    def __init__(self, m: Any) -> None:
        self.module = m
        self.subs = list(m.modules())
        self.params = list(m.parameters())
        self.buffers = list(m.buffers())
        dicts = [d for s in self.subs for d in (s._modules, s._parameters, s._buffers)]
        self.sizes = [(d, len(d)) for d in dicts]
        self.edges = [(d, k, v) for d in dicts for k, v in d.items()]

    def current(self, m: Any) -> bool:
        if m is not self.module:
            return False
        for d, n in self.sizes:
            if len(d) != n:
                return False
        for d, k, v in self.edges:
            if d.get(k) is not v:
                return False
        return True


def _tree(cache: dict, m: Any) -> _Tree | None:
    """The cached :class:`_Tree` of ``m``, rebuilt when its structure changed; ``None`` for a
    module-like object without ``nn.Module``'s containers (traversed every call)."""
    t = cache.get(id(m))
    if t is not None and t.current(m):
        return t
    if not all(hasattr(m, a) for a in ("_modules", "_parameters", "_buffers")):
        return None
    try:
        t = _Tree(m)
    except AttributeError:  # a submodule without the containers
        return None
    cache[id(m)] = t
    return t


class Scope:
    """Where the function's hidden state lives (see the module docstring)."""

    def __init__(self, fn: Callable, module: Any = None) -> None:
        self.module = module
        self._trees: dict[int, _Tree] = {}
        func = fn
        self.owner = None
        if isinstance(fn, types.MethodType):
            self.owner, func = fn.__self__, fn.__func__
        self.globals: dict[str, Any] = {}
        self.global_names: tuple[str, ...] = ()
        self.cells: tuple = ()
        code = getattr(func, "__code__", None)
        if code is not None:
            names: set[str] = set()
            _code_names(code, names)
            self.globals = func.__globals__
            self.global_names = tuple(sorted(n for n in names if n in self.globals))
            self.cells = tuple(func.__closure__ or ())
        elif module is None and not isinstance(fn, types.BuiltinFunctionType) and _kind(fn) != "other":
            self.owner = fn  # a callable object (a module called directly, ...)

    def hidden(self) -> list[Any]:
        """The objects the code reads besides its arguments, this call."""
        vals: list[Any] = []
        if self.module is not None:
            vals.append(self.module)
        g = self.globals
        for n in self.global_names:
            vals.append(g.get(n))
        for c in self.cells:
            try:
                vals.append(c.cell_contents)
            except ValueError:  # an empty cell
                pass
        if self.owner is not None:
            vals.append(self.owner)
            d = getattr(self.owner, "__dict__", None)
            if d:
                vals.extend(d.values())
        return vals

    def scan(self, args: tuple, kwargs: dict) -> tuple[tuple, Live]:
        """The guard signature of this call and the live objects it reads."""
        live = Live()
        sig: list[Any] = [_State.enabled, fusion_mode.force_decomposition]
        tensors = live.tensors
        objs: list[Any] = []
        flatten((args, kwargs), tensors, sig, objs)
        live.n_args = len(tensors)
        mods: list[Any] = []
        opts: list[Any] = []
        hidden = self.hidden()
        for o in objs:  # objects passed in: modules, optimizers, or holders of them
            k = _kind(o)
            if k in ("module", "optimizer"):
                hidden.append(o)
            elif not isinstance(o, (types.FunctionType, types.ModuleType, type,
                                    types.BuiltinFunctionType, types.MethodType)):
                d = getattr(o, "__dict__", None)
                if d:
                    hidden.extend(d.values())
        for v in hidden:
            k = _kind(v)
            if k == "tensor":
                tensors.append(v)
                d = v._data
                sig.append((d.shape, d.dtype, _strides(d), id(v._backend), v._rg, v._node is None))
            elif k == "scalar":
                sig.append(v)
            elif k == "seq":
                for x in v:
                    if isinstance(x, Tensor):
                        tensors.append(x)
                        d = x._data
                        sig.append((d.shape, d.dtype, _strides(d), id(x._backend), x._rg, x._node is None))
                    elif _kind(x) == "module" and x not in mods:
                        mods.append(x)
                    elif _kind(x) == "optimizer" and x not in opts:
                        opts.append(x)
            elif k == "module":
                if not any(v is m for m in mods):
                    mods.append(v)
            elif k == "optimizer":
                if not any(v is o for o in opts):
                    opts.append(v)
        for m in mods:
            sig.append(id(m))
            tree = _tree(self._trees, m)
            subs, params, bufs = (m.modules(), m.parameters(), m.buffers()) if tree is None \
                else (tree.subs, tree.params, tree.buffers)
            for sub in subs:
                sig.append(sub.training)
            for p in params:
                tensors.append(p)
                d = p._data
                sig.append((id(p), d.shape, d.dtype, getattr(d, "strides", None), p._rg))
            for b in bufs:
                tensors.append(b)
                d = b._data
                sig.append((id(b), d.shape, d.dtype, _strides(d)))
        for o in opts:
            sig.append(id(o))
            for g in o.param_groups:
                sig.append(_hyper(g))
                for p in g["params"]:
                    tensors.append(p)
                    d = p._data
                    sig.append((id(p), d.shape, d.dtype, _strides(d), p._rg))
                    st = o.state.get(p)
                    if st:
                        for key, val in st.items():
                            if isinstance(val, Tensor):
                                tensors.append(val)
                                d = val._data
                                sig.append((key, id(val), d.shape, d.dtype, _strides(d)))
                            elif type(val) is int:
                                live.counters.append((st, key))
                                sig.append((key, int))
                            else:
                                sig.append((key, val if type(val) in _SCALARS else id(val)))
                    else:
                        sig.append(None)
        seen: set[int] = set()
        for t in tensors:
            if t._rg and t._node is None and id(t) not in seen:
                seen.add(id(t))
                live.owners.append(t)
                g = t.grad
                if g is None:
                    sig.append(None)
                else:
                    d = g._data
                    sig.append((d.shape, d.dtype, _strides(d), id(g._backend)))
        live.modules = mods
        live.optimizers = opts
        return tuple(sig), live
