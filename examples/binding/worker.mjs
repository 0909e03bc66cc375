// A Worker written for Cloudflare's Images binding (`env.IMAGES`), served by edge-image-resizer
// through a service binding (wrangler.toml beside this file). The one line that differs from a
// Worker using Cloudflare's binding is `withImages(…)` at the export; the rest is Cloudflare's API.
import { withImages, ImagesError } from '../../js/binding.mjs'; // in your project: 'edge-image-resizer/binding'

export default withImages({
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      switch (url.pathname) {
        case '/thumbnail':
          return await thumbnail(request, env, url);
        case '/info':
          return Response.json(await env.IMAGES.info(request.body));
        case '/chain':
          return await chain(request, env);
        case '/consumed':
          return Response.json(await consumedCases(request, env));
        default:
          return new Response('not found', { status: 404 });
      }
    } catch (e) {
      if (e instanceof ImagesError) return Response.json({ code: e.code, message: e.message }, { status: 422 });
      throw e;
    }
  },
});

/** What OpenNext's `next/image` handler does: width, `scale-down`, a format, then `image()`. */
async function thumbnail(request, env, url) {
  const result = await env.IMAGES.input(request.body)
    .transform({ width: Number(url.searchParams.get('w')), fit: 'scale-down' })
    .output({ format: url.searchParams.get('format') ?? 'image/webp', quality: Number(url.searchParams.get('q') ?? 75) });
  return new Response(result.image(), { headers: { 'content-type': result.contentType() } });
}

/**
 * A chain from a recipe, for the tests: a form with images `image0` … and `chain`, JSON of
 * `{input | text: {content, options}, steps: [{transform} | {draw: {input | text, steps, options}}],
 * output, as}`.
 */
async function chain(request, env) {
  const form = await request.formData();
  const recipe = JSON.parse(form.get('chain'));
  const image = (n) => form.get(`image${n}`).stream();
  const build = (r) => {
    let t = r.text ? env.IMAGES.text(r.text.content, r.text.options) : env.IMAGES.input(image(r.input));
    for (const step of r.steps ?? []) {
      const drawn = step.draw && (step.draw.steps || step.draw.text ? build(step.draw) : image(step.draw.input));
      t = step.transform ? t.transform(step.transform) : t.draw(drawn, step.draw.options);
    }
    return t;
  };
  const result = await build(recipe).output(recipe.output);
  if (recipe.as === 'image') return new Response(result.image(), { headers: { 'x-content-type': result.contentType() } });
  return result.response({ headers: { 'content-type': 'text/plain', 'x-kept': 'yes' } });
}

/** Cloudflare's three ways to use a transformer twice, each refused with 9525. */
async function consumedCases(request, env) {
  const bytes = new Uint8Array(await request.arrayBuffer());
  const stream = () => new Response(bytes).body;
  const codes = {};
  const twice = env.IMAGES.input(stream());
  await twice.output({ format: 'image/png' });
  codes.outputTwice = await twice.output({ format: 'image/png' }).then(() => 0, (e) => e.code);
  const drawn = env.IMAGES.input(stream());
  const base = env.IMAGES.input(stream()).draw(drawn);
  codes.drawTwice = catchCode(() => base.draw(drawn));
  const output = env.IMAGES.input(stream());
  await output.output({ format: 'image/png' });
  codes.drawAfterOutput = catchCode(() => env.IMAGES.input(stream()).draw(output));
  return codes;
}

function catchCode(f) {
  try {
    f();
    return 0;
  } catch (e) {
    return e.code;
  }
}
