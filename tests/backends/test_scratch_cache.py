"""The numpy backend's per-thread scratch arrays for kernel-internal temporaries."""
from __future__ import annotations

import threading

import numpy as np
import xgrad
import xgrad.nn.functional as F
from xgrad.backends._scratch import ScratchCache


def test_a_key_is_reused_on_its_thread_and_fresh_on_another():
    cache = ScratchCache(np.empty, 1 << 20)
    a = cache.take((4, 5), np.float32)
    assert cache.take((4, 5), np.float32) is a
    assert cache.take((4, 5), np.float64) is not a
    other = []
    t = threading.Thread(target=lambda: other.append(cache.take((4, 5), np.float32)))
    t.start()
    t.join()
    assert other[0] is not a and other[0].shape == (4, 5)


def test_the_cache_is_bounded_and_can_be_off():
    cache = ScratchCache(np.empty, 1000)
    big = cache.take((500,), np.float32)  # 2000 bytes: above the bound, never kept
    assert cache.take((500,), np.float32) is not big and cache.nbytes() == 0
    a = cache.take((100,), np.float32)
    b = cache.take((120,), np.float32)  # 400 + 480 bytes fit
    assert cache.nbytes() == 880 and cache.take((100,), np.float32) is a
    cache.take((50,), np.float64)  # 400 more: over the bound, the cache starts again
    assert cache.nbytes() == 400 and cache.take((120,), np.float32) is not b
    off = ScratchCache(np.empty, 0)
    assert off.take((3,), np.float32) is not off.take((3,), np.float32)


def test_convolutions_reusing_scratch_give_the_same_values_as_fresh_memory():
    rng = np.random.default_rng(0)
    be = xgrad.tensor([0.0])._backend
    results = []
    for max_bytes in (0, 256 << 20, 256 << 20):  # off, then cold and warm scratch
        saved = be._scratch
        be._scratch = ScratchCache(np.empty, max_bytes)
        try:
            x = xgrad.tensor(rng.standard_normal((3, 2, 7, 6)).astype(np.float32),
                             requires_grad=True)
            w = xgrad.tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32),
                             requires_grad=True)
            F.conv2d(x, w, padding=1, stride=(1, 2)).square().sum().backward()
            # a second conv of the same shapes between forward and the read: scratch reused
            F.conv2d(x.detach() * 2, w.detach(), padding=1, stride=(1, 2))
            results.append((x.grad.numpy().copy(), w.grad.numpy().copy()))
        finally:
            be._scratch = saved
        rng = np.random.default_rng(0)
    for gx, gw in results[1:]:
        np.testing.assert_array_equal(gx, results[0][0])
        np.testing.assert_array_equal(gw, results[0][1])
