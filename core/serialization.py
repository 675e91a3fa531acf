"""Checkpoints: ``xgrad.save`` / ``xgrad.load`` as one safetensors file, never pickle.

The tensors go into the safetensors body, keyed by their path in the saved structure (a
module's ``state_dict`` keeps its own key names, so ``safetensors.torch.load_file`` reads it
back under the same names). The structure itself — dicts (with their key types), lists,
tuples, ints, floats, strings, bools and ``None`` — is JSON in the header's ``__metadata__``
under ``"xgrad"``. Loading parses data only: a hostile file cannot run code.

Writes are atomic: the bytes go to a temporary file in the target's directory, are flushed
and fsync'ed, then ``os.replace`` puts it in place, so an interrupted save leaves any
previous checkpoint untouched.
"""
from __future__ import annotations

import json
import os
import struct
import tempfile
from typing import Any, BinaryIO

import numpy as _np

from .device import resolve
from .dtypes import dtype_from_name
from .tensor import Tensor, wrap

__all__ = ["save", "load"]

_META_KEY = "xgrad"
_FORMAT_VERSION = "1"
_MAX_HEADER = 100_000_000

PathOrFile = str | os.PathLike | BinaryIO


# ---- encoding -------------------------------------------------------------------------------
class _Encoder:
    """Walks the object, collecting tensors (as host arrays) and the JSON tree."""

    def __init__(self) -> None:
        self.arrays: dict[str, _np.ndarray] = {}
        self._by_id: dict[int, str] = {}

    def encode(self, obj: Any, path: str) -> Any:
        if isinstance(obj, Tensor):
            return {"t": self._tensor(obj, path)}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return {"v": obj}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (bool, int, float, str))):
                    raise TypeError(f"xgrad.save: dict keys must be str, int, float, bool or None; "
                                    f"found a key of type {type(k).__name__} at {path or '<root>'!r}")
                items.append([k, self.encode(v, _join(path, k))])
            return {"d": items}
        if isinstance(obj, tuple):
            return {"u": [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return {"l": [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]}
        raise TypeError(f"xgrad.save stores tensors, dicts, lists, tuples and int/float/str/bool/None "
                        f"values (never pickle); found {type(obj).__module__}.{type(obj).__name__} "
                        f"at {path or '<root>'!r}")

    def _tensor(self, t: Tensor, path: str) -> str:
        key = self._by_id.get(id(t))
        if key is not None:
            return key
        key = path or "tensor"
        n = 1
        while key in self.arrays:
            key = f"{path or 'tensor'}#{n}"
            n += 1
        arr = _np.asarray(t._backend.to_numpy(t._data))
        self.arrays[key] = arr if arr.flags.c_contiguous else arr.copy(order="C")
        self._by_id[id(t)] = key
        return key


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def save(obj: Any, f: PathOrFile) -> None:
    """Save ``obj`` — a (nested) state dict of tensors and plain values — to ``f`` (a path, or a
    binary file object) as a safetensors file with the structure in its metadata."""
    enc = _Encoder()
    tree = enc.encode(obj, "")
    metadata = {"format": "pt", _META_KEY: json.dumps(tree), "xgrad_format_version": _FORMAT_VERSION}
    from safetensors.numpy import save as _st_save

    payload = _st_save(enc.arrays, metadata=metadata)
    if hasattr(f, "write"):
        f.write(payload)  # type: ignore[union-attr]
        return
    _atomic_write(os.fspath(f), payload)  # type: ignore[arg-type]


def _write_payload(fh: BinaryIO, payload: bytes) -> None:
    """Write all of ``payload`` to ``fh`` (in chunks) and flush it to disk."""
    view = memoryview(payload)
    chunk = 1 << 24
    for start in range(0, len(view), chunk):
        fh.write(view[start:start + chunk])
    fh.flush()
    os.fsync(fh.fileno())


def _atomic_write(path: str, payload: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_payload(fh, payload)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give what open() would have
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# ---- decoding -------------------------------------------------------------------------------
def _read(f: PathOrFile) -> tuple[bytes, str]:
    if hasattr(f, "read"):
        return f.read(), getattr(f, "name", "<file object>")  # type: ignore[union-attr]
    name = os.fspath(f)  # type: ignore[arg-type]
    with open(name, "rb") as fh:
        return fh.read(), str(name)


def _header(data: bytes, name: str) -> dict[str, Any]:
    """Parse and check the safetensors header; explain what is wrong with a foreign file."""
    def bad(why: str) -> ValueError:
        return ValueError(f"xgrad.load: {name!r} is not a valid xgrad/safetensors checkpoint: {why}")

    try:
        return _parse_header(data, bad)
    except ValueError:
        if data[:4] == b"PK\x03\x04" or data[:1] == b"\x80":
            raise bad("it looks like a pickle-based checkpoint (torch.save / pickle). xgrad never "
                      "unpickles (that could run code); re-save it with safetensors "
                      "(safetensors.torch.save_file) and load that") from None
        raise


def _parse_header(data: bytes, bad: Any) -> dict[str, Any]:
    if len(data) < 8:
        raise bad(f"file is {len(data)} bytes, shorter than the 8-byte header length (truncated "
                  "or empty)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > len(data):
        raise bad(f"header length {n} does not fit in the file's {len(data)} bytes (truncated "
                  "or not a safetensors file)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise bad(f"header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    body = len(data) - 8 - n
    for key, info in header.items():
        if key == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2):
            raise bad(f"tensor {key!r} has no valid data_offsets")
        if offsets[1] > body:
            raise bad(f"tensor {key!r} ends at byte {offsets[1]} of the data section but the file "
                      f"holds only {body} bytes after the header (truncated)")
    return header


def _to_backend(arr: _np.ndarray, be: Any, key: str, name: str) -> Tensor:
    try:
        dtype = dtype_from_name(arr.dtype)
    except TypeError:
        raise ValueError(f"xgrad.load: tensor {key!r} in {name!r} has dtype {arr.dtype}, which xgrad "
                         "does not support") from None
    return wrap(be.from_numpy(arr, dtype), be)


def _decode(node: Any, tensors: dict[str, Tensor], name: str) -> Any:
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError(f"xgrad.load: {name!r} has corrupted structure metadata (node {node!r})")
    kind, value = next(iter(node.items()))
    if kind == "t":
        if value not in tensors:
            raise ValueError(f"xgrad.load: {name!r} is corrupted: its metadata names tensor "
                             f"{value!r}, which the file does not contain")
        return tensors[value]
    if kind == "v":
        return value
    if kind == "d":
        return {k: _decode(v, tensors, name) for k, v in value}
    if kind == "l":
        return [_decode(v, tensors, name) for v in value]
    if kind == "u":
        return tuple(_decode(v, tensors, name) for v in value)
    raise ValueError(f"xgrad.load: {name!r} has corrupted structure metadata (unknown kind {kind!r})")


def load(f: PathOrFile, map_location: Any = None) -> Any:
    """Load what :func:`save` wrote (or any safetensors file: a flat dict of tensors) with its
    tensors on ``map_location`` (``"cpu"``, ``"reference"``, ``"cuda"``, an ``xgrad.device``;
    default: the current default device)."""
    if map_location is not None and (callable(map_location) or isinstance(map_location, dict)):
        raise TypeError("xgrad.load: map_location must be a device name or xgrad.device, got "
                        f"{type(map_location).__name__}")
    be = resolve(map_location)
    data, name = _read(f)
    header = _header(data, name)
    from safetensors import SafetensorError
    from safetensors.numpy import load as _st_load

    try:
        arrays = _st_load(data)
    except (SafetensorError, ValueError, TypeError) as e:
        raise ValueError(f"xgrad.load: {name!r} is not a valid safetensors checkpoint: {e}") from None
    tensors = {k: _to_backend(a, be, k, name) for k, a in arrays.items()}
    meta = header.get("__metadata__") or {}
    tree = meta.get(_META_KEY) if isinstance(meta, dict) else None
    if tree is None:
        order = sorted((k for k in header if k != "__metadata__"),
                       key=lambda k: header[k]["data_offsets"][0])
        return {k: tensors[k] for k in order}
    try:
        tree = json.loads(tree)
    except ValueError as e:
        raise ValueError(f"xgrad.load: {name!r} has corrupted structure metadata: {e}") from None
    return _decode(tree, tensors, name)
