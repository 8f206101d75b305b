// The lab's own figures, in headless Chromium: cold start to first readout (weights from the
// network, then from Cache Storage), per-image forward time, one intervention update (first on
// a layer, then a cached one) and the gzip size of what the browser downloads.
//   node bench/browser/lab.mjs [--model vgg16-imagenet-conv] [--webgpu]
// Needs dist/ (trunk build --release) and, for the default model, weights/*.safetensors.
import { readdir, readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { serve, launch, testImage, idle as ready, root, QUIET, WEBGPU, NO_WEBGPU } from "../../tests/browser/helpers.mjs";

const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : d; };
const model = arg("--model", "vgg16-imagenet-conv");
const webgpu = process.argv.includes("--webgpu");
const server = await serve();
const img = await testImage("bench.png", 19);
const browser = await launch(webgpu ? [...QUIET, ...WEBGPU] : NO_WEBGPU);
const rows = [];
const readout = (page) => page.getByTestId("readout").evaluate((e) => e.dataset.pleasant + "/" + e.dataset.unpleasant);
const idle = (page) => ready(page, 600_000);
const forwardMs = async (page) => Number((await page.locator(".hint").allTextContents())
  .join(" ").match(/Forward pass: (\d+) ms/)?.[1]);

async function session(context, label) {
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(server.base + `?model=${model}${webgpu ? "&backend=webgpu" : ""}`);
  await page.waitForFunction((m) => document.querySelector('[data-testid="status"]')?.textContent === "ready" &&
    document.querySelector('[data-testid="model-select"]')?.value === m &&
    document.querySelectorAll('[data-testid="unit"]').length > 0, model, { timeout: 600_000 });
  const ready = Date.now() - t0;
  await page.getByTestId("upload-input").setInputFiles(img);
  await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant, null, { timeout: 600_000 });
  await idle(page);
  rows.push([`cold start, weights ${label}: page ready / first readout`, `${ready} ms / ${Date.now() - t0} ms`]);
  return page;
}

try {
  const context = await browser.newContext();
  await session(context, "from the network");
  const page = await session(context, "from Cache Storage");
  const backend = await page.getByTestId("backend").textContent();
  rows.push(["per-image forward (whole network, one image)", `${await forwardMs(page)} ms`]);
  for (const [what, act] of [
    ["intervention on the layer on screen (top selective units)", () => page.getByTestId("select-top-selective").click()],
    ["intervention, again (lesion → enhance)", () => page.getByTestId("mode-enhance").check()],
  ]) {
    const before = await readout(page);
    const t = Date.now();
    await act();
    await page.waitForFunction((b) => {
      const e = document.querySelector('[data-testid="readout"]');
      return e.dataset.pleasant + "/" + e.dataset.unpleasant !== b;
    }, before, { timeout: 600_000 });
    await idle(page);
    rows.push([`${what}: click to new readout / pass`, `${Date.now() - t} ms / ${await forwardMs(page)} ms`]);
  }
  const dist = path.join(root, "dist");
  let raw = 0, gz = 0;
  for (const f of await readdir(dist)) {
    if (!/\.(wasm|js|css|html)$/.test(f)) continue;
    const b = await readFile(path.join(dist, f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
  }
  rows.push(["download: app (wasm + js + css + html), raw / gzip", `${(raw / 1e6).toFixed(1)} MB / ${(gz / 1e6).toFixed(1)} MB`]);
  console.log(`\n${model} on ${backend}, headless Chromium, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log("| what | time |\n|---|---|");
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
} finally {
  await browser.close();
  server.close();
}
