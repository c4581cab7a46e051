#!/usr/bin/env python3
"""Georeferencing across `despeckle polsar`'s formats, checked with GDAL: GeoTIFF → PolSARpro
folder (its .bin + .hdr opened by GDAL's ENVI driver: `gdalinfo -json` for the geotransform,
rasterio for the CRS) → GeoTIFF again; folders made by `gdal_translate -of ENVI` → GeoTIFF;
single-look complex GeoTIFFs → a multilooked PolSARpro folder (a grid, and ground control
points as Sentinel-1 SLCs have them); BEAM-DIMAP products (map
projected, and slant range with no map georeferencing) → GeoTIFF. Systems: UTM on WGS 84 (north
and south), ETRS89 and NAD83, WGS 84 geographic, and Lambert-93 (not named in ENVI headers). Where a coordinate system
cannot be carried, the grid must be kept without one and a note printed.

    polsar_georef.py DIR DESPECKLE    write the inputs to DIR, run the binary DESPECKLE, check

Exit status 0 on success; otherwise one line per problem on stderr and status 1.
"""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import Affine

# the slant-range product's output has no georeferencing, on purpose
warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)

W, H = 7, 5
C2 = ["C11", "C12_real", "C12_imag", "C22"]
PROBLEMS = []

# (name, EPSG code, transform, carried into ENVI headers by name)
CASES = [
    ("utm33n", 32633, Affine(10.5, 0.0, 400000.25, 0.0, -20.0, 5000000.75), True),
    ("utm6s", 32706, Affine(30.0, 0.0, 300000.0, 0.0, -30.0, 7100000.0), True),
    ("wgs84", 4326, Affine(0.0001, 0.0, 12.345678901234, 0.0, -0.00015, 45.6789), True),
    ("etrs89utm32", 25832, Affine(20.0, 0.0, 500000.0, 0.0, -20.0, 5500000.0), True),
    ("nad83utm10", 26910, Affine(5.0, 0.0, 550000.0, 0.0, -5.0, 4200000.0), True),
    # Lambert-93: not one of the systems ENVI map info names here
    ("lambert93", 2154, Affine(10.0, 0.0, 700000.0, 0.0, -10.0, 6600000.0), False),
]


def problem(msg):
    PROBLEMS.append(msg)


def run(exe, args):
    p = subprocess.run([exe, *args], capture_output=True, text=True)
    if p.returncode != 0:
        problem(f"despeckle {' '.join(args)} failed: {p.stderr.strip()}")
    return p


def gdal_transform(path):
    """The geotransform GDAL's command line reports (gdalinfo -json), or None."""
    out = subprocess.run(["gdalinfo", "-json", path], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out).get("geoTransform")


def matrix_tiff(path, code, transform, point=False, crs=None):
    rng = np.random.default_rng(code)
    data = np.abs(rng.normal(size=(4, H, W))).astype(np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=W, height=H, count=4, dtype="float32",
                       crs=crs or CRS.from_epsg(code), transform=transform) as d:
        if point:
            d.update_tags(AREA_OR_POINT="Point")
        d.write(data)
        for i, n in enumerate(C2):
            d.set_band_description(i + 1, n)


def check_envi(folder, src, what):
    """The folder's element files open in GDAL's ENVI driver with the source's grid and CRS."""
    want_gt = gdal_transform(src)
    with rasterio.open(src) as s:
        want_crs = s.crs
    for n in (C2[0], C2[-1]):  # every header is written alike: the first and the last
        path = os.path.join(folder, f"{n}.bin")
        if not os.path.exists(path):
            problem(f"{what}: no {n}.bin")
            continue
        gt = gdal_transform(path)
        if gt != want_gt:
            problem(f"{what}: {n}.bin geotransform {gt}, the GeoTIFF's {want_gt}")
        with rasterio.open(path) as d:
            if d.driver != "ENVI":
                problem(f"{what}: {n}.bin opened by {d.driver}")
            if want_crs is None:
                if d.crs is not None:
                    problem(f"{what}: {n}.bin has a CRS ({d.crs}) the GeoTIFF has not")
            elif d.crs != want_crs or d.crs.to_epsg() != want_crs.to_epsg():
                problem(f"{what}: {n}.bin CRS {d.crs}, the GeoTIFF's {want_crs}")


def check_tiff(path, transform, epsg, what):
    """The GeoTIFF has `transform` exactly and the CRS EPSG:`epsg` (None: no CRS)."""
    if not os.path.exists(path):
        return
    with rasterio.open(path) as d:
        if d.transform != transform:
            problem(f"{what}: transform {tuple(d.transform)}, expected {tuple(transform)}")
        got = None if d.crs is None else d.crs.to_epsg()
        if got != epsg:
            problem(f"{what}: CRS EPSG:{got}, expected EPSG:{epsg}")


def noted(p, words, what):
    if not all(w in p.stderr for w in words):
        problem(f"{what}: expected a note naming {words}, stderr: {p.stderr.strip()!r}")


def silent(p, what):
    if "note:" in p.stderr:
        problem(f"{what}: unexpected note: {p.stderr.strip()}")


def geotiff_polsarpro_geotiff(d, exe):
    for name, code, transform, named in CASES:
        src = os.path.join(d, f"{name}.tif")
        matrix_tiff(src, code, transform)
        folder = os.path.join(d, f"{name}_folder")
        p = run(exe, ["polsar", "boxcar", src, folder, "--size", "3"])
        if named:
            silent(p, f"{name} → PolSARpro")
            check_envi(folder, src, f"{name} → PolSARpro")
        else:
            # the grid without a CRS, and a note naming the code not carried
            noted(p, ["note:", f"EPSG:{code}"], f"{name} → PolSARpro")
            if gdal_transform(os.path.join(folder, "C11.bin")) != gdal_transform(src):
                problem(f"{name} → PolSARpro: the grid was not kept")
            with rasterio.open(os.path.join(folder, "C11.bin")) as c:
                # map info `Arbitrary`: GDAL's local system without a datum, as GDAL writes it
                if c.crs is not None and not c.crs.to_wkt().startswith('LOCAL_CS["Arbitrary"'):
                    problem(f"{name} → PolSARpro: a CRS {c.crs} was written")
        back = os.path.join(d, f"{name}_back.tif")
        p = run(exe, ["polsar", "boxcar", folder, back, "--size", "3"])
        check_tiff(back, transform, code if named else None, f"{name} → PolSARpro → GeoTIFF")
        if named:
            silent(p, f"{name} PolSARpro → GeoTIFF")
    # a projection of GDAL's own on WGS 84 (GeoKeys: projected user-defined, geographic 4326):
    # not EPSG:4326 — the grid alone, and a note
    src = os.path.join(d, "custom.tif")
    custom = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=10 +k=1 +x_0=0 +y_0=0 +datum=WGS84 "
                            "+units=m +no_defs")
    matrix_tiff(src, 1, CASES[0][2], crs=custom)
    folder = os.path.join(d, "custom_folder")
    p = run(exe, ["polsar", "boxcar", src, folder, "--size", "3"])
    noted(p, ["note:", "no EPSG coordinate system"], "custom TM → PolSARpro")
    hdr = open(os.path.join(folder, "C11.bin.hdr")).read() if os.path.isdir(folder) else ""
    if "map info = {Arbitrary, 1, 1, 400000.25, 5000000.75, 10.5, 20, 0, North}" not in hdr:
        problem(f"custom TM → PolSARpro: header {hdr!r}")
    # PixelIsPoint: GDAL's geotransform of the source (shifted to the corner) is the folder's
    src = os.path.join(d, "point.tif")
    matrix_tiff(src, 32633, CASES[0][2], point=True)
    with rasterio.open(src) as s:
        if s.tags().get("AREA_OR_POINT") != "Point":
            problem("point.tif: rasterio did not write a PixelIsPoint file")
    folder = os.path.join(d, "point_folder")
    run(exe, ["polsar", "boxcar", src, folder, "--size", "3"])
    check_envi(folder, src, "PixelIsPoint → PolSARpro")


def gdal_folders(d, exe):
    """Folders whose headers GDAL's ENVI driver wrote (ESRI WKT without an EPSG authority)."""
    for name, code, transform, named in CASES:
        src = os.path.join(d, f"{name}.tif")
        folder = os.path.join(d, f"{name}_gdal")
        os.makedirs(folder, exist_ok=True)
        for b, n in enumerate(C2):
            subprocess.run(["gdal_translate", "-q", "-of", "ENVI", "-b", str(b + 1), src,
                            os.path.join(folder, f"{n}.bin")], check=True)
        with open(os.path.join(folder, "config.txt"), "w") as f:
            f.write(f"Nrow\n{H}\n---------\nNcol\n{W}\n---------\nPolarCase\nmonostatic\n"
                    "---------\nPolarType\npp2\n")
        gt = gdal_transform(os.path.join(folder, "C11.bin"))
        out = os.path.join(d, f"{name}_gdal.tif")
        p = run(exe, ["polsar", "boxcar", folder, out, "--size", "3"])
        check_tiff(out, Affine.from_gdal(*gt), code if named else None,
                   f"gdal_translate -of ENVI {name} → GeoTIFF")
        if named:
            silent(p, f"gdal {name} → GeoTIFF")
        else:
            noted(p, ["note:", "coordinate system not carried"], f"gdal {name} → GeoTIFF")


def write_slc_pair(d, prefix, seed, **georef):
    """A VV and a VH complex64 GeoTIFF of W × 2H random samples with ``georef`` (rasterio's
    crs, transform or gcps); their paths."""
    rng = np.random.default_rng(seed)
    paths = []
    for n in ("VV", "VH"):
        p = os.path.join(d, f"{prefix}_{n}.tif")
        z = (rng.normal(size=(H * 2, W)) + 1j * rng.normal(size=(H * 2, W))).astype(np.complex64)
        with rasterio.open(p, "w", driver="GTiff", width=W, height=H * 2, count=1,
                           dtype="complex64", **georef) as f:
            f.write(z, 1)
        paths.append(p)
    return paths


def slc_to_folder(d, exe):
    t = Affine(2.5, 0.0, 300000.0, 0.0, -14.0, 5000000.0)
    paths = write_slc_pair(d, "slc", 3, crs="EPSG:32632", transform=t)
    folder = os.path.join(d, "slc_folder")
    p = run(exe, ["polsar", "c2", *paths, folder, "--multilook", "2x1"])
    silent(p, "SLC → PolSARpro")
    ref = os.path.join(d, "slc_ref.tif")
    with rasterio.open(ref, "w", driver="GTiff", width=W, height=H, count=1, dtype="float32",
                       crs="EPSG:32632", transform=t * Affine.scale(1, 2)) as f:
        f.write(np.zeros((1, H, W), np.float32))
    check_envi(folder, ref, "SLC 2x1 → PolSARpro")


def gcps_of(path):
    """GDAL's ground control points of a file: [(pixel, line, x, y)], and their CRS's EPSG."""
    with rasterio.open(path) as f:
        gcps, crs = f.gcps
    return [(g.col, g.row, g.x, g.y) for g in gcps], (crs.to_epsg() if crs else None)


def slc_gcps_to_folder(d, exe):
    """Sentinel-1 SLC GeoTIFFs carry ground control points on WGS 84 latitude and longitude:
    multilooked into a folder, GDAL's ENVI driver reads them back from `geo points` (pixel
    coordinates divided by the looks), and the folder → GeoTIFF keeps them."""
    from rasterio.control import GroundControlPoint as Gcp

    gcps = [Gcp(row=r, col=c, x=10.0 + 0.01 * c - 0.002 * r, y=45.0 - 0.003 * r + 0.001 * c, z=0.0)
            for r in (0, H * 2) for c in (0, W // 2, W)]
    paths = write_slc_pair(d, "gcp", 4, gcps=gcps, crs="EPSG:4326")
    folder = os.path.join(d, "gcp_folder")
    silent(run(exe, ["polsar", "c2", *paths, folder, "--multilook", "2x1"]), "SLC GCPs → folder")
    want = [(g.col, g.row / 2, g.x, g.y) for g in gcps]
    # ENVI geo points are latitude and longitude by definition; GDAL's ENVI driver reads them
    # without a CRS (it takes none from the header for ground control points)
    got, _ = gcps_of(os.path.join(folder, "C11.bin"))
    if got != want:
        problem(f"SLC GCPs → folder: GDAL reads {got}, expected {want}")
    back = os.path.join(d, "gcp_back.tif")
    silent(run(exe, ["polsar", "boxcar", folder, back]), "GCP folder → GeoTIFF")
    got, epsg = gcps_of(back)
    if got != want or epsg != 4326:
        problem(f"GCP folder → GeoTIFF: GDAL reads {got} (EPSG:{epsg}), expected {want} (4326)")


SNAP_WGS84 = ('GEOGCS["WGS84(DD)", DATUM["WGS84", SPHEROID["WGS84", 6378137.0, 298.257223563]], '
              'PRIMEM["Greenwich", 0.0], UNIT["degree", 0.017453292519943295], '
              'AXIS["Geodetic longitude", EAST], AXIS["Geodetic latitude", NORTH]]')


def dimap(d, name, geoposition):
    """A C2 product as SNAP lays it out: .dim + .data/ of big-endian ENVI bands."""
    data = os.path.join(d, f"{name}.data")
    os.makedirs(data, exist_ok=True)
    files, infos = "", ""
    for i, n in enumerate(C2):
        np.full((H, W), 1.0 + i, ">f4").tofile(os.path.join(data, f"{n}.img"))
        with open(os.path.join(data, f"{n}.hdr"), "w") as f:
            f.write(f"ENVI\nsamples = {W}\nlines = {H}\nbands = 1\nheader offset = 0\n"
                    f"file type = ENVI Standard\ndata type = 4\ninterleave = bsq\n"
                    f"byte order = 1\nband names = {{ {n} }}\n")
        files += (f'<Data_File><DATA_FILE_PATH href="{name}.data/{n}.hdr" />'
                  f"<BAND_INDEX>{i}</BAND_INDEX></Data_File>\n")
        infos += (f"<Spectral_Band_Info><BAND_INDEX>{i}</BAND_INDEX><BAND_NAME>{n}</BAND_NAME>"
                  "<DATA_TYPE>float32</DATA_TYPE></Spectral_Band_Info>\n")
    geo = ""
    if geoposition:
        geo = (f"<Coordinate_Reference_System><WKT>{SNAP_WGS84}</WKT>"
               "</Coordinate_Reference_System>\n<Geoposition><IMAGE_TO_MODEL_TRANSFORM>"
               "1.0E-4,0.0,0.0,-1.5E-4,12.5,45.25</IMAGE_TO_MODEL_TRANSFORM></Geoposition>\n")
    path = os.path.join(d, f"{name}.dim")
    with open(path, "w") as f:
        f.write(f'<?xml version="1.0" encoding="ISO-8859-1"?>\n<Dimap_Document name="{name}.dim">'
                f"\n<Raster_Dimensions><NCOLS>{W}</NCOLS><NROWS>{H}</NROWS><NBANDS>4</NBANDS>"
                f"</Raster_Dimensions>\n<Data_Access>{files}</Data_Access>\n{geo}"
                f"<Image_Interpretation>{infos}</Image_Interpretation>\n</Dimap_Document>\n")
    return path


def dimap_products(d, exe):
    src = dimap(d, "tc", True)
    out = os.path.join(d, "tc.tif")
    p = run(exe, ["polsar", "boxcar", src, out, "--size", "3"])
    silent(p, "DIMAP → GeoTIFF")
    check_tiff(out, Affine(1e-4, 0.0, 12.5, 0.0, -1.5e-4, 45.25), 4326, "DIMAP → GeoTIFF")
    folder = os.path.join(d, "tc_folder")
    run(exe, ["polsar", "boxcar", src, folder, "--size", "3"])
    check_envi(folder, out, "DIMAP → PolSARpro")
    # slant range: no map georeferencing, none invented
    src = dimap(d, "slant", False)
    out = os.path.join(d, "slant.tif")
    p = run(exe, ["polsar", "boxcar", src, out, "--size", "3"])
    noted(p, ["note:", "tie-point grids"], "slant-range DIMAP → GeoTIFF")
    if os.path.exists(out):
        with rasterio.open(out) as o:
            if o.crs is not None or gdal_transform(out) is not None:
                problem(f"slant-range DIMAP → GeoTIFF: georeferencing {o.crs} {o.transform}")


def main():
    d, exe = sys.argv[1], sys.argv[2]
    geotiff_polsarpro_geotiff(d, exe)
    gdal_folders(d, exe)
    slc_to_folder(d, exe)
    slc_gcps_to_folder(d, exe)
    dimap_products(d, exe)
    for line in PROBLEMS:
        print(line, file=sys.stderr)
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
