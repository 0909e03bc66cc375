"""Writes the progressive JPEG fixtures of src/pipeline/codecs/progressive/tests.rs.

They come from libjpeg (through Pillow), whose progressive mode uses successive approximation
(DC and AC refinement scans, the hard part of a progressive decoder), unlike jpeg-encoder's,
which the Rust tests can make themselves. Run: python3 scripts/progressive_fixtures.py
"""
import os
from PIL import Image, ImageDraw, ImageFilter

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "progressive")


def scene(w, h):
    """Gradients, hard-edged shapes and noise: smooth areas, edges and texture, like a photo."""
    img = Image.linear_gradient("L").resize((w, h))
    img = Image.merge("RGB", (img, img.transpose(Image.Transpose.FLIP_LEFT_RIGHT), Image.radial_gradient("L").resize((w, h))))
    draw = ImageDraw.Draw(img)
    draw.ellipse((w // 5, h // 6, w // 2, h // 2), fill=(220, 40, 30))
    draw.rectangle((w // 2, h // 2, w - w // 8, h - h // 10), fill=(20, 160, 60), outline=(250, 250, 0), width=3)
    for i in range(0, w, 7):
        draw.line((i, 0, i + h // 3, h // 4), fill=(255, 255, 255), width=1)
    noise = Image.effect_noise((w, h), 40).convert("RGB")
    return Image.blend(img, noise, 0.15).filter(ImageFilter.SMOOTH)


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [
        ("p420.jpg", scene(203, 141), dict(subsampling=2, quality=85)),
        ("p444-restart.jpg", scene(150, 97), dict(subsampling=0, quality=90, restart_marker_blocks=5)),
        ("p422.jpg", scene(117, 80), dict(subsampling=1, quality=75)),
        ("grey-restart.jpg", scene(99, 77).convert("L"), dict(quality=80, restart_marker_rows=1)),
        ("p420-large.jpg", scene(640, 427), dict(subsampling=2, quality=92)),
    ]
    for name, img, opts in cases:
        img.save(os.path.join(OUT, name), "JPEG", progressive=True, **opts)


if __name__ == "__main__":
    main()
