"""``xgrad.nn.utils.rnn``: variable-length sequence batches, as ``torch.nn.utils.rnn``.

A :class:`PackedSequence` holds the steps of a batch of sequences sorted by decreasing
length: ``data`` stacks, step after step, the rows of the sequences still running at that
step, and ``batch_sizes[t]`` says how many there are. Packing and unpacking are slices,
concatenations and pads of Tensors, so gradients flow through them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ...creation import tensor
from ...dtypes import float32, float64, int64
from ...ops.shape import cat, pad_constant, stack
from ...tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence", "invert_permutation"]


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of an int64 permutation (``None`` stays ``None``)."""
    if permutation is None:
        return None
    perm = [int(v) for v in permutation.tolist()]
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tensor(inv, dtype=int64, device=permutation.backend)


class PackedSequence(NamedTuple):
    """A packed batch of variable-length sequences (see the module docstring).

    ``sorted_indices[i]`` is the original batch position of the ``i``-th longest sequence;
    ``unsorted_indices`` is its inverse. Both are ``None`` when the batch was already sorted.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` moved/cast with :meth:`Tensor.to`; the index tensors follow the device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        idx = [None if t is None else t.to(data.backend) for t in
               (self.sorted_indices, self.unsorted_indices)]
        return PackedSequence(data, self.batch_sizes, idx[0], idx[1])

    def cpu(self) -> PackedSequence:
        """On the CPU backend."""
        return self.to("cpu")

    def double(self) -> PackedSequence:
        """``data`` as float64."""
        return self.to(float64)

    def float(self) -> PackedSequence:
        """``data`` as float32."""
        return self.to(float32)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` lives on a CUDA device."""
        return self.data.device.type == "cuda"

    def is_pinned(self) -> bool:
        """Always False (no pinned host memory)."""
        return False


def _lengths_list(lengths: Any) -> list[int]:
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            kind = "Long" if lengths.dtype is int64 else str(lengths.dtype)
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.ndim}D cpu {kind} tensor")
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _batch_sizes(lengths: list[int]) -> list[int]:
    return [sum(1 for n in lengths if n > t) for t in range(max(lengths))]


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded ``(T, B, *)`` (``batch_first``: ``(B, T, *)``) batch whose sequence
    ``b`` has ``lengths[b]`` valid steps. With ``enforce_sorted`` the lengths must already
    decrease; otherwise the batch is sorted (stably) and the permutation recorded."""
    lens = _lengths_list(lengths)
    batch_dim = 0 if batch_first else 1
    if len(lens) != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={input.shape[batch_dim]})")
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
        order = list(range(len(lens)))
    else:
        order = sorted(range(len(lens)), key=lambda i: -lens[i])
        sorted_indices = tensor(order, dtype=int64, device=input.backend)
        input = input.index_select(batch_dim, sorted_indices)
        lens = [lens[i] for i in order]
    if lens and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if lens[0] > input.shape[1 - batch_dim]:
        raise RuntimeError(f"Expected sequence length to be larger than or equal to the longest "
                           f"sequence, but got a sequence of length {lens[0]} for a padded "
                           f"input with {input.shape[1 - batch_dim]} steps")
    if batch_first:
        input = input.transpose(0, 1)
    sizes = _batch_sizes(lens)
    data = cat([input[t, :bs] for t, bs in enumerate(sizes)], 0)
    return PackedSequence(data, tensor(sizes, dtype=int64), sorted_indices,
                          invert_permutation(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The inverse of :func:`pack_padded_sequence`: ``(padded, lengths)`` in the original
    batch order, padded with ``padding_value`` up to ``total_length`` steps if given."""
    sizes = [int(v) for v in sequence.batch_sizes.tolist()]
    batch = sizes[0]
    steps = sequence.data.split(sizes, 0)
    if total_length is not None and total_length < len(sizes):
        raise ValueError(f"Expected total_length to be at least the length of the longest "
                         f"sequence in input, but got total_length={total_length} and max "
                         f"sequence length being {len(sizes)}")
    rows = []
    for step, bs in zip(steps, sizes):
        if bs < batch:
            step = pad_constant(step, ((0, batch - bs),) + ((0, 0),) * (step.ndim - 1),
                                padding_value)
        rows.append(step)
    out = stack(rows, 0)  # (T, B, *)
    if total_length is not None and total_length > len(sizes):
        out = pad_constant(out, ((0, total_length - len(sizes)),) + ((0, 0),) * (out.ndim - 1),
                           padding_value)
    lengths = [sum(1 for bs in sizes if bs > b) for b in range(batch)]
    if sequence.unsorted_indices is not None:
        out = out.index_select(1, sequence.unsorted_indices)
        inv = [int(v) for v in sequence.unsorted_indices.tolist()]
        lengths = [lengths[i] for i in inv]
    if batch_first:
        out = out.transpose(0, 1)
    return out, tensor(lengths, dtype=int64)


def pad_sequence(sequences: Tensor | Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack variable-length ``(L_i, *)`` tensors into ``(L_max, B, *)`` (``batch_first``:
    ``(B, L_max, *)``), padding each on ``padding_side`` with ``padding_value``."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        extra = longest - s.shape[0]
        if extra:
            width = (extra, 0) if padding_side == "left" else (0, extra)
            s = pad_constant(s, (width,) + ((0, 0),) * (s.ndim - 1), padding_value)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Any,
                   batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences (``lengths[b]`` steps each)."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[b, :n] for b, n in enumerate(_lengths_list(lengths))]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of ``(L_i, *)`` tensors (decreasing lengths unless ``enforce_sorted`` is
    False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a :class:`PackedSequence` holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
