"""Every error path: the right exception, a message that says what to change, nothing written."""

from __future__ import annotations

import numpy as np
import pytest

import despeckle


@pytest.fixture
def img():
    return np.random.default_rng(0).gamma(4.0, 0.25, (20, 30)).astype(np.float32)


def untouched(call, arrays, exc, *fragments):
    """`call()` raises `exc` with every fragment in its message; `arrays` are unchanged."""
    before = [a.copy() for a in arrays]
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    return msg


@pytest.mark.parametrize("dtype", ["int16", "uint8", "int32", "bool", "float16", ">f4", ">f8",
                                   "complex64", "object"])
def test_non_float_input_is_a_type_error(dtype):
    a = np.ones((10, 10), dtype=dtype)
    fragment = "numpy.abs(img)" if dtype.startswith("complex") else ".astype(numpy.float32)"
    for f in (despeckle.enhanced_lee, despeckle.mean, despeckle.local_stats):
        untouched(lambda: f(a), [a], TypeError, fragment)


def test_wrong_ndim(img):
    for bad in (img[0], img[None, None], np.float32(1.0)):
        untouched(lambda: despeckle.enhanced_lee(bad), [img], ValueError, "2-D", "3-D")


def test_masked_array(img):
    m = np.ma.masked_less(img, 0.5)
    untouched(lambda: despeckle.mean(m), [img], TypeError, "filled(numpy.nan)")


@pytest.mark.parametrize(
    "kwargs,fragments",
    [
        (dict(size=4), ["size", "odd"]),
        (dict(size=1), ["size", "at least 3"]),
        (dict(size=-3), ["size"]),
        (dict(size=1003), ["size", "1001"]),
        (dict(looks=0), ["looks", "> 0"]),
        (dict(looks=-2.0), ["looks"]),
        (dict(looks=float("nan")), ["looks"]),
        (dict(looks=float("inf")), ["looks"]),
        (dict(damping=-1.0), ["damping", "≥ 0"]),
        (dict(damping=float("nan")), ["damping"]),
        (dict(domain="db"), ["domain", "intensity or amplitude"]),
        (dict(border="edge"), ["border", "reflect", "shrink"]),
        (dict(border="constant:x"), ["constant", "number"]),
        (dict(border="constant:inf"), ["border", "finite"]),
        (dict(border="reflect", cval=1.0), ["cval", "constant"]),
        (dict(border="constant:1", cval=2.0), ["two different constants"]),
        (dict(nodata=float("inf")), ["nodata", "finite"]),
        (dict(border="constant:1e39"), ["border", "not representable in float32"]),
        (dict(nodata=1e39), ["nodata", "not representable in float32"]),
        (dict(nodata=-3.5e38), ["nodata", "not representable in float32"]),
        (dict(threads=0), ["threads", "at least 1"]),
        (dict(threads=-1), ["threads"]),
        (dict(cmax=0.3), ["cmax", "greater than Cu"]),
        (dict(cmax=float("nan")), ["cmax"]),
        (dict(ddof=2), ["ddof", "0", "1"]),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else None,
)
def test_bad_parameters_are_value_errors(img, kwargs, fragments):
    out = np.zeros_like(img)
    untouched(lambda: despeckle.enhanced_lee(img, out=out, **kwargs), [img, out], ValueError,
              *fragments)
    untouched(lambda: despeckle.enhanced_lee(img, out=img, **kwargs), [img], ValueError,
              *fragments)


def test_values_beyond_float32_are_refused_for_float32_only(img):
    # float64 images hold them: accepted there, with the constant in every border window
    # (a constant equal to the no-data value would count as no-data)
    img64 = img.astype(np.float64)
    got = despeckle.mean(img64, size=3, border="constant:1e39", nodata=2e39)
    assert np.isfinite(got).all() and got.max() > 1e37
    # float32's largest value itself is representable
    got = despeckle.mean(img, size=3, border=f"constant:{float(np.finfo(np.float32).max)}")
    assert np.isfinite(got).all()


def test_bad_parameter_types(img):
    for kwargs in (dict(size=7.5), dict(size="7"), dict(looks=[4.0]), dict(border=3),
                   dict(domain=1), dict(nodata=[1.0]), dict(threads=1.5), dict(ddof=0.5)):
        name = next(iter(kwargs))
        untouched(lambda: despeckle.enhanced_lee(img, **kwargs), [img], TypeError, name)
    # a text other than "none" is a bad value (as for filter_file)
    untouched(lambda: despeckle.enhanced_lee(img, nodata="x"), [img], ValueError, "`nodata`",
              '"none"')


def test_local_stats_parameters(img):
    untouched(lambda: despeckle.local_stats(img, stat="median"), [img], ValueError,
              "mean, variance, std or cv")
    untouched(lambda: despeckle.local_stats(img, ddof=3), [img], ValueError, "ddof")
    untouched(lambda: despeckle.local_stats(img, stat=[1, 2]), [img], TypeError, "stat")
    a, b = np.zeros_like(img), np.zeros_like(img)
    untouched(lambda: despeckle.local_stats(img, out=(a,)), [img, a], ValueError,
              "one out array")
    untouched(lambda: despeckle.local_stats(img, out=a), [img, a], TypeError, "tuple")
    untouched(lambda: despeckle.local_stats(img, out=(a, a)), [img, a], ValueError,
              "share memory")
    untouched(lambda: despeckle.local_stats(img, out=(img, img)), [img], ValueError,
              "share memory")
    untouched(lambda: despeckle.local_stats(img, out=(a, b[:, :-1])), [img, a, b],
              ValueError, "shape")


def test_bad_out(img):
    other = np.zeros_like(img)
    cases = [
        (np.zeros(img.shape, np.float64), TypeError, ["dtype", "float64", "float32"]),
        (np.zeros((20, 31), np.float32), ValueError, ["shape", "(20, 31)", "(20, 30)"]),
        (np.zeros((1, 20, 30), np.float32), ValueError, ["shape"]),
        (np.broadcast_to(np.float32(0), img.shape), ValueError, ["read-only"]),
        ([[0.0] * 30] * 20, TypeError, ["numpy.ndarray"]),
    ]
    for out, exc, fragments in cases:
        arrays = [img] + ([out] if isinstance(out, np.ndarray) else [])
        untouched(lambda: despeckle.enhanced_lee(img, out=out), arrays, exc, *fragments)
    ro = other.copy()
    ro.flags.writeable = False
    untouched(lambda: despeckle.enhanced_lee(img, out=ro), [img, ro], ValueError, "read-only")
    frozen = img.copy()
    frozen.flags.writeable = False
    untouched(lambda: despeckle.enhanced_lee(frozen, out=frozen), [frozen], ValueError,
              "read-only")
    # a read-only input is fine out of place
    assert despeckle.enhanced_lee(frozen).shape == img.shape


def test_overlapping_out_is_refused(img):
    big = np.zeros((22, 32), np.float32)
    big[:20, :30] = img
    view = big[:20, :30]
    for out in (big[1:21, :30], big[2:, 2:], big[:20, 1:31]):
        untouched(lambda: despeckle.enhanced_lee(view, out=out), [big], ValueError,
                  "shares memory", "out=img")
    sq = np.ascontiguousarray(img[:20, :20])
    untouched(lambda: despeckle.mean(sq, out=sq.T), [sq], ValueError, "shares memory")
    untouched(lambda: despeckle.mean(sq, out=sq[::-1]), [sq], ValueError, "shares memory")


def test_self_overlapping_out_is_refused(img):
    base = np.zeros(60, np.float32)
    weird = np.lib.stride_tricks.as_strided(base, shape=img.shape, strides=(4, 4))
    untouched(lambda: despeckle.enhanced_lee(img, out=weird), [img, base], ValueError,
              "share memory with each other")


def test_dask_and_xarray_inputs_refuse_out(img):
    da = pytest.importorskip("dask.array")
    d = da.from_array(img, chunks=10)
    with pytest.raises(TypeError, match="out= is for numpy arrays"):
        despeckle.enhanced_lee(d, out=np.empty_like(img))
