// The bundled example images: a click analyses one like an upload, and the readout equals the
// native CLI's on the same file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { serve, native, launch, openApp, idle, root, NO_WEBGPU } from "./helpers.mjs";

let server;
before(async () => { server = await serve(); });
after(() => server?.close());

const KEYS = ["pleasant", "neutral", "unpleasant"];

test("an example image gives the native readout", { timeout: 600_000 }, async () => {
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base + "?model=alexnet-untrained");
    const examples = page.getByTestId("example");
    assert.ok(await examples.count() >= 3, "at least three examples");
    const label = await examples.first().getAttribute("aria-label");
    assert.match(label, /^Example: .+ \((CC0|public domain)\)$/);
    // Every thumbnail loads.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="example"] img')]
      .every((i) => i.complete && i.naturalWidth > 0));
    await page.locator(".examples").screenshot({ path: path.join(process.env.SHOT_DIR ?? "/tmp", "examples-row.png") });

    const file = (await examples.first().locator("img").getAttribute("src")).replace(/^examples\//, "");
    const ref = native("alexnet-untrained", path.join(root, "static/examples", file),
      ["--profile", path.join(root, "weights/profiles/alexnet-untrained.json")]).readout;
    await examples.first().click();
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant,
      null, { timeout: 300_000 });
    await idle(page);
    assert.equal(await page.getByTestId("error").textContent(), "");
    const ours = await page.getByTestId("readout").evaluate((e, keys) => keys.map((k) => Number(e.dataset[k])), KEYS);
    KEYS.forEach((k, i) =>
      assert.ok(Math.abs(ours[i] - ref[k]) <= 1e-3, `${k}: page ${ours[i]} vs native ${ref[k]}`));
    console.log(`${label} (${file}): readout ${ours.map((p) => p.toFixed(4))}`);
  } finally {
    await browser.close();
  }
});
