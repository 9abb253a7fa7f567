#!/bin/sh
# Makes the photos and masks bench/JpegJobs.java times (BENCHMARKS.md, "JPEG edits without
# generation loss"): the corpus's 5K photo as it is (optimised Huffman tables), progressive, and
# with restart markers, and 2K, 4K and 12 MP photos encoded from it as cameras do (libjpeg's
# standard tables, q92, 4:2:0), each with a
# small mask (a 120 px disc) and a large one (an ellipse over a sixth of the width and half the
# height). Needs ImageMagick and libjpeg-turbo-progs.
#
#   sh bench/jpeg-pictures.sh /tmp/jpeg-bench
set -eu
out=${1:?usage: jpeg-pictures.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
corpus="$here/../worker/src/test/resources/corpus"
mkdir -p "$out"
cp "$corpus/rocket-5k.jpg" "$out/rocket-5k.jpg"
djpeg -ppm "$corpus/rocket-5k.jpg" > "$out/rocket.ppm"
for size in 2048x1152:photo-2k 3840x2160:photo-4k 4000x3000:photo-12mp; do
    geometry=${size%%:*}
    name=${size##*:}
    convert "$out/rocket.ppm" -resize "$geometry!" "$out/$name.ppm"
    cjpeg -quality 92 -sample 2x2 -outfile "$out/$name.jpg" "$out/$name.ppm"
    rm "$out/$name.ppm"
done
rm "$out/rocket.ppm"
# The 5K photo progressive, and with a restart marker every MCU row: these are re-encoded with
# optimised tables, not copied.
jpegtran -progressive -copy all -outfile "$out/rocket-5k-progressive.jpg" "$corpus/rocket-5k.jpg"
jpegtran -restart 1 -copy all -outfile "$out/rocket-5k-restart.jpg" "$corpus/rocket-5k.jpg"
for photo in "$out"/*.jpg; do
    name=$(basename "$photo" .jpg)
    w=$(identify -format %w "$photo")
    h=$(identify -format %h "$photo")
    cx=$((w * 3 / 5))
    cy=$((h / 2))
    convert -size "${w}x${h}" xc:black -fill white -draw "circle $cx,$cy $((cx + 60)),$cy" \
        -depth 8 -type Grayscale "$out/$name.small.png"
    convert -size "${w}x${h}" xc:black -fill white \
        -draw "ellipse $cx,$cy $((w / 12)),$((h / 4)) 0,360" \
        -depth 8 -type Grayscale "$out/$name.large.png"
done
ls -l "$out"
