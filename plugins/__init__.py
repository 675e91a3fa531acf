"""xgrad's built-in instrumentation plugins, built on the ``xgrad_dispatch`` hook.

* :mod:`xgrad.plugins.anomaly` — ``xgrad.autograd.detect_anomaly()``: raise at the first
  op whose forward or backward produces NaN/Inf, with the forward call's stack.
* :mod:`xgrad.plugins.profiler` — ``xgrad.profiler.profile()``: per-op wall time, counts,
  shapes, backends; PyTorch-like tables and Chrome/Perfetto traces.
* :mod:`xgrad.plugins.fallbacks` — ``report()``: which fused ops each backend runs natively
  and which fell back to their decomposition.

Each is registered only while in use, so dispatch pays nothing for them otherwise. Third-party
plugins work the same way; see ``docs/writing-a-plugin.md``.
"""

__all__ = ["anomaly", "profiler", "fallbacks"]
