// Privacy: during a session with uploads (an image, a labelled folder profiled in the tab, an
// intervention), every network request stays on the site's origin, and none carries image data.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, copyFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve, testImage, launch, idle, root, drawnSet, NO_WEBGPU } from "./helpers.mjs";

let server;
before(async () => { server = await serve(); });
after(() => server?.close());

test("no request leaves the origin and none carries image data", { timeout: 600_000 }, async () => {
  const img = await testImage("private.png", 41);
  const dir = await drawnSet(2, ["pleasant", "unpleasant"]);
  const uploaded = [await readFile(img)];
  for (const cls of ["pleasant", "unpleasant"]) {
    for (let i = 0; i < 2; i++) uploaded.push(await readFile(path.join(dir, cls, `${cls}${i}.jpg`)));
  }
  const browser = await launch(NO_WEBGPU);
  const requests = [];
  try {
    const context = await browser.newContext();
    context.on("request", (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
    const page = await context.newPage();
    page.on("websocket", (ws) => requests.push({ url: ws.url(), method: "WEBSOCKET", body: null }));
    await page.goto(server.base + "?model=alexnet-untrained");
    await idle(page);
    await page.waitForFunction(() => document.querySelector('[data-testid="model-select"]')?.value);
    await page.getByTestId("upload-input").setInputFiles(img);
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant);
    await idle(page);
    await page.locator("input[webkitdirectory]").setInputFiles(dir);
    await page.waitForFunction(() => /Profiled 4 images/.test(document.querySelector(".notice")?.textContent ?? ""),
      null, { timeout: 300_000 });
    await page.getByTestId("select-top-selective").click();
    await idle(page);
    await page.getByTestId("example").first().click();
    await idle(page);
  } finally {
    await browser.close();
  }
  const origin = new URL(server.base).origin;
  assert.ok(requests.length > 3, "requests were recorded");
  for (const r of requests) {
    const u = new URL(r.url);
    assert.ok(u.origin === origin || ["data:", "blob:"].includes(u.protocol), `off-origin request: ${r.url}`);
    assert.equal(r.method, "GET", `${r.method} ${r.url}`);
    if (r.body) {
      for (const bytes of uploaded) {
        assert.equal(r.body.indexOf(bytes.subarray(0, 256)), -1, `${r.url} carries an uploaded image`);
      }
    }
  }
  console.log(`${requests.length} requests, all GET on ${origin}: ${[...new Set(requests.map((r) => new URL(r.url).pathname))].join(" ")}`);
});
