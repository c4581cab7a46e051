"""despeckle.filter_file: GeoTIFF to GeoTIFF, streaming, equal to the in-memory filters bit for
bit, georeferencing and no-data kept, errors that name the file and leave no output, GIL
released; and the registry (shared with the CLI) behind every Python filter."""

from __future__ import annotations

import inspect
import os
import pathlib
import threading
import time

import numpy as np
import pytest

import despeckle
from conftest import NODATA, scene

rasterio = pytest.importorskip("rasterio")
from rasterio.crs import CRS  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

TRANSFORM = from_origin(500000.0, 4600000.0, 10.0, 10.0)
CRS_UTM = CRS.from_epsg(32631)


def write_tif(path, data, nodata=None, **profile):
    """A GeoTIFF of `data` ((y, x) or (band, y, x)) with georeferencing."""
    data = data if data.ndim == 3 else data[None]
    prof = dict(driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
                dtype=data.dtype, crs=CRS_UTM, transform=TRANSFORM, nodata=nodata)
    prof.update(profile)
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(data)
    return path


def read_tif(path):
    with rasterio.open(path) as src:
        return src.read(), src.profile, src.transform, src.crs, src.nodata


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Stripped float32 (nodata -9999, NaN holes) and tiled Deflate uint16 (nodata 0)."""
    d = tmp_path_factory.mktemp("ff")
    f32 = scene((157, 203), np.float32, seed=7, nodata=NODATA)
    write_tif(d / "f32.tif", f32, nodata=NODATA)
    u16 = np.clip(scene((150, 170), np.float64, seed=8, nan=False) * 1000, 1, 60000)
    u16 = u16.astype(np.uint16)
    u16[40:60, 30:50] = 0
    write_tif(d / "u16.tif", u16, nodata=0, tiled=True, blockxsize=64, blockysize=64,
              compress="deflate")
    return {"f32": d / "f32.tif", "u16": d / "u16.tif"}


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


CASES = [
    ("enhanced_lee", dict(size=7, looks=4)),
    ("lee", dict(size=5, ddof=1)),
    ("frost", dict(damping=2.0, distance="chebyshev")),
    ("median", dict(size=5)),
    ("lee_sigma", dict(z98="auto", looks=3.0)),
    ("enhanced_lee", dict(looks="auto")),
    ("refined_lee", dict()),
    ("local_stats", dict(stat="cv", ddof=1)),
    ("gamma_map", dict(size=9, looks=2.5, border="shrink")),
]


@pytest.mark.parametrize("which", ["f32", "u16"])
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_equals_in_memory_bit_for_bit(files, tmp_path, which, name, kw):
    src = files[which]
    dst = tmp_path / "out.tif"
    report = despeckle.filter_file(src, dst, name, **kw)
    data, prof, transform, crs, nodata = read_tif(src)
    out, oprof, otransform, ocrs, onodata = read_tif(dst)
    # georeferencing, no-data, size kept; float32 output
    assert (otransform, ocrs, onodata) == (transform, crs, nodata)
    assert out.shape == data.shape and out.dtype == np.float32
    assert oprof.get("tiled", False) == prof.get("tiled", False)
    assert (report["width"], report["height"], report["bands"]) == (data.shape[2],
                                                                     data.shape[1], [1])
    assert report["filter"] == name and report["nodata"] == nodata and report["seconds"] >= 0

    img = data[0].astype(np.float32)
    mem_kw = dict(kw)
    if mem_kw.get("z98") == "auto":
        mem_kw["z98"] = None  # the in-memory default: estimated from the plane
    expected = getattr(despeckle, name)(img, nodata=nodata, **mem_kw)
    np.testing.assert_array_equal(bits(out[0]), bits(expected), err_msg=f"{name} {which}")

    # the values used for "auto" are reported, and are the in-memory estimates
    est = report["estimates"]
    if kw.get("looks") == "auto":
        assert est["looks"] == [despeckle.estimate_enl(img, nodata=nodata)]
    if name == "lee_sigma":
        assert est["z98"] == [despeckle.quantile(img, 0.98, nodata=nodata)]
    if "auto" not in kw.values() and name != "lee_sigma":
        assert est == {}


def test_spellings_paths_and_output_options(files, tmp_path):
    src = files["f32"]
    a = despeckle.filter_file(str(src), str(tmp_path / "a.tif"), "enhanced-lee", looks=4)
    b = despeckle.filter_file(src, tmp_path / "b.tif", "Enhanced_Lee", looks=4.0,
                              compress="zstd", level=3, tiled=(32, 48), dtype="float64",
                              nodata="none", threads=1, bigtiff=True)
    assert a["filter"] == b["filter"] == "enhanced_lee"
    assert (b["compress"], b["tiled"], b["dtype"], b["bigtiff"]) == ("zstd", (32, 48),
                                                                     "float64", True)
    assert b["nodata"] is None
    out_a = read_tif(tmp_path / "a.tif")[0][0]
    out_b, prof, *_ = read_tif(tmp_path / "b.tif")
    assert out_b.dtype == np.float64 and prof["blockxsize"] == 32
    img = read_tif(src)[0][0]
    # nodata="none": -9999 is data
    np.testing.assert_array_equal(
        out_b[0], despeckle.enhanced_lee(img.astype(np.float64), looks=4.0))
    np.testing.assert_array_equal(out_a, despeckle.enhanced_lee(img, looks=4, nodata=NODATA))

    class P(os.PathLike):
        def __init__(self, p):
            self.p = p

        def __fspath__(self):
            return str(self.p)

    c = despeckle.filter_file(P(src), P(tmp_path / "c.tif"), "mean", size=3, nodata=-1.0,
                              quicklook=tmp_path / "c.png", tiled=False, compress="deflate")
    assert c["nodata"] == -1.0 and c["tiled"] is False and c["compress"] == "deflate"
    assert (tmp_path / "c.png").stat().st_size > 0
    assert read_tif(tmp_path / "c.tif")[4] == -1.0


def test_bands(tmp_path):
    stack = scene((3, 61, 77), np.float32, seed=3)
    src = write_tif(tmp_path / "three.tif", stack, nodata=None)
    rep = despeckle.filter_file(src, tmp_path / "b31.tif", "lee", band=[3, 1], looks="auto")
    out = read_tif(tmp_path / "b31.tif")[0]
    assert out.shape == (2, 61, 77) and rep["bands"] == [3, 1]
    enls = [despeckle.estimate_enl(stack[b]) for b in (2, 0)]
    assert rep["estimates"] == {"looks": enls}
    for i, b in enumerate((2, 0)):
        np.testing.assert_array_equal(bits(out[i]), bits(despeckle.lee(stack[b], looks=enls[i])))
    despeckle.filter_file(src, tmp_path / "b2.tif", "median", band=2)
    out = read_tif(tmp_path / "b2.tif")[0]
    np.testing.assert_array_equal(bits(out[0]), bits(despeckle.median(stack[1])))
    despeckle.filter_file(src, tmp_path / "all.tif", "kuan", looks=2)
    np.testing.assert_array_equal(read_tif(tmp_path / "all.tif")[0],
                                  despeckle.kuan(stack, looks=2))


def no_output(folder, before):
    """Nothing new in `folder` (no output, no temporary file)."""
    assert sorted(os.listdir(folder)) == before


@pytest.mark.parametrize(
    "kw,exc,fragments",
    [
        (dict(size=4), ValueError, ["size", "odd"]),
        (dict(looks=-1), ValueError, ["looks"]),
        (dict(looks="many"), ValueError, ["looks", "auto"]),
        (dict(looks=[4]), TypeError, ["looks"]),
        (dict(ddof=2), ValueError, ["ddof"]),
        (dict(damping=-1.0), ValueError, ["damping"]),
        (dict(window=3), TypeError, ["window", "looks"]),
        (dict(border="sideways"), ValueError, ["sideways"]),
        (dict(band=0), ValueError, ["band", "from 1"]),
        (dict(band=2), ValueError, ["band 2", "1 band"]),
        (dict(compress="jpeg"), ValueError, ["compress", "deflate"]),
        (dict(compress="deflate", level=12), ValueError, ["level", "1 to 9"]),
        (dict(tiled=100), ValueError, ["16"]),
        (dict(dtype="int16"), ValueError, ["float32"]),
        (dict(threads=0), ValueError, ["threads"]),
        (dict(border="constant:1e39"), ValueError, ["border", "not representable in float32"]),
        (dict(nodata=1e39), ValueError, ["nodata", "not representable in float32"]),
        (dict(progress=3), TypeError, ["progress"]),
        (dict(size=3, border="reflect", cval=1.0), ValueError, ["cval", "constant"]),
    ],
)
def test_bad_parameters(files, tmp_path, kw, exc, fragments):
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(exc) as info:
        despeckle.filter_file(files["f32"], tmp_path / "o.tif", "enhanced_lee", **kw)
    for f in fragments:
        assert f in str(info.value), (f, str(info.value))
    no_output(tmp_path, before)


def test_unknown_filter(files, tmp_path):
    with pytest.raises(ValueError, match="enhanced-lee"):
        despeckle.filter_file(files["f32"], tmp_path / "o.tif", "frosty")
    with pytest.raises(TypeError, match="looks"):
        despeckle.filter_file(files["f32"], tmp_path / "o.tif", "median", looks=4)
    assert not (tmp_path / "o.tif").exists()


def test_file_errors(files, tmp_path):
    missing = tmp_path / "missing.tif"
    with pytest.raises(FileNotFoundError, match="missing.tif"):
        despeckle.filter_file(missing, tmp_path / "o.tif", "lee")
    with pytest.raises(FileNotFoundError):
        despeckle.filter_file(files["f32"], tmp_path / "nofolder" / "o.tif", "lee")

    # existing output: FileExistsError, untouched; overwrite=True replaces it
    dst = tmp_path / "exists.tif"
    dst.write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        despeckle.filter_file(files["f32"], dst, "lee")
    assert dst.read_bytes() == b"keep"
    despeckle.filter_file(files["f32"], dst, "lee", overwrite=True)
    assert read_tif(dst)[0].shape == (1, 157, 203)

    # not a TIFF, truncated TIFF: ValueError (or OSError) naming the file; no output
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"this is not a tiff at all" * 10)
    whole = files["u16"].read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(whole[: len(whole) // 2])
    for bad in (junk, cut):
        before = sorted(os.listdir(tmp_path))
        with pytest.raises((ValueError, OSError)) as info:
            despeckle.filter_file(bad, tmp_path / "o.tif", "lee")
        assert bad.name in str(info.value)
        no_output(tmp_path, before)
    # output = input
    with pytest.raises(ValueError, match="input"):
        despeckle.filter_file(dst, dst, "lee", overwrite=True)


def test_progress_and_errors_from_it(files, tmp_path):
    calls = []
    despeckle.filter_file(files["f32"], tmp_path / "p.tif", "mean",
                          progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (157, 157)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))

    def boom(done, total):
        raise RuntimeError("stop here")

    before = sorted(os.listdir(tmp_path))
    with pytest.raises(RuntimeError, match="stop here"):
        despeckle.filter_file(files["f32"], tmp_path / "q.tif", "mean", progress=boom)
    no_output(tmp_path, before)


def test_gil_is_released(tmp_path):
    img = scene((1500, 1500), np.float32, seed=5)
    src = write_tif(tmp_path / "big.tif", img)
    counter = {"n": 0, "stop": False}

    def spin():
        while not counter["stop"]:
            counter["n"] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        n0 = counter["n"]
        t0 = time.perf_counter()
        despeckle.filter_file(src, tmp_path / "big_out.tif", "median", size=9)
        elapsed = time.perf_counter() - t0
        n1 = counter["n"]
    finally:
        counter["stop"] = True
        t.join()
    # With the GIL held for the whole call the thread could not count at all meanwhile.
    assert elapsed > 0.05
    assert n1 - n0 > 10000, (n1 - n0, elapsed)


def test_every_registry_filter_is_a_python_function():
    """One registry (the CLI's): each filter is a function with its parameters and defaults,
    and in despeckle.dask; filter_file takes the same names."""
    import despeckle.dask as dd

    for entry in despeckle._REGISTRY:
        name = entry["name"].replace("-", "_")
        assert name in despeckle.FILTERS and name in despeckle.__all__
        sig = inspect.signature(getattr(despeckle, name)).parameters
        for p in entry["params"]:
            if name == "local_stats" and p["name"] == "stat":
                continue  # local_stats(stat=None): (mean, variance)
            assert p["name"] in sig, (name, p["name"])
            default = despeckle._registry_default(p)
            if name == "lee_sigma" and p["name"] == "z98":
                assert sig["z98"].default is None  # None: estimated ("auto")
            else:
                assert sig[p["name"]].default == default, (name, p["name"])
        assert callable(getattr(dd, name))


def test_generated_function_for_a_new_registry_filter(monkeypatch):
    """A filter known only to the registry gets a function with the registry's signature."""
    entry = next(e for e in despeckle._REGISTRY if e["name"] == "enhanced-lee")
    func = despeckle._make_filter(entry)
    sig = inspect.signature(func)
    assert list(sig.parameters)[:7] == ["img", "size", "looks", "damping", "domain", "cmax",
                                         "ddof"]
    assert sig.parameters["looks"].default == 4.0 and sig.parameters["cmax"].default is None
    img = scene((40, 50), np.float32, seed=1)
    np.testing.assert_array_equal(func(img, 5, looks=3.0),
                                  despeckle.enhanced_lee(img, size=5, looks=3.0))


def test_z98_auto_in_memory_and_dask():
    img = scene((60, 70), np.float32, seed=2)
    ref = despeckle.lee_sigma(img)
    np.testing.assert_array_equal(despeckle.lee_sigma(img, z98="auto"), ref)
    da = pytest.importorskip("dask.array")
    lazy = despeckle.lee_sigma(da.from_array(img, chunks=(30, 35)), z98="auto")
    np.testing.assert_array_equal(lazy.compute(), ref)


def test_path_types_accepted(files, tmp_path):
    out = pathlib.Path(tmp_path) / "x.tif"
    despeckle.filter_file(os.fsencode(files["f32"]).decode(), out, "median", size=3)
    assert out.exists()


def test_cog_output(files, tmp_path):
    """cog=True: a valid Cloud-Optimized GeoTIFF (rio-cogeo), the same full resolution as
    plain output, overviews that average the valid pixels of 2 x 2 blocks."""
    cogeo = pytest.importorskip("rio_cogeo.cogeo")
    src = files["f32"]
    plain = despeckle.filter_file(src, tmp_path / "plain.tif", "enhanced_lee", looks=4,
                                  tiled=(32, 32), compress="deflate")
    rep = despeckle.filter_file(src, tmp_path / "cog.tif", "enhanced_lee", looks=4,
                                tiled=(32, 32), compress="deflate", cog=True)
    assert rep["cog"] and not plain["cog"] and rep["tiled"] == (32, 32)
    valid, errors, warnings = cogeo.cog_validate(tmp_path / "cog.tif", strict=True, quiet=True)
    assert valid and not errors and not warnings, (errors, warnings)
    full = read_tif(tmp_path / "cog.tif")[0][0]
    np.testing.assert_array_equal(bits(full), bits(read_tif(tmp_path / "plain.tif")[0][0]))
    with rasterio.open(tmp_path / "cog.tif") as ds:
        assert ds.overviews(1) == [2, 4, 8] and ds.nodata == NODATA
    with rasterio.open(tmp_path / "cog.tif", overview_level=0) as ovr:
        got = ovr.read(1)
    # float64 mean of the valid values of each 2 x 2 block (pad odd sides with invalid ones)
    h, w = full.shape
    pad = np.full((h + h % 2, w + w % 2), np.nan)
    pad[:h, :w] = np.where(full == NODATA, np.nan, full)
    blocks = pad.reshape(pad.shape[0] // 2, 2, pad.shape[1] // 2, 2).transpose(0, 2, 1, 3)
    blocks = blocks.reshape(blocks.shape[0], blocks.shape[1], 4)
    ok = np.isfinite(blocks)
    n = ok.sum(axis=2)
    s = np.zeros(n.shape)
    for k in range(4):  # in the writer's order: row by row, left to right
        s += np.where(ok[..., k], blocks[..., k], 0.0)
    want = np.where(n > 0, s / np.maximum(n, 1), NODATA).astype(np.float32)
    np.testing.assert_array_equal(bits(got), bits(want))

    before = set(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="tiled"):
        despeckle.filter_file(src, tmp_path / "bad.tif", "mean", cog=True, strips=True)
    assert set(os.listdir(tmp_path)) == before
