"""The backward engine: topological traversal of recorded nodes, gradient accumulation.

Each node's backward is its op's rule in the derivatives table (:data:`.node.RULES`) unless
the node carries its own (custom Functions). Rules may return gradients in their output's
broadcast shape: the engine sums each one down to its input's shape (:func:`sum_to`)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..creation import full, zeros_like
from ..dispatch import Dispatch
from ..tensor import Tensor, wrap
from .grad_mode import _State
from .node import FREED_MESSAGE, RULES, Node

__all__ = ["run_backward", "sum_to"]


def _version_error(node: Node, t: Any, saved_version: int) -> RuntimeError:
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.dtype.name} tensor of shape {list(t.shape)}], which is input or output "
        f"of {node!r}, is at version {t._version}; expected version {saved_version} instead. "
        "Hint: replace the in-place operation (e.g. x.add_(y) or x[i] = v) with an out-of-place "
        "one (x = x + y), or clone() the tensor before modifying it.")


def check_grad(node: Node, i: int, t: Any, g: Any) -> None:
    """Raise when a (custom) backward returned a gradient of the wrong shape or device.

    Built-in ops' formulas are checked by the conformance suite, so the engine does not
    re-validate every edge; custom Functions call this on what their backward returns."""
    if g._data.shape != t._data.shape or g._backend is not t._backend:
        _check_grad(node, i, t, g)


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
    # edges into each leaf still to run: a leaf's gradient is final when its count reaches 0,
    # and is handed over then (hooks, .grad, post-accumulate hooks), as PyTorch's
    # AccumulateGrad runs during backward; DDP starts its bucket all-reduces from there
    leaf_deps: dict[int, int] = {}
    stack = list(root_nodes)
    is_root = set(root_nodes)
    while stack:
        c = stack.pop()
        ins = c.inputs
        if ins is None:
            raise RuntimeError(FREED_MESSAGE)
        for t in ins:
            if t is not None:
                m = t._node if t._inplace_log is None else _edge(t, c)[0]
                if m is not None:
                    if m in deps:
                        deps[m] += 1
                    else:
                        deps[m] = 1
                        if m not in is_root:
                            stack.append(m)
                elif t._rg:
                    k = id(t)
                    leaf_deps[k] = leaf_deps.get(k, 0) + 1
    done = (leaves, leaf_deps, captures, results, handed, create_graph, inputs is not None)

    ready = [n for n in root_nodes if n not in deps]
    active = Dispatch.active
    pop = buffers.pop
    get = buffers.get
    while ready:
        n = ready.pop()
        gs = pop(n, None)
        if n.hooks is not None or captures or n.n_out != 1:
            gs = _prepare(n, gs, captures, results)
        grads_in = None
        if gs is not None:
            if n.n_out == 1:
                g = gs[0]
            else:
                g = None if all(x is None for x in gs) else gs
            if g is not None:
                check = n.check
                if check:
                    for t, v in check:
                        if t._version != v:
                            raise _version_error(n, t, v)
                bwd = n.bwd
                if bwd is None:
                    try:
                        bwd = RULES[n.name]
                    except KeyError:
                        raise _no_rule(n) from None
                if active:
                    grads_in = Dispatch.call(op=n.name, phase="backward",
                                             backend=_backend_of(n.inputs), inputs=tuple(gs),
                                             node=n, run=lambda n=n, g=g, bwd=bwd: bwd(n, g))
                else:
                    grads_in = bwd(n, g)
                if n.hooks is not None:
                    grads_in = _post_hooks(n, grads_in, gs)
        if grads_in is None:
            for t in n.inputs:
                if t is not None:
                    m = t._node if t._inplace_log is None else _edge(t, n)[0]
                    if m is not None:
                        d = deps[m] - 1
                        deps[m] = d
                        if d == 0:
                            ready.append(m)
                    elif t._rg:
                        _leaf_edge_done(t, done)
            continue
        for t, gi in zip(n.inputs, grads_in):
            if t is None:
                continue
            if gi is not None and gi._data.shape != t._data.shape:
                gi = sum_to(gi, t._data.shape)  # unbroadcast, once for every rule
            if t._inplace_log is None:
                m = t._node
            else:
                m, j, rg = _edge(t, n)
                if m is None and not rg:
                    continue
                if m is not None:
                    if gi is not None:
                        _accumulate(buffers, m, j, gi)
                    d = deps[m] - 1
                    deps[m] = d
                    if d == 0:
                        ready.append(m)
                    continue
            if m is not None:
                if gi is not None:
                    buf = get(m)
                    if buf is None:
                        buffers[m] = [gi] if m.n_out == 1 else _slot(m, t._oidx, gi)
                    else:
                        j = t._oidx
                        buf[j] = gi if buf[j] is None else buf[j] + gi
                d = deps[m] - 1
                deps[m] = d
                if d == 0:
                    ready.append(m)
            elif t._rg:
                if gi is not None:
                    _add_leaf(leaves, t, gi)
                _leaf_edge_done(t, done)

    if not retain_graph:  # freed only now: saved outputs are weakly referenced
        for n in (*deps, *root_nodes):
            n.inputs = ()
            n.saved = None
            n.bwd = _freed

    for t, g in list(leaves.values()):  # leaves that are roots and nothing else
        _finish_leaf(t, g, done)

    if inputs is None:
        return None
    for k, r in enumerate(results):
        if r is None and not allow_unused:
            raise RuntimeError(f"One of the differentiated Tensors (index {k}) appears to not have "
                               "been used in the graph. Set allow_unused=True if this is the "
                               "desired behavior.")
    return results


def _post_hooks(n: Node, grads_in: Any, gs: list) -> Any:
    for idx, fn in n.hooks:
        if idx < 0:
            r = fn(grads_in, tuple(gs))
            if r is not None:
                grads_in = tuple(r)
    return grads_in


def _edge(t: Any, consumer: Node) -> tuple:
    """``(node, output index, requires_grad)`` that ``t`` had when ``consumer`` recorded it."""
    for seq, node, oidx, rg in t._inplace_log:
        if consumer.seq < seq:
            return node, oidx, rg
    return t._node, t._oidx, t._rg


def _accumulate(buffers: dict, m: Node, j: int, g: Any) -> None:
    buf = buffers.get(m)
    if buf is None:
        buffers[m] = [g] if m.n_out == 1 else _slot(m, j, g)
    else:
        buf[j] = g if buf[j] is None else buf[j] + g


def _slot(m: Node, j: int, g: Any) -> list:
    buf = [None] * m.n_out
    buf[j] = g
    return buf


def _prepare(n: Node, gs: list | None, captures: dict, results: list) -> list | None:
    """Tensor hooks and autograd.grad captures on a node's output gradients."""
    if gs is None:
        gs = [None] * n.n_out
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
    return gs


def _leaf_edge_done(t: Any, done: tuple) -> None:
    """One edge into leaf ``t`` has run; on the last one its gradient is final."""
    leaf_deps = done[1]
    k = id(t)
    d = leaf_deps[k] - 1
    leaf_deps[k] = d
    if d == 0:
        entry = done[0].get(k)
        if entry is not None:
            _finish_leaf(t, entry[1], done)


def _finish_leaf(t: Any, g: Any, done: tuple) -> None:
    """Hand leaf ``t`` its summed gradient ``g``: tensor hooks, then ``autograd.grad``'s
    result or ``.grad`` accumulation, then post-accumulate-grad hooks."""
    leaves, _, captures, results, handed, create_graph, for_grad = done
    del leaves[id(t)]
    if t._hooks:
        for fn in t._hooks:
            r = fn(g)
            if r is not None:
                g = r
    if for_grad:
        k = captures.get(id(t))
        if k is not None:
            results[k] = g
        return
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


def _no_rule(node: Node) -> RuntimeError:
    return RuntimeError(f"no derivative rule for op {node.name!r} ({node!r}): add one to "
                       "xgrad/derivatives.py")


def sum_to(g: Any, shape: tuple) -> Any:
    """Sum ``g`` over the dimensions that broadcasting added or expanded to reach ``shape``
    (differentiable: Tensor ops)."""
    gshape = g._data.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)
    out = g.sum(axes, keepdim=True) if axes else g
    return out.reshape(shape) if out._data.shape != shape else out


# ---- the public entry points: Tensor.backward, xgrad.autograd.backward / grad ------------
def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _make_grads(outputs: list, grad_outputs: list | None) -> list:
    grads = []
    for i, o in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs and i < len(grad_outputs) else None
        if g is None:
            if o.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs "
                                   f"(got an output of shape {list(o.shape)}; pass gradient=...)")
            g = wrap(o._backend.full(o._data.shape, 1, o.dtype), o._backend)
        elif not isinstance(g, Tensor):
            g = full(o._data.shape, float(g), dtype=o.dtype, device=o._backend)
        elif g._data.shape != o._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{list(g.shape)} and output[{i}] has a shape of {list(o.shape)}.")
        elif g._backend is not o._backend:
            raise RuntimeError(f"grad_output[{i}] is on device {g._backend.device!r} but output[{i}]"
                               f" is on {o._backend.device!r}")
        grads.append(g)
    return grads


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of graph leaves."""
    outs = _as_list(tensors)
    grads = _make_grads(outs, _as_list(grad_tensors) or None)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        ins = _as_list(inputs)
        res = run_backward(outs, grads, retain_graph, create_graph, inputs=ins, allow_unused=True)
        for t, g in zip(ins, res):
            if g is not None:
                t.grad = g if t.grad is None else t.grad + g
        return
    run_backward(outs, grads, retain_graph, create_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs`` (no ``.grad`` is touched)."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    grads = _make_grads(outs, _as_list(grad_outputs) or None)
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(outs, grads, retain_graph, create_graph, inputs=ins,
                       allow_unused=bool(allow_unused) or materialize_grads)
    if materialize_grads:
        res = [zeros_like(x) if g is None else g for g, x in zip(res, ins)]
    return tuple(res)
