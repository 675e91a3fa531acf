"""One captured step: run it under a :class:`~.capture.Trace`, work out what it wrote, and
turn two agreeing captures into a replayable :class:`Step`.

Why two: a kernel's constant arguments are Python values (learning rates, shapes, axis
numbers, bias corrections). The capture sees their values, not where they came from, so a
value computed from host state that changes from step to step (a counter, a schedule)
would replay stale. A step is replayed only after a second capture with the same guard
signature recorded the same kernels with the same constants; a constant that differs is
accepted only when it is a host counter (``state["step"]`` of an optimizer, advanced by
the same amount in both runs), and replay then computes it from the live counter.
Anything else that differs keeps the signature eager.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..tensor import Tensor, wrap
from .capture import Dyn, Seq, Trace, same_const
from .fold import fold_constants
from .memory import plan_memory
from .patterns import fuse_pairs
from .program import PURE_KERNELS, Program, compile_program, eliminate_dead_code
from .state import Live

__all__ = ["Captured", "record_step", "Step", "merge"]


class Captured:
    """The record of one eager run of the step: its trace, what it wrote into live objects,
    its result's structure, and ``reason`` when it cannot be replayed."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.reason: str | None = trace.breaks[0] if trace.breaks else None
        self.writes: list[tuple] = []
        self.result: Any = None
        self.counters: list[tuple[int, int, int]] = []  # (index, before, after)
        self.aliases: list[tuple[int, int]] = []
        self.n_inputs = 0

    def fail(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason


def record_step(fn: Callable, args: tuple, kwargs: dict, live: Live,
            fullgraph: bool) -> tuple[Any, Captured]:
    """Run ``fn`` eagerly under a trace; return its result and the record."""
    trace = Trace(fullgraph)
    trace.backends = list({id(t._backend): t._backend for t in live.tensors}.values())
    tensors = live.tensors
    before = [(t._data, t._version) for t in tensors]
    grads0 = live.grads()
    counters0 = [d[k] for d, k in live.counters]
    struct0 = live.structure()
    first: dict[int, int] = {}
    aliases = []
    for i, t in enumerate(tensors):
        j = first.setdefault(id(t._data), i)
        if j != i:
            aliases.append((j, i))
        trace.bind_input(t._data)
    pos = len(tensors)
    for g in grads0:
        if g is not None:
            j = first.setdefault(id(g._data), pos)
            if j != pos:
                aliases.append((j, pos))
            trace.bind_input(g._data)
            pos += 1
    with trace:
        result = fn(*args, **kwargs)
    rec = Captured(trace)
    if any(t._hooks or t._post_hooks for t in tensors):
        rec.fail("a tensor the step reads has hooks (register_hook / "
                 "register_post_accumulate_grad_hook): they run Python every step, which a "
                 "replay skips")
    rec.n_inputs = pos
    rec.aliases = aliases
    _writes(rec, live, before, grads0)
    for i, ((d, k), c0) in enumerate(zip(live.counters, counters0)):
        c1 = d.get(k)
        if type(c1) is not int:
            rec.fail(f"optimizer state {k!r} stopped being an integer inside the step")
        elif c1 != c0:
            rec.counters.append((i, c0, c1))
    if live.structure() != struct0:
        rec.fail("the step replaced parameters, buffers, optimizer state or hyperparameters "
                 "(an optimizer's first step creates its state: the next steps are captured)")
    grads_changed = any(a[0] in ("grad_new", "grad_none", "grad_data") for a in rec.writes)
    rec.result = _result_spec(rec, result, tensors, grads_changed)
    return result, rec


def _slot(trace: Trace, data: Any) -> int | None:
    n = trace.slot_of.get(id(data))
    return n if n is not None and trace.values[n] is data else None


def _writes(rec: Captured, live: Live, before: list, grads0: list) -> None:
    trace = rec.trace
    done: set[int] = set()
    for i, (t, (d0, v0)) in enumerate(zip(live.tensors, before)):
        if id(t) in done:
            continue
        done.add(id(t))
        if t._node is not None:
            rec.fail("a tensor read by the step (argument, parameter or state) got autograd "
                     "history inside it (an in-place op recorded on it)")
        if t._data is not d0:
            n = _slot(trace, t._data)
            if n is None:
                rec.fail("a tensor was given an array that no recorded kernel produced")
            else:
                rec.writes.append(("data", i, n))
        if t._version != v0:
            rec.writes.append(("version", i, t._version - v0))
    for i, (t, g0) in enumerate(zip(live.owners, grads0)):
        g1 = t.grad
        if g1 is g0:
            if g1 is not None and g1._data is not g0._data:
                n = _slot(trace, g1._data)
                if n is None:
                    rec.fail("a .grad was given an array that no recorded kernel produced")
                else:
                    rec.writes.append(("grad_data", i, n))
        elif g1 is None:
            rec.writes.append(("grad_none", i))
        else:
            n = _slot(trace, g1._data)
            if n is None:
                rec.fail("a .grad was set to an array that no recorded kernel produced")
            elif g1._rg:
                rec.fail("a .grad requires grad (backward with create_graph=True)")
            else:
                rec.writes.append(("grad_new", i, n, g1.dtype))


def _result_spec(rec: Captured, obj: Any, tensors: list, grads_changed: bool) -> Any:
    t = type(obj)
    if t is tuple or t is list:
        return (t, [_result_spec(rec, x, tensors, grads_changed) for x in obj])
    if t is dict:
        return (dict, {k: _result_spec(rec, v, tensors, grads_changed) for k, v in obj.items()})
    if isinstance(obj, Tensor):
        for i, x in enumerate(tensors):
            if x is obj:
                return ("entry", i)
        n = _slot(rec.trace, obj._data)
        if n is None:
            return ("const", obj)
        if obj._rg and not grads_changed:
            rec.fail("the step returns a tensor that requires grad and runs no backward: a "
                     "replay would not carry the graph; compile the whole training step "
                     "(forward, backward, optimizer) or call it under no_grad()")
        return ("new", n, obj._backend)
    return ("const", obj)


def _same_spec(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple) and len(a) == 2 and a[0] in (tuple, list):
        return a[0] is b[0] and len(a[1]) == len(b[1]) and all(
            _same_spec(x, y) for x, y in zip(a[1], b[1]))
    if isinstance(a, tuple) and len(a) == 2 and a[0] is dict:
        return b[0] is dict and a[1].keys() == b[1].keys() and all(
            _same_spec(a[1][k], b[1][k]) for k in a[1])
    if a[0] != b[0]:
        return False
    if a[0] == "const":
        return same_const(a[1], b[1])
    return a == b


class _Mismatch(Exception):
    pass


class Step:
    """A replayable step: the program, its compiled runner, and how to bind and write back."""

    def __init__(self, rec: Captured, program: Program, runner: Callable, counters: list) -> None:
        self.program = program
        self.runner = runner
        self.writes = rec.writes
        self.result = rec.result
        self.aliases = rec.aliases
        self.gens = rec.trace.gens
        self.gen_adv = rec.trace.gen_advance()
        self.counters = counters  # [(index, delta)]
        self.out_pos = {n: i for i, n in enumerate(program.outputs)}

    def run(self, live: Live) -> Any:
        """Replay on this call's live objects; return the step's result."""
        arrays = [t._data for t in live.tensors]
        for g in live.grads():
            if g is not None:
                arrays.append(g._data)
        for i, j in self.aliases:
            if arrays[i] is not arrays[j]:
                return _NOT_REPLAYED
        new_counters = {}
        for i, delta in self.counters:
            d, k = live.counters[i]
            new_counters[i] = d[k] + delta
        dyn = []
        for dy in self.program.dynamic:
            key = dy.key
            if key[0] == "seed":
                dyn.append(self.gens[key[1]]._seed)
            elif key[0] == "offset":
                dyn.append(self.gens[key[1]]._offset + key[2])
            else:
                dyn.append(new_counters[key[1]])
        outs = self.runner(arrays, dyn)
        if outs is None:  # a guard read differed: nothing was written
            return _NOT_REPLAYED
        for i, new in new_counters.items():
            d, k = live.counters[i]
            d[k] = new
        for g, adv in zip(self.gens, self.gen_adv):
            g._offset += adv
        pos = self.out_pos
        tensors, owners = live.tensors, live.owners
        for w in self.writes:
            kind = w[0]
            if kind == "data":
                tensors[w[1]]._data = outs[pos[w[2]]]
            elif kind == "version":
                t = tensors[w[1]]
                t._version = t._version + w[2]
            elif kind == "grad_new":
                owners[w[1]].grad = wrap(outs[pos[w[2]]], owners[w[1]]._backend)
            elif kind == "grad_data":
                owners[w[1]].grad._data = outs[pos[w[2]]]
            else:
                owners[w[1]].grad = None
        return _build(self.result, outs, pos, tensors, {})


_NOT_REPLAYED = object()


def _build(spec: Any, outs: list, pos: dict, tensors: list, memo: dict) -> Any:
    kind = spec[0]
    if kind is tuple or kind is list:
        return kind(_build(s, outs, pos, tensors, memo) for s in spec[1])
    if kind is dict:
        return {k: _build(s, outs, pos, tensors, memo) for k, s in spec[1].items()}
    if kind == "new":
        t = memo.get(spec[1])
        if t is None:
            t = memo[spec[1]] = wrap(outs[pos[spec[1]]], spec[2])
        return t
    if kind == "entry":
        return tensors[spec[1]]
    return spec[1]


def _merge_arg(a: Any, b: Any, ctr: dict) -> Any:
    """The argument of the replayable program from the same argument in two captures."""
    if type(a) is Seq and type(b) is Seq:
        if a.kind is not b.kind or len(a.items) != len(b.items):
            raise _Mismatch
        return Seq(a.kind, tuple(_merge_arg(x, y, ctr) for x, y in zip(a.items, b.items)))
    if type(a) in (tuple, list) and type(b) is type(a) and len(a) == len(b) \
            and not same_const(a, b):
        return type(a)(_merge_arg(x, y, ctr) for x, y in zip(a, b))
    if same_const(a, b):
        return b
    if type(a) is int and type(b) is int:
        c = ctr.get((a, b))
        if c is not None:
            return Dyn("counter", c)
    raise _Mismatch


def merge(r1: Captured, r2: Captured, use_backend: bool = True) -> Step | str:
    """A :class:`Step` from two captures of one signature, or why they disagree."""
    t1, t2 = r1.trace, r2.trace
    if len(t1.ops) != len(t2.ops):
        return f"two runs of the step made different kernel calls ({len(t1.ops)} vs {len(t2.ops)})"
    # run 1 passed counter c's new value after1 to its kernels, run 2 passed after2
    d1 = {i: (c1, c1 - c0) for i, c0, c1 in r1.counters}
    ctr: dict[tuple[int, int], int] = {}
    counters = []
    for i, c0, c2 in r2.counters:
        if i not in d1 or d1[i][1] != c2 - c0:
            return "a host counter advanced differently in two runs of the step"
        ctr.setdefault((d1[i][0], c2), i)
        counters.append((i, c2 - c0))
    if len(counters) != len(r1.counters):
        return "a host counter advanced differently in two runs of the step"
    ops = []
    for o1, o2 in zip(t1.ops, t2.ops):
        if o1.name != o2.name or o1.backend is not o2.backend or o1.outs != o2.outs \
                or o1.seq is not o2.seq or len(o1.args) != len(o2.args):
            return f"two runs of the step made different kernel calls ({o1.name} vs {o2.name})"
        try:
            args = tuple(_merge_arg(a, b, ctr) for a, b in zip(o1.args, o2.args))
        except _Mismatch:
            return (f"a constant argument of kernel {o2.name!r} changed between two runs of the "
                    "step (a Python value computed from state that changes each step)")
        if (o1.guard is None) != (o2.guard is None) or (
                o1.guard is not None and not same_const(o1.guard, o2.guard)):
            return (f"a value xgrad read on the host ({o2.name}) changed between two runs of "
                    "the step (data-dependent control flow)")
        o2.args = args
        ops.append(o2)
    if r1.writes != r2.writes or r1.aliases != r2.aliases or r1.n_inputs != r2.n_inputs:
        return "two runs of the step wrote different tensors"
    if not _same_spec(r1.result, r2.result):
        return "two runs of the step returned different Python values"
    if [id(g) for g in t1.gens] != [id(g) for g in t2.gens] or \
            t1.gen_advance() != t2.gen_advance():
        return "two runs of the step drew different amounts of random numbers"
    outputs: list[int] = []
    for w in r2.writes:
        if w[0] in ("data", "grad_new", "grad_data") and w[2] not in outputs:
            outputs.append(w[2])
    new_slots: list[int] = []
    _result_slots(r2.result, new_slots)
    for n in new_slots:
        if n not in outputs:
            outputs.append(n)
    backends = {id(op.backend): op.backend for op in ops}
    prog = Program(ops, list(t2.inputs), outputs, [], next(iter(backends.values()))
                   if len(backends) == 1 else None)
    eliminate_dead_code(prog)
    fold_constants(prog, t2.values)
    fuse_pairs(prog)
    last_guard = max((i for i, op in enumerate(prog.ops) if op.guard is not None), default=0)
    for op in prog.ops[:last_guard]:
        if op.name not in PURE_KERNELS and op.guard is None:
            return (f"kernel {op.name!r} writes its arguments before a value check the step "
                    "makes on the host; a failed check could not be undone")
    dyn: dict[tuple, Dyn] = {}
    for op in prog.ops:
        for a in op.args:
            _dyns(a, dyn)
    prog.dynamic = list(dyn.values())
    plan_memory(prog, t2.values)
    return Step(r2, prog, compile_program(prog, use_backend), counters)


def _dyns(a: Any, out: dict) -> None:
    if type(a) is Dyn:
        out.setdefault(a.key, a)
    elif type(a) is Seq:
        for x in a.items:
            _dyns(x, out)


def _result_slots(spec: Any, out: list) -> None:
    kind = spec[0]
    if kind is tuple or kind is list:
        for s in spec[1]:
            _result_slots(s, out)
    elif kind is dict:
        for s in spec[1].values():
            _result_slots(s, out)
    elif kind == "new":
        out.append(spec[1])


