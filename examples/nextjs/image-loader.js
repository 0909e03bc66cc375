// A `next/image` loader for edge image resizer: every width Next asks for becomes our URL on the
// same path, with `format=auto` so each browser gets AVIF/WebP/JPEG as it accepts.
//
// next.config.js:
//   module.exports = {
//     images: {
//       loader: 'custom',
//       loaderFile: './image-loader.js',
//       // Next's defaults end with 2048 and 3840: from a 12 MP photo those need about 75 MB,
//       // over the worker's default 64 MB budget (413). Stop at 1920 unless your originals are
//       // smaller or you raise MEMORY_BUDGET_MB.
//       deviceSizes: [640, 750, 828, 1080, 1200, 1920],
//     },
//   };
// and, when the images are on another host than the site:
//   NEXT_PUBLIC_IMAGE_ORIGIN=https://images.example.com
//
// With SIZE_POLICY=allow-list, allow Next's widths (its deviceSizes and imageSizes), or set those
// to the widths you allow: any other width is a 400.
export default function edgeImageLoader({ src, width, quality }) {
  const origin = src.startsWith('/') ? (process.env.NEXT_PUBLIC_IMAGE_ORIGIN ?? '') : '';
  const params = new URLSearchParams({ w: String(width), format: 'auto' });
  if (quality) params.set('q', String(quality));
  return `${origin}${src}${src.includes('?') ? '&' : '?'}${params}`;
}
