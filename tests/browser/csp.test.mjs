// Privacy and security enforced by the browser: the page's Content-Security-Policy (a <meta>,
// so any static host serves it) lets the app's own flows run without a single violation, and
// blocks a fetch, an image and a script from another origin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, openApp, idle, NO_WEBGPU } from "./helpers.mjs";

const WATCH = () => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) =>
    window.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`));
};

test("the policy blocks other origins and the app's flows raise no violation", { timeout: 600_000 }, async () => {
  const server = await serve();
  const browser = await launch(NO_WEBGPU);
  try {
    const context = await browser.newContext();
    await context.addInitScript(WATCH);
    const { page, logs } = await openApp(context, server.base + "?model=vgg16-imagenet-conv&layer=conv5_3&lesson=1");
    assert.match(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content"), /connect-src 'self'/);
    // The app's own flows: an example image, a lesion, a unit's map, the lesson's worksheet.
    await page.locator('[data-testid="example"][data-file="cat.jpg"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant, null, { timeout: 300_000 });
    await page.getByTestId("select-top-selective").click();
    await idle(page);
    const unit = page.getByTestId("unit").first();
    await unit.focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector('[data-testid="crop"]')?.dataset.map === "true", null, { timeout: 300_000 });
    await page.getByTestId("tab-export").click();
    const [d] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Grid (PNG)" }).click()]);
    assert.match(d.suggestedFilename(), /grid\.png$/);
    await page.goto(server.base + "?model=vgg16-imagenet-conv&lesson=6");
    await idle(page);
    await page.getByTestId("worksheet-print").evaluate((b) => { window.print = () => {}; b.click(); });
    await page.waitForTimeout(500);
    const own = await page.evaluate(() => window.__csp);
    assert.deepEqual(own, [], `the app's own flows raised violations:\n${own.join("\n")}\n${logs.join("\n")}`);

    // Another origin: blocked by the policy (the violations say which directive).
    const fetched = await page.evaluate(() => fetch("https://example.com/x").then(() => "sent", (e) => e.name));
    assert.equal(fetched, "TypeError");
    await page.evaluate(() => {
      const img = document.createElement("img");
      img.src = "https://example.com/pixel.png";
      document.body.append(img);
      const s = document.createElement("script");
      s.src = "https://example.com/x.js";
      document.body.append(s);
      const inline = document.createElement("script");
      inline.textContent = "window.__ran = true";
      document.body.append(inline);
    });
    await page.waitForFunction(() => window.__csp.length >= 4, null, { timeout: 10_000 });
    const seen = await page.evaluate(() => window.__csp);
    for (const want of ["connect-src https://example.com/x", "img-src https://example.com/pixel.png",
      "script-src-elem https://example.com/x.js", "script-src-elem inline"]) {
      assert.ok(seen.includes(want), `expected a violation "${want}" in ${JSON.stringify(seen)}`);
    }
    assert.equal(await page.evaluate(() => window.__ran), undefined, "an injected inline script does not run");
  } finally {
    await browser.close();
    server.close();
  }
});
