// Losing the GPU mid-session: the app moves to the CPU backend, keeps the visitor's state
// (model, layer, selection, mode) and its readout agrees with the GPU's from before the loss; a
// profiling run during the loss finishes (the pool works on the CPU) while the engine worker
// moves to the CPU.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve, testImage, launch, openApp, idle, shot, root, drawnSet, WEBGPU, QUIET, readout } from "./helpers.mjs";

let server;
before(async () => { server = await serve(); });
after(() => server?.close());

test("a lost GPU device moves the session to the CPU and keeps its state", { timeout: 600_000 }, async () => {
  const browser = await launch([...QUIET, ...WEBGPU]);
  try {
    const { page, logs } = await openApp(browser, server.base + "?model=alexnet-untrained&layer=conv4&backend=webgpu");
    assert.match(await page.getByTestId("backend").textContent(), /WebGPU/);
    await page.getByTestId("upload-input").setInputFiles(await testImage("gpu.png", 23));
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant);
    await idle(page);
    await page.getByTestId("select-top-selective").click();
    await page.waitForFunction(() => /units=/.test(location.search));
    await idle(page);
    const lesioned = await readout(page);
    const url = page.url();

    assert.equal(await page.evaluate(() => window.__emotionNeurons.loseGpu()), true);
    await page.waitForTimeout(500);
    await page.getByTestId("mode-enhance").check();
    await page.waitForFunction(() => /CPU/.test(document.querySelector('[data-testid="backend"]')?.textContent ?? ""),
      null, { timeout: 120_000 });
    await idle(page);
    assert.match(await page.locator(".notice").textContent(), /GPU was lost/);
    await page.getByTestId("mode-lesion").check();
    await page.waitForFunction(() => /mode=lesion/.test(location.search));
    await idle(page);
    assert.equal(await page.getByTestId("error").textContent(), "", logs.join("\n"));
    assert.equal(page.url(), url, "model, layer, selection and mode are kept");
    const after = await readout(page);
    after.forEach((p, i) => assert.ok(Math.abs(p - lesioned[i]) <= 1e-3, `CPU ${after} vs GPU ${lesioned}`));
    await shot(page, "4-after-gpu-loss");
  } finally {
    await browser.close();
  }
});

test("a profiling run during a GPU loss finishes, and the engine moves to the CPU", { timeout: 600_000 }, async () => {
  const dir = await drawnSet(4, ["pleasant", "unpleasant"]);
  const browser = await launch([...QUIET, ...WEBGPU]);
  try {
    const { page, logs } = await openApp(browser, server.base + "?model=alexnet-untrained&backend=webgpu");
    assert.match(await page.getByTestId("backend").textContent(), /WebGPU/);
    await page.locator("input[webkitdirectory]").setInputFiles(dir);
    assert.equal(await page.evaluate(() => window.__emotionNeurons.loseGpu()), true);
    await page.waitForFunction(() => /Profiled 8 images/.test(document.querySelector(".notice")?.textContent ?? "") ||
      document.querySelector('[data-testid="error"]')?.textContent, null, { timeout: 300_000 });
    assert.equal(await page.getByTestId("error").textContent(), "", logs.join("\n"));
    assert.match(await page.getByTestId("backend").textContent(), /CPU/);
    assert.match(await page.locator(".backend .reason").textContent(), /GPU stopped working/);
  } finally {
    await browser.close();
  }
});
