"""Loading one plugin entry point without letting it hurt the program: a time limit on
its import, its prints kept off the program's stdout, and any exception (SystemExit
included) turned into a message naming the distribution."""
from __future__ import annotations

import io
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["LoadResult", "load_entry_point", "distribution_of", "timeout_seconds"]

#: Seconds an entry point's import may take (``$XGRAD_PLUGIN_TIMEOUT``).
DEFAULT_TIMEOUT = 30.0


@dataclass
class LoadResult:
    """What loading an entry point gave: the plugin object, or the error message."""

    plugin: Any = None
    error: str | None = None


def timeout_seconds() -> float:
    """The import time limit: ``$XGRAD_PLUGIN_TIMEOUT`` (seconds) or 30."""
    raw = os.environ.get("XGRAD_PLUGIN_TIMEOUT", "").strip()
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT


def distribution_of(ep: Any) -> str:
    """``"dist-name 1.2 (entry point 'x': module:attr)"`` for messages."""
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) or getattr(getattr(dist, "metadata", None) or {}, "get",
                                                  lambda k: None)("Name")
    version = getattr(dist, "version", "")
    who = f"{name} {version}".strip() if name else "an unknown distribution"
    return f"{who} (entry point {ep.name!r}: {ep.value})"


class _ThreadStdout(io.TextIOBase):
    """``sys.stdout`` while plugins load: the loading thread's writes go to stderr with a
    prefix, every other thread's to the real stdout."""

    def __init__(self, real: Any, loader: threading.Thread, prefix: str) -> None:
        self.real, self.loader, self.prefix = real, loader, prefix

    def write(self, text: str) -> int:
        if threading.current_thread() is self.loader:
            if text.strip():
                sys.stderr.write("".join(f"{self.prefix}{line}\n"
                                         for line in text.rstrip("\n").split("\n")))
            return len(text)
        return self.real.write(text)

    def flush(self) -> None:
        self.real.flush()


def load_entry_point(ep: Any, timeout: float | None = None) -> LoadResult:
    """Import ``ep`` in a helper thread, waiting at most ``timeout`` seconds."""
    timeout = timeout_seconds() if timeout is None else timeout
    result = LoadResult()
    where = distribution_of(ep)

    def run() -> None:
        try:
            result.plugin = ep.load()
        except BaseException as exc:  # noqa: BLE001 - SystemExit from a plugin included
            result.error = f"xgrad plugin {where} failed to load: {type(exc).__name__}: {exc}"

    loader = threading.Thread(target=run, name=f"xgrad-plugin-{ep.name}", daemon=True)
    real = sys.stdout
    sys.stdout = _ThreadStdout(real, loader, f"[xgrad plugin {ep.name}] ")
    try:
        loader.start()
        loader.join(timeout)
    finally:
        if isinstance(sys.stdout, _ThreadStdout) and sys.stdout.loader is loader:
            sys.stdout = real
    if loader.is_alive():
        return LoadResult(error=f"xgrad plugin {where} failed to load: its import did not "
                                f"finish within {timeout:g} s (XGRAD_PLUGIN_TIMEOUT); skipped")
    return result
