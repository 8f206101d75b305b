// The lab's own figures, in headless Chromium: first paint of the UI and first readout (weights
// from the network, then a returning visitor with everything in cache), per-image forward time,
// intervention updates, the longest main-thread task, profiling throughput with 1 and N pool
// workers, cancel latency, memory per worker, and the gzip size of what the browser downloads.
//   node bench/browser/lab.mjs [--model vgg16-imagenet-conv] [--webgpu] [--images 24] [--workers 2]
//                              [--memory-images 900]
// --memory-images N then profiles N more drawn images on the same pool and reports whether memory
// stays flat: wasm memory only grows, so each worker's size after the run is its peak.
// Needs dist/ (trunk build --release) and, for the default model, weights/*.safetensors.
import { readdir, readFile, mkdtemp } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { serve, launch, testImage, idle as ready, root, QUIET, WEBGPU, NO_WEBGPU } from "../../tests/browser/helpers.mjs";

const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : d; };
const model = arg("--model", "vgg16-imagenet-conv");
const images = Number(arg("--images", "24"));
const workersN = Number(arg("--workers", "2"));
const memoryImages = Number(arg("--memory-images", "0"));
const webgpu = process.argv.includes("--webgpu");
const server = await serve();
const img = await testImage("bench.png", 19);
const browser = await launch(webgpu ? [...QUIET, ...WEBGPU] : NO_WEBGPU);
const rows = [];
const readout = (page) => page.getByTestId("readout").evaluate((e) => e.dataset.pleasant + "/" + e.dataset.unpleasant);
const idle = (page) => ready(page, 600_000);
const forwardMs = async (page) => Number((await page.locator(".hint").allTextContents())
  .join(" ").match(/Forward pass: (\d+) ms/)?.[1]);
const mb = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const LONGTASKS = () => {
  window.__longtasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push([e.startTime, e.duration]); })
    .observe({ type: "longtask", buffered: true });
};

/** A drawn labelled set: `n` images over three class folders. */
async function drawnSet(n) {
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-bench-set-"));
  execFileSync("python3", ["-c", `
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(3)
for i in range(${n}):
    cls = ["pleasant", "neutral", "unpleasant"][i % 3]
    os.makedirs(os.path.join("${dir}", cls), exist_ok=True)
    a = rng.integers(0, 256, (240, 320), dtype=np.uint8)
    Image.fromarray(a, "L").save(os.path.join("${dir}", cls, f"{i}.png"))`]);
  return dir;
}

async function session(context, label, query = "") {
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(server.base + `?model=${model}${webgpu ? "&backend=webgpu" : ""}${query}`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="model-select"] option').length > 0,
    null, { timeout: 600_000, polling: 5 });
  const paint = Date.now() - t0;
  await page.waitForFunction((m) => document.querySelector('[data-testid="status"]')?.textContent === "ready" &&
    document.querySelector('[data-testid="model-select"]')?.value === m &&
    document.querySelectorAll('[data-testid="unit"]').length > 0, model, { timeout: 600_000 });
  const ready = Date.now() - t0;
  page.readyAt = await page.evaluate(() => performance.now());
  await page.getByTestId("upload-input").setInputFiles(img);
  await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant, null, { timeout: 600_000 });
  await idle(page);
  rows.push([`${label}: UI painted (model picker) / engine ready / first readout`,
    `${paint} ms / ${ready} ms / ${Date.now() - t0} ms`]);
  return page;
}

/** Profiles `dir` and returns the seconds from choosing the folder to the profile. */
async function profile(page, dir) {
  const t = Date.now();
  await page.locator("input[webkitdirectory]").setInputFiles(dir);
  await page.waitForFunction(() => /Profiled/.test(document.querySelector(".notice")?.textContent ?? "") ||
    document.querySelector('[data-testid="error"]')?.textContent, null, { timeout: 1_800_000 });
  await idle(page);
  const err = await page.getByTestId("error").textContent();
  if (err) throw new Error(err);
  return (Date.now() - t) / 1000;
}

try {
  const context = await browser.newContext();
  await context.addInitScript(LONGTASKS);
  await session(context, "first visit (weights from the network)");
  const page = await session(context, "returning visitor (everything in cache)");
  const backend = await page.getByTestId("backend").textContent();
  rows.push(["per-image forward (whole network, one image, in the engine worker)", `${await forwardMs(page)} ms`]);
  for (const [what, act] of [
    ["intervention on the layer on screen (top selective units)", () => page.getByTestId("select-top-selective").click()],
    ["intervention, again (lesion → enhance)", () => page.getByTestId("mode-enhance").check()],
    ["α slider dragged through 10 values (only the newest waits)", async () => {
      for (let i = 1; i <= 10; i++) await page.getByTestId("alpha").fill(String(i / 2));
    }],
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
  await page.locator('[data-testid="unit"][data-unit="3"]').focus();
  const tf = Date.now();
  await page.waitForFunction(() => document.querySelector('[data-testid="heatmap"]')?.hidden === false, null, { timeout: 600_000 });
  rows.push(["focus a unit: key to its heatmap (a full pass keeping maps)", `${Date.now() - tf} ms`]);
  const set = await drawnSet(images);
  const secs1 = await profile(page, set);
  rows.push([`profiling ${images} images, 1 pool worker`, `${secs1.toFixed(1)} s, ${(images / secs1).toFixed(2)} images/s`]);
  const mem = await page.evaluate(() => window.__emotionNeurons.memory());
  const tasks = await page.evaluate(() => window.__longtasks);
  const longest = (f) => Math.max(0, ...tasks.filter(f).map(([, d]) => d)).toFixed(0);
  rows.push(["longest main-thread task while analysing, intervening, focusing and profiling (target < 50 ms)",
    `${longest(([s]) => s >= page.readyAt)} ms`]);
  rows.push(["longest main-thread task while the page starts (app wasm, model install)",
    `${longest(([s]) => s < page.readyAt)} ms`]);
  const pageN = await session(context, `returning visitor, ${workersN} workers`, `&workers=${workersN}`);
  const secsN = await profile(pageN, set);
  rows.push([`profiling ${images} images, ${workersN} pool workers`, `${secsN.toFixed(1)} s, ${(images / secsN).toFixed(2)} images/s (${(secs1 / secsN).toFixed(2)}× of 1)`]);
  const memN = await pageN.evaluate(() => window.__emotionNeurons.memory());
  rows.push(["wasm memory: engine worker / each pool worker / all workers",
    `${mb(mem.engine)} / ${memN.pool.map(mb).join(", ")} / ${mb(memN.engine + memN.pool.reduce((a, b) => a + b, 0))}`]);
  if (memoryImages > 0) {
    // A long run on the same pool: peak wasm memory (never shrinks) and the page's JS heap.
    const big = await drawnSet(memoryImages);
    const heap = () => pageN.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    let peakHeap = await heap();
    const heapAtStart = peakHeap;
    let running = true;
    const sampler = (async () => {
      while (running) {
        peakHeap = Math.max(peakHeap, await heap());
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const secs = await profile(pageN, big);
    running = false;
    await sampler;
    const memBig = await pageN.evaluate(() => window.__emotionNeurons.memory());
    rows.push([`profiling ${memoryImages} images, ${workersN} pool workers`, `${secs.toFixed(0)} s, ${(memoryImages / secs).toFixed(2)} images/s`]);
    rows.push([`peak wasm memory: engine / each pool worker, after ${images} images → after ${memoryImages} more`,
      `${mb(memN.engine)} → ${mb(memBig.engine)} / ${memN.pool.map(mb).join(", ")} → ${memBig.pool.map(mb).join(", ")}`]);
    rows.push([`page JS heap: before → peak during the ${memoryImages}-image run`, `${mb(heapAtStart)} → ${mb(peakHeap)}`]);
  }
  // Cancel latency: start a run, cancel once the first images are done.
  await pageN.locator("input[webkitdirectory]").setInputFiles(set);
  await pageN.waitForFunction(() => Number(document.querySelector('[data-testid="profile-progress"] progress')?.value) > 0,
    null, { timeout: 600_000 });
  const cancelMs = await pageN.evaluate(async () => {
    const t = performance.now();
    [...document.querySelectorAll('[data-testid="profile-progress"] button')].at(-1).click();
    while (document.querySelector('[data-testid="profile-progress"]')) await new Promise((r) => setTimeout(r, 2));
    return performance.now() - t;
  });
  rows.push(["cancel a profiling run: click to stopped (target < 500 ms)", `${cancelMs.toFixed(0)} ms`]);
  const dist = path.join(root, "dist");
  const size = { app: [0, 0], worker: [0, 0] };
  for (const f of await readdir(dist)) {
    if (!/\.(wasm|js|css|html)$/.test(f)) continue;
    const b = await readFile(path.join(dist, f));
    const k = f.startsWith("worker") ? "worker" : "app";
    size[k][0] += b.length;
    size[k][1] += gzipSync(b, { level: 9 }).length;
  }
  for (const [k, [raw, gz]] of Object.entries(size)) {
    rows.push([`download: ${k === "app" ? "page (app wasm + js + css + html)" : "engine worker (wasm + js)"}, raw / gzip`,
      `${(raw / 1e6).toFixed(1)} MB / ${(gz / 1e6).toFixed(1)} MB`]);
  }
  console.log(`\n${model} on ${backend}, headless Chromium, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log("| what | figure |\n|---|---|");
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
} finally {
  await browser.close();
  server.close();
}
