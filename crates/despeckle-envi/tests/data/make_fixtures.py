"""Makes the GDAL-written ENVI fixtures of tests/gdal.rs (run once; the outputs are committed).

    python3 crates/despeckle-envi/tests/data/make_fixtures.py

Every file is written by GDAL's ENVI driver through rasterio; the values follow a formula
the Rust test recomputes on its own:

    value(band b, row y, column x) = (b + 1) * 100 + y * 10 + x + 0.25   (float32 files)
    value(band b, row y, column x) = (b + 1) * 100 - y * 10 - x          (int16 file)
    complex: real = y * 10 + x, imaginary = -(y + 2 * x) - 0.5           (complex64 file)

Files (6 columns x 4 rows): gdal_bsq.img (3 bands, float32, band-sequential, no-data
-9999, a UTM georeferencing), gdal_bil.img (float32, band-interleaved by line),
gdal_bip.img (int16, band-interleaved by pixel), gdal_cfloat32.img (1 complex band).
"""

import os
import warnings

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import from_origin

HERE = os.path.dirname(os.path.abspath(__file__))
W, H, B = 6, 4, 3
y, x = np.mgrid[0:H, 0:W]


def stack(fn, bands, dtype):
    return np.stack([fn(b) for b in range(bands)]).astype(dtype)


def write(name, data, interleave, **kw):
    # a relative path: GDAL writes it into the header's description
    path = name
    profile = dict(
        driver="ENVI",
        width=W,
        height=H,
        count=data.shape[0],
        dtype=data.dtype,
        interleave=interleave,
    )
    profile.update(kw)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.descriptions = tuple(f"band {b + 1}" for b in range(data.shape[0]))
    # GDAL writes an .aux.xml of statistics beside some files: not part of the fixture
    aux = path + ".aux.xml"
    if os.path.exists(aux):
        os.remove(aux)


os.chdir(HERE)
warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)
f32 = stack(lambda b: (b + 1) * 100 + y * 10 + x + 0.25, B, np.float32)
write(
    "gdal_bsq.img",
    f32,
    "bsq",
    nodata=-9999.0,
    crs=CRS.from_epsg(32631),
    transform=from_origin(500000.0, 4000000.0, 10.0, 10.0),
)
write("gdal_bil.img", f32, "bil")
write("gdal_bip.img", stack(lambda b: (b + 1) * 100 - y * 10 - x, B, np.int16), "bip")
c = ((y * 10 + x) + 1j * (-(y + 2 * x) - 0.5)).astype(np.complex64)[None]
write("gdal_cfloat32.img", c, "bsq")
