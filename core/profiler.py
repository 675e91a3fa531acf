"""``xgrad.profiler``: time every op, as ``torch.profiler`` does.

The work is done by the built-in instrumentation plugin :mod:`xgrad.plugins.profiler`,
which wraps op dispatch through the ``xgrad_dispatch`` hook only while a profile is open.
"""
from __future__ import annotations

from xgrad.plugins.profiler import EventList, FunctionEvent, FunctionEventAvg, ProfilerActivity, profile

__all__ = ["profile", "ProfilerActivity", "EventList", "FunctionEvent", "FunctionEventAvg"]
