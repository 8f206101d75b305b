// The engine in Web Workers: the page's main thread never runs a network pass (long tasks stay
// short while an image is analysed, a unit focused, a set profiled and the experiment runs); the
// pool gives the same bytes with 1 and 2 workers; cancel is prompt; a crashed worker is
// restarted with the page's state kept. Uses drawn images, so it needs no OASIS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve, launch, openApp, idle, testImage, readout, shot, openTab, drawnSet, NO_WEBGPU } from "./helpers.mjs";

let server;
before(async () => { server = await serve(); });
after(() => server.close());

/** Records every long task (> 50 ms) of the page's main thread from the start. */
const LONGTASKS = () => {
  window.__longtasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push([e.startTime, e.duration]); })
    .observe({ type: "longtask", buffered: true });
};

async function profileFolder(page, dir) {
  await page.locator("input[webkitdirectory]").setInputFiles(dir);
  await page.waitForFunction(() => /Profiled|cancelled/.test(document.querySelector(".notice")?.textContent ?? "") ||
    document.querySelector('[data-testid="error"]')?.textContent, null, { timeout: 600_000 });
  assert.equal(await page.getByTestId("error").textContent(), "");
  await idle(page);
}

async function exportProfile(page, dir, name) {
  const [download] = await Promise.all([page.waitForEvent("download"),
    openTab(page, "export").then(() => page.getByRole("button", { name: "Profile (JSON)" }).click())]);
  const p = path.join(dir, name);
  await download.saveAs(p);
  return readFile(p, "utf8");
}

async function experimentCsv(page) {
  await openTab(page, "experiment");
  await page.getByTestId("run-experiment").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="experiment-results"]')?.dataset.csv?.split("\n").length > 3 &&
    document.querySelector('[data-testid="status"]')?.textContent === "ready", null, { timeout: 600_000 });
  assert.equal(await page.getByTestId("error").textContent(), "");
  return page.getByTestId("experiment-results").getAttribute("data-csv");
}

test("no network pass on the main thread: long tasks stay short through the whole lab flow", { timeout: 900_000 }, async () => {
  const set = await drawnSet(4);
  const browser = await launch(NO_WEBGPU);
  try {
    const context = await browser.newContext();
    await context.addInitScript(LONGTASKS);
    const { page } = await openApp(context, server.base + "?model=vgg16-untrained&layer=conv5_3");
    const t0 = await page.evaluate(() => performance.now());
    await page.getByTestId("upload-input").setInputFiles(await testImage("long.png", 29));
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant);
    await idle(page);
    const forward = Number((await page.locator(".hint").allTextContents()).join(" ").match(/Forward pass: (\d+) ms/)?.[1]);
    await page.locator('[data-testid="unit"][data-unit="3"]').focus();
    await page.waitForFunction(() => document.querySelector('[data-testid="heatmap"]')?.hidden === false, null, { timeout: 300_000 });
    await profileFolder(page, set);
    await experimentCsv(page);
    const tasks = await page.evaluate((t) => window.__longtasks.filter(([s]) => s >= t), t0);
    const worst = Math.max(0, ...tasks.map(([, d]) => d));
    console.log(`forward pass ${forward} ms in the worker; ${tasks.length} long tasks on the main thread, worst ${worst.toFixed(0)} ms (target < 50 ms: ${worst < 50 ? "met" : "missed"})`);
    // A VGG-16 pass here takes over a second: a pass on the main thread would be a task that long.
    assert.ok(forward > 250, `a VGG-16 pass takes ${forward} ms, so the bound below means something`);
    assert.ok(worst < 250, `main-thread task of ${worst} ms: ${JSON.stringify(tasks)}`);
    // The instrument works: a 150 ms busy task of the page's own is seen as a long task.
    const t1 = await page.evaluate(() => {
      const t = performance.now();
      setTimeout(() => { const s = performance.now(); while (performance.now() - s < 150); }, 0);
      return t;
    });
    await page.waitForFunction((t) => window.__longtasks.some(([s, d]) => s >= t && d >= 140), t1, { timeout: 10_000 });
    await shot(page, "workers-flow");
  } finally {
    await browser.close();
  }
});

test("profiling and the experiment give the same bytes on 1 and 2 pool workers", { timeout: 900_000 }, async () => {
  const set = await drawnSet(4);
  const exports = await mkdtemp(path.join(tmpdir(), "neurons-exports-"));
  const browser = await launch(NO_WEBGPU);
  const out = {};
  try {
    for (const workers of [1, 2]) {
      const { page } = await openApp(browser, server.base + `?model=alexnet-untrained&layer=conv4&workers=${workers}`);
      await profileFolder(page, set);
      assert.match(await page.locator(".notice").textContent(), new RegExp(`Profiled 12 images in \\d+ s on ${workers} worker`));
      const profile = await exportProfile(page, exports, `profile-${workers}.json`);
      const csv = await experimentCsv(page);
      out[workers] = { profile, csv };
      await page.close();
    }
    assert.equal(out[2].profile, out[1].profile, "profile JSON: 2 workers = 1 worker");
    assert.equal(out[2].csv, out[1].csv, "experiment CSV: 2 workers = 1 worker");
  } finally {
    await browser.close();
  }
});

test("cancel stops a profiling run at once; a crashed worker is restarted with the state kept", { timeout: 900_000 }, async () => {
  const set = await drawnSet(10);
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base + "?model=vgg16-untrained&layer=conv5_3");
    await page.getByTestId("upload-input").setInputFiles(await testImage("crash.png", 31));
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant);
    await idle(page);
    // 30 VGG-16 images: tens of seconds of work; cancel as soon as the first images are done.
    await page.locator("input[webkitdirectory]").setInputFiles(set);
    await page.waitForFunction(() => {
      const p = document.querySelector('[data-testid="profile-progress"] progress');
      return p && Number(p.value) > 0;
    }, null, { timeout: 300_000 });
    const ms = await page.evaluate(async () => {
      const t = performance.now();
      [...document.querySelectorAll('[data-testid="profile-progress"] button')].at(-1).click();
      while (document.querySelector('[data-testid="profile-progress"]')) await new Promise((r) => setTimeout(r, 5));
      return performance.now() - t;
    });
    console.log(`cancel took ${ms.toFixed(0)} ms`);
    await page.waitForFunction(() => /Profiling cancelled/.test(document.querySelector(".notice")?.textContent ?? ""));
    await idle(page);
    assert.ok(ms < 5000, `cancel took ${ms} ms`);
    assert.equal(await page.getByTestId("error").textContent(), "");

    // Lesion the top units, then crash the engine: it comes back with model, image and mask.
    await page.getByTestId("select-top-selective").click();
    await idle(page);
    const before = await readout(page);
    const url = page.url();
    await page.evaluate(() => window.__emotionNeurons.crashWorker());
    await page.waitForFunction(() => /engine stopped/.test(document.querySelector(".notice")?.textContent ?? ""),
      null, { timeout: 60_000 });
    await idle(page);
    assert.match(await page.locator(".notice").textContent(), /restarted; your model, image and settings are kept/);
    assert.equal(await page.getByTestId("error").textContent(), "");
    assert.equal(page.url(), url, "the page's state survives");
    const afterCrash = await readout(page);
    afterCrash.forEach((p, i) => assert.ok(Math.abs(p - before[i]) <= 1e-6, `after restart ${afterCrash} vs ${before}`));
    // And it works: another mode gives another readout.
    await page.getByTestId("mode-enhance").check();
    await page.waitForFunction((b) => document.querySelector('[data-testid="readout"]')?.dataset.pleasant !== String(b),
      before[0], { timeout: 300_000 });
    await idle(page);
  } finally {
    await browser.close();
  }
});
