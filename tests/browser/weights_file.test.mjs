// A weights file from the visitor's disk: checked before anything changes. Bad files (not
// safetensors, truncated, tensors of no known model) each give a specific error and leave the
// model in use working; a good file becomes the model, and its unit means equal the native run.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, copyFile, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve, testImage, native, launch, openApp, idle, assertClose, root, NO_WEBGPU, refusedWith } from "./helpers.mjs";

const neurons = path.resolve(root, process.env.NEURONS ?? "target/release/neurons");
let server;
before(async () => { server = await serve(); });
after(() => server?.close());

/** A valid safetensors file holding one tensor `x` of two floats (fits no network). */
function tinySafetensors() {
  const header = Buffer.from(JSON.stringify({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(8)]);
}

test("local weights files are validated; a good one becomes the model", { timeout: 600_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-weights-"));
  await copyFile(path.join(root, "weights/manifest.json"), path.join(dir, "manifest.json"));
  execFileSync(neurons, ["--quiet", "--weights-dir", dir, "weights", "init", "alexnet-untrained"]);
  const good = path.join(dir, "alexnet-untrained.safetensors");
  const bytes = await readFile(good);
  const bad = {
    "notes.safetensors": [Buffer.from("these are not weights"), /not a valid safetensors file/],
    "cut.safetensors": [bytes.subarray(0, bytes.length >> 1), /not a valid safetensors file/],
    "tiny.safetensors": [tinySafetensors(), /fit no model here/],
  };
  const img = await testImage("w.png", 17);
  const ref = native("alexnet-untrained", img).layers;
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base + "?model=alexnet-untrained");
    for (const [name, [content, reason]] of Object.entries(bad)) {
      const err = await refusedWith(page, "weights-input", dir, name, content);
      assert.match(err, new RegExp(name.replace(".", "\\.")));
      assert.match(err, reason, `${name}: ${err}`);
      assert.match(err, /model in use is unchanged/);
      assert.equal(await page.getByTestId("model-select").inputValue(), "alexnet-untrained");
    }
    await page.getByTestId("weights-input").setInputFiles(good);
    await page.waitForFunction(() => /^local-alexnet-/.test(document.querySelector('[data-testid="model-select"]')?.value ?? ""),
      null, { timeout: 120_000 });
    await idle(page);
    assert.equal(await page.getByTestId("error").textContent(), "");
    assert.match(await page.locator(".notice").textContent(), /Loaded alexnet-untrained\.safetensors/);
    await page.getByTestId("upload-input").setInputFiles(img);
    await page.waitForFunction(() => document.querySelector('[data-testid="means"]')?.textContent.length > 0,
      null, { timeout: 120_000 });
    const means = JSON.parse(await page.getByTestId("means").textContent());
    const worst = assertClose(means, ref, 1e-4);
    console.log(`local file: worst relative difference to native ${worst.toExponential(2)}`);
  } finally {
    await browser.close();
  }
});

test("profile files are validated; a good one is used", { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-profiles-"));
  const bad = {
    "broken.json": ['{"version": 1, "model": ', /not valid JSON/],
    "other.json": [await readFile(path.join(root, "weights/profiles/vgg16-untrained.json")), /vgg16-untrained/],
  };
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base + "?model=alexnet-untrained");
    for (const [name, [content, reason]] of Object.entries(bad)) {
      const err = await refusedWith(page, "profile-input", dir, name, content);
      assert.match(err, reason, err);
      assert.match(err, /profile in use is unchanged/);
    }
    await page.getByTestId("profile-input").setInputFiles(path.join(root, "weights/profiles/alexnet-untrained.json"));
    await page.waitForFunction(() => /Loaded profile alexnet-untrained\.json/.test(document.querySelector(".notice")?.textContent ?? ""),
      null, { timeout: 60_000 });
  } finally {
    await browser.close();
  }
});
