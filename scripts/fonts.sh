#!/usr/bin/env bash
# Rebuilds assets/fonts/: the fonts an SVG's <text> is drawn with when it names a generic family
# (sans-serif, serif, monospace: DejaVu 2.37, Debian's fonts-dejavu-core) or Arial/Helvetica,
# Times and Courier (Liberation 2.1, fonts-liberation2: the same widths, so centred and
# right-aligned lettering lands where the designer put it), as fontconfig resolves them for
# librsvg. Cut to Latin (ASCII, Latin-1, Latin Extended-A, the common punctuation, € and ™) with
# hinting dropped (docs/formats.md has the sizes).
# Not run by the build: its output is committed, so a build needs neither apt nor Python.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || [ ! -d /usr/share/fonts/truetype/liberation2 ]; then
  apt-get install -y -qq fonts-dejavu-core fonts-liberation2 >/dev/null
fi
command -v pyftsubset >/dev/null || pip install -q fonttools==4.55.0
LATIN="U+0020-007E,U+00A0-017F,U+0192,U+02C6-02DD,U+2013-2026,U+2030,U+2039-203A,U+20AC,U+2122,U+2212"
for face in DejaVuSans DejaVuSans-Bold DejaVuSerif DejaVuSerif-Bold DejaVuSansMono DejaVuSansMono-Bold; do
  pyftsubset "/usr/share/fonts/truetype/dejavu/$face.ttf" --unicodes="$LATIN" --no-hinting \
    --layout-features='kern,liga' --output-file="assets/fonts/$face.ttf" 2>/dev/null
done
for face in LiberationSans-Regular LiberationSans-Bold LiberationSerif-Regular LiberationSerif-Bold LiberationMono-Regular; do
  pyftsubset "/usr/share/fonts/truetype/liberation2/$face.ttf" --unicodes="$LATIN" --no-hinting \
    --layout-features='kern,liga' --output-file="assets/fonts/$face.ttf" 2>/dev/null
done
cp /usr/share/doc/fonts-dejavu-core/copyright assets/fonts/LICENSE.dejavu
cp /usr/share/doc/fonts-liberation2/copyright assets/fonts/LICENSE.liberation
ls -l assets/fonts
