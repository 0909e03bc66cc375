#!/usr/bin/env python3
"""HEIC files for the tests, encoded by libheif with x265 (pillow-heif from PyPI): a photo from
the samples at a given width, and a transparent disc. Usage: heif_fixtures.py SOURCE.jpg OUT_DIR
WIDTH [WIDTH...] — writes photo-<width>.heic for each width (with an artist and a copyright in
its EXIF), alpha.heic, and rotated.heic from
portrait.jpg beside SOURCE when there is one (pillow-heif turns its EXIF orientation into `irot`)."""
import sys
from pathlib import Path

import pillow_heif
from PIL import Image, ImageDraw

source, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
photo = Image.open(source).convert("RGB")
for width in map(int, sys.argv[3:]):
    height = round(photo.height * width / photo.width)
    resized = photo.resize((width, height), Image.LANCZOS)
    exif = Image.Exif()
    exif[0x013B] = "A. Photographer"  # Artist
    exif[0x8298] = "(c) A. Photographer"  # Copyright
    pillow_heif.from_pillow(resized).save(out / f"photo-{width}.heic", quality=80, exif=exif.tobytes())

disc = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
draw = ImageDraw.Draw(disc)
for x in range(20, 140):
    draw.line([(x, 20), (x, 139)], fill=(200, 40, 90, round(x / 160 * 255)))
mask = Image.new("L", (160, 160), 0)
ImageDraw.Draw(mask).ellipse([20, 20, 139, 139], fill=255)
disc.putalpha(Image.composite(disc.getchannel("A"), mask, mask))
pillow_heif.from_pillow(disc).save(out / "alpha.heic", quality=90)

portrait = source.parent / "portrait.jpg"
if portrait.exists():
    pillow_heif.from_pillow(Image.open(portrait)).save(out / "rotated.heic", quality=80)
