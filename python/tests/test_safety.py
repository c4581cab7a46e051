"""Files users can trust from Python: no output ever replaces an input or a special file,
FIFOs never block, invalid paths are called so, ``nodata="none"`` everywhere, 32-bit
integers filtered in float64, and clear errors for dask arrays the filters cannot take."""

from __future__ import annotations

import os
import stat
import threading

import numpy as np
import pytest

import despeckle
from conftest import unaligned

rasterio = pytest.importorskip("rasterio")


def write_tif(path, data):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture
def src(tmp_path):
    data = np.random.default_rng(3).gamma(4.0, 0.25, (24, 31)).astype(np.float32)
    return write_tif(tmp_path / "in.tif", data)


def test_no_output_is_the_input(src, tmp_path):
    original = src.read_bytes()
    os.symlink(src, tmp_path / "link.tif")
    os.link(src, tmp_path / "hard.tif")
    (tmp_path / "sub").mkdir()
    spellings = [src, str(src), tmp_path / "sub" / ".." / "in.tif", tmp_path / "link.tif",
                 tmp_path / "hard.tif"]
    before = sorted(os.listdir(tmp_path))
    for s in spellings:
        with pytest.raises(ValueError, match="the output is the input"):
            despeckle.filter_file(src, s, "mean", overwrite=True)
        with pytest.raises(ValueError, match="the output is the input"):
            despeckle.filter_file(src, tmp_path / "o.tif", "mean", quicklook=s, overwrite=True)
    with pytest.raises(ValueError, match="the same file as the output"):
        despeckle.filter_file(src, tmp_path / "o.tif", "mean", quicklook=tmp_path / "o.tif")
    assert src.read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == before


def test_special_files_are_refused_without_blocking(src, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target in (fifo, "/dev/null", tmp_path):
        with pytest.raises(OSError, match="not a regular file"):
            despeckle.filter_file(src, target, "mean", overwrite=True)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)

    # Reading a FIFO nobody writes to: refused at once (run in a thread so that a regression
    # fails the test instead of hanging it).
    result = {}

    def read_fifo():
        try:
            despeckle.filter_file(fifo, tmp_path / "o.tif", "mean")
        except OSError as e:
            result["error"] = str(e)

    t = threading.Thread(target=read_fifo, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "filter_file blocked on a FIFO"
    assert "FIFO" in result["error"] and "not a regular file" in result["error"]


def test_nul_byte_in_a_path_is_an_invalid_path(src, tmp_path):
    for args in ((str(tmp_path / "a\0b.tif"), tmp_path / "o.tif"),
                 (src, str(tmp_path / "o\0.tif"))):
        with pytest.raises(ValueError) as info:
            despeckle.filter_file(*args, "mean")
        assert "invalid file name" in str(info.value)
        assert "corrupt" not in str(info.value)


def test_nodata_none_is_accepted_everywhere():
    img = np.random.default_rng(1).gamma(4.0, 0.25, (20, 30)).astype(np.float32)
    np.testing.assert_array_equal(despeckle.mean(img, nodata="none"), despeckle.mean(img))
    np.testing.assert_array_equal(despeckle.enhanced_lee(img, nodata="None"),
                                  despeckle.enhanced_lee(img))
    assert despeckle.quantile(img, 0.5, nodata="none") == despeckle.quantile(img, 0.5)
    with pytest.raises(ValueError, match="`nodata`"):
        despeckle.mean(img, nodata="nothing")


@pytest.mark.parametrize("dtype, step", [("uint32", 256), ("int32", 128)])
def test_32_bit_integers_are_filtered_in_float64(tmp_path, dtype, step):
    k = np.random.default_rng(5).integers(0, 40, (30, 40))
    top = 2**32 if dtype == "uint32" else 2**31
    # values a little above float32 steps: float32 would round each one down
    x = (top - step * (k + 1) + step * 0.4).astype(dtype)
    src = write_tif(tmp_path / "in.tif", x)
    ref = despeckle.mean(x.astype(np.float64), size=3)
    despeckle.filter_file(src, tmp_path / "o64.tif", "mean", size=3, dtype="float64")
    despeckle.filter_file(src, tmp_path / "o32.tif", "mean", size=3)
    with rasterio.open(tmp_path / "o64.tif") as f:
        np.testing.assert_array_equal(f.read(1), ref)
    with rasterio.open(tmp_path / "o32.tif") as f:
        out = f.read(1)
    assert out.dtype == np.float32
    # the float64 result rounded once (not the mean of rounded values)
    np.testing.assert_array_equal(out, ref.astype(np.float32))


dask_array = pytest.importorskip("dask.array")


def test_dask_unknown_chunk_sizes_say_what_to_do():
    import despeckle.dask as ddk

    x = dask_array.from_array(np.ones((20, 20), np.float32), chunks=10)
    y = x[x[:, 0] > 0]
    for call in (lambda: ddk.mean(y), lambda: ddk.lee_sigma(y), lambda: ddk.quantile(y, 0.5)):
        with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
            call()
    np.testing.assert_array_equal(ddk.mean(y.compute_chunk_sizes()).compute(),
                                  despeckle.mean(np.ones((20, 20), np.float32)))


def test_dask_lee_sigma_without_valid_pixels_equals_in_memory():
    import despeckle.dask as ddk

    a = np.full((20, 24), np.nan, np.float32)
    a[1] = 0.5  # a second plane with valid pixels
    planes = np.stack([np.full((20, 24), np.nan, np.float32), a])
    out = ddk.lee_sigma(dask_array.from_array(planes, chunks=(1, 10, 12))).compute()
    for p in range(2):
        np.testing.assert_array_equal(out[p], despeckle.lee_sigma(planes[p]))


def test_unaligned_arrays_are_refused_or_copied_never_a_crash():
    """Arrays not aligned for their dtype (a field of a packed record, a buffer at an odd
    offset, a block unpickled in a worker process): the in-memory functions refuse them with a
    ValueError naming the argument; functions that read them row by row through Python, and
    the dask and polarimetric conversion paths, work on an aligned copy. No panic."""
    from despeckle import metrics, polsar, temporal

    rng = np.random.default_rng(5)
    planes = np.abs(rng.normal(size=(4, 20, 30))).astype(np.float32) + 0.1
    img = planes[0].copy()
    refused = {
        "enhanced_lee": lambda: despeckle.enhanced_lee(unaligned(img)),
        "local_stats": lambda: despeckle.local_stats(unaligned(img)),
        "ppb": lambda: despeckle.ppb(unaligned(img)),
        "polsar.boxcar": lambda: polsar.boxcar(unaligned(planes)),
        "temporal.quegan": lambda: temporal.quegan(unaligned(planes)),
        "metrics.enl": lambda: metrics.enl(unaligned(img)),
        "metrics.psnr": lambda: metrics.psnr(unaligned(img), img),
    }
    for name, call in refused.items():
        with pytest.raises(ValueError, match="not aligned"):
            call()
    assert polsar.z98(unaligned(planes)) == polsar.z98(planes)
    np.testing.assert_array_equal(polsar.convert(unaligned(planes), "c2"), planes)
