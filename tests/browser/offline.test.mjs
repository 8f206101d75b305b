// Offline use: after one visit the service worker (static/sw.js) serves the app shell, and the
// app its cached weights, so a reload with no network still reaches "ready" and analyses an image;
// the classroom set and the shipped OASIS results are served offline as well.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, testImage, launch, NO_WEBGPU } from "./helpers.mjs";

let server;
before(async () => { server = await serve(); });
after(() => server?.close());

const ready = (page) => page.waitForFunction(() =>
  document.querySelector('[data-testid="status"]')?.textContent === "ready" &&
  document.querySelector('[data-testid="model-select"]')?.value, null, { timeout: 300_000 });

test("after the first visit the app works offline", { timeout: 600_000 }, async () => {
  const img = await testImage("offline.png", 17);
  const browser = await launch(NO_WEBGPU);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const logs = [];
    page.on("console", (m) => logs.push(m.text()));
    await page.goto(server.base + "?model=alexnet-untrained");
    await ready(page);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    const controlled = () => page.waitForFunction(() => navigator.serviceWorker.controller !== null,
      null, { timeout: 60_000 }).then(() => true, () => false);
    if (!await controlled()) {
      await page.reload();
      await ready(page);
      assert.ok(await controlled(), `page not controlled by the service worker\n${logs.join("\n")}`);
    }

    // Really offline: the browser says so and the server is gone.
    await context.setOffline(true);
    server.close();
    await page.reload();
    await ready(page);
    assert.equal(await page.getByTestId("model-select").inputValue(), "alexnet-untrained");
    const error = await page.getByTestId("error").textContent();
    assert.equal(error, "", `offline error: ${error}\n${logs.join("\n")}`);
    await page.getByTestId("upload-input").setInputFiles(img);
    await page.waitForFunction(() => document.querySelector('[data-testid="unit"]') ||
      document.querySelector('[data-testid="error"]')?.textContent, null, { timeout: 300_000 });
    assert.equal(await page.getByTestId("error").textContent(), "");
    const units = await page.getByTestId("unit").count();
    assert.ok(units > 0, "unit grid after an offline upload");
    // The classroom set and the shipped OASIS results are there offline too.
    const offline = await page.evaluate(async () => {
      const set = await (await fetch("classroom/set.json")).json();
      const pics = await Promise.all(set.images.map((i) => fetch(`classroom/${i.file}`).then((r) => r.ok)));
      const ref = await fetch("reference/vgg16-imagenet-conv.json").then((r) => r.ok, () => false);
      return { n: set.images.length, ok: pics.filter(Boolean).length, ref };
    });
    assert.equal(offline.ok, offline.n, "every classroom picture is served offline");
    assert.ok(offline.ref, "the shipped OASIS results are served offline");
    const cached = await page.evaluate(async () => (await (await caches.open("neurons-shell-v1")).keys()).length);
    console.log(`offline reload: ready, ${units} units; ${cached} shell files cached`);
  } finally {
    await browser.close();
  }
});
