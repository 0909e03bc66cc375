// The benchmark as a picture (bench.svg, written by `npm run bench`): plain SVG, no dependency.
// Left: each case's pipeline time as a multiple of sharp's (ours and Pillow; sharp is the line at
// 1×), so every case reads on one scale. Right: a cache hit against streaming the original, per
// case, in milliseconds.

const ROW = 22;
const LABEL = 300;
const PANEL = 330;
const GAP = 70;
const TOP = 58;
const COLOURS = { ours: '#2b6cb0', pillow: '#dd8a2b', vips: '#38a169', photon: '#b83280', sharp: '#4a5568', hit: '#2b6cb0', passthrough: '#a0aec0' };

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x, y, s, attrs = '') => `<text x="${x}" y="${y}" ${attrs}>${escape(s)}</text>`;

/**
 * `rows`: [{ label, ours, sharp, pillow, vips, photon, hit, passthrough }] in milliseconds (any
 * may be missing: a case we refuse has no `ours`). The scale ends at the slowest of ours, Pillow
 * and wasm-vips; a bar past it (photon's) is cut and labelled. Returns the SVG document.
 */
export function benchChart(rows, { title, subtitle }) {
  const height = TOP + rows.length * ROW + 40;
  const width = LABEL + PANEL + GAP + PANEL + 20;
  const maxRatio = Math.max(2, ...rows.flatMap((r) => [r.ours / r.sharp, r.pillow / r.sharp, r.vips / r.sharp].filter(Number.isFinite)));
  const xRatio = (v) => LABEL + (Math.min(v, maxRatio) / maxRatio) * PANEL;
  const maxMs = Math.max(1, ...rows.flatMap((r) => [r.hit, r.passthrough].filter(Number.isFinite)));
  const right = LABEL + PANEL + GAP;
  const xMs = (v) => right + (v / maxMs) * PANEL;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(text(10, 20, title, 'font-size="15" font-weight="600"'));
  out.push(text(10, 38, subtitle, 'fill="#5a6478"'));
  out.push(text(LABEL, TOP - 6, 'pipeline time ÷ sharp’s (shorter is faster)', 'font-weight="600"'));
  out.push(text(right, TOP - 6, 'cache hit vs passthrough, ms (end to end)', 'font-weight="600"'));
  // Grid: 1× (sharp) and every whole multiple; milliseconds in fifths.
  for (let k = 0; k <= Math.floor(maxRatio); k++) {
    const x = xRatio(k);
    out.push(`<line x1="${x}" y1="${TOP}" x2="${x}" y2="${TOP + rows.length * ROW}" stroke="${k === 1 ? COLOURS.sharp : '#e2e8f0'}" stroke-width="${k === 1 ? 1.5 : 1}"/>`);
    out.push(text(x, TOP + rows.length * ROW + 14, `${k}×`, 'text-anchor="middle" fill="#5a6478"'));
  }
  for (let k = 0; k <= 5; k++) {
    const v = (maxMs * k) / 5;
    out.push(`<line x1="${xMs(v)}" y1="${TOP}" x2="${xMs(v)}" y2="${TOP + rows.length * ROW}" stroke="#e2e8f0"/>`);
    out.push(text(xMs(v), TOP + rows.length * ROW + 14, v < 10 ? v.toFixed(1) : v.toFixed(0), 'text-anchor="middle" fill="#5a6478"'));
  }
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    if (i % 2) out.push(`<rect x="0" y="${y}" width="${width}" height="${ROW}" fill="#f7fafc"/>`);
    out.push(text(LABEL - 8, y + 15, r.label, 'text-anchor="end"'));
    const bar = (x0, x1, dy, colour, h = 7) => `<rect x="${x0}" y="${y + dy}" width="${Math.max(1, x1 - x0)}" height="${h}" fill="${colour}"/>`;
    if (Number.isFinite(r.ours / r.sharp)) out.push(bar(LABEL, xRatio(r.ours / r.sharp), 2, COLOURS.ours, 5));
    else out.push(text(LABEL + 4, y + 10, r.oursNote ?? 'refused', 'fill="#c53030" font-size="10"'));
    // Ours and Pillow, then the wasm peers, thinner, below.
    for (const [name, dy] of [['pillow', 7], ['vips', 12], ['photon', 16]]) {
      const ratio = r[name] / r.sharp;
      if (!Number.isFinite(ratio)) continue;
      out.push(bar(LABEL, xRatio(ratio), dy, COLOURS[name], name === 'pillow' ? 5 : 4));
      if (ratio > maxRatio) out.push(text(xRatio(maxRatio) + 3, y + dy + 4, `${ratio.toFixed(0)}×`, `fill="${COLOURS[name]}" font-size="9"`));
    }
    if (Number.isFinite(r.hit)) out.push(bar(right, xMs(r.hit), 3, COLOURS.hit));
    if (Number.isFinite(r.passthrough)) out.push(bar(right, xMs(r.passthrough), 12, COLOURS.passthrough));
  });
  const legend = [
    ['ours (pipeline)', COLOURS.ours],
    ['Pillow', COLOURS.pillow],
    ['wasm-vips', COLOURS.vips],
    ['photon', COLOURS.photon],
    ['sharp = 1×', COLOURS.sharp],
    ['hit', COLOURS.hit],
    ['passthrough', COLOURS.passthrough],
  ];
  let lx = LABEL;
  for (const [name, colour] of legend) {
    out.push(`<rect x="${lx}" y="${height - 16}" width="10" height="10" fill="${colour}"/>`);
    out.push(text(lx + 14, height - 7, name));
    lx += 14 + name.length * 6.5 + 18;
  }
  out.push('</svg>');
  return out.join('\n');
}
