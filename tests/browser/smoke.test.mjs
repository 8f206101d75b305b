// Foundation smoke tests: the built site loads a model, runs one forward pass on an uploaded
// image, and its unit means equal the native CLI's on the same image.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, testImage, native, launch, openApp, assertClose, QUIET, WEBGPU, NO_WEBGPU } from "./helpers.mjs";

let server;
before(async () => { server = await serve(); });
after(() => server?.close());

async function forward(args, query, image) {
  const browser = await launch(args);
  try {
    const { page, logs } = await openApp(browser, server.base + query);
    const backend = await page.getByTestId("backend").textContent();
    await page.getByTestId("upload-input").setInputFiles(image);
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="means"]')?.textContent.length > 0 ||
      document.querySelector('[data-testid="error"]')?.textContent, null, { timeout: 300_000 });
    const err = await page.getByTestId("error").textContent();
    assert.equal(err, "", `forward failed: ${err}\n${logs.join("\n")}`);
    const means = JSON.parse(await page.getByTestId("means").textContent());
    const timing = (await page.locator(".hint").allTextContents()).find((t) => t.includes("Forward pass"));
    return { backend, means, timing };
  } finally {
    await browser.close();
  }
}

test("VGG-16 (ImageNet) on WebGPU equals the native run", { timeout: 900_000 }, async () => {
  const img = await testImage("vgg.png");
  const ref = native("vgg16-imagenet-conv", img).layers;
  const r = await forward([...QUIET, ...WEBGPU], "?model=vgg16-imagenet-conv&backend=webgpu", img);
  assert.match(r.backend, /WebGPU/);
  const worst = assertClose(r.means, ref, 1e-3);
  console.log(`webgpu: ${r.backend}; ${r.timing}; worst relative diff vs native ${worst.toExponential(2)}`);
});

test("without WebGPU the page falls back to the CPU and still matches", { timeout: 900_000 }, async () => {
  const img = await testImage("alex.png");
  const ref = native("alexnet-untrained", img).layers;
  const r = await forward(NO_WEBGPU, "?model=alexnet-untrained", img);
  assert.match(r.backend, /CPU/);
  const worst = assertClose(r.means, ref, 1e-3);
  console.log(`cpu fallback: ${r.backend}; ${r.timing}; worst relative diff vs native ${worst.toExponential(2)}`);
});
