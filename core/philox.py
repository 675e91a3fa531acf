"""Philox4x32-10 on an array module: the counter-based generator behind every random tensor,
so one seed gives bit-identical words on every backend.

Part of the backend contract: a backend whose library has uint64 arithmetic (numpy, cupy,
array-api libraries) implements ``random_bits`` as
``philox_words(xp, n, seed, offset).astype(int64)`` instead of writing its own."""
from __future__ import annotations

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK32 = 0xFFFFFFFF


def philox_words(xp, n: int, seed: int, offset: int):
    """The ``n`` uint32 words ``offset .. offset + n - 1`` of the stream for ``seed``, as a 1-d
    uint64 array of the array module ``xp`` (``numpy``, ``cupy``, ...)."""
    first_block = offset // 4
    last_block = (offset + n + 3) // 4
    ctr = xp.arange(first_block, last_block, dtype=xp.uint64)
    c0 = ctr & MASK32
    c1 = ctr >> 32
    c2 = xp.zeros_like(c0)
    c3 = xp.zeros_like(c0)
    k0, k1 = seed & MASK32, (seed >> 32) & MASK32
    m0, m1 = xp.uint64(M0), xp.uint64(M1)
    for _ in range(10):
        p0 = c0 * m0
        p1 = c2 * m1
        hi0, lo0 = p0 >> 32, p0 & MASK32
        hi1, lo1 = p1 >> 32, p1 & MASK32
        c0, c1, c2, c3 = hi1 ^ c1 ^ xp.uint64(k0), lo1, hi0 ^ c3 ^ xp.uint64(k1), lo0
        k0 = (k0 + W0) & MASK32
        k1 = (k1 + W1) & MASK32
    words = xp.stack([c0, c1, c2, c3], axis=1).reshape(-1)
    start = offset - first_block * 4
    return words[start:start + n]
