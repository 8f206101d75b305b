// Foundation smoke tests: the built site loads a model, runs one forward pass on an uploaded
// image, and its unit means equal the native CLI's on the same image.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { serve, testImage, native, launch, openApp, assertClose, root, QUIET, WEBGPU, NO_WEBGPU } from "./helpers.mjs";

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

// torchvision's ImageNet AlexNet (stride-4 conv1 and overlapping pools on the wasm CPU fast path)
// against ONNX Runtime on a graph built in Python from the same weights file.
test("ImageNet AlexNet on the CPU path equals ONNX Runtime", { timeout: 900_000 }, async () => {
  const img = await testImage("alexnet-imagenet.png", 29);
  const ort = JSON.parse(execFileSync("python3", [path.join(root, "tests/ort_parity.py"), "--safetensors",
    "alexnet", path.join(root, "weights/alexnet-imagenet-conv.safetensors"), img], { maxBuffer: 64 << 20 }))[img];
  const r = await forward(NO_WEBGPU, "?model=alexnet-imagenet-conv", img);
  assert.match(r.backend, /CPU/);
  const worst = assertClose(r.means, ort, 1e-4);
  console.log(`ImageNet AlexNet, cpu: ${r.timing}; worst relative diff vs ONNX Runtime ${worst.toExponential(2)}`);
});
