#!/usr/bin/env python3
"""Write a Display P3 ICC profile (ICC v4.3, RGB display class, matrix/TRC) for the test corpus.

Built only from the published definition of Display P3: DCI-P3 primaries
(x, y) R 0.680 0.320, G 0.265 0.690, B 0.150 0.060, D65 white 0.3127 0.3290 and the
sRGB transfer curve (IEC 61966-2-1), stored as a 'para' curve of function type 3.
The colorants are adapted from D65 to the D50 PCS with the Bradford transform,
which is also stored as the 'chad' tag. The output is deterministic (fixed date,
MD5 profile ID per ICC.1:2022 section 7.2.18).

Usage: python3 make-display-p3-icc.py [OUTPUT]   (default: DisplayP3.icc)
"""
import hashlib
import struct
import sys

DESCRIPTION = "Display P3 (lama-worker test profile)"
COPYRIGHT = "No copyright, use freely (CC0). Made by make-display-p3-icc.py"

PRIMARIES = {"r": (0.680, 0.320), "g": (0.265, 0.690), "b": (0.150, 0.060)}
WHITE_XY = (0.3127, 0.3290)
# sRGB transfer: Y = ((X + 0.055) / 1.055)^2.4 for X >= 0.04045, else X / 12.92
SRGB_PARA = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
# PCS illuminant as the ICC spec encodes it in the header (s15Fixed16 0xF6D6, 0x10000, 0xD32D)
D50 = (0.9642, 1.0, 0.8249)
BRADFORD = [[0.8951, 0.2664, -0.1614],
            [-0.7502, 1.7135, 0.0367],
            [0.0389, -0.0685, 1.0296]]


def mat_mul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


def mat_vec(a, v):
    return [sum(a[i][k] * v[k] for k in range(3)) for i in range(3)]


def mat_inv(m):
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return [[(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
            [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
            [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det]]


def xy_to_xyz(x, y):
    return [x / y, 1.0, (1 - x - y) / y]


def s15f16(v):
    return struct.pack(">i", round(v * 65536))


def rgb_to_xyz_d50():
    """Columns = rXYZ, gXYZ, bXYZ adapted to D50; also returns the chad matrix."""
    prim = [xy_to_xyz(*PRIMARIES[c]) for c in "rgb"]
    p = [[prim[j][i] for j in range(3)] for i in range(3)]  # primaries as columns
    white = xy_to_xyz(*WHITE_XY)
    s = mat_vec(mat_inv(p), white)
    m_d65 = [[p[i][j] * s[j] for j in range(3)] for i in range(3)]
    src = mat_vec(BRADFORD, white)
    dst = mat_vec(BRADFORD, D50)
    scale = [[dst[i] / src[i] if i == j else 0.0 for j in range(3)] for i in range(3)]
    chad = mat_mul(mat_inv(BRADFORD), mat_mul(scale, BRADFORD))
    return mat_mul(chad, m_d65), chad


def fixed_columns(m):
    """Quantise the colorants to s15Fixed16 so that r + g + b is exactly the D50 white."""
    cols = [[round(m[i][j] * 65536) for i in range(3)] for j in range(3)]
    for i in range(3):
        cols[1][i] += round(D50[i] * 65536) - sum(c[i] for c in cols)  # put the rounding error in green
    return cols


def tag_xyz(v):
    return b"XYZ " + bytes(4) + b"".join(s15f16(c) for c in v)


def tag_xyz_raw(ints):
    return b"XYZ " + bytes(4) + b"".join(struct.pack(">i", c) for c in ints)


def tag_mluc(text):
    s = text.encode("utf-16-be")
    return b"mluc" + bytes(4) + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(s), 28) + s


def tag_para(params):
    return b"para" + bytes(4) + struct.pack(">HH", 3, 0) + b"".join(s15f16(p) for p in params)


def tag_sf32(m):
    return b"sf32" + bytes(4) + b"".join(s15f16(m[i][j]) for i in range(3) for j in range(3))


def build():
    m, chad = rgb_to_xyz_d50()
    cols = fixed_columns(m)
    trc = tag_para(SRGB_PARA)
    tags = [  # (signature, data); equal data objects are stored once and shared
        (b"desc", tag_mluc(DESCRIPTION)),
        (b"cprt", tag_mluc(COPYRIGHT)),
        (b"wtpt", tag_xyz(D50)),
        (b"chad", tag_sf32(chad)),
        (b"rXYZ", tag_xyz_raw(cols[0])),
        (b"gXYZ", tag_xyz_raw(cols[1])),
        (b"bXYZ", tag_xyz_raw(cols[2])),
        (b"rTRC", trc),
        (b"gTRC", trc),
        (b"bTRC", trc),
    ]
    table = struct.pack(">I", len(tags))
    body = b""
    offset = 128 + 4 + 12 * len(tags)
    placed = {}
    for sig, data in tags:
        if data not in placed:
            placed[data] = offset + len(body)
            body += data + bytes(-len(data) % 4)
        table += sig + struct.pack(">II", placed[data], len(data))
    size = offset + len(body)
    header = struct.pack(">I", size)
    header += bytes(4)                         # preferred CMM: none
    header += struct.pack(">I", 0x04300000)    # version 4.3
    header += b"mntr" + b"RGB " + b"XYZ "
    header += struct.pack(">6H", 2024, 1, 1, 0, 0, 0)  # fixed creation date: reproducible
    header += b"acsp"
    header += bytes(4)                         # primary platform: none
    header += bytes(4)                         # flags
    header += bytes(4) + bytes(4)              # device manufacturer, model
    header += bytes(8)                         # device attributes
    header += struct.pack(">I", 0)             # rendering intent: perceptual
    header += b"".join(s15f16(c) for c in D50) # PCS illuminant
    header += bytes(4)                         # creator
    header += bytes(16)                        # profile ID, filled in below
    header += bytes(28)                        # reserved
    assert len(header) == 128
    profile = header + table + body
    assert len(profile) == size
    profile_id = hashlib.md5(profile).digest()  # flags, intent and ID are zero already
    return profile[:84] + profile_id + profile[100:]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "DisplayP3.icc"
    with open(out, "wb") as f:
        f.write(build())


if __name__ == "__main__":
    main()
