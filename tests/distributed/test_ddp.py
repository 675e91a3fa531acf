"""DistributedDataParallel: N steps on per-rank shards give the parameters of single-process
training on the whole batch (trained here, without MPI), for an MLP, a CNN with BatchNorm and an
LSTM; buffers are broadcast from rank 0; ``no_sync`` accumulates locally."""
from __future__ import annotations

import numpy as np
import pytest
from models import BATCH, TwoHeads, make, reference, shard
from mpi_launch import run_mpi

KINDS = ["mlp", "cnn", "lstm"]


@pytest.fixture(scope="module", params=[2, 3], ids=["2ranks", "3ranks"])
def trained(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    n = request.param
    assert BATCH % n == 0
    out = tmp_path_factory.mktemp(f"ddp{n}")
    proc, _ = run_mpi("ddp.py", n, str(out), *KINDS, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return n, out


@pytest.mark.parametrize("kind", KINDS)
def test_ddp_matches_full_batch_training(trained, kind: str) -> None:
    n, out = trained
    want = reference(kind)
    for r in range(n):
        got = np.load(out / f"{kind}_rank{r}.npz")
        assert int(got["n_buckets"]) > 1 and got["keys_prefixed"]
        for name, w in want.items():
            np.testing.assert_allclose(got[f"param.{name}"], w, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{kind} {name} rank {r}")


def test_batchnorm_buffers_come_from_rank_0(trained) -> None:
    n, out = trained
    res = [np.load(out / f"cnn_rank{r}.npz") for r in range(n)]
    # after a train-mode step each rank has statistics of its own shard ...
    assert not np.allclose(res[0]["running_mean_after_train"], res[1]["running_mean_after_train"])
    # ... and the next forward starts from rank 0's on every rank
    for r in range(n):
        np.testing.assert_array_equal(res[r]["running_mean_broadcast"], res[0]["running_mean_after_train"])


def test_no_sync_accumulates_then_averages(trained) -> None:
    n, out = trained
    import xgrad
    from xgrad import nn

    model, x, y = make("mlp")
    full = []
    for r in range(n):  # what each rank's grad would be: its three thirds, each loss / 3
        xs, ys = shard(x, r, n), shard(y, r, n)
        model.zero_grad()
        for idx in np.array_split(np.arange(len(xs)), 3):
            loss = nn.functional.cross_entropy(model(xgrad.from_numpy(xs[idx])), xgrad.from_numpy(ys[idx]))
            (loss / 3).backward()
        full.append({k: p.grad.numpy().copy() for k, p in model.named_parameters()})
    locals_ = []
    for r in range(n):
        got = np.load(out / f"nosync_rank{r}.npz")
        locals_.append(got["local"])
        for k in full[0]:
            np.testing.assert_allclose(got[f"grad.{k}"], np.mean([f[k] for f in full], 0), rtol=1e-5,
                                       atol=1e-6)
    assert not np.allclose(locals_[0], locals_[1])  # inside no_sync the grads stayed local


def test_find_unused_parameters(trained) -> None:
    """Rank 0 uses head ``a``, the others head ``b``: with find_unused_parameters each head's
    gradient is the average over all ranks of the (zero where unused) local gradients."""
    n, out = trained
    import xgrad
    from xgrad import nn

    local = []
    _, x, y = make("mlp")
    for r in range(n):
        xgrad.manual_seed(0)
        m = TwoHeads()
        xs, ys = shard(x, r, n), shard(y, r, n)
        nn.functional.cross_entropy(m(xgrad.from_numpy(xs), use_b=r > 0), xgrad.from_numpy(ys)).backward()
        local.append({k: p.grad.numpy().copy() if p.grad is not None else np.zeros(tuple(p.shape), "f4")
                      for k, p in m.named_parameters()})
    for r in range(n):
        got = np.load(out / f"unused_rank{r}.npz")
        for k in local[0]:
            np.testing.assert_allclose(got[f"grad.{k}"], np.mean([g[k] for g in local], 0), rtol=1e-5,
                                       atol=1e-7, err_msg=k)
        # without it, the unused head's bucket never completes: the next forward says so
        assert str(got["message"]).startswith("Expected to have finished reduction in the prior iteration")
