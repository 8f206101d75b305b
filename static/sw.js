// Offline use: after the first visit the app starts without a network from this cache and the
// weights the app keeps itself (Cache Storage "emotion-neurons-weights-v1", see
// src/worker/fetch.rs). The page registers this worker once its downloads are over
// (src/ui/offline.rs), and the install copies what the page already fetched from the browser's
// HTTP cache (`force-cache`, even a copy the server sent with no caching headers): a first visit
// downloads no file twice. Only files the page has not needed yet (the classroom set, other
// models' profiles) come from the network.
// Same-origin GETs go network-first, so a new deploy is picked up whenever the site is reachable;
// when it is not, the last copy answers. *.safetensors(.planes) are left to the app (no double storage).
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

/** Caches each URL that loads; a missing optional file is no reason to fail. */
async function keep(cache, urls) {
  await Promise.allSettled(urls.map(async (u) => {
    const r = await fetch(u, { cache: "force-cache" });
    if (r.ok) await cache.put(u, r);
  }));
}

async function precache() {
  const cache = await caches.open(SHELL);
  const page = await fetch(index, { cache: "force-cache" });
  if (!page.ok) throw new Error(`index.html: HTTP ${page.status}`);
  const html = await page.clone().text();
  await cache.put(index, page.clone());
  await cache.put(root, page);
  const extra = ["weights/manifest.json", "examples/examples.json", "classroom/set.json"]
    .map((p) => new URL(p, root).href);
  // The engine worker (trunk names worker files after the binary, without a hash).
  const worker = ["worker_loader.js", "worker.js", "worker_bg.wasm"].map((p) => new URL(p, root).href);
  await keep(cache, [...assets(html), ...extra, ...worker]);
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
  ]);
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

async function navigate(event) {
  const cache = await caches.open(SHELL);
  try {
    const resp = await fetch(event.request);
    if (resp.ok && (resp.headers.get("content-type") ?? "").includes("text/html")) {
      const url = new URL(event.request.url);
      const key = url.pathname.endsWith("/") ? root : url.origin + url.pathname;
      const isIndex = key === root || key === index;
      // Clone before the page reads the body.
      const [a, b, c] = [resp.clone(), resp.clone(), isIndex ? resp.clone() : null];
      event.waitUntil((async () => {
        await cache.put(key, a);
        if (isIndex) {
          await cache.put(key === root ? index : root, b);
          await prune(await c.text());
        }
      })());
    }
    return resp;
  } catch (err) {
    const hit = (await cache.match(event.request, { ignoreSearch: true })) ??
      (await cache.match(index)) ?? (await cache.match(root));
    if (hit) return hit;
    throw err;
  }
}

async function networkFirst(event) {
  const cache = await caches.open(SHELL);
  try {
    const resp = await fetch(event.request);
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
  event.respondWith(req.mode === "navigate" ? navigate(event) : networkFirst(event));
});
