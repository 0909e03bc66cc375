// The demo page's behaviour: the gallery from /_demo/images.json, the options form (fetches the
// URL so the response's headers can be shown), the upload box (PUT with the bearer token).
'use strict';

const $ = (selector) => document.querySelector(selector);
const WIDTHS = [320, 640, 1280];
const IMAGE_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

/** A key as a URL path: each segment escaped, slashes kept. */
const pathOf = (key) => '/' + key.split('/').map(encodeURIComponent).join('/');
const urlOf = (key, options) => {
  const query = new URLSearchParams(Object.entries(options).filter(([, v]) => v !== '' && v != null));
  return `${pathOf(key)}?${query}`;
};

async function loadGallery() {
  const response = await fetch('/_demo/images.json');
  const { images } = await response.json();
  const figures = images.map((key, i) => {
    const img = document.createElement('img');
    img.srcset = WIDTHS.map((w) => `${urlOf(key, { w, format: 'auto' })} ${w}w`).join(', ');
    img.sizes = '(max-width: 760px) 100vw, 240px';
    img.src = urlOf(key, { w: 640, format: 'auto' });
    img.alt = key;
    img.dataset.key = key;
    if (i >= 12) img.loading = 'lazy';
    img.addEventListener('click', () => choose(key));
    const caption = document.createElement('figcaption');
    caption.textContent = key;
    // An image the worker refuses (a 413 over the memory budget, a 422 damaged file) says why.
    img.addEventListener('error', async () => {
      const response = await fetch(img.currentSrc || img.src, { headers: { accept: IMAGE_ACCEPT } });
      caption.textContent = `${key}: ${response.status} ${(await response.text()).slice(0, 120)}`;
      caption.className = 'error';
    }, { once: true });
    const figure = document.createElement('figure');
    figure.append(img, caption);
    return figure;
  });
  $('#gallery').replaceChildren(...figures);
  const select = $('#key');
  const chosen = select.value;
  select.replaceChildren(...images.map((key) => new Option(key, key)));
  if (images.includes(chosen)) select.value = chosen;
  return images;
}

function choose(key) {
  $('#key').value = key;
  show();
}

let shown = 0;
async function show(event) {
  event?.preventDefault();
  const form = new FormData($('#try'));
  const key = form.get('key');
  if (!key) return;
  form.delete('key');
  const options = Object.fromEntries(form.entries());
  const url = urlOf(key, options);
  const mine = ++shown;
  const facts = $('#facts');
  $('#link').href = url;
  $('#link').textContent = url;
  const started = performance.now();
  // What an <img> asks for (fetch() alone sends */*, and format=auto would pick JPEG).
  const response = await fetch(url, { headers: { accept: IMAGE_ACCEPT } });
  const blob = await response.blob();
  const ms = performance.now() - started;
  if (mine !== shown) return; // a newer request is on its way
  if (!response.ok) {
    facts.className = 'error';
    facts.textContent = `${response.status}: ${await blob.text()}`;
    $('#output').removeAttribute('src');
    return;
  }
  const output = $('#output');
  const previous = output.src;
  output.src = URL.createObjectURL(blob);
  await output.decode().catch(() => {});
  if (previous.startsWith('blob:')) URL.revokeObjectURL(previous);
  const header = (name) => response.headers.get(name) ?? '—';
  facts.className = '';
  facts.dataset.width = output.naturalWidth;
  facts.textContent = [
    `${output.naturalWidth}×${output.naturalHeight} px, ${blob.size.toLocaleString('en')} bytes, ${header('content-type')}`,
    `x-cache: ${header('x-cache')}, ${ms.toFixed(0)} ms in the browser`,
    `server-timing: ${header('server-timing')}`,
  ].join('\n');
}

let typing;
$('#try').addEventListener('submit', show);
$('#try').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(show, 250);
});

$('#upload').addEventListener('submit', async (event) => {
  event.preventDefault();
  const status = $('#status');
  const file = $('#file').files[0];
  const key = $('#target').value.trim().replace(/^\/+/, '') || (file && `uploads/${file.name}`);
  if (!file || !key) {
    status.className = 'error';
    status.textContent = 'choose a file';
    return;
  }
  status.className = '';
  status.textContent = 'uploading…';
  const response = await fetch(pathOf(key), {
    method: 'PUT',
    body: file,
    headers: { authorization: `Bearer ${$('#token').value}` },
  });
  const text = await response.text();
  if (!response.ok) {
    status.className = 'error';
    status.textContent = `${response.status}: ${text}`;
    return;
  }
  const answer = JSON.parse(text);
  status.textContent = `stored ${answer.key}: ${answer.size.toLocaleString('en')} bytes, ${answer.format}` + (answer.width ? `, ${answer.width}×${answer.height}` : '');
  await loadGallery();
  choose(answer.key);
});

loadGallery().then((images) => images.length && show());
