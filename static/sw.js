// Offline use: after the first visit the app starts without a network from this cache and the
// weights the app keeps itself (Cache Storage "emotion-neurons-weights-v1", see
// src/worker/fetch.rs). The page registers this worker once its downloads are over
// (src/ui/offline.rs), and the install copies what the page already fetched from the browser's
// HTTP cache (`force-cache`, even a copy the server sent with no caching headers): a first visit
// downloads no file twice. Only files the page has not needed yet (the classroom set, other
// models' profiles) come from the network.
// A page load asks the network for index.html only: while it is the one in the cache (its
// `<meta name="build">` stamps every file of the deploy but the weights), every other file
// answers from the cache, so a returning visitor on a slow link waits for no download. A changed
// index.html is a new deploy: the unhashed copies are dropped before the page asks for them and
// fetched again in the background. With no network, the last copy answers. *.safetensors(.planes) are left to the app (no double storage).
const SHELL = "neurons-shell-v1";
const root = new URL("./", self.location).href;
const index = new URL("index.html", root).href;
// Trunk's hashed bundle names, e.g. /emotion-neurons-342efcc44be537eb_bg.wasm (the hash may
// lose leading zeros).
const HASHED = /-[0-9a-f]{12,16}(_bg)?\.(js|wasm|css)$/;

/** Same-origin .js/.wasm/.css URLs that an index.html refers to. */
function assets(html) {
  const out = new Set();
  for (const m of html.matchAll(/(?:href|src|module_or_path:)\s*=?\s*["']([^"']+\.(?:js|wasm|css))["']/g)) {
    const url = new URL(m[1], root);
    if (url.origin === self.location.origin) out.add(url.href);
  }
  for (const m of html.matchAll(/import[^'"]*["']([^"']+\.js)["']/g)) {
    const url = new URL(m[1], root);
    if (url.origin === self.location.origin) out.add(url.href);
  }
  return [...out];
}

/** Caches each URL that loads (skipping those already cached); a missing optional file is no
 * reason to fail. `mode`: `force-cache` takes what the page already fetched from the HTTP
 * cache; `no-cache` asks the server again (after a new deploy). */
async function keep(cache, urls, mode) {
  await Promise.allSettled(urls.map(async (u) => {
    if (await cache.match(u)) return;
    const r = await fetch(u, { cache: mode });
    if (r.ok) await cache.put(u, r);
  }));
}

async function precache({ fresh = false } = {}) {
  const mode = fresh ? "no-cache" : "force-cache";
  const cache = await caches.open(SHELL);
  const page = await fetch(index, { cache: mode });
  if (!page.ok) throw new Error(`index.html: HTTP ${page.status}`);
  const html = await page.clone().text();
  await cache.put(index, page.clone());
  await cache.put(root, page);
  const extra = ["weights/manifest.json", "examples/examples.json", "classroom/set.json"]
    .map((p) => new URL(p, root).href);
  // The engine worker (trunk names worker files after the binary, without a hash).
  const worker = ["worker_loader.js", "worker.js", "worker_bg.wasm"].map((p) => new URL(p, root).href);
  await keep(cache, [...assets(html), ...extra, ...worker], mode);
  // The shipped profiles and OASIS results of the listed models, the example images and the
  // classroom set's pictures (a missing reference is fine: not every model has one).
  const listed = async (url, pick) => {
    const r = await cache.match(url);
    try { return r ? pick(await r.json()).map((p) => new URL(p, root).href) : []; } catch { return []; }
  };
  await keep(cache, [
    ...await listed(extra[0], (m) => m.models.map((x) => `weights/profiles/${x.id}.json`)),
    ...await listed(extra[0], (m) => m.models.map((x) => `reference/${x.id}.json`)),
    ...await listed(extra[1], (list) => list.map((x) => `examples/${x.file}`)),
    ...await listed(extra[2], (set) => set.images.map((x) => `classroom/${x.file}`)),
  ], mode);
}

/** Drops hashed bundles that the current index.html no longer names (an older deploy's). */
async function prune(html) {
  const keepSet = new Set(assets(html));
  const cache = await caches.open(SHELL);
  for (const req of await cache.keys()) {
    if (HASHED.test(new URL(req.url).pathname) && !keepSet.has(req.url)) await cache.delete(req);
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("neurons-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** The deploy's stamp in an index.html (all of it where a build has none). */
const stamp = (html) => html.match(/<meta name="build" content="([^"]+)"/)?.[1] ?? html;

/** A new deploy: drops the cached unhashed files (the hashed ones are pruned by name) so that
 * this page load fetches the new ones, then copies the rest again in the background. */
async function redeploy(cache, html) {
  for (const req of await cache.keys()) {
    const url = new URL(req.url);
    if (url.href !== root && url.href !== index && !HASHED.test(url.pathname)) await cache.delete(req);
  }
  await prune(html);
}

async function navigate(event) {
  const cache = await caches.open(SHELL);
  try {
    const resp = await fetch(event.request);
    if (resp.ok && (resp.headers.get("content-type") ?? "").includes("text/html")) {
      const url = new URL(event.request.url);
      const key = url.pathname.endsWith("/") ? root : url.origin + url.pathname;
      if (key === root || key === index) {
        const html = await resp.clone().text();
        const old = await cache.match(index);
        const changed = !old || stamp(await old.text()) !== stamp(html);
        // Before the page sees the new index.html, so that it asks for no stale copy.
        if (changed && old) await redeploy(cache, html);
        await cache.put(index, resp.clone());
        await cache.put(root, resp.clone());
        if (changed && old) event.waitUntil(precache({ fresh: true }).catch(() => {}));
      } else {
        event.waitUntil(cache.put(key, resp.clone()));
      }
    }
    return resp;
  } catch (err) {
    const hit = (await cache.match(event.request, { ignoreSearch: true })) ??
      (await cache.match(index)) ?? (await cache.match(root));
    if (hit) return hit;
    throw err;
  }
}

/** The cached copy (the deploy is the cached index.html's), else the network. */
async function cacheFirst(event) {
  const cache = await caches.open(SHELL);
  return (await cache.match(event.request, { ignoreVary: true })) ?? networkFirst(event);
}

async function networkFirst(event) {
  const cache = await caches.open(SHELL);
  try {
    // An unhashed file is asked of the server again (a 304 where it sends validators), so that
    // a copy the browser's HTTP cache still holds from an older deploy is never kept.
    const hashed = HASHED.test(new URL(event.request.url).pathname);
    const resp = await fetch(hashed ? event.request : new Request(event.request, { cache: "no-cache" }));
    if (resp.ok && resp.type === "basic" && resp.status === 200) {
      event.waitUntil(cache.put(event.request, resp.clone()));
    }
    return resp;
  } catch (err) {
    const hit = await cache.match(event.request, { ignoreVary: true });
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || /\.safetensors(\.planes)?$/.test(url.pathname)) return;
  if (req.headers.has("range")) return;
  event.respondWith(req.mode === "navigate" ? navigate(event) : cacheFirst(event));
});
