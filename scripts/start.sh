#!/usr/bin/env bash
# `npm start`: install what is missing, seed local R2 with generated samples, run the release
# worker under `wrangler dev` on http://127.0.0.1:8787 (wrangler runs the build itself).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
bash scripts/fixtures/samples.sh target/samples

# A local-only upload token (`npm run upload`, the PUT/DELETE API), made once and kept in .dev.vars,
# which wrangler dev reads and git ignores.
if ! grep -qs '^UPLOAD_TOKEN=' .dev.vars; then
  echo "UPLOAD_TOKEN=\"local-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')\"" >> .dev.vars
fi
# The demo page at / lists the bucket, so it is on here only (wrangler.toml has DEMO="false").
if ! grep -qs '^DEMO=' .dev.vars; then
  echo 'DEMO="true"' >> .dev.vars
fi
# wrangler.toml's [vars] with .dev.vars over them, read by the worker's own parser: a bad value
# stops here instead of making every request a 500 (docs/configuration.md).
node scripts/check_config.mjs --dev
UPLOAD_TOKEN=$(sed -n 's/^UPLOAD_TOKEN="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' .dev.vars)
# The worker refuses a SIGNING_KEY under 32 bytes (every request would be a 500 naming it):
# say so now rather than at the first request.
SIGNING_KEY=$(sed -n 's/^SIGNING_KEY="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' .dev.vars)
if [ -n "$SIGNING_KEY" ] && [ "$(printf %s "$SIGNING_KEY" | wc -c)" -lt 32 ]; then
  echo "warning: SIGNING_KEY in .dev.vars is under 32 bytes; make one with: openssl rand -base64 32" >&2
fi

echo "== seeding local R2 bucket 'images'"
for f in target/samples/*; do
  case "$f" in
    *bomb*) continue ;; # a decompression bomb for the tests
    *.jpg) type=image/jpeg ;;
    *.png) type=image/png ;;
    *.gif) type=image/gif ;;
    *.svg) type=image/svg+xml ;;
    *) continue ;;
  esac
  npx wrangler r2 object put "images/$(basename "$f")" --file "$f" --content-type "$type" --local >/dev/null
  echo "   images/$(basename "$f")"
done

cat <<'URLS'
== try:
   http://127.0.0.1:8787/photo.jpg?w=400             400 px wide JPEG (x-cache: MISS, then HIT)
   http://127.0.0.1:8787/photo.jpg?w=300&h=300&fit=cover
   http://127.0.0.1:8787/portrait.jpg?w=300          EXIF-rotated portrait, upright
   http://127.0.0.1:8787/alpha.png?w=400             PNG with alpha
   http://127.0.0.1:8787/alpha.png?w=400&format=jpeg flattened onto white
   http://127.0.0.1:8787/photo.jpg                   the original, streamed as stored
URLS
cat <<UPLOAD
== upload (token in .dev.vars, local only): npm run upload -- cat.jpg shop/cat.jpg
   curl -X PUT --data-binary @cat.jpg -H "Authorization: Bearer $UPLOAD_TOKEN" http://127.0.0.1:8787/shop/cat.jpg
UPLOAD
exec npx wrangler dev --ip 127.0.0.1 --port 8787
