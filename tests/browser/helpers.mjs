// Shared by the browser tests: a static server over dist/, Debian's Chromium via playwright-core,
// test images made by python/PIL, and the native CLI for reference numbers.
import { createServer } from "node:http";
import { readFile, mkdtemp, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

export const root = path.resolve(import.meta.dirname, "../..");
const dist = path.join(root, "dist");
const neurons = path.resolve(root, process.env.NEURONS ?? "target/release/neurons");
export const QUIET = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];
export const WEBGPU = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader",
  "--use-angle=swiftshader"];
export const NO_WEBGPU = [...QUIET, "--disable-features=WebGPU"];
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm",
  ".css": "text/css", ".json": "application/json", ".jpg": "image/jpeg", ".png": "image/png" };

/** Serves `dir` (dist/ by default) under the path `prefix` (as GitHub Pages serves a project
 * under /<name>/); returns { base, close, setDir, log } (`setDir` swaps in another build: a
 * deploy). Like a static host it sends no caching headers. `gzip`: text and wasm are sent
 * gzip-compressed to a browser that accepts it (as GitHub Pages and most hosts do). `log`:
 * every request served, as { t (ms since the server started), path, status, bytes on the
 * wire }. `hide(path)`: true for files to answer 404 (a deploy without them); `gate(path)`: a
 * promise the answer waits for (a slow download, held for as long as a test needs). */
export async function serve({ prefix = "/", dir = dist, gzip = false, hide = () => false, gate = async () => {} } = {}) {
  let root = dir;
  const log = [];
  const t0 = Date.now();
  const zipped = new Map();
  const server = createServer(async (req, res) => {
    const url = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const done = (status, bytes) => log.push({ t: Date.now() - t0, path: url, status, bytes });
    if (!url.startsWith(prefix)) { done(404, 0); return res.writeHead(404).end(); }
    const rel = "/" + url.slice(prefix.length);
    const p = path.join(root, rel.endsWith("/") ? rel + "index.html" : rel);
    try {
      if (hide(rel)) throw new Error("hidden");
      let body = await readFile(p);
      const type = TYPES[path.extname(p)] ?? "application/octet-stream";
      const headers = { "content-type": type };
      await gate(rel);
      if (gzip && /^text\/|json|javascript|wasm/.test(type) && /gzip/.test(req.headers["accept-encoding"] ?? "")) {
        const key = `${p}:${body.length}`;
        if (!zipped.has(key)) zipped.set(key, gzipSync(body));
        body = zipped.get(key);
        headers["content-encoding"] = "gzip";
      }
      headers["content-length"] = body.length;
      res.writeHead(200, headers);
      res.end(body);
      done(200, body.length);
    } catch {
      res.writeHead(404).end();
      done(404, 0);
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${server.address().port}${prefix}`, close: () => server.close(),
    setDir: (d) => { root = d; }, log, now: () => Date.now() - t0 };
}

/** A 224×224 gray PNG (same bytes for the page and the native run). */
export async function testImage(name, mult = 13) {
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-browser-"));
  const p = path.join(dir, name);
  execFileSync("python3", ["-c", `
from PIL import Image; import numpy as np
a = ((np.arange(224*224).reshape(224,224) * ${mult} + 7) % 251).astype(np.uint8)
Image.fromarray(a, "L").save("${p}")`]);
  return p;
}

/** A labelled set drawn for the test (no data set needed): `per` JPEG images in each of
 * `classes`' sub-folders of `dir` (a new temporary folder when not given), each class with its
 * own stripe frequency and noise level, named `<class><i>.jpg`. Returns `dir`. */
export async function drawnSet(per, classes = ["pleasant", "neutral", "unpleasant"], dir = null) {
  dir ??= await mkdtemp(path.join(tmpdir(), "neurons-drawn-"));
  execFileSync("python3", ["-c", `
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(7)
for k, cls in enumerate(${JSON.stringify(classes)}):
    os.makedirs(os.path.join(${JSON.stringify(dir)}, cls), exist_ok=True)
    for i in range(${per}):
        y, x = np.mgrid[0:160, 0:200]
        a = 128 + 60 * np.sin((x * (k + 1) + y * i) / 9.0) + rng.normal(0, 20 + 15 * k, (160, 200))
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L").save(os.path.join(${JSON.stringify(dir)}, cls, f"{cls}{i}.jpg"), quality=92)`]);
  return dir;
}

/** `neurons predict --json` for one image: { layers, readout? }. */
export function native(model, image, extra = []) {
  const out = execFileSync(neurons, ["--weights-dir", path.join(root, "weights"), "predict",
    "--model", model, "--json", ...extra, image], { maxBuffer: 64 << 20 });
  return JSON.parse(out).images[0];
}

export async function launch(args) {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args });
}

/** Opens the app and waits until it is idle with a model loaded and no error. */
export async function openApp(browser, url, pageOptions = {}) {
  const page = await browser.newPage(pageOptions);
  const logs = [];
  page.on("console", (m) => logs.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="status"]')?.textContent === "ready" &&
    document.querySelector('[data-testid="model-select"]')?.value, null, { timeout: 300_000 });
  const error = await page.getByTestId("error").textContent();
  assert.equal(error, "", `page error: ${error}\n${logs.join("\n")}`);
  return { page, logs };
}

/** Waits for the app to be idle again after an action. */
export async function idle(page, timeout = 300_000) {
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="status"]')?.textContent === "ready", null, { timeout });
}

/** Worst per-layer difference relative to the layer's largest response. */
export function assertClose(ours, native, tol) {
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(native).sort());
  let worst = 0;
  for (const [layer, v] of Object.entries(native)) {
    const scale = Math.max(1e-12, ...v.map(Math.abs), ...ours[layer].map(Math.abs));
    v.forEach((x, i) => { worst = Math.max(worst, Math.abs(x - ours[layer][i]) / scale); });
  }
  assert.ok(worst <= tol, `worst relative difference ${worst}`);
  return worst;
}

/** Saves a screenshot as a test artifact: target/screenshots/<name>.png (the whole page, or
 * only what the viewport shows with `fullPage = false`). */
export async function shot(page, name, fullPage = true) {
  const { mkdir } = await import("node:fs/promises");
  const dir = path.join(root, "target/screenshots");
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage });
}

/** Opens one of the panels below the workbench (`unit`, `responses`, `profile`, `profile-set`,
 * `experiment`, `export`). */
export async function openTab(page, id) {
  await page.getByTestId(`tab-${id}`).click();
}

/** Whether the element's box lies wholly inside the viewport (not scrolled away, not clipped). */
export async function inViewport(locator) {
  return locator.evaluate((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
      r.bottom <= innerHeight && r.right <= innerWidth;
  });
}

/** The readout's pleasant, neutral and unpleasant probabilities. */
export const readout = (page) => page.getByTestId("readout").evaluate((e) =>
  ["pleasant", "neutral", "unpleasant"].map((k) => Number(e.dataset[k])));

/** Writes `content` to `dir/name`, gives it to the file input `testid`, and returns the error
 * it causes (which must start with the file's name) once the app is idle again. */
export async function refusedWith(page, testid, dir, name, content) {
  const p = path.join(dir, name);
  await writeFile(p, content);
  await page.getByTestId(testid).setInputFiles(p);
  await page.waitForFunction((n) => document.querySelector('[data-testid="error"]')?.textContent.startsWith(n),
    name, { timeout: 60_000 });
  await idle(page);
  return page.getByTestId("error").textContent();
}
