"""The program a capture produces, and the default way to run it.

A :class:`Program` is a flat list of kernel calls (:class:`~xgrad.compile.capture.Op`) over
numbered buffers (slots): ``inputs`` are the slots bound, in order, to the arrays the
caller passes in (arguments, parameters, gradients, optimizer state); ``dynamic`` the
values computed at each replay (random seeds and counter offsets, host counters);
``outputs`` the slots handed back (written into live tensors, returned as results). Slots
that are neither written by an op nor inputs do not occur; constants sit in the arguments.

Running a program means: bind the input arrays, call every kernel in order, return the
output arrays, and nothing else (no Tensor, graph node or engine object). An op with a
``guard`` is a host read xgrad's own code made during capture (an argument check): the
runner compares the value read with ``op.guard`` and returns ``None`` at once when they
differ (nothing before a guard writes anything), and the caller then runs the step eagerly. The default is
:func:`compile_default`, which turns the op list into straight-line Python (one line per
kernel, a local variable per buffer, every kernel and constant pre-bound), the fastest loop
Python has; an op that memory planning (:mod:`xgrad.compile.memory`) gave a dead buffer
(``op.into``) is called as ``op.into_fn(*args, out=buffer)``. A backend may supply its own
compiler: an optional method ``compile_program(program)`` that returns a callable with the same contract
(``fn(inputs, dynamic) -> outputs``), e.g. ``jax.jit`` of the whole program or a CUDA graph;
returning ``None`` means "use the default".
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np  # host values of guard reads only

from ..backend import FUSED_OPS, LINALG_OPS, PRIMITIVES
from .capture import Dyn, Op, Seq, Slot

__all__ = ["Program", "PURE_KERNELS", "compile_default", "interpret", "eliminate_dead_code",
           "compile_program", "same_host_value"]


def same_host_value(value: Any, expected: Any) -> bool:
    """Whether a guard read (``to_numpy``) gave the value recorded at capture."""
    a = np.asarray(value)
    # bit for bit: cheaper than array_equal on the small values guards read, and stricter
    # (-0.0 differs from 0.0), which at worst runs a step eagerly
    return a.shape == expected.shape and a.dtype == expected.dtype and \
        a.tobytes() == expected.tobytes()

#: Kernels without side effects: one whose results nobody reads can be dropped. ``assign``
#: and the fused optimizer steps write into their arguments, ``to_numpy`` is a guard read;
#: unknown kernels are kept. The linear-algebra group returns new arrays by contract.
PURE_KERNELS = frozenset(set(PRIMITIVES) | set(FUSED_OPS) | set(LINALG_OPS)) - {
    "assign", "sgd_step", "adam_step", "to_numpy"}


class Program:
    """A captured step as kernel calls over numbered buffers (see the module docstring).

    ``backend`` is the one backend every op runs on (None when a step spans several)."""

    def __init__(self, ops: list[Op], inputs: list[int], outputs: list[int],
                 dynamic: list[Dyn], backend: Any) -> None:
        self.ops = ops
        self.inputs = inputs
        self.outputs = outputs
        self.dynamic = dynamic
        self.backend = backend
        #: Arrays that constant folding (:mod:`xgrad.compile.fold`) computed once and put
        #: into argument lists; they are shared by every replay and never written.
        self.constants: list[Any] = []

    def __len__(self) -> int:
        return len(self.ops)

    def kernel_names(self) -> list[str]:
        """The kernel of each op, in order."""
        return [op.name for op in self.ops]

    def __repr__(self) -> str:
        head = f"Program({len(self.ops)} ops, inputs={self.inputs}, outputs={self.outputs}"
        return head + (f", dynamic={self.dynamic})" if self.dynamic else ")")

    def pretty(self) -> str:
        """One line per op (for debugging and docs)."""
        lines = [f"inputs: {', '.join(f'b{n}' for n in self.inputs)}"]
        lines += [repr(op) for op in self.ops]
        lines.append(f"outputs: {', '.join(f'b{n}' for n in self.outputs)}")
        return "\n".join(lines)


def eliminate_dead_code(prog: Program) -> Program:
    """Drop pure ops none of whose results are read later or output (in place); returns
    ``prog``. The kept ops run in their original order, so results stay bit-for-bit."""
    live = set(prog.outputs)
    kept: list[Op] = []
    for op in reversed(prog.ops):
        written = op.slots_written()
        if op.name in PURE_KERNELS and not any(n in live for n in written):
            continue
        kept.append(op)
        live.update(op.slots_read())
    kept.reverse()
    prog.ops = kept
    return prog


def interpret(prog: Program, inputs: list, dynamic: list) -> list:
    """Run ``prog`` by walking its op list (the reference for :func:`compile_default` and for
    backend compilers)."""
    bufs: dict[int, Any] = dict(zip(prog.inputs, inputs))
    dyn = dict(zip((d.key for d in prog.dynamic), dynamic))

    def arg(a: Any) -> Any:
        t = type(a)
        if t is Slot:
            return bufs[a.n]
        if t is Seq:
            return a.kind(arg(x) for x in a.items)
        if t is Dyn:
            return dyn[a.key]
        return a

    for op in prog.ops:
        out = op.fn(*[arg(a) for a in op.args])
        if op.guard is not None and not same_host_value(out, op.guard):
            return None
        if op.seq is None:
            bufs[op.outs] = out
        else:
            for n, v in zip(op.outs, out):
                if n is not None:
                    bufs[n] = v
    return [bufs[n] for n in prog.outputs]


def compile_default(prog: Program) -> Callable[[list, list], list]:
    """``fn(inputs, dynamic) -> outputs`` running ``prog`` as generated straight-line code."""
    ns: dict[str, Any] = {"_same": same_host_value}
    consts: dict[int, str] = {}

    def const(v: Any) -> str:
        if type(v) in (int, bool) or v is None:
            return repr(v)
        name = consts.get(id(v))
        if name is None:
            name = consts[id(v)] = f"c{len(consts)}"
            ns[name] = v
        return name

    dyn_names = {d.key: f"d{i}" for i, d in enumerate(prog.dynamic)}

    def expr(a: Any) -> str:
        t = type(a)
        if t is Slot:
            return f"b{a.n}"
        if t is Seq:
            body = ", ".join(expr(x) for x in a.items)
            return f"({body},)" if a.kind is tuple else f"[{body}]"
        if t is Dyn:
            return dyn_names[a.key]
        return const(a)

    lines = ["def replay(inputs, dynamic):"]
    seen: set[int] = set()
    names = []
    for n in prog.inputs:
        names.append("_" if n in seen else f"b{n}")
        seen.add(n)
    if names:
        lines.append(f"    {', '.join(names)}, = inputs")
    if prog.dynamic:
        lines.append(f"    {', '.join(dyn_names[d.key] for d in prog.dynamic)}, = dynamic")
    # free each buffer right after its last reader, as eager mode drops its temporaries:
    # holding every intermediate to the end costs memory and page faults on large steps
    last: dict[int, int] = {}
    for i, op in enumerate(prog.ops):
        for n in op.slots_read():
            last[n] = i
        for n in op.slots_written():
            last.setdefault(n, i)
    keep = set(prog.outputs) | set(prog.inputs)
    # a buffer an op writes its result into (memory planning) is dropped after that op:
    # the result's variable holds it from then on
    for i, op in enumerate(prog.ops):
        if op.into is not None:
            last[op.into] = i
    frees: dict[int, list[int]] = {}
    for n, i in last.items():
        if n not in keep:
            frees.setdefault(i, []).append(n)
    for i, op in enumerate(prog.ops):
        args = ", ".join(expr(a) for a in op.args)
        if op.into is not None:
            ns[f"k{i}"] = op.into_fn
            call = f"k{i}({args}, out=b{op.into})"
        else:
            ns[f"k{i}"] = op.fn
            call = f"k{i}({args})"
        if op.seq is None:
            lines.append(f"    b{op.outs} = {call}")
            if op.guard is not None:
                ns[f"g{i}"] = op.guard
                lines.append(f"    if not _same(b{op.outs}, g{i}):")
                lines.append("        return None")
        else:
            lines.append(f"    _r = {call}")
            lines.extend(f"    b{n} = _r[{j}]" for j, n in enumerate(op.outs) if n is not None)
            lines.append("    del _r")
        if i in frees:
            lines.append(f"    del {', '.join(f'b{n}' for n in sorted(frees[i]))}")
    lines.append(f"    return [{', '.join(f'b{n}' for n in prog.outputs)}]")
    src = "\n".join(lines)
    exec(compile(src, "<xgrad.compile program>", "exec"), ns)  # noqa: S102 - our own code
    fn = ns["replay"]
    fn.source = src
    return fn


def compile_program(prog: Program, use_backend: bool = True) -> Callable[[list, list], list]:
    """The backend's ``compile_program(prog)`` when it has one and returns a callable, else
    :func:`compile_default`."""
    be = prog.backend
    hook = getattr(be, "compile_program", None) if use_backend and be is not None else None
    if hook is not None:
        fn = hook(prog)
        if fn is not None:
            return fn
    return compile_default(prog)
