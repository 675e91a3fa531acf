"""Memory planning: let a replayed program write results into buffers whose lifetime ended.

Eager mode allocates a new array for every kernel result and frees it when its last reader
is done. A replayed program knows every buffer's lifetime in advance, so where the backend
can compute a kernel *into* a given array (numpy's ufuncs take ``out=``), a result can go
into the memory of a buffer nobody reads any more instead of a fresh allocation: large
steps then stop paying for page faults and allocator round trips, and an elementwise chain
runs in place. The backend opts in with two optional methods of the contract
(:meth:`xgrad.backend.Backend.write_into` and :meth:`~xgrad.backend.Backend.buffer_of`); a
backend without them is untouched.

The plan is worked out from the values the capture saw (the program is replayed only on
the same guard signature: same shapes, dtypes and memory layouts of everything it binds,
so every kernel produces results of the same shape, dtype, layout and aliasing again):

* buffers sharing memory (a view and the array it views, ``assign`` returning its
  destination) form one *storage*; the storage lives until the last read of any of them,
  and for ever when one of them is a program input or output (memory the caller sees);
* a result may be written into a storage only when it is a fresh array the backend made
  for a ``write_into`` kernel (never an input, a constant or memory a kernel handed back
  from elsewhere), nothing reads the storage after the current op, and the backend's
  ``buffer_of`` key (shape, dtype, strides) of the result equals the storage's: the
  kernel then computes the same values into the same layout, bit for bit.

A storage freed by an op's last read may take that op's own result (``exp(x, out=x)``):
elementwise kernels read each element before writing it, and numpy copies an operand
that overlaps ``out`` in any other way first.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .program import Program

__all__ = ["plan_memory"]

_FOREVER = float("inf")


def plan_memory(prog: Program, values: list[Any]) -> int:
    """Set ``op.into`` (the slot whose memory receives the result) and ``op.into_fn`` (the
    backend's writing kernel) on ops of ``prog`` that can reuse a dead buffer; ``values``
    maps slot numbers to the arrays the capture saw. Returns how many ops were planned."""
    be = prog.backend
    into_of = getattr(be, "write_into", None) if be is not None else None
    buffer_of = getattr(be, "buffer_of", None) if be is not None else None
    if into_of is None or buffer_of is None:
        return 0
    fns: dict[str, Callable | None] = {}
    owner: dict[int, Any] = {}  # slot -> the storage it lives in
    key: dict[int, Any] = {}  # root slot -> reuse key of the fresh array it holds
    root_of: dict[Any, int] = {}  # storage -> the slot whose op allocated it fresh
    for n in prog.inputs:
        owner[n] = buffer_of(values[n])[0]
    seen = set(owner.values()) | {buffer_of(c)[0] for c in prog.constants}
    ops = prog.ops
    for op in ops:
        for n in op.slots_written():
            own, k = buffer_of(values[n])
            owner[n] = own
            fresh = own not in seen
            seen.add(own)
            if op.seq is None and k is not None and fresh:
                fn = fns.get(op.name, _MISSING)
                if fn is _MISSING:
                    fn = fns[op.name] = into_of(op.name)
                if fn is not None:
                    key[n] = k
                    root_of[own] = n
    # when each storage is last needed
    end: dict[Any, float] = {}
    for i, op in enumerate(ops):
        for n in op.slots_read():
            end[owner[n]] = max(end.get(owner[n], i), i)
        for n in op.slots_written():
            end.setdefault(owner[n], i)
    for n in list(prog.inputs) + list(prog.outputs):
        end[owner[n]] = _FOREVER
    free: dict[Any, list[int]] = {}  # reuse key -> buffers (root slots) free for reuse
    release: dict[int, list[int]] = {}  # op index -> buffers free after that op
    holder: dict[int, int] = {}  # buffer -> the slot whose variable holds it now
    planned = 0
    for i, op in enumerate(ops):
        n = op.outs if op.seq is None else None
        here = release.pop(i, [])
        # only a fresh result of a writing kernel goes into reused memory, and only memory
        # that such a result was first allocated in is reused (never an input, a constant
        # or memory a kernel handed back from elsewhere)
        if n is not None and n in key and root_of.get(owner[n]) == n:
            k = key[n]
            # prefer a buffer this op reads for the last time (in place, cache-warm)
            buf = next((p for p in here if key[p] == k), None)
            if buf is not None:
                here.remove(buf)
            elif free.get(k):
                buf = free[k].pop()
            if buf is None:
                buf = n
            else:
                op.into = holder[buf]
                op.into_fn = fns[op.name]
                planned += 1
            holder[buf] = n
            last = end[owner[n]]
            if last == _FOREVER:
                pass  # an output, or a view of one: the caller keeps it
            elif last <= i:
                here.append(buf)
            else:
                release.setdefault(int(last), []).append(buf)
        for p in here:
            free.setdefault(key[p], []).append(p)
    return planned


_MISSING = object()
