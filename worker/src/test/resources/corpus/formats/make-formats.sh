#!/bin/bash
# Regenerates the derived test pictures of formats/ (listed in ../README.md) from pictures that are
# already in the corpus: ../coffee.png, chelsea-rgba.png and chelsea-16bit.png.
#
# Usage, from formats/:  bash make-formats.sh [OUTPUT_DIR]      (default: formats/ itself)
#
# Debian tools: imagemagick 6 (/usr/bin/convert itself, not a wrapper earlier in PATH),
# libjpeg-turbo-progs (cjpeg), webp (cwebp, webpmux), libimage-exiftool-perl, icc-profiles-free,
# python3. Made with ImageMagick 6.9.11-60 Q16, libjpeg-turbo 2.1.5, libwebp 1.2.4 and
# ExifTool 12.57; the same versions give byte-identical files (ExifTool writes its version into
# the XMP packets, so another version changes those files, not their pixels).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${1:-$here}"
out=$(cd "${1:-$here}" && pwd)

convert=/usr/bin/convert
icc=/usr/share/color/icc
coffee=$here/../coffee.png
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Made-up camera metadata: a date, a camera and a place (the Eiffel Tower).
exif=(-EXIF:Make="Lama Test Optics" -EXIF:Model="Corpus Cam 1" -EXIF:Orientation#=1
      -EXIF:DateTimeOriginal="2021:06:15 10:30:00"
      -GPSLatitude=48.858370 -GPSLatitudeRef=N -GPSLongitude=2.294481 -GPSLongitudeRef=E)
xmp=(-XMP-dc:Title="Coffee (lama-worker test picture)")

# 1. coffee-p3.jpg: pixels converted from sRGB into Display P3, 4:2:0, with the profile in APP2.
python3 "$here/make-display-p3-icc.py" "$out/DisplayP3.icc"
$convert "$coffee" -profile $icc/sRGB.icc -profile "$out/DisplayP3.icc" -depth 8 "$tmp/coffee-p3.ppm"
cjpeg -quality 90 -icc "$out/DisplayP3.icc" -outfile "$out/coffee-p3.jpg" "$tmp/coffee-p3.ppm"

# Plain sRGB pixels of coffee.png, for 2. to 4., 6. and 7.
$convert "$coffee" -depth 8 "$tmp/coffee.ppm"

# 2. coffee-444.jpg: baseline, no chroma subsampling.
cjpeg -sample 1x1 -quality 92 -outfile "$out/coffee-444.jpg" "$tmp/coffee.ppm"

# 3. coffee-restart.jpg: 4:2:0 with a restart marker every 2 MCU rows (12 markers, RST0..RST7).
cjpeg -quality 90 -restart 2 -outfile "$out/coffee-restart.jpg" "$tmp/coffee.ppm"

# 4. coffee-gps.jpg: EXIF (camera, date, GPS, orientation 1) and XMP.
cjpeg -quality 90 -outfile "$out/coffee-gps.jpg" "$tmp/coffee.ppm"
exiftool -q -overwrite_original "${exif[@]}" -EXIF:ColorSpace=sRGB "${xmp[@]}" "$out/coffee-gps.jpg"

# 5. coffee-lossy.webp: pixels converted into Adobe RGB, VP8 q80, with ICCP, EXIF and XMP chunks.
#    The EXIF chunk holds raw EXIF starting at the TIFF header ("MM\0*"), as a stand-alone .exif;
#    it says Adobe RGB the way cameras do: ColorSpace "Uncalibrated" and InteropIndex R03.
$convert "$coffee" -profile $icc/sRGB.icc -profile $icc/compatibleWithAdobeRGB1998.icc -depth 8 "$tmp/coffee-adobe.ppm"
cwebp -quiet -q 80 "$tmp/coffee-adobe.ppm" -o "$tmp/coffee-lossy-0.webp"
exiftool -q "${exif[@]}" -EXIF:ColorSpace#=65535 -InteropIndex#=R03 "$tmp/coffee.exif"
exiftool -q "${xmp[@]}" "$tmp/coffee.xmp"
webpmux -set icc $icc/compatibleWithAdobeRGB1998.icc "$tmp/coffee-lossy-0.webp" -o "$tmp/coffee-lossy-1.webp"
webpmux -set exif "$tmp/coffee.exif" "$tmp/coffee-lossy-1.webp" -o "$tmp/coffee-lossy-2.webp"
webpmux -set xmp "$tmp/coffee.xmp" "$tmp/coffee-lossy-2.webp" -o "$out/coffee-lossy.webp"

# 6. coffee-plain-lossy.webp: simple lossy WebP (a bare VP8 chunk), no metadata.
cwebp -quiet -q 75 "$tmp/coffee.ppm" -o "$out/coffee-plain-lossy.webp"

# 7. coffee-lossless.webp: VP8L, same pixels as coffee.png.
cwebp -quiet -z 9 "$tmp/coffee.ppm" -o "$out/coffee-lossless.webp"

# 8. chelsea-alpha.webp (VP8L, RGB under transparent pixels kept) and chelsea-alpha-lossy.webp
#    (VP8 with a losslessly compressed ALPH chunk).
cwebp -quiet -lossless -exact "$here/chelsea-rgba.png" -o "$out/chelsea-alpha.webp"
cwebp -quiet -q 80 -alpha_q 100 "$here/chelsea-rgba.png" -o "$out/chelsea-alpha-lossy.webp"

# 9. chelsea-16bit-icc.png: 16 bits per channel converted into Adobe RGB, profile in iCCP and no
#    other ancillary chunk. (ImageMagick 6 drops iCCP if both tEXt and zTXt are excluded.)
$convert "$here/chelsea-16bit.png" -profile $icc/sRGB.icc -profile $icc/compatibleWithAdobeRGB1998.icc \
    -depth 16 -define png:exclude-chunk=bKGD,cHRM,date,gAMA,pHYs,sRGB,tEXt,tIME,time,vpAg \
    PNG48:"$out/chelsea-16bit-icc.png"

# 10. coffee-animated.webp: a two-frame animation (ANIM, ANMF) of coffee.png scaled to 60x40 and its
#     negative, which the worker refuses: one frame of an animation is not the picture sent.
$convert "$coffee" -resize 60x40 "$tmp/frame-1.png"
$convert "$tmp/frame-1.png" -negate "$tmp/frame-2.png"
img2webp -loop 0 -lossless "$tmp/frame-1.png" -d 200 "$tmp/frame-2.png" -o "$out/coffee-animated.webp" >/dev/null 2>&1

# 11. JPEG codings the coefficient patching reads (issue 14): coffee-422.jpg (baseline 4:2:2),
#     coffee-progressive-420.jpg (progressive 4:2:0, a restart marker every MCU row) and
#     coffee-grey-progressive.jpg (one component, progressive).
cjpeg -sample 2x1 -quality 90 -outfile "$out/coffee-422.jpg" "$tmp/coffee.ppm"
cjpeg -progressive -quality 85 -restart 1 -outfile "$out/coffee-progressive-420.jpg" "$tmp/coffee.ppm"
cjpeg -grayscale -progressive -quality 90 -outfile "$out/coffee-grey-progressive.jpg" "$tmp/coffee.ppm"
