"""despeckle.dask: chunked results equal the in-memory results bit for bit, on a cluster."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import despeckle
from conftest import BORDERS, NODATA, scene, unaligned

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
import despeckle.dask as dd  # noqa: E402

# (image shape, chunks): odd sizes not aligned to the engine's 16-row / 128-column grid,
# chunks smaller than the window, irregular chunks, one-column chunks, grid-aligned chunks;
# images wider than two column blocks (256).
CASES = [
    ((101, 263), (37, 53)),
    ((30, 41), (5, 7)),
    ((101, 263), ((50, 7, 44), (1, 130, 132))),
    ((101, 263), (32, 128)),
]
def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def check_all(pairs, client):
    """Computes every lazy result at once on the cluster and compares bit for bit."""
    lazy = [p[1] for p in pairs]
    got = client.compute(lazy, sync=True)
    for (want, lz, label), g in zip(pairs, got):
        assert lz.chunks is not None
        assert g.dtype == want.dtype and g.shape == want.shape, label
        if not np.array_equal(bits(g), bits(want)):
            diff = np.sum(bits(g) != bits(want))
            raise AssertionError(f"{label}: {diff} pixels differ")


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("dtype", (np.float32, np.float64), ids=lambda d: np.dtype(d).name)
def test_enhanced_lee_every_border_and_chunking(dask_client, dtype, border):
    pairs = []
    for (shape, chunks), size in itertools.product(CASES, (3, 7, 15)):
        img = scene(shape, dtype, seed=size + shape[0], nodata=NODATA)
        d = da.from_array(img, chunks=chunks)
        lazy = dd.enhanced_lee(d, size=size, looks=3.0, border=border, nodata=NODATA)
        assert lazy.chunks == d.chunks and lazy.dtype == dtype
        want = despeckle.enhanced_lee(img, size=size, looks=3.0, border=border, nodata=NODATA)
        pairs.append((want, lazy, f"{border} size={size} chunks={chunks}"))
    check_all(pairs, dask_client)


def test_mean_and_local_stats(dask_client):
    img = scene((90, 300), np.float64, seed=22)
    pairs = []
    for border, chunks in itertools.product(("reflect", "wrap", "shrink", "constant:2"),
                                            [(23, 31), (9, 300)]):
        d = da.from_array(img, chunks=chunks)
        pairs.append((despeckle.mean(img, size=9, border=border),
                      dd.mean(d, size=9, border=border), f"mean {border} {chunks}"))
        m, v = dd.local_stats(d, size=5, border=border, ddof=1)
        wm, wv = despeckle.local_stats(img, size=5, border=border, ddof=1)
        pairs += [(wm, m, f"mean {border}"), (wv, v, f"variance {border}")]
        cv = dd.local_stats(d, size=5, border=border, stat="cv")
        pairs.append((despeckle.local_stats(img, size=5, border=border, stat="cv"), cv, "cv"))
    check_all(pairs, dask_client)


def test_large_windows_and_tiny_images(dask_client):
    pairs = []
    for shape, size, chunks in [((40, 300), 33, (13, 70)), ((6, 9), 15, (2, 2)),
                                ((1, 50), 7, (1, 3)), ((200, 5), 41, (17, 2))]:
        img = scene(shape, np.float32, seed=size)
        for border in ("reflect", "mirror", "wrap", "shrink"):
            d = da.from_array(img, chunks=chunks)
            pairs.append((despeckle.enhanced_lee(img, size=size, border=border),
                          dd.enhanced_lee(d, size=size, border=border),
                          f"{shape} {size} {border}"))
    check_all(pairs, dask_client)


def test_stacks_with_chunked_bands(dask_client):
    stack = scene((5, 70, 90), np.float32, seed=23)
    d = da.from_array(stack, chunks=(2, 33, 41))
    want = despeckle.enhanced_lee(stack, size=7, border="wrap")
    pairs = [(want, dd.enhanced_lee(d, size=7, border="wrap"), "3-D")]
    # 4-D (time, band, y, x)
    four = np.stack([stack, stack[::-1]])
    d4 = da.from_array(four, chunks=(1, 3, 40, 50))
    want4 = np.stack([despeckle.enhanced_lee(x, size=5) for x in four])
    pairs.append((want4, dd.enhanced_lee(d4, size=5), "4-D"))
    check_all(pairs, dask_client)


def test_unaligned_blocks_are_filtered():
    """Blocks that are not aligned for their dtype (worker processes can hand them over so)
    give the in-memory result; polarimetric planes too."""
    from despeckle import polsar

    img = scene((60, 70), np.float32, seed=25)
    d = da.from_array(unaligned(img), chunks=(23, 31))
    np.testing.assert_array_equal(dd.enhanced_lee(d, size=5).compute(),
                                  despeckle.enhanced_lee(img, size=5))
    planes = np.abs(np.stack([scene((40, 50), np.float32, seed=s) for s in range(4)]))
    lazy = polsar.boxcar(da.from_array(unaligned(planes), chunks=(4, 17, 19)), size=3)
    np.testing.assert_array_equal(lazy.compute(), polsar.boxcar(planes, size=3))
    np.testing.assert_array_equal(polsar.convert(unaligned(planes[:4]), "c2"), planes[:4])
    # the compiled function itself refuses them with a clear error, not a crash
    from despeckle import _despeckle

    with pytest.raises(ValueError, match="not aligned"):
        _despeckle.polsar_convert(unaligned(planes[:4]), "c2")


def test_process_workers():
    """Worker processes (the task functions are pickled)."""
    distributed = pytest.importorskip("distributed")
    img = scene((120, 200), np.float32, seed=24)
    d = da.from_array(img, chunks=(41, 67))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        check_all([(despeckle.enhanced_lee(img, size=7, border=b),
                    dd.enhanced_lee(d, size=7, border=b), b) for b in ("reflect", "wrap")],
                  client)


def test_lazy_validation_and_types():
    img = scene((30, 40), np.float32)
    d = da.from_array(img, chunks=10)
    with pytest.raises(ValueError, match="size"):
        dd.enhanced_lee(d, size=4)  # raised now, not at compute time
    with pytest.raises(TypeError, match="astype"):
        dd.mean(d.astype(np.int16))
    with pytest.raises(ValueError, match="2-D"):
        dd.mean(d[0])
    # numpy input is accepted (wrapped in a one-chunk dask array)
    r = dd.mean(img, size=3)
    assert isinstance(r, da.Array)
    np.testing.assert_array_equal(r.compute(scheduler="sync"), despeckle.mean(img, size=3))
    # the top-level functions pass dask arrays on
    r2 = despeckle.enhanced_lee(d, size=5)
    assert isinstance(r2, da.Array)
    np.testing.assert_array_equal(r2.compute(scheduler="sync"),
                                  despeckle.enhanced_lee(img, size=5))
    m, v = despeckle.local_stats(d)
    assert isinstance(m, da.Array) and isinstance(v, da.Array)


FAMILY = {
    "lee": dict(looks=3.0),
    "kuan": dict(looks=2.0, ddof=1),
    "gamma_map": dict(looks=3.0),
    "frost": dict(distance="chebyshev"),
    "enhanced_frost": dict(looks=2.0),
    "median": dict(),
    "refined_lee": dict(),
    "lee_sigma": dict(looks=2.0),
    "idan": dict(looks=2.0, size=9),
}


@pytest.mark.parametrize("name", FAMILY)
@pytest.mark.parametrize("dtype", (np.float32, np.float64), ids=lambda d: np.dtype(d).name)
def test_family_chunked(dask_client, dtype, name):
    """Every other filter, chunked (odd, smaller-than-window and aligned chunks), equals the
    in-memory result bit for bit; also with looks="auto" and Lee Sigma's estimated z98, which
    are computed from each whole plane."""
    img = scene((2, 75, 140), dtype, seed=90, nodata=NODATA)
    pairs = []
    kw = dict(FAMILY[name], nodata=NODATA)
    kw.setdefault("size", 7)
    for border, chunks in (("reflect", (1, 23, 37)), ("shrink", (2, 6, 13)),
                           ("wrap", (1, 32, 128))):
        d = da.from_array(img, chunks=chunks)
        pairs.append((getattr(despeckle, name)(img, border=border, **kw),
                      getattr(dd, name)(d, border=border, **kw), f"{name} {border} {chunks}"))
    if name in ("lee", "refined_lee", "lee_sigma"):
        d = da.from_array(img, chunks=(1, 31, 47))
        pairs.append((getattr(despeckle, name)(img, looks="auto", nodata=NODATA),
                      getattr(dd, name)(d, looks="auto", nodata=NODATA), f"{name} looks=auto"))
    check_all(pairs, dask_client)


def test_auto_looks_are_at_least_one(dask_client):
    """An image with texture everywhere (single-look speckle on a per-pixel gamma texture)
    estimates about half a look; looks="auto" filters it with one look, in memory and chunked
    alike, and estimate_enl still reports the estimate."""
    rng = np.random.default_rng(12)
    img = (rng.exponential(1.0, (2, 90, 99)) * rng.gamma(2.0, 0.5, (2, 90, 99))).astype(
        np.float32)
    assert (despeckle.estimate_enl(img) < 0.7).all()
    d = da.from_array(img, chunks=(1, 31, 47))
    pairs = []
    for name in ("lee", "ppb"):
        want = getattr(despeckle, name)(img, looks=1.0)
        assert np.array_equal(bits(getattr(despeckle, name)(img, looks="auto")), bits(want))
        pairs.append((want, getattr(dd, name)(d, looks="auto"), f"{name} dask"))
    check_all(pairs, dask_client)


def test_estimates_of_dask_arrays(dask_client):
    img = scene((3, 120, 99), np.float32, seed=91, nodata=NODATA)
    d = da.from_array(img, chunks=(2, 17, 50))
    np.testing.assert_array_equal(dd.estimate_enl(d, nodata=NODATA),
                                  despeckle.estimate_enl(img, nodata=NODATA))
    np.testing.assert_array_equal(dd.quantile(d, 0.98, nodata=NODATA),
                                  despeckle.quantile(img, 0.98, nodata=NODATA))
    assert dd.quantile(d[0], 0.5) == despeckle.quantile(img[0], 0.5)
    assert despeckle.estimate_enl(d[1]) == despeckle.estimate_enl(img[1])  # passed on
