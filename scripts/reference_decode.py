#!/usr/bin/env python3
"""Reference decodes of HEIF files (AVIF, HEIC) for the tests: libheif through pillow-heif, as
the issue that asked for AVIF and HEIC input names. Prints, per file given, one JSON line: size
after the file's own rotation and mirroring, mode, the mean of each RGBA channel, and the image
flattened onto black and boxed down to 8×8 (RGB, row by row: where things are, so a wrong turn
shows; the colour of transparent pixels is not compared). sharp is
not used for these: its libvips loader reads a grid AVIF's first tile as the image."""
import json
import sys

import pillow_heif
from PIL import Image, ImageStat

pillow_heif.register_heif_opener()

for path in sys.argv[1:]:
    with Image.open(path) as im:
        rgba = im.convert("RGBA")
        flat = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba).convert("RGB")
        grid = [list(p) for p in flat.resize((8, 8), Image.BOX).getdata()]
        print(json.dumps({"file": path, "width": rgba.width, "height": rgba.height, "mode": im.mode, "mean": ImageStat.Stat(rgba).mean, "grid": grid}))
