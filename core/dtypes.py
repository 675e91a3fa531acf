"""xgrad dtypes: backend-independent names with PyTorch's promotion rules."""
from __future__ import annotations

__all__ = [
    "DType", "float16", "bfloat16", "float32", "float64", "int32", "int64", "bool_",
    "ALL_DTYPES", "OPTIONAL_DTYPES", "BFLOAT16_MISSING", "dtype_from_name", "promote_types",
    "get_default_dtype", "set_default_dtype",
]


class DType:
    """A tensor element type. Compare with ``is`` or ``==``; names match PyTorch's."""

    __slots__ = ("name", "itemsize", "is_floating_point", "is_signed", "_rank", "__weakref__")

    def __init__(self, name: str, itemsize: int, is_floating_point: bool, rank: int) -> None:
        self.name = name
        self.itemsize = itemsize
        self.is_floating_point = is_floating_point
        self.is_signed = name != "bool"
        self._rank = rank

    def __repr__(self) -> str:
        return f"xgrad.{self.name}"

    def __reduce__(self):
        return (dtype_from_name, (self.name,))


bool_ = DType("bool", 1, False, 0)
int32 = DType("int32", 4, False, 1)
int64 = DType("int64", 8, False, 2)
float16 = DType("float16", 2, True, 3)
float32 = DType("float32", 4, True, 4)
float64 = DType("float64", 8, True, 5)

#: bfloat16 (8 exponent bits, 7 mantissa bits) ranks with float16: mixing the two gives float32.
bfloat16 = DType("bfloat16", 2, True, 3)

#: The dtypes every backend supports.
ALL_DTYPES: tuple[DType, ...] = (float16, float32, float64, int32, int64, bool_)
#: Dtypes a backend may add to its ``dtypes`` (numpy: bfloat16 through ``ml_dtypes``).
OPTIONAL_DTYPES: tuple[DType, ...] = (bfloat16,)
#: The error text when bfloat16 is asked for and its optional package is not installed.
BFLOAT16_MISSING = ("bfloat16 on the numpy backend needs the ml_dtypes package, which is not "
                    "installed: pip install 'xgrad[bfloat16]' (or pip install ml_dtypes)")
_BY_NAME = {d.name: d for d in ALL_DTYPES + OPTIONAL_DTYPES}
_BY_NAME.update({"half": float16, "float": float32, "double": float64, "int": int32, "long": int64})

_default_float = float32


def dtype_from_name(name: str | DType) -> DType:
    """Return the DType for a name such as ``"float32"`` (or a numpy-style dtype object)."""
    if isinstance(name, DType):
        return name
    key = getattr(name, "name", None) or str(name)
    key = key.replace("torch.", "").replace("xgrad.", "")
    try:
        return _BY_NAME[key]
    except KeyError:
        raise TypeError(
            f"unknown dtype {name!r}; expected one of "
            f"{', '.join(d.name for d in ALL_DTYPES + OPTIONAL_DTYPES)}"
        ) from None


def get_default_dtype() -> DType:
    """The floating dtype that factories and Python floats default to (float32)."""
    return _default_float


def set_default_dtype(dtype: DType) -> None:
    """Set the default floating dtype (float32 or float64), as ``torch.set_default_dtype``."""
    global _default_float
    dtype = dtype_from_name(dtype)
    if not dtype.is_floating_point:
        raise TypeError(f"set_default_dtype expects a floating dtype, got {dtype}")
    _default_float = dtype


def promote_types(a: DType, b: DType) -> DType:
    """PyTorch's promotion between two tensor dtypes."""
    if a is b:
        return a
    if a._rank == b._rank:  # float16 with bfloat16: neither holds the other
        return float32
    return a if a._rank > b._rank else b


def scalar_dtype(value: object) -> DType:
    """The dtype category of a Python scalar: bool, int64 or the default float."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    return _default_float


def result_type_with_scalar(tensor_dtype: DType, value: object) -> DType:
    """Dtype of ``tensor op scalar``: a scalar never upcasts within its category."""
    if isinstance(value, bool):
        return tensor_dtype
    if isinstance(value, int):
        return int64 if tensor_dtype is bool_ else tensor_dtype
    if tensor_dtype.is_floating_point:
        return tensor_dtype
    return _default_float
