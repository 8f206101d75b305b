// A class's 45 minutes compressed, in the browser: 500 mixed interactions with the lab (new
// images, unit focus, lesions, random units, enhancement with α drags, resets, model switches,
// profiling runs and cancelled ones) on AlexNet, with no error, and the engine worker's wasm
// memory flat after the warm-up (the first 150, which hold one of everything). The same requests run natively in `worker_core`'s soak test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, openApp, drawnSet, NO_WEBGPU } from "./helpers.mjs";

let server, browser;
before(async () => { server = await serve(); browser = await launch(NO_WEBGPU); });
after(async () => { await browser.close(); server.close(); });

const settled = (page) => page.waitForFunction(() =>
  document.querySelector('[data-testid="status"]')?.textContent === "ready", null, { timeout: 600_000, polling: 50 });
const mib = (b) => (b / 2 ** 20).toFixed(0);

test("soak: 500 mixed interactions, no error, engine memory flat after the warm-up", { timeout: 1_200_000 }, async () => {
  const [small, big] = [await drawnSet(2), await drawnSet(10)];
  const { page } = await openApp(browser, server.base + "?model=alexnet-untrained&layer=conv5&example=cat.jpg");
  await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant, null, { timeout: 300_000 });
  await settled(page);
  const examples = await page.getByTestId("example").count();
  const memory = () => page.evaluate(() => window.__emotionNeurons.memory()).then((m) => m.engine);
  const model = () => page.getByTestId("model-select").inputValue();
  const t0 = Date.now();
  let warm = 0, peak = 0, profiled = 0, cancelled = 0, switches = 0;
  for (let i = 0; i < 500; i++) {
    const units = await page.getByTestId("unit").count();
    switch (i % 10) {
      case 0: await page.getByTestId("example").nth((i / 10) % examples).click(); break;
      case 1: case 6: await page.evaluate((u) => document.querySelectorAll('[data-testid="unit"]')[u]?.focus(), (i * 37) % units); break;
      case 2: await page.getByTestId("select-top-selective").click(); break;
      case 3:
        await page.getByTestId("mode-enhance").check();
        for (const a of ["0.5", "1.2", "2.8", "4.1"]) await page.getByTestId("alpha").fill(a);
        break;
      case 4: await page.getByTestId("select-random").click(); break;
      case 5: case 9: await page.getByTestId("reset").click(); break;
      case 7:
        if (i % 50 === 47) {
          const to = (await model()) === "alexnet-untrained" ? "alexnet-imagenet-conv" : "alexnet-untrained";
          await page.getByTestId("model-select").selectOption(to);
          await page.waitForFunction((m) => document.querySelector('[data-testid="readout-model"]')?.dataset.model === m &&
            document.querySelector('[data-testid="status"]')?.textContent === "ready" &&
            document.querySelector('[data-testid="readout"]')?.dataset.pleasant, to, { timeout: 300_000, polling: 100 });
          switches++;
        } else {
          await page.getByTestId("select-top-selective").click();
        }
        break;
      case 8:
        if (i === 128 || i === 328) {
          await page.locator("input[webkitdirectory]").setInputFiles(small);
          await page.waitForFunction(() => /Profiled/.test(document.querySelector(".notice")?.textContent ?? ""), null, { timeout: 300_000 });
          profiled++;
        } else if (i === 138 || i === 438) {
          await page.locator("input[webkitdirectory]").setInputFiles(big);
          await page.waitForFunction(() => Number(document.querySelector('[data-testid="profile-progress"] progress')?.value) > 0, null, { timeout: 300_000 });
          await page.evaluate(() => [...document.querySelectorAll('[data-testid="profile-progress"] button')].at(-1).click());
          await page.waitForFunction(() => /Profiling cancelled/.test(document.querySelector(".notice")?.textContent ?? ""));
          cancelled++;
        } else {
          await page.evaluate((u) => document.querySelectorAll('[data-testid="unit"]')[u]?.focus(), (i * 11) % units);
        }
        break;
    }
    await settled(page);
    assert.equal(await page.getByTestId("error").textContent(), "", `interaction ${i}`);
    // The warm-up holds one of everything: both models twice, a profiling run, a cancel.
    if (i === 149) warm = await memory();
    if (i >= 150 && i % 25 === 0) peak = Math.max(peak, await memory());
  }
  const end = await memory();
  peak = Math.max(peak, end);
  console.log(`soak: 500 interactions in ${((Date.now() - t0) / 1000).toFixed(0)} s (${switches} model switches, ` +
    `${profiled} profiling runs, ${cancelled} cancelled); engine worker wasm memory after the warm-up (150) ${mib(warm)} MiB, ` +
    `peak after it ${mib(peak)} MiB, at the end ${mib(end)} MiB`);
  assert.ok(switches === 10 && profiled === 2 && cancelled === 2, `${switches} switches, ${profiled} runs, ${cancelled} cancels`);
  // wasm memory never shrinks: flat means it stopped growing once warm.
  assert.ok(end <= warm + 32 * 2 ** 20, `engine memory grew from ${mib(warm)} to ${mib(end)} MiB`);
});
