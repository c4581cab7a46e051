"""despeckle.polsar against plain numpy float64 references: the polarimetric boxcar, Refined Lee
(gradient rule, from the definition in docs/polarimetry.md), the single-band equivalence of a
C2 with only C11, Hermitian positive semi-definite output on Wishart scenes; real and complex
layouts, in place, dask (bit-identical to in memory) and xarray; errors."""

import numpy as np
import pytest

import despeckle
from despeckle import polsar

# The element order of docs/polarimetry.md, written out here independently of the package.
C3_NAMES = ["C11", "C12_real", "C12_imag", "C13_real", "C13_imag", "C22", "C23_real",
            "C23_imag", "C33"]
REFINED_LEE_BLOCKS = {5: (3, 1), 7: (3, 2), 9: (5, 2)}


def wishart_scene(k, ny, nx, looks=1, seed=0):
    """A (k, k, ny, nx) complex128 scene: L-look sample covariances of circular Gaussian
    scattering vectors whose true covariance changes by regions (edges), with point targets."""
    rng = np.random.default_rng(seed)
    regions = []
    for _ in range(4):
        a = rng.normal(size=(k, k)) + 1j * rng.normal(size=(k, k))
        regions.append(a @ a.conj().T * rng.uniform(0.1, 3.0))
    region = (np.arange(ny)[:, None] * 2 // ny) * 2 + (np.arange(nx)[None, :] * 2 // nx)
    chol = np.stack([np.linalg.cholesky(s + 1e-9 * np.eye(k)) for s in regions])
    z = (rng.normal(size=(looks, ny, nx, k)) + 1j * rng.normal(size=(looks, ny, nx, k))) \
        / np.sqrt(2)
    v = np.einsum("yxij,lyxj->lyxi", chol[region], z)
    v[:, ny // 3, nx // 3] *= 30.0  # point targets
    v[:, 2 * ny // 3, nx // 2] *= 50.0
    c = np.einsum("lyxi,lyxj->ijyx", v, v.conj()) / looks
    return c


def planes_of(m):
    """(k, k, y, x) complex → (k², y, x) real, the upper triangle row by row."""
    k = m.shape[0]
    out = []
    for i in range(k):
        out.append(m[i, i].real)
        for j in range(i + 1, k):
            out += [m[i, j].real, m[i, j].imag]
    return np.stack(out)


def diagonal_planes(k):
    idx, p = [], 0
    for i in range(k):
        idx.append(p)
        p += 1 + 2 * (k - 1 - i)
    return idx


def box_reference(p, size, valid=None):
    """Mean of each plane over the window's valid pixels, reflect border (numpy symmetric)."""
    h = size // 2
    _, ny, nx = p.shape
    valid = np.ones((ny, nx), bool) if valid is None else valid
    v = np.pad(np.where(valid, p, 0.0), ((0, 0), (h, h), (h, h)), mode="symmetric")
    m = np.pad(valid.astype(float), h, mode="symmetric")
    s = np.zeros(p.shape)
    n = np.zeros((ny, nx))
    for dy in range(size):
        for dx in range(size):
            s += v[:, dy:dy + ny, dx:dx + nx]
            n += m[dy:dy + ny, dx:dx + nx]
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / n


def half_masks(n):
    """Half window (dir, gradient > 0) → n × n mask (docs/polarimetry.md, PolSARpro)."""
    h = n // 2
    y, x = np.mgrid[0:n, 0:n]
    return {(0, True): x <= h, (0, False): x >= h, (1, True): x <= y, (1, False): x >= y,
            (2, True): y >= h, (2, False): y <= h, (3, True): x + y >= n - 1,
            (3, False): x + y <= n - 1}


def refined_lee_reference(p, k, size=7, looks=1.0, ddof=0):
    """Polarimetric Refined Lee, gradient rule, complete windows (reflect border), per pixel."""
    n, h = size, size // 2
    b, s = REFINED_LEE_BLOCKS[n]
    masks = half_masks(n)
    eta2 = 1.0 / looks
    pad = np.pad(p, ((0, 0), (h, h), (h, h)), mode="symmetric")
    span = pad[diagonal_planes(k)].sum(axis=0)
    out = np.empty(p.shape)
    _, ny, nx = p.shape
    for yy, xx in np.ndindex(ny, nx):
        w = span[yy:yy + n, xx:xx + n]
        m = np.array([[w[j * s:j * s + b, i * s:i * s + b].mean() for i in range(3)]
                      for j in range(3)])
        d = [m[:, 2].sum() - m[:, 0].sum(),
             (m[0, 1] + m[0, 2] + m[1, 2]) - (m[1, 0] + m[2, 0] + m[2, 1]),
             m[0].sum() - m[2].sum(),
             (m[0, 0] + m[0, 1] + m[1, 0]) - (m[1, 2] + m[2, 1] + m[2, 2])]
        best = 0
        for q in range(1, 4):
            if abs(d[q]) > abs(d[best]):
                best = q
        mask = masks[(best, d[best] > 0)]
        sv = w[mask]
        mu = sv.mean()
        var = ((sv - mu) ** 2).sum() / (sv.size - ddof)
        wt = max(0.0, (var - mu * mu * eta2) / (1 + eta2)) / var if var > 0 and mu > 0 else 0.0
        zbar = pad[:, yy:yy + n, xx:xx + n][:, mask].mean(axis=1)
        out[:, yy, xx] = zbar + wt * (p[:, yy, xx] - zbar)
    return out


def assert_psd(m, rel=1e-6):
    """Hermitian and smallest eigenvalue ≥ −rel · trace at every pixel."""
    a = np.moveaxis(m, (0, 1), (-2, -1)).astype(np.complex128)
    assert np.array_equal(a, np.conj(np.swapaxes(a, -1, -2)))
    ev = np.linalg.eigvalsh(a)
    tr = np.trace(a, axis1=-2, axis2=-1).real
    assert (ev[..., 0] >= -rel * np.abs(tr)).all(), (ev[..., 0] / tr).min()


# --- layouts -----------------------------------------------------------------------------------


def test_element_names_and_layout():
    assert polsar.elements("c3") == C3_NAMES
    assert polsar.elements("T3")[0] == "T11"
    m = wishart_scene(3, 5, 6)
    p = polsar.to_planes(m)
    np.testing.assert_array_equal(p, planes_of(m))
    back = polsar.to_matrix(p)
    assert back.dtype == np.complex128
    np.testing.assert_array_equal(back, m)
    assert polsar.to_planes(m.astype(np.complex64)).dtype == np.float32


# --- boxcar ------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("size", [3, 7])
def test_boxcar_matches_reference(k, size):
    m = wishart_scene(k, 23, 19, seed=k)
    p = planes_of(m)
    got = polsar.boxcar(p, size=size)
    ref = box_reference(p, size)
    # float64 in and out; sums in a different order: a few ulps of the window's magnitude
    scale = np.abs(p).max()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * scale)


def test_boxcar_nodata_is_joint():
    m = wishart_scene(2, 20, 18, seed=3)
    p = planes_of(m)
    p[1, 5, 6] = np.nan        # one element no-data: the whole pixel is
    p[3, 10, 2] = -1.0          # the no-data value in one plane
    got = polsar.boxcar(p, size=5, nodata=-1.0)
    valid = np.ones(p.shape[1:], bool)
    valid[5, 6] = valid[10, 2] = False
    ref = box_reference(p, 5, valid)
    np.testing.assert_allclose(got[:, valid], ref[:, valid], rtol=0, atol=1e-12 * np.nanmax(abs(p)))
    # a no-data pixel keeps its input in every element
    np.testing.assert_array_equal(got[:, ~valid], p[:, ~valid])


@pytest.mark.parametrize("k", [2, 3])
def test_complex_and_real_layouts_agree(k):
    m = wishart_scene(k, 17, 21, looks=2, seed=5)
    for dtype in (np.complex64, np.complex128):
        mc = m.astype(dtype)
        for f, kw in ((polsar.boxcar, {}), (polsar.refined_lee, {"looks": 2})):
            got = f(mc, size=5, **kw)
            assert got.dtype == mc.dtype and got.shape == mc.shape
            real = f(polsar.to_planes(mc), size=5, **kw)
            np.testing.assert_array_equal(got, polsar.to_matrix(real))
            np.testing.assert_array_equal(got, np.conj(np.swapaxes(got, 0, 1)))


def test_float32_keeps_dtype_and_close_to_float64():
    p = planes_of(wishart_scene(3, 16, 16, seed=1))
    got = polsar.boxcar(p.astype(np.float32), size=5)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, polsar.boxcar(p, size=5), rtol=0,
                               atol=1e-6 * np.abs(p).max())


# --- refined Lee -------------------------------------------------------------------------------


@pytest.mark.parametrize("k,size,looks,ddof", [(2, 5, 1.0, 0), (3, 7, 4.0, 1), (3, 9, 2.0, 0)])
def test_refined_lee_matches_reference(k, size, looks, ddof):
    p = planes_of(wishart_scene(k, 21, 18, looks=int(looks), seed=7 + k))
    got = polsar.refined_lee(p, size=size, looks=looks, ddof=ddof)
    ref = refined_lee_reference(p, k, size, looks, ddof)
    # float64 with sums in another order; the half window is a discrete choice made from
    # sums differing by rounding only: the scenes have no ties, so the results agree closely
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9 * np.abs(p).max())


def test_refined_lee_c11_only_is_single_band_refined_lee():
    img = planes_of(wishart_scene(1, 30, 26, looks=3, seed=2))[0]
    p = np.zeros((4,) + img.shape)
    p[0] = img
    for size in (5, 7):
        got = polsar.refined_lee(p, size=size, looks=3, edge_rule="closer")
        np.testing.assert_array_equal(got[0], despeckle.refined_lee(img, size=size, looks=3))
        assert (got[1:] == 0).all()


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("looks", [1, 3])
def test_outputs_are_hermitian_psd(k, looks):
    m = wishart_scene(k, 24, 22, looks=looks, seed=11 * k + looks)
    for border in ("reflect", "shrink"):
        for f, kw in ((polsar.boxcar, {}), (polsar.refined_lee, {"looks": looks}),
                      (polsar.refined_lee, {"edge_rule": "closer", "ddof": 1})):
            assert_psd(f(m, size=7, border=border, **kw))


def test_c3_and_t3_filter_identically():
    """The filters only use the span, which is the same for C3 and T3 (unitary change of
    basis): T3 filtered = U (C3 filtered) Uᴴ."""
    c = wishart_scene(3, 20, 20, seed=4)
    u = np.array([[1, 0, 1], [1, 0, -1], [0, np.sqrt(2), 0]]) / np.sqrt(2)
    t = np.einsum("ij,jkyx,lk->ilyx", u, c, u.conj())
    for f in (polsar.boxcar, polsar.refined_lee):
        fc = f(c, size=7)
        ft = f(t, size=7)
        np.testing.assert_allclose(np.einsum("ij,jkyx,lk->ilyx", u, fc, u.conj()), ft,
                                   rtol=0, atol=1e-9 * np.abs(c).max())
        pt = planes_of(t)
        np.testing.assert_array_equal(f(pt, size=7, matrix="t3"), f(pt, size=7, matrix="c3"))


# --- in place, dask, xarray ------------------------------------------------------------------


def test_in_place():
    p = planes_of(wishart_scene(3, 15, 14, seed=6))
    expect = polsar.refined_lee(p, size=5)
    q = p.copy()
    assert polsar.refined_lee(q, size=5, out=q) is q
    np.testing.assert_array_equal(q, expect)
    m = wishart_scene(2, 15, 14, seed=6)
    expect = polsar.boxcar(m, size=3)
    assert polsar.boxcar(m, size=3, out=m) is m
    np.testing.assert_array_equal(m, expect)


@pytest.mark.parametrize("complex_", [False, True])
def test_dask_bit_identical(complex_):
    """Odd chunks, chunks smaller than the window, and column blocks starting past the
    engine's 128-column refresh grid: equal bit for bit to the in-memory result."""
    da = pytest.importorskip("dask.array")
    m = wishart_scene(3, 61, 290, seed=8).astype(np.complex64)
    x = m if complex_ else planes_of(m).astype(np.float32)
    lead = (3, 3) if complex_ else (9,)
    for f, kw in ((polsar.boxcar, {"size": 7}), (polsar.refined_lee, {"size": 7, "looks": 2}),
                  (polsar.boxcar, {"size": 9, "border": "wrap"})):
        for sub, ch in (((61, 290), (17, 97)), ((61, 290), (61, 129)), ((14, 12), (4, 3))):
            xs = np.ascontiguousarray(x[..., :sub[0], :sub[1]])
            expect = f(xs, **kw)
            got = f(da.from_array(xs, chunks=lead + ch), **kw)
            assert isinstance(got, da.Array) and got.dtype == x.dtype
            np.testing.assert_array_equal(got.compute(), expect, err_msg=f"{kw} {ch}")


def test_xarray_keeps_coords_and_labels():
    xr = pytest.importorskip("xarray")
    p = planes_of(wishart_scene(2, 12, 13, seed=9)).astype(np.float32)
    arr = xr.DataArray(p, dims=("element", "y", "x"),
                       coords={"y": np.arange(12) * 10.0, "x": np.arange(13) * 10.0},
                       attrs={"units": "linear"}, name="c2")
    got = polsar.boxcar(arr, size=5)
    assert got.dims == arr.dims and got.attrs == arr.attrs and got.name == "c2"
    assert list(got["element"].values) == ["C11", "C12_real", "C12_imag", "C22"]
    np.testing.assert_array_equal(got["y"], arr["y"])
    np.testing.assert_array_equal(got.values, polsar.boxcar(p, size=5))
    # labelled input: kind from the labels; another dim order; dask-backed
    lab = arr.assign_coords(element=["C11", "C12_real", "C12_imag", "C22"])
    moved = lab.transpose("y", "element", "x").chunk({"y": 5, "x": 4})
    got2 = polsar.refined_lee(moved, size=5)
    assert got2.dims == moved.dims
    np.testing.assert_array_equal(got2.transpose("element", "y", "x").values,
                                  polsar.refined_lee(p, size=5))
    with pytest.raises(ValueError, match="not in the element order"):
        polsar.boxcar(arr.assign_coords(element=["C22", "C11", "C12_real", "C12_imag"]))
    with pytest.raises(ValueError, match="no 'band' dimension"):
        polsar.boxcar(arr, element_dim="band")


# --- errors ------------------------------------------------------------------------------------


def test_errors():
    p = np.zeros((9, 8, 8))
    with pytest.raises(ValueError, match="5 planes hold no polarimetric matrix"):
        polsar.boxcar(np.zeros((5, 8, 8)))
    with pytest.raises(ValueError, match="a C2 matrix has 4 planes"):
        polsar.boxcar(p, matrix="c2")
    with pytest.raises(ValueError, match="matrix"):
        polsar.boxcar(p, matrix="t2")
    with pytest.raises(ValueError, match=r"\(k², y, x\)"):
        polsar.boxcar(np.zeros((9, 8)))
    with pytest.raises(ValueError, match=r"\(k, k, y, x\)"):
        polsar.boxcar(np.zeros((3, 2, 8, 8), np.complex64))
    with pytest.raises(TypeError, match="dtype int32"):
        polsar.boxcar(np.zeros((4, 8, 8), np.int32))
    with pytest.raises(ValueError, match="sizes 5, 7"):
        polsar.refined_lee(p, size=3)
    with pytest.raises(ValueError, match="the boxcar takes no looks"):
        polsar._ext.polsar(p, filter="boxcar", looks=2)
    with pytest.raises(ValueError, match="edge_rule"):
        polsar.refined_lee(p, size=5, edge_rule="sideways")
    with pytest.raises(ValueError, match="looks"):
        polsar.refined_lee(p, size=5, looks=0)
    with pytest.raises(TypeError, match="out must be None"):
        polsar.boxcar(p, out=np.zeros_like(p))


def test_threads_and_memory_budget():
    p = planes_of(wishart_scene(3, 40, 33, seed=12))
    np.testing.assert_array_equal(polsar.refined_lee(p, threads=1),
                                  polsar.refined_lee(p, threads=2))
    with pytest.raises(MemoryError, match="memory budget"):
        polsar.refined_lee(p, max_memory=1000)


def test_xarray_complex():
    xr = pytest.importorskip("xarray")
    m = wishart_scene(2, 11, 9, seed=13).astype(np.complex64)
    arr = xr.DataArray(m, dims=("i", "j", "y", "x"), coords={"x": np.arange(9.0)},
                       attrs={"a": 1})
    got = polsar.boxcar(arr, size=3)
    assert got.dims == arr.dims and got.dtype == np.complex64 and got.attrs == {"a": 1}
    np.testing.assert_array_equal(got.values, polsar.boxcar(m, size=3))
    moved = arr.transpose("y", "i", "x", "j").chunk({"y": 4, "x": 5})
    got = polsar.refined_lee(moved, size=5, element_dim=("i", "j"))
    assert got.dims == moved.dims
    np.testing.assert_array_equal(got.transpose("i", "j", "y", "x").values,
                                  polsar.refined_lee(m, size=5))
    with pytest.raises(ValueError, match="as a pair"):
        polsar.boxcar(arr, element_dim=("i", "k"))


# --- Lee Sigma and IDAN ------------------------------------------------------------------------
# Their float64 references are the Rust integration tests (crates/despeckle/tests/
# polsar_sigma_idan.rs); here: the image-wide Z98, what the Python layer adds (layouts, dask,
# xarray, errors) and the reduction to the single-channel Python functions.


def z98_by_sorting(p, nodata=None):
    k = {4: 2, 9: 3, 16: 4}[p.shape[0]]
    valid = np.isfinite(p).all(axis=0)
    if nodata is not None:
        valid &= (p != nodata).all(axis=0)
    out = []
    for d in diagonal_planes(k):
        v = np.sort(p[d][valid].astype(np.float64))
        out.append(float(v[min(max(int(np.ceil(0.98 * v.size)), 1), v.size) - 1]))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_z98_is_exact_over_jointly_valid_pixels(dtype):
    da = pytest.importorskip("dask.array")
    p = planes_of(wishart_scene(3, 37, 41, seed=20)).astype(dtype)
    p[2, 5, 6] = np.nan
    p[8, 7, 8] = -1
    assert polsar.z98(p, nodata=-1) == z98_by_sorting(p, nodata=-1)
    assert polsar.z98(da.from_array(p, chunks=(9, 10, 41)), nodata=-1) == \
        z98_by_sorting(p, nodata=-1)
    # given or computed: the same filter
    np.testing.assert_array_equal(polsar.lee_sigma(p, nodata=-1),
                                  polsar.lee_sigma(p, nodata=-1, z98=polsar.z98(p, nodata=-1)))


@pytest.mark.parametrize("k", [2, 3, 4])
def test_lee_sigma_and_idan_outputs_are_hermitian_psd(k):
    m = wishart_scene(k, 30, 27, looks=2, seed=21)
    for f, kw in ((polsar.lee_sigma, {"looks": 2}), (polsar.idan, {"looks": 2, "size": 9}),
                  (polsar.idan, {"looks": 2, "criterion": "sum"})):
        got = f(m, **kw)
        assert got.shape == m.shape and got.dtype == m.dtype
        assert_psd(got)
        assert (np.abs(got - m) > 1e-9 * np.abs(m).max()).mean() > 0.5, f"{f.__name__} filters"


def test_rank_one_c2_is_the_single_channel_filters():
    """[[a, a], [a, a]]: Lee Sigma of intensities and IDAN of ``a`` in every element (IDAN bit
    for bit, Lee Sigma to rounding)."""
    a = np.abs(wishart_scene(1, 33, 40, seed=22)[0, 0]).real
    p = np.stack([a, a, np.zeros_like(a), a])
    z = float(np.sort(a.ravel())[int(np.ceil(0.98 * a.size)) - 1])
    ls = polsar.lee_sigma(p, size=7, looks=2, ddof=1)
    want = despeckle.lee_sigma(a, size=7, looks=2, ddof=1, z98=z)
    for q in (0, 1, 3):
        np.testing.assert_allclose(ls[q], want, rtol=0, atol=1e-12 * a.max())
    idan = polsar.idan(p, size=9, looks=3, region=30)
    want = despeckle.idan(a, size=9, looks=3, region=30)
    for q in (0, 1, 3):
        np.testing.assert_array_equal(idan[q], want)


@pytest.mark.parametrize("complex_", [False, True])
def test_lee_sigma_and_idan_dask_bit_identical(complex_):
    da = pytest.importorskip("dask.array")
    m = wishart_scene(3, 45, 150, seed=23).astype(np.complex64)
    x = m if complex_ else planes_of(m).astype(np.float32)
    lead = (3, 3) if complex_ else (9,)
    for f, kw in ((polsar.lee_sigma, {"size": 7, "looks": 1}),
                  (polsar.idan, {"size": 9, "looks": 1, "region": 20})):
        expect = f(x, **kw)
        for ch in ((17, 41), (45, 150), (6, 5)):
            got = f(da.from_array(x, chunks=lead + ch), **kw)
            assert isinstance(got, da.Array)
            np.testing.assert_array_equal(got.compute(), expect, err_msg=f"{f.__name__} {ch}")


def test_lee_sigma_and_idan_xarray():
    xr = pytest.importorskip("xarray")
    p = planes_of(wishart_scene(2, 20, 21, seed=24)).astype(np.float32)
    p[1, 3, 4] = -5
    arr = xr.DataArray(p, dims=("element", "y", "x"), attrs={"nodata": -5.0},
                       coords={"element": ["C11", "C12_real", "C12_imag", "C22"]})
    got = polsar.lee_sigma(arr.chunk({"y": 7}))
    assert got.dims == arr.dims and got.attrs == arr.attrs
    np.testing.assert_array_equal(got.values, polsar.lee_sigma(p, nodata=-5))
    assert got.values[1, 3, 4] == -5
    np.testing.assert_array_equal(polsar.idan(arr).values, polsar.idan(p, nodata=-5))


def test_lee_sigma_and_idan_errors():
    p = planes_of(wishart_scene(3, 12, 12, seed=25))
    with pytest.raises(ValueError, match="3 numbers"):
        polsar.lee_sigma(p, z98=[1.0, 2.0])
    with pytest.raises(ValueError, match="size"):
        polsar.lee_sigma(p, size=3)
    with pytest.raises(ValueError, match="target_window"):
        polsar.lee_sigma(p, size=9, target_window=4)
    with pytest.raises(ValueError, match="sigma"):
        polsar.lee_sigma(p, sigma=1.0)
    with pytest.raises(ValueError, match="criterion"):
        polsar.idan(p, criterion="max")
    with pytest.raises(ValueError, match="region"):
        polsar.idan(p, region=0)
    with pytest.raises(ValueError, match="the idan takes no sigma"):
        polsar._ext.polsar(p, filter="idan", sigma=0.5)
    with pytest.raises(ValueError, match="the lee_sigma takes no region"):
        polsar._ext.polsar(p, filter="lee_sigma", z98=[1, 1, 1], region=5)
    with pytest.raises(ValueError, match="5 planes hold no polarimetric matrix"):
        polsar.lee_sigma(np.zeros((5, 8, 8)))


# --- conversion C3 <-> T3, C4 <-> T4 -----------------------------------------------------------

# k_P = U k_L, written here from the scattering vectors of docs/polarimetry.md
U3 = np.array([[1, 0, 1], [1, 0, -1], [0, np.sqrt(2), 0]]) / np.sqrt(2)
U4 = np.array([[1, 0, 0, 1], [1, 0, 0, -1], [0, 1, 1, 0], [0, 1j, -1j, 0]]) / np.sqrt(2)


def test_convert_matches_the_change_of_basis():
    """T = U C Uᴴ and C = Uᴴ T U in numpy complex128, real planes and complex layouts, both
    dtypes; the trace is kept."""
    for k, u, c_kind, t_kind in ((3, U3, "c3", "t3"), (4, U4, "c4", "t4")):
        c = wishart_scene(k, 12, 13, looks=3, seed=20 + k)
        t = np.einsum("ij,jkyx,lk->ilyx", u, c, u.conj())
        scale = np.abs(c).max()
        got = polsar.convert(planes_of(c), t_kind, matrix=c_kind)
        np.testing.assert_allclose(got, planes_of(t), rtol=0, atol=1e-12 * scale)
        back = polsar.convert(planes_of(t), c_kind, matrix=t_kind)
        np.testing.assert_allclose(back, planes_of(c), rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(polsar.convert(c, t_kind, matrix=c_kind), t, rtol=0,
                                   atol=1e-12 * scale)
        f32 = polsar.convert(planes_of(c).astype(np.float32), t_kind, matrix=c_kind)
        assert f32.dtype == np.float32
        np.testing.assert_allclose(f32, planes_of(t), rtol=0, atol=1e-6 * scale)
        diag = diagonal_planes(k)
        np.testing.assert_allclose(got[diag].sum(0), planes_of(c)[diag].sum(0), rtol=1e-12)


def test_convert_nodata_dask_xarray_and_errors():
    import dask.array as da
    import xarray as xr

    p = planes_of(wishart_scene(3, 16, 18, seed=30))
    p[4, 3, 5] = np.nan
    p[8, 7, 2] = -1.0
    got = polsar.convert(p, "t3", nodata=-1.0)
    assert np.all(got[:, 3, 5] == -1.0) and np.all(got[:, 7, 2] == -1.0)
    got_nan = polsar.convert(p, "t3")
    assert np.all(np.isnan(got_nan[:, 3, 5])) and np.all(np.isfinite(got_nan[:, 7, 2]))
    lazy = polsar.convert(da.from_array(p, chunks=(3, 5, 7)), "t3", nodata=-1.0)
    np.testing.assert_array_equal(lazy.compute(), got)
    arr = xr.DataArray(p, dims=("element", "y", "x"), coords={"element": C3_NAMES},
                       attrs={"nodata": -1.0})
    xt = polsar.convert(arr, "t3")
    assert list(xt.coords["element"].values) == polsar.elements("t3")
    np.testing.assert_array_equal(xt.values, got)
    assert list(polsar.convert(xt, "c3").coords["element"].values) == C3_NAMES
    with pytest.raises(ValueError, match="cannot be converted"):
        polsar.convert(np.zeros((4, 2, 2)), "t3")
    with pytest.raises(ValueError, match="cannot be converted"):
        polsar.convert(da.zeros((9, 4, 4), chunks=2), "t4")
    with pytest.raises(ValueError, match="give matrix="):
        polsar.convert(np.zeros((3, 3, 2, 2), np.complex64), "t3")
    with pytest.raises(ValueError, match="invalid parameter `to`"):
        polsar.convert(p, "x3")
