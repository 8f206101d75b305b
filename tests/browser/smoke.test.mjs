// Browser smoke tests in real headless Chromium (Debian's, driven by playwright-core):
// the built site (dist/) loads a model, runs one forward pass on an uploaded image, and its unit
// means equal the native CLI's on the same image. Run by ./test.sh after `trunk build --release`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile, mkdtemp, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const root = path.resolve(import.meta.dirname, "../..");
const dist = path.join(root, "dist");
const neurons = path.resolve(root, process.env.NEURONS ?? "target/release/neurons");
const QUIET = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];
const WEBGPU = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader",
  "--use-angle=swiftshader"];
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm",
  ".css": "text/css", ".json": "application/json" };

let server, base, workdir;

before(async () => {
  server = createServer(async (req, res) => {
    const url = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const p = path.join(dist, url.endsWith("/") ? url + "index.html" : url);
    try {
      const body = await readFile(p);
      res.writeHead(200, { "content-type": TYPES[path.extname(p)] ?? "application/octet-stream",
        "content-length": body.length });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}/`;
  workdir = await mkdtemp(path.join(tmpdir(), "neurons-browser-"));
});

after(() => server?.close());

/** A 224×224 gray PNG made by the native side (same bytes both ways). */
function testImage(name) {
  const p = path.join(workdir, name);
  execFileSync("python3", ["-c", `
from PIL import Image; import numpy as np
a = ((np.arange(224*224).reshape(224,224) * 13 + 7) % 251).astype(np.uint8)
Image.fromarray(a, "L").save("${p}")`]);
  return p;
}

function nativeMeans(model, image) {
  const out = execFileSync(neurons, ["--weights-dir", path.join(root, "weights"), "predict",
    "--model", model, "--json", image], { maxBuffer: 64 << 20 });
  return JSON.parse(out).images[0].layers;
}

async function runPage(args, query, image) {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args });
  try {
    const page = await browser.newPage();
    const logs = [];
    page.on("console", (m) => logs.push(m.text()));
    await page.goto(base + query);
    const status = page.getByTestId("status");
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="status"]')?.textContent === "ready" &&
      document.querySelector('[data-testid="model-select"]')?.value, null, { timeout: 300_000 });
    const backend = await page.getByTestId("backend").textContent();
    const error = await page.getByTestId("error").textContent();
    assert.equal(error, "", `page error: ${error}`);
    await page.getByTestId("upload-input").setInputFiles(image);
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="means"]')?.textContent.length > 0 ||
      document.querySelector('[data-testid="error"]')?.textContent, null, { timeout: 300_000 });
    const err2 = await page.getByTestId("error").textContent();
    assert.equal(err2, "", `forward failed: ${err2}\n${logs.join("\n")}`);
    const means = JSON.parse(await page.getByTestId("means").textContent());
    assert.equal(await status.textContent(), "ready");
    const timing = await page.locator(".hint").allTextContents();
    return { backend, means, timing: timing.find((t) => t.includes("Forward pass")) };
  } finally {
    await browser.close();
  }
}

function assertClose(ours, native, tol) {
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(native).sort());
  let worst = 0;
  for (const [layer, v] of Object.entries(native)) {
    const scale = Math.max(1e-12, ...v.map(Math.abs), ...ours[layer].map(Math.abs));
    v.forEach((x, i) => { worst = Math.max(worst, Math.abs(x - ours[layer][i]) / scale); });
  }
  assert.ok(worst <= tol, `worst relative difference ${worst}`);
  return worst;
}

test("VGG-16 (ImageNet) on WebGPU equals the native run", { timeout: 900_000 }, async () => {
  const img = testImage("vgg.png");
  const native = nativeMeans("vgg16-imagenet-conv", img);
  const r = await runPage([...QUIET, ...WEBGPU], "?model=vgg16-imagenet-conv&backend=webgpu", img);
  assert.match(r.backend, /WebGPU/);
  const worst = assertClose(r.means, native, 1e-3);
  console.log(`webgpu: ${r.backend}; ${r.timing}; worst relative diff vs native ${worst.toExponential(2)}`);
});

test("without WebGPU the page falls back to the CPU and still matches", { timeout: 900_000 }, async () => {
  const img = testImage("alex.png");
  const native = nativeMeans("alexnet-untrained", img);
  const r = await runPage([...QUIET, "--disable-features=WebGPU"], "?model=alexnet-untrained", img);
  assert.match(r.backend, /CPU/);
  const worst = assertClose(r.means, native, 1e-3);
  console.log(`cpu fallback: ${r.backend}; ${r.timing}; worst relative diff vs native ${worst.toExponential(2)}`);
});
