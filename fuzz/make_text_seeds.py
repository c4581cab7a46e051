#!/usr/bin/env python3
"""Writes the seed corpus of the text-format fuzz targets (envi, polsarpro, dimap): small valid
products of every layout the readers support, each packed into one file as the harness
(`despeckle_envi::fuzzing`) unpacks it — its parts separated by NUL bytes:

    envi       HEADER \\0 DATA
    polsarpro  CONFIG \\0 KIND \\0 HEADER \\0 DATA     (every element file holds DATA)
    dimap      DIM \\0 HEADER \\0 DATA                 (every band named in DIM holds DATA)

    python3 fuzz/make_text_seeds.py [DIR]      (default: the fuzz/ folder of this script;
                                                writes DIR/seeds-envi, seeds-polsarpro,
                                                seeds-dimap)

Plain Python (struct only). The rasters are tiny (at most 5 x 4 pixels x 3 bands).
"""

import os
import struct
import sys

# ENVI data type code: struct format of one sample (complex: two parts)
TYPES = {1: "B", 2: "h", 3: "i", 4: "f", 5: "d", 6: "ff", 9: "dd", 12: "H", 13: "I", 14: "q", 15: "Q"}


def samples(code, n, order):
    fmt = TYPES[code]
    out = bytearray()
    for i in range(n):
        for part, c in enumerate(fmt):
            v = (i * 7 + part * 3) % 23
            if c in "fd":
                v = v * 0.5 - 1.0
            elif c in "hiq":
                v -= 5
            out += struct.pack(order + c, v)
    return bytes(out)


def header(w, h, bands, code, interleave="bsq", byte_order=0, offset=0, extra=""):
    return (
        "ENVI\ndescription = {\n  a test raster}\n"
        f"samples = {w}\nlines   = {h}\nbands   = {bands}\nheader offset = {offset}\n"
        f"file type = ENVI Standard\ndata type = {code}\ninterleave = {interleave}\n"
        f"byte order = {byte_order}\n{extra}"
    )


def write(path, parts):
    with open(path, "wb") as f:
        f.write(b"\0".join(p if isinstance(p, bytes) else p.encode() for p in parts))


def envi(d):
    os.makedirs(d, exist_ok=True)
    w, h = 5, 4
    for code in TYPES:
        for interleave in ("bsq", "bil", "bip"):
            for bo, order in ((0, "<"), (1, ">")):
                if interleave != "bsq" and (code in (5, 9, 14, 15) or bo == 1):
                    continue  # fewer seeds: other interleaves with the common types
                bands = 1 if code in (6, 9) and interleave == "bsq" and bo else 3
                hdr = header(w, h, bands, code, interleave, bo)
                write(f"{d}/t{code}-{interleave}-{'be' if bo else 'le'}.env",
                      [hdr, samples(code, w * h * bands, order)])
    extra = (
        "data ignore value = -1\n"
        "band names = {\n alpha,\n beta }\n"
        "map info = {UTM, 1.000, 1.000, 500000.0, 4100000.0, 10.0, 10.0, 31, North, WGS-84, units=Meters}\n"
        "coordinate system string = {PROJCS[\"WGS 84 / UTM zone 31N\",GEOGCS[\"WGS 84\"]]}\n"
        "wavelength units = Unknown\n"
    )
    write(f"{d}/metadata.env", [header(w, h, 2, 4, "bsq", 0, 0, extra), samples(4, w * h * 2, "<")])
    write(f"{d}/offset.env", [header(w, h, 1, 2, "bsq", 0, 16), bytes(16) + samples(2, w * h, "<")])


CONFIG = "Nrow\n{h}\n---------\nNcol\n{w}\n---------\nPolarCase\nmonostatic\n---------\nPolarType\n{t}\n"


def polsarpro(d):
    os.makedirs(d, exist_ok=True)
    w, h = 5, 4
    data = samples(4, w * h, "<")
    for kind in ("C2", "C3", "T3", "C4", "T4"):
        cfg = CONFIG.format(h=h, w=w, t="pp2" if kind == "C2" else "full")
        write(f"{d}/{kind}.psp", [cfg, kind, header(w, h, 1, 4), data])
    # no headers: the size from config.txt
    write(f"{d}/T3-no-headers.psp", [CONFIG.format(h=h, w=w, t="full"), "T3", "", data])


def spectral(i, name, extra):
    return (f"<Spectral_Band_Info>\n<BAND_INDEX>{i}</BAND_INDEX>\n<BAND_NAME>{name}</BAND_NAME>\n"
            f"<BAND_RASTER_WIDTH>5</BAND_RASTER_WIDTH>\n<BAND_RASTER_HEIGHT>4</BAND_RASTER_HEIGHT>\n"
            f"{extra}\n</Spectral_Band_Info>\n")


def dim(names, kinds, virtual=False):
    files, infos = "", ""
    for i, (name, kind) in enumerate(zip(names, kinds)):
        files += (f"<Data_File>\n<DATA_FILE_PATH href=\"p.data/{name}.hdr\" />\n"
                  f"<BAND_INDEX>{i}</BAND_INDEX>\n</Data_File>\n")
        extra = {
            "f": "<DATA_TYPE>float32</DATA_TYPE>\n<PHYSICAL_UNIT>intensity</PHYSICAL_UNIT>",
            "i": "<DATA_TYPE>int16</DATA_TYPE>\n<SCALING_FACTOR>0.5</SCALING_FACTOR>\n"
                 "<SCALING_OFFSET>1.0</SCALING_OFFSET>\n<NO_DATA_VALUE_USED>true</NO_DATA_VALUE_USED>\n"
                 "<NO_DATA_VALUE>-1.0</NO_DATA_VALUE>",
            "re": "<DATA_TYPE>int16</DATA_TYPE>\n<PHYSICAL_UNIT>real</PHYSICAL_UNIT>",
            "im": "<DATA_TYPE>int16</DATA_TYPE>\n<PHYSICAL_UNIT>imaginary</PHYSICAL_UNIT>",
        }[kind]
        infos += spectral(i, name, extra)
    if virtual:
        infos += spectral(len(names), "Span",
                          "<DATA_TYPE>float32</DATA_TYPE>\n<VIRTUAL_BAND>true</VIRTUAL_BAND>\n"
                          "<EXPRESSION>C11 + C22</EXPRESSION>")
    return (
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Dimap_Document name=\"p.dim\">\n"
        "<Dataset_Id>\n<DATASET_NAME>p</DATASET_NAME>\n</Dataset_Id>\n"
        "<Production>\n<PRODUCT_TYPE>SLC</PRODUCT_TYPE>\n</Production>\n"
        "<Coordinate_Reference_System>\n<WKT>\nGEOGCS[\"WGS84(DD)\"]\n</WKT>\n</Coordinate_Reference_System>\n"
        f"<Raster_Dimensions>\n<NCOLS>5</NCOLS>\n<NROWS>4</NROWS>\n<NBANDS>{len(names)}</NBANDS>\n</Raster_Dimensions>\n"
        f"<Data_Access>\n<DATA_FILE_FORMAT>ENVI</DATA_FILE_FORMAT>\n{files}</Data_Access>\n"
        f"<Image_Interpretation>\n{infos}</Image_Interpretation>\n"
        "<Geoposition>\n<IMAGE_TO_MODEL_TRANSFORM>0.001,0.0,0.0,-0.001,3.5,45.25</IMAGE_TO_MODEL_TRANSFORM>\n</Geoposition>\n"
        "</Dimap_Document>\n"
    )


def dimap(d):
    os.makedirs(d, exist_ok=True)
    w, h = 5, 4
    f32 = header(w, h, 1, 4, "bsq", 1)
    i16 = header(w, h, 1, 2, "bsq", 1)
    write(f"{d}/c2.dimp", [dim(["C22", "C12_real", "C11", "C12_imag"], "ffff", True), f32,
                           samples(4, w * h, ">")])
    write(f"{d}/slc.dimp", [dim(["i_VV", "q_VV", "i_VH", "q_VH"], ["re", "im", "re", "im"]), i16,
                            samples(2, w * h, ">")])
    write(f"{d}/scaled.dimp", [dim(["amp"], ["i"]), i16, samples(2, w * h, ">")])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    envi(os.path.join(root, "seeds-envi"))
    polsarpro(os.path.join(root, "seeds-polsarpro"))
    dimap(os.path.join(root, "seeds-dimap"))


if __name__ == "__main__":
    main()
