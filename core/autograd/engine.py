"""The backward engine: topological traversal of recorded nodes, gradient accumulation."""
from __future__ import annotations

from typing import Any, Sequence

from .grad_mode import _State
from .node import FREED_MESSAGE, Dispatch, Node

__all__ = ["run_backward"]


def _version_error(node: Node, t: Any, saved_version: int) -> RuntimeError:
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.dtype.name} tensor of shape {list(t.shape)}], which is input or output "
        f"of {node!r}, is at version {t._version}; expected version {saved_version} instead. "
        "Hint: replace the in-place operation (e.g. x.add_(y) or x[i] = v) with an out-of-place "
        "one (x = x + y), or clone() the tensor before modifying it.")


def _check_grad(node: Node, i: int, t: Any, g: Any) -> None:
    if g._data.shape != t._data.shape:
        raise RuntimeError(
            f"Function {node!r} returned an invalid gradient at index {i} - got shape "
            f"{list(g._data.shape)} but expected shape {list(t._data.shape)}")
    if g._backend is not t._backend:
        raise RuntimeError(
            f"Function {node!r} returned a gradient at index {i} on device "
            f"{g._backend.device!r}, but the input is on {t._backend.device!r}")


def run_backward(roots: Sequence[Any], grad_roots: Sequence[Any], retain_graph: bool,
                 create_graph: bool, inputs: Sequence[Any] | None = None,
                 allow_unused: bool = False) -> list | None:
    """Propagate ``grad_roots`` from ``roots`` back through the graph.

    With ``inputs`` None, gradients accumulate into the ``.grad`` of leaves (``backward``).
    Otherwise the gradients with respect to ``inputs`` are returned and no ``.grad``
    changes (``autograd.grad``).
    """
    prev = _State.enabled
    _State.enabled = create_graph
    try:
        return _run(roots, grad_roots, retain_graph, create_graph, inputs, allow_unused)
    finally:
        _State.enabled = prev


def _run(roots, grad_roots, retain_graph, create_graph, inputs, allow_unused):
    buffers: dict[Node, list] = {}
    leaves: dict[int, list] = {}
    root_nodes: list[Node] = []
    handed: set[int] = set()

    for r, g in zip(roots, grad_roots):
        handed.add(id(g))
        n = r._node
        if n is not None:
            buf = buffers.get(n)
            if buf is None:
                buf = buffers[n] = [None] * n.n_out
                root_nodes.append(n)
            i = r._oidx
            buf[i] = g if buf[i] is None else buf[i] + g
        elif r._rg:
            _add_leaf(leaves, r, g)
        else:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")

    captures: dict[Any, int] = {}
    if inputs is not None:
        for k, t in enumerate(inputs):
            if not t._rg:
                raise RuntimeError(f"One of the differentiated Tensors (index {k}) does not "
                                   "require grad")
            key = (t._node, t._oidx) if t._node is not None else id(t)
            captures[key] = k
    results: list = [None] * (len(inputs) if inputs is not None else 0)

    deps: dict[Node, int] = {}
    stack = list(root_nodes)
    seen = set(root_nodes)
    while stack:
        n = stack.pop()
        ins = n.inputs
        if ins is None:
            raise RuntimeError(FREED_MESSAGE)
        for t in ins:
            if t is not None:
                m = t._node
                if m is not None:
                    deps[m] = deps.get(m, 0) + 1
                    if m not in seen:
                        seen.add(m)
                        stack.append(m)

    ready = [n for n in root_nodes if n not in deps]
    active = Dispatch.active
    done: list[Node] = []  # freed only at the end: saved outputs are weakly referenced
    while ready:
        n = ready.pop()
        gs = buffers.pop(n, None) or [None] * n.n_out
        if n.hooks:
            for idx, fn in n.hooks:
                if idx >= 0 and gs[idx] is not None:
                    r = fn(gs[idx])
                    if r is not None:
                        gs[idx] = r
        if captures:
            for i, g in enumerate(gs):
                k = captures.get((n, i))
                if k is not None:
                    results[k] = g
        ins = n.inputs
        if all(g is None for g in gs):
            grads_in = (None,) * len(ins)
        else:
            if n.check:
                for t, v in n.check:
                    if t._version != v:
                        raise _version_error(n, t, v)
            g = gs[0] if n.n_out == 1 else gs
            if active:
                grads_in = Dispatch.call(op=n.name, phase="backward", backend=_backend_of(ins),
                                         inputs=tuple(gs), run=lambda n=n, g=g: n.bwd(n, g))
            else:
                grads_in = n.bwd(n, g)
            if n.hooks:
                for idx, fn in n.hooks:
                    if idx < 0:
                        r = fn(grads_in, tuple(gs))
                        if r is not None:
                            grads_in = tuple(r)
        for i, t in enumerate(ins):
            if t is None:
                continue
            gi = grads_in[i]
            m = t._node
            if m is not None:
                if gi is not None:
                    _check_grad(n, i, t, gi)
                    buf = buffers.get(m)
                    if buf is None:
                        buf = buffers[m] = [None] * m.n_out
                    j = t._oidx
                    buf[j] = gi if buf[j] is None else buf[j] + gi
                d = deps[m] - 1
                deps[m] = d
                if d == 0:
                    ready.append(m)
            elif gi is not None and t._rg:
                _check_grad(n, i, t, gi)
                _add_leaf(leaves, t, gi)
        if not retain_graph:
            done.append(n)

    for n in done:
        n.inputs = ()
        n.saved = None
        n.bwd = _freed

    for t, g in leaves.values():
        if t._hooks:
            for fn in t._hooks:
                r = fn(g)
                if r is not None:
                    g = r
        if inputs is not None:
            k = captures.get(id(t))
            if k is not None:
                results[k] = g
            continue
        if t.grad is None:
            if id(g) in handed or g._node is not None and not create_graph:
                g = g.detach().clone() if not create_graph else g.clone()
            handed.add(id(g))
            t.grad = g
        else:
            t.grad = t.grad + g
        if t._post_hooks:
            for fn in t._post_hooks:
                fn(t)

    if inputs is None:
        return None
    for k, r in enumerate(results):
        if r is None and not allow_unused:
            raise RuntimeError(f"One of the differentiated Tensors (index {k}) appears to not have "
                               "been used in the graph. Set allow_unused=True if this is the "
                               "desired behavior.")
    return results


def _add_leaf(leaves: dict, t: Any, g: Any) -> None:
    entry = leaves.get(id(t))
    if entry is None:
        leaves[id(t)] = [t, g]
    else:
        entry[1] = entry[1] + g


def _backend_of(ins: tuple) -> Any:
    for t in ins:
        if t is not None:
            return t._backend
    return None


def _freed(node: Node, g: Any) -> Any:
    raise RuntimeError(FREED_MESSAGE)
