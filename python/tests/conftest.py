"""Shared fixtures: synthetic SAR scenes and tolerance checks (see docs/filters.md)."""

from __future__ import annotations

import numpy as np
import pytest

BORDERS = ("reflect", "mirror", "nearest", "wrap", "constant:0.5", "constant:nan", "shrink")
NODATA = -9999.0


def scene(shape, dtype=np.float32, looks=4.0, seed=0, nan=True, nodata=None, zeros=True):
    """A speckled intensity scene with edges, a point target, constant and zero areas,
    NaN pixels and (optionally) no-data pixels."""
    rng = np.random.default_rng(seed)
    *lead, ny, nx = shape
    refl = np.empty((ny, nx))
    # piecewise-constant tiles (edges), levels log-uniform in [0.05, 5]
    ty, tx = max(1, ny // 3), max(1, nx // 4)
    levels = np.exp(rng.uniform(np.log(0.05), np.log(5.0), size=(ny // ty + 1, nx // tx + 1)))
    refl[:] = levels[np.arange(ny)[:, None] // ty, np.arange(nx)[None, :] // tx]
    img = refl * rng.gamma(looks, 1.0 / looks, size=tuple(lead) + (ny, nx))
    if ny >= 8 and nx >= 8:
        img[..., ny // 2, nx // 2] *= 80.0  # point target
        img[..., 1:4, nx - 5:nx - 1] = 2.5  # constant area (zero variance)
        if zeros:
            img[..., ny - 5:ny - 1, 1:6] = 0.0  # zero area not declared no-data
    if nan and ny * nx >= 4:
        k = max(1, ny * nx // 97)
        flat = img.reshape(-1, ny * nx)
        flat[:, rng.choice(ny * nx, k, replace=False)] = np.nan
        if ny >= 6 and nx >= 6:
            img[..., 2:5, 2:4] = np.nan  # a no-data hole
    if nodata is not None and ny * nx >= 4:
        flat = img.reshape(-1, ny * nx)
        flat[:, rng.choice(ny * nx, max(1, ny * nx // 53), replace=False)] = nodata
    return np.ascontiguousarray(img.astype(dtype))


def assert_matches(out, ref, scale, dtype, what=""):
    """out (dtype) against the float64 reference: NaN where the reference is NaN, elsewhere
    |out − ref| ≤ tol · scale (tol 1e-9 for float64, 2e-5 for float32, scale e.g. |μ| + |z|)."""
    assert out.dtype == dtype, (out.dtype, dtype)
    out64 = out.astype(np.float64)
    nan_ref = np.isnan(ref)
    np.testing.assert_array_equal(np.isnan(out64), nan_ref, err_msg=f"NaN positions {what}")
    tol = 1e-9 if dtype == np.float64 else 2e-5
    ok = ~nan_ref
    inf = np.isinf(ref) & ok
    np.testing.assert_array_equal(out64[inf], ref[inf])
    fin = ok & ~inf
    err = np.abs(out64[fin] - ref[fin])
    bound = tol * np.where(np.isfinite(scale[fin]), scale[fin], 0.0) + 1e-300
    bad = err > bound
    if bad.any():
        i = np.argmax(err / bound)
        raise AssertionError(
            f"{what}: {bad.sum()} of {fin.sum()} values off; worst {out64[fin][i]!r} vs "
            f"{ref[fin][i]!r} (bound {bound[i]:.3g})")


@pytest.fixture(scope="session")
def dask_client():
    """A small distributed cluster: 2 workers of 1 thread each (threads, no processes)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def unaligned(img):
    """A copy of ``img`` whose data starts one byte past an aligned address (a field of a
    packed record, a buffer at an odd offset, a block unpickled in a worker process)."""
    buf = np.zeros(img.nbytes + 1, np.uint8)[1:]
    out = buf.view(img.dtype).reshape(img.shape)
    out[...] = img
    assert not out.flags.aligned
    return out
