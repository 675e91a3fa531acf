"""Checkpoints: ``xgrad.save`` / ``xgrad.load`` as one safetensors file.

The tensors (and numpy arrays) go into the safetensors body, keyed by their path in the
saved structure (a module's ``state_dict`` keeps its own key names, so
``safetensors.torch.load_file`` reads it back under the same names). The structure itself is
JSON in the header's ``__metadata__`` under ``"xgrad"``: dicts (with their key types,
``OrderedDict`` kept), lists, tuples, sets, ints, floats, complex numbers, strings, bytes,
bytearrays, bools, ``None``, numpy arrays and scalars, xgrad dtypes, devices and Sizes.
Loading that is parsing data only: a hostile file cannot run code.

Anything else (a whole ``nn.Module``, a custom class) is pickled into the file as a blob,
with its tensors still stored as safetensors entries (pickle persistent ids). As in PyTorch
>= 2.6, ``load`` defaults to ``weights_only=True`` and then refuses such a blob without
unpickling it, telling the caller to pass ``weights_only=False`` for a file they trust.

Classes and functions the caller trusts can be allowlisted (``add_safe_globals``, or the
``safe_globals`` context manager, as ``torch.serialization``): a pickled object whose every
global is allowlisted (or one of the few always allowed: ``OrderedDict``, ``set``, xgrad's
Tensor classes, dtypes and ``Size``) then loads under ``weights_only=True`` too, through an
unpickler that refuses every other global before anything is called.

Format version 1 files (tensors and JSON values only) read unchanged: version 2 only adds
node kinds.

Writes are atomic: the bytes go to a temporary file in the target's directory (the
symlink's target when the path is a symlink), are flushed and fsync'ed, then ``os.replace``
puts it in place, so an interrupted save leaves any previous checkpoint untouched. The new
file keeps the old one's permissions (a new file gets what ``open()`` would give); a failed
save removes its temporary file, and the next save to the same path sweeps temporary files
left by killed processes. Loading refuses anything but a regular file (a FIFO, a device, a
directory) before reading, caps the metadata's size and nesting, and names the file in
every error.
"""
from __future__ import annotations

import _compat_pickle
import base64
import io
import json
import os
import pickle
import pickletools
import re
import stat
import struct
import sys
import tempfile
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as _np

from .device import device as _device
from .device import resolve
from .dtypes import BFLOAT16_MISSING, DType, dtype_from_name
from .shapes import Size
from .tensor import Tensor, wrap

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "get_unsafe_globals_in_checkpoint"]

_META_KEY = "xgrad"
_FORMAT_VERSION = "2"
_TENSOR_TAG = "xgrad.tensor"
_MAX_HEADER = 100_000_000
#: Deepest structure nesting a checkpoint may have (a state dict nests a few levels).
_MAX_DEPTH = 200
#: safetensors dtypes xgrad reads (numpy-native; bfloat16 and float8 need other libraries).
_READABLE = {"BF16", "F16", "F32", "F64", "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "BOOL"}

PathOrFile = str | os.PathLike | BinaryIO


# ---- encoding -------------------------------------------------------------------------------
class _Encoder:
    """Walks the object, collecting tensors and arrays (as host arrays) and the JSON tree."""

    def __init__(self, protocol: int = 2) -> None:
        self.arrays: dict[str, _np.ndarray] = {}
        self._by_id: dict[int, str] = {}
        self._protocol = protocol

    def encode(self, obj: Any, path: str) -> Any:
        if isinstance(obj, Tensor):
            return {"t": self._tensor(obj, path)}
        if isinstance(obj, _np.generic) and _storable(obj.dtype):
            return {"s": self._array(_np.asarray(obj), path)}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return {"v": obj}
        if type(obj) is bytes:
            return {"b": base64.b64encode(obj).decode("ascii")}
        if type(obj) is bytearray:
            return {"ba": base64.b64encode(bytes(obj)).decode("ascii")}
        if type(obj) is complex:
            return {"c": [obj.real, obj.imag]}
        if type(obj) is Size:
            return {"z": [int(n) for n in obj]}
        if type(obj) is set:
            return {"set": [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]}
        if type(obj) is _np.ndarray and _storable(obj.dtype):
            return {"n": self._array(obj, path)}
        if isinstance(obj, DType):
            return {"dt": obj.name}
        if isinstance(obj, _device):
            return {"dv": str(obj)}
        if isinstance(obj, dict) and all(_plain_key(k) for k in obj):
            items = [[k, self.encode(v, _join(path, k))] for k, v in obj.items()]
            return {"o": items} if type(obj) is OrderedDict else {"d": items}
        if type(obj) is tuple:
            return {"u": [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return {"l": [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]}
        return self._pickle(obj, path)

    def _pickle(self, obj: Any, path: str) -> Any:
        """Anything outside the plain-data kinds: a pickle blob whose tensors are stored as
        safetensors entries (persistent ids), loadable only with ``weights_only=False``."""
        buf = io.BytesIO()
        pickler = _Pickler(buf, self, _join(path, "<pickled>") if path else "<pickled>",
                           self._protocol)
        try:
            pickler.dump(obj)
        except (pickle.PicklingError, TypeError, AttributeError) as e:
            raise TypeError(f"xgrad.save cannot store the {_type_name(obj)} at "
                            f"{path or '<root>'!r}: it is not plain data and pickling it failed "
                            f"({e})") from None
        key = self._array(_np.frombuffer(buf.getvalue(), dtype=_np.uint8),
                          _join(path, "<pickle>") if path else "<pickle>")
        return {"p": key, "type": _type_name(obj), "at": path or "<root>"}

    def _unique(self, base: str) -> str:
        key, n = base, 1
        while key in self.arrays:
            key = f"{base}#{n}"
            n += 1
        return key

    def _array(self, arr: _np.ndarray, path: str) -> str:
        key = self._unique(path or "array")
        self.arrays[key] = arr if arr.flags.c_contiguous else arr.copy(order="C")
        return key

    def _tensor(self, t: Tensor, path: str) -> str:
        key = self._by_id.get(id(t))
        if key is not None:
            return key
        key = self._unique(path or "tensor")
        arr = _np.asarray(t._backend.to_numpy(t._data))
        self.arrays[key] = arr if arr.flags.c_contiguous else arr.copy(order="C")
        self._by_id[id(t)] = key
        return key


class _Pickler(pickle.Pickler):
    """Pickles an object but hands its tensors to the encoder (stored as safetensors)."""

    def __init__(self, file: BinaryIO, enc: _Encoder, path: str, protocol: int) -> None:
        super().__init__(file, protocol=protocol)
        self._enc = enc
        self._path = path
        self._n = 0

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            key = self._enc._by_id.get(id(obj))
            if key is None:
                key = self._enc._tensor(obj, f"{self._path}.{self._n}")
                self._n += 1
            return (_TENSOR_TAG, key, type(obj), bool(obj._rg))
        return None


def _storable(dt: _np.dtype) -> bool:
    """Whether safetensors stores numpy arrays of this dtype."""
    return dt.kind in "biuf" and dt.byteorder in "=|<"


def _plain_key(k: Any) -> bool:
    return k is None or isinstance(k, (bool, int, float, str))


def _type_name(obj: Any) -> str:
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def save(obj: Any, f: PathOrFile, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save ``obj`` to ``f`` (a path, or a binary file object such as ``io.BytesIO``) as a
    safetensors file with the structure in its metadata.

    Plain data (tensors, numbers, strings, bytes, None, containers, numpy arrays, dtypes,
    devices) is stored as data; any other object (a whole module) is pickled, and loading it
    then needs ``xgrad.load(f, weights_only=False)``. A path is written atomically.
    """
    enc = _Encoder(pickle_protocol)
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


def _tmp_prefix(path: str) -> str:
    return "." + os.path.basename(path) + "."


def _sweep_stale(path: str) -> None:
    """Remove temporary files of earlier saves to ``path`` whose process is gone."""
    directory = os.path.dirname(path)
    pattern = re.compile(re.escape(_tmp_prefix(path)) + r"(\d+)\.[^.]+\.tmp$")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for entry in names:
        m = pattern.match(entry)
        if m is None or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # its process is alive: maybe saving right now
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, OSError):
            continue
        try:
            os.unlink(os.path.join(directory, entry))
        except OSError:
            pass


def _atomic_write(path: str, payload: bytes) -> None:
    path = os.path.realpath(path)  # through a symlink to its target: the link stays a link
    directory = os.path.dirname(path)
    _sweep_stale(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask  # what open(path, "wb") would have made
    fd, tmp = tempfile.mkstemp(prefix=f"{_tmp_prefix(path)}{os.getpid()}.", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_payload(fh, payload)
        os.chmod(tmp, mode)
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
    try:
        st = os.stat(name)
    except OSError as e:
        raise FileNotFoundError(e.errno, f"xgrad.load: cannot open {str(name)!r}: {e.strerror}",
                                str(name)) from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)"
                if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "not a regular file")
        raise ValueError(f"xgrad.load: {str(name)!r} is {kind}, not a checkpoint file")
    with open(name, "rb") as fh:
        return fh.read(), str(name)


def _header(data: bytes, name: str) -> dict[str, Any]:
    """Parse and check the safetensors header; explain what is wrong with a foreign file."""
    def bad(why: str) -> ValueError:
        return ValueError(f"xgrad.load: {name!r} is not a valid xgrad/safetensors checkpoint: {why}")

    try:
        return _parse_header(data, bad, name)
    except ValueError:
        if data[:4] == b"PK\x03\x04" or data[:1] == b"\x80":
            raise bad("it looks like a pickle-based checkpoint (torch.save / pickle). xgrad never "
                      "unpickles (that could run code); re-save it with safetensors "
                      "(safetensors.torch.save_file) and load that") from None
        raise


def _parse_header(data: bytes, bad: Any, name: str) -> dict[str, Any]:
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
            if not (info is None or isinstance(info, dict)
                    and all(isinstance(v, str) for v in info.values())):
                raise bad("__metadata__ is not a JSON object of strings")
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int and o >= 0 for o in offsets) and offsets[0] <= offsets[1]):
            raise bad(f"tensor {key!r} has no valid data_offsets (two ascending non-negative "
                      f"integers expected, got {offsets!r})")
        shape = info.get("shape")
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            raise bad(f"tensor {key!r} has no valid shape (a list of non-negative integers "
                      f"expected, got {shape!r})")
        dt = info.get("dtype")
        if not isinstance(dt, str):
            raise bad(f"tensor {key!r} has no valid dtype (got {dt!r})")
        if dt not in _READABLE:
            raise ValueError(f"xgrad.load: tensor {key!r} in {name!r} has dtype {dt}, "
                             "which xgrad cannot read")
        if offsets[1] > body:
            raise bad(f"tensor {key!r} ends at byte {offsets[1]} of the data section but the file "
                      f"holds only {body} bytes after the header (truncated)")
    return header


#: safetensors dtype codes -> numpy dtypes (little-endian, as the format stores them).
_ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
              "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}


def _st_arrays(data: bytes) -> dict[str, _np.ndarray]:
    """Every array of a safetensors body, by name; BF16 ones as ml_dtypes' bfloat16."""
    from safetensors import deserialize

    out = {}
    for key, info in deserialize(data):
        code = info["dtype"]
        if code == "BF16":
            try:
                import ml_dtypes
            except ImportError:
                raise ImportError(f"xgrad.load: tensor {key!r} is bfloat16; " + BFLOAT16_MISSING
                                  ) from None
            dt = _np.dtype(ml_dtypes.bfloat16)
        elif code in _ST_DTYPES:
            dt = _np.dtype(_ST_DTYPES[code])
        else:
            raise ValueError(f"tensor {key!r} has dtype {code}, which xgrad does not support")
        out[key] = _np.frombuffer(info["data"], dtype=dt).reshape(info["shape"])
    return out


def _to_backend(arr: _np.ndarray, be: Any, key: str, name: str) -> Tensor:
    try:
        dtype = dtype_from_name(arr.dtype)
    except TypeError:
        raise ValueError(f"xgrad.load: tensor {key!r} in {name!r} has dtype {arr.dtype}, which xgrad "
                         "does not support") from None
    return wrap(be.from_numpy(arr, dtype), be)


def _weights_only_error(name: str, type_name: str, at: str,
                        unsupported: str | None = None) -> pickle.UnpicklingError:
    detail = "" if unsupported is None else (
        f"\n  WeightsUnpickler error: Unsupported global: GLOBAL {unsupported} was not an allowed "
        f"global by default. Please use `xgrad.serialization.add_safe_globals([{unsupported}])` "
        f"or the `xgrad.serialization.safe_globals([{unsupported}])` context manager to "
        "allowlist this global if you trust this class/function.")
    return pickle.UnpicklingError(
        f"Weights only load failed: {name!r} contains a pickled {type_name} object at {at!r}, "
        "and "
        "xgrad.load defaults to weights_only=True, which loads only plain data (tensors, "
        "numbers, strings, bytes, None, lists/tuples/sets/dicts, numpy arrays, dtypes, devices) "
        "and allowlisted classes, and never unpickles anything else, since unpickling can run "
        "arbitrary code.\n"
        "  (1) If you trust the source of this file, load it with "
        "xgrad.load(f, weights_only=False).\n"
        "  (2) To keep weights_only=True, save plain data instead, e.g. "
        "xgrad.save(model.state_dict(), f), and load that into a freshly built model with "
        "model.load_state_dict(xgrad.load(f)); or allowlist the classes you trust with "
        "xgrad.serialization.add_safe_globals." + detail)


# ---- the weights_only allowlist ---------------------------------------------------------
#: Globals the caller allowlisted: callables, or ``(callable, "module.name")`` pairs.
_SAFE_GLOBALS: list[Any] = []
#: Globals always allowed under ``weights_only=True``: containers and xgrad's own value types.
_ALWAYS_SAFE = {"collections.OrderedDict": OrderedDict, "builtins.set": set,
                "builtins.frozenset": frozenset, "builtins.bytearray": bytearray,
                "builtins.complex": complex, "builtins.slice": slice,
                "xgrad.dtypes.dtype_from_name": dtype_from_name, "xgrad.shapes.Size": Size,
                "xgrad.tensor.Tensor": Tensor}


def add_safe_globals(safe_globals: list[Any]) -> None:
    """Allowlist classes/functions for ``load(weights_only=True)``: each entry is the object,
    or ``(object, "module.name")`` to allow it under the name the file uses."""
    for g in safe_globals:
        if g not in _SAFE_GLOBALS:
            _SAFE_GLOBALS.append(g)


def get_safe_globals() -> list[Any]:
    """The globals allowlisted with :func:`add_safe_globals` (a copy)."""
    return list(_SAFE_GLOBALS)


def clear_safe_globals() -> None:
    """Forget every allowlisted global."""
    _SAFE_GLOBALS.clear()


class safe_globals:
    """Context manager: ``with xgrad.serialization.safe_globals([Foo]): xgrad.load(f)``
    allowlists ``Foo`` for the block only (the previous allowlist is restored after it)."""

    def __init__(self, safe_globals: list[Any]) -> None:
        self.safe_globals = safe_globals
        self._saved: list[Any] = []

    def __enter__(self) -> None:
        self._saved = get_safe_globals()
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc: Any) -> None:
        _SAFE_GLOBALS[:] = self._saved


def _qualified(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"


def _py3_name(module: str, name: str) -> tuple[str, str]:
    """Python 3's name for a global a protocol-2 pickle wrote under its Python 2 name
    (``__builtin__.set`` is ``builtins.set``), as ``pickle.Unpickler`` maps it."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _allowed(module: str, name: str) -> Any:
    """The object ``module.name`` stands for if it is allowlisted, else None."""
    module, name = _py3_name(module, name)
    full = f"{module}.{name}"
    if full in _ALWAYS_SAFE:
        return _ALWAYS_SAFE[full]
    for g in _SAFE_GLOBALS:
        if isinstance(g, tuple) and len(g) == 2:
            if g[1] == full:
                return g[0]
        elif _qualified(g) == full:
            return g
    if module.startswith("xgrad."):  # xgrad's own Tensor subclasses (nn.Parameter, nn.Buffer)
        mod = sys.modules.get(module)  # only modules already imported: a file imports nothing
        obj = getattr(mod, name, None) if mod is not None else None
        if isinstance(obj, type) and issubclass(obj, Tensor):
            return obj
    return None


class _Unsupported(Exception):
    """A global outside the allowlist (carries its ``module.name``)."""


def _pickle_globals(blob: bytes) -> list[str]:
    """The ``module.name`` of every global a pickle blob refers to, read without running it."""
    names, strings, memo = [], [], {}
    for op, arg, _ in pickletools.genops(blob):
        if op.name == "GLOBAL":
            names.append(".".join(_py3_name(*str(arg).split(" ", 1))))
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            strings.append(arg)
        elif op.name == "MEMOIZE" and strings:
            memo[len(memo)] = strings[-1]
        elif op.name in ("BINPUT", "LONG_BINPUT", "PUT") and strings:
            memo[arg] = strings[-1]
        elif op.name in ("BINGET", "LONG_BINGET", "GET") and arg in memo:
            strings.append(memo[arg])
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            names.append(".".join(_py3_name(strings[-2], strings[-1])))
    return names


class _Decoder:
    """Rebuilds the saved structure; tensors are made on first reference, once each."""

    def __init__(self, arrays: dict[str, _np.ndarray], be: Any, name: str,
                 weights_only: bool) -> None:
        self.arrays = arrays
        self.be = be
        self.name = name
        self.weights_only = weights_only
        self.tensors: dict[str, Tensor] = {}

    def _raw(self, key: Any) -> _np.ndarray:
        if not isinstance(key, str) or key not in self.arrays:
            raise ValueError(f"xgrad.load: {self.name!r} is corrupted: its metadata names tensor "
                             f"{key!r}, which the file does not contain")
        return self.arrays[key]

    def tensor(self, key: Any) -> Tensor:
        t = self.tensors.get(key)
        if t is None:
            t = self.tensors[key] = _to_backend(self._raw(key), self.be, key, self.name)
        return t

    def decode(self, node: Any, depth: int = 0) -> Any:
        name = self.name
        if depth > _MAX_DEPTH:
            raise ValueError(f"xgrad.load: {name!r} has structure metadata nested deeper than "
                             f"{_MAX_DEPTH} levels")
        if not isinstance(node, dict) or not node:
            raise ValueError(f"xgrad.load: {name!r} has corrupted structure metadata (node {node!r})")
        kind, value = next(iter(node.items()))
        if kind == "t":
            return self.tensor(value)
        if kind == "v":
            return value
        if kind == "d":
            return {k: self.decode(v, depth + 1) for k, v in value}
        if kind == "o":
            return OrderedDict((k, self.decode(v, depth + 1)) for k, v in value)
        if kind == "l":
            return [self.decode(v, depth + 1) for v in value]
        if kind == "u":
            return tuple(self.decode(v, depth + 1) for v in value)
        if kind == "n":
            return self._raw(value).copy()
        if kind == "s":
            return self._raw(value).reshape(())[()]
        if kind == "b":
            return base64.b64decode(value)
        if kind == "ba":
            return bytearray(base64.b64decode(value))
        if kind == "c":
            return complex(value[0], value[1])
        if kind == "z":
            return Size(value)
        if kind == "set":
            return {self.decode(v, depth + 1) for v in value}
        if kind == "dt":
            return dtype_from_name(value)
        if kind == "dv":
            return _device(value)
        if kind == "p":
            blob = self._raw(value).tobytes()
            try:
                return _Unpickler(io.BytesIO(blob), self, self.weights_only).load()
            except _Unsupported as e:
                raise _weights_only_error(name, str(node.get("type", "object")),
                                          str(node.get("at", "<root>")), str(e)) from None
            except pickle.UnpicklingError:
                raise
            except Exception as e:  # noqa: BLE001 - the pickled object's own code failed
                raise pickle.UnpicklingError(
                    f"xgrad.load: {name!r}: unpickling the {node.get('type', 'object')} at "
                    f"{node.get('at', '<root>')!r} failed: {type(e).__name__}: {e}") from e
        raise ValueError(f"xgrad.load: {name!r} has corrupted structure metadata (unknown kind {kind!r})")


class _Unpickler(pickle.Unpickler):
    """Unpickles a blob written by :class:`_Pickler`; with ``restricted`` (weights_only) every
    global must be allowlisted, checked before it is looked up or called."""

    def __init__(self, file: BinaryIO, dec: _Decoder, restricted: bool = False) -> None:
        super().__init__(file)
        self._dec = dec
        self._restricted = restricted
        self._made: dict[str, Tensor] = {}

    def find_class(self, module: str, name: str) -> Any:
        if not self._restricted:
            return super().find_class(module, name)
        obj = _allowed(module, name)
        if obj is None:
            raise _Unsupported(".".join(_py3_name(module, name)))
        return obj

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 4 and pid[0] == _TENSOR_TAG):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, key, cls, rg = pid
        made = self._made.get(key)
        if made is not None:
            return made
        t = self._dec.tensor(key)
        if cls is not Tensor and isinstance(cls, type) and issubclass(cls, Tensor):
            t = cls(t, rg)  # e.g. nn.Parameter(data, requires_grad)
        elif rg and not t._rg:
            t.requires_grad_(True)
        self._made[key] = t
        return t


def load(f: PathOrFile, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """Load what :func:`save` wrote (or any safetensors file: a flat dict of tensors) with its
    tensors on ``map_location`` (``"cpu"``, ``"reference"``, ``"cuda"``, an ``xgrad.device``;
    default: the current default device).

    ``weights_only`` defaults to True (as PyTorch >= 2.6): only plain data is loaded and
    nothing is unpickled; a file holding a pickled object (``xgrad.save(model, f)``) raises
    ``pickle.UnpicklingError`` unless ``weights_only=False`` is passed for a trusted file.
    """
    if weights_only is None:
        weights_only = True
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if map_location is not None and (callable(map_location) or isinstance(map_location, dict)):
        raise TypeError("xgrad.load: map_location must be a device name or xgrad.device, got "
                        f"{type(map_location).__name__}")
    be = resolve(map_location)
    data, name = _read(f)
    header = _header(data, name)
    from safetensors import SafetensorError

    try:
        arrays = _st_arrays(data)
    except (SafetensorError, ValueError, TypeError, KeyError) as e:
        raise ValueError(f"xgrad.load: {name!r} is not a valid safetensors checkpoint: "
                         f"{type(e).__name__}: {e}") from None
    meta = header.get("__metadata__") or {}
    tree = meta.get(_META_KEY) if isinstance(meta, dict) else None
    if tree is None:
        order = sorted((k for k in header if k != "__metadata__"),
                       key=lambda k: header[k]["data_offsets"][0])
        return {k: _to_backend(arrays[k], be, k, name) for k in order}
    if not isinstance(tree, str) or len(tree) > _MAX_HEADER:
        raise ValueError(f"xgrad.load: {name!r} has corrupted structure metadata (not a string "
                         f"of at most {_MAX_HEADER} characters)")
    try:
        tree = json.loads(tree)
    except RecursionError:
        raise ValueError(f"xgrad.load: {name!r} has structure metadata nested deeper than "
                         f"{_MAX_DEPTH} levels") from None
    except ValueError as e:
        raise ValueError(f"xgrad.load: {name!r} has corrupted structure metadata: {e}") from None
    try:
        return _Decoder(arrays, be, name, bool(weights_only)).decode(tree)
    except pickle.UnpicklingError:
        raise
    except ValueError as e:
        if str(e).startswith("xgrad.load:"):
            raise
        raise ValueError(f"xgrad.load: {name!r} has malformed structure metadata: "
                         f"{type(e).__name__}: {e}") from None
    except RecursionError:
        raise ValueError(f"xgrad.load: {name!r} has structure metadata nested deeper than "
                         f"{_MAX_DEPTH} levels") from None
    except (TypeError, KeyError, IndexError, AttributeError, OverflowError) as e:
        raise ValueError(f"xgrad.load: {name!r} has malformed structure metadata: "
                         f"{type(e).__name__}: {e}") from None


def get_unsafe_globals_in_checkpoint(f: PathOrFile) -> list[str]:
    """The ``module.name`` of each global a checkpoint's pickled objects use that
    ``load(weights_only=True)`` would refuse (nothing is unpickled to find them)."""
    data, name = _read(f)
    header = _header(data, name)
    meta = header.get("__metadata__") or {}
    tree = meta.get(_META_KEY) if isinstance(meta, dict) else None
    if not isinstance(tree, str):
        return []
    arrays = _st_arrays(data)
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "p" in node and isinstance(node["p"], str) and node["p"] in arrays:
                for g in _pickle_globals(arrays[node["p"]].tobytes()):
                    mod, _, attr = g.rpartition(".")
                    if _allowed(mod, attr) is None and g not in out:
                        out.append(g)
                return
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(tree))
    return out
