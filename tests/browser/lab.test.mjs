// The lab's testable contract: the emotion readout equals the native CLI's, lesioning the top
// selective units changes it, reset restores it exactly, and the state lives in the URL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { writeFile, readFile } from "node:fs/promises";
import { gzipSync, gunzipSync } from "node:zlib";
import { serve, testImage, native, launch, openApp, idle, root, shot, drawnSet, NO_WEBGPU, readout } from "./helpers.mjs";

let server;
before(async () => { server = await serve(); });
after(() => server?.close());

test("readout matches native; lesion changes it; reset restores it exactly", { timeout: 600_000 }, async () => {
  const img = await testImage("lab.png", 29);
  const profile = path.join(root, "weights/profiles/alexnet-untrained.json");
  const ref = native("alexnet-untrained", img, ["--profile", profile]).readout;
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base + "?model=alexnet-untrained&layer=conv5");
    assert.match(await page.getByTestId("backend").textContent(), /CPU/);
    await page.getByTestId("upload-input").setInputFiles(img);
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant);
    await idle(page);
    const before = await readout(page);
    await shot(page, "1-image-analysed");
    ["pleasant", "neutral", "unpleasant"].forEach((k, i) =>
      assert.ok(Math.abs(before[i] - ref[k]) <= 1e-3, `${k}: page ${before[i]} vs native ${ref[k]}`));
    assert.equal(await page.getByTestId("layer-select").inputValue(), "conv5");
    assert.equal(await page.getByTestId("unit").count(), 256);
    const charts = await page.getByTestId("profile-charts").locator("svg").evaluateAll((es) => es.map((e) => e.getAttribute("aria-label")));
    assert.deepEqual(charts, ["Units more selective than chance (permutation null, 95%)",
      "Preferred emotion of selective units: alexnet-untrained"]);

    await page.getByTestId("select-top-selective").click();
    await page.waitForFunction((b) => {
      const e = document.querySelector('[data-testid="readout"]');
      return e && ["pleasant", "neutral", "unpleasant"].some((k, i) => Number(e.dataset[k]) !== b[i]);
    }, before, { timeout: 120_000 });
    await idle(page);
    const lesioned = await readout(page);
    await shot(page, "2-lesioned");
    assert.notDeepEqual(lesioned, before);
    assert.match(page.url(), /units=\d+/);
    assert.match(page.url(), /mode=lesion/);
    // The lesioned readout (which reran only conv5) equals a native full pass with the same gains.
    const units = new URL(page.url()).searchParams.get("units").split(",").map(Number);
    const gains = { layers: { conv5: Array.from({ length: 256 }, (_, u) => (units.includes(u) ? 0 : 1)) } };
    const gainsFile = path.join(path.dirname(img), "gains.json");
    await writeFile(gainsFile, JSON.stringify(gains));
    const refLesioned = native("alexnet-untrained", img, ["--profile", profile, "--gains", gainsFile]).readout;
    ["pleasant", "neutral", "unpleasant"].forEach((k, i) =>
      assert.ok(Math.abs(lesioned[i] - refLesioned[k]) <= 1e-3, `lesioned ${k}: page ${lesioned[i]} vs native ${refLesioned[k]}`));

    await page.getByTestId("reset").click();
    await page.waitForFunction((b) => {
      const e = document.querySelector('[data-testid="readout"]');
      return ["pleasant", "neutral", "unpleasant"].every((k, i) => Number(e.dataset[k]) === b[i]);
    }, before, { timeout: 120_000 });
    assert.deepEqual(await readout(page), before, "reset restores the readout exactly");
    assert.doesNotMatch(page.url(), /units=/);
    console.log(`readout ${before.map((p) => p.toFixed(4))} → lesioned ${lesioned.map((p) => p.toFixed(4))} → reset`);
  } finally {
    await browser.close();
  }
});

test("a shared link reopens the experiment; invalid parts are ignored with a notice", { timeout: 300_000 }, async () => {
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base +
      "?model=alexnet-untrained&layer=conv4&units=3,7&mode=enhance&alpha=2.5");
    assert.equal(await page.getByTestId("layer-select").inputValue(), "conv4");
    assert.ok(await page.getByTestId("mode-enhance").isChecked());
    assert.equal(await page.getByTestId("alpha").inputValue(), "2.5");
    assert.equal(await page.locator('[data-testid="unit"][aria-pressed="true"]').count(), 2);
    await page.goto(server.base + "?model=alexnet-untrained&layer=conv99&units=1,x&alpha=9");
    await idle(page);
    const notice = await page.locator(".notice").textContent();
    assert.match(notice, /Ignored invalid link settings: layer `conv99`.*units `1,x`.*alpha `9`/);
    assert.equal(await page.getByTestId("error").textContent(), "");
  } finally {
    await browser.close();
  }
});

test("a folder of images is profiled in the browser and drives the readout", { timeout: 600_000 }, async () => {
  const { mkdtemp, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-set-"));
  await drawnSet(4, ["pleasant", "unpleasant"], path.join(dir, "set"));
  await writeFile(path.join(dir, "set", "pleasant", "broken.jpg"), "not an image");
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base + "?model=alexnet-untrained");
    await page.locator('input[webkitdirectory]').setInputFiles(path.join(dir, "set"));
    await page.waitForFunction(() => /Profiled/.test(document.querySelector(".notice")?.textContent ?? "") ||
      document.querySelector('[data-testid="error"]')?.textContent, null, { timeout: 300_000 });
    assert.equal(await page.getByTestId("error").textContent(), "");
    const notice = await page.locator(".notice").textContent();
    assert.match(notice, /Profiled 8 images/);
    await shot(page, "3-folder-profiled");
    assert.match(notice, /broken\.jpg/);
    const img = await testImage("p.png", 31);
    await page.getByTestId("upload-input").setInputFiles(img);
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant);
    const r = await page.getByTestId("readout").evaluate((e) => [e.dataset.pleasant, e.dataset.neutral, e.dataset.unpleasant]);
    assert.equal(r[1], "", "the folder has no neutral class");
    assert.ok(Math.abs(Number(r[0]) + Number(r[2]) - 1) < 1e-5, `two-class probabilities sum to 1: ${r}`);
  } finally {
    await browser.close();
  }
});

test("a tampered weights download is refused with a reason; a damaged pack falls back to the plain file; Retry recovers", { timeout: 600_000 }, async () => {
  const browser = await launch(NO_WEBGPU);
  try {
    const page = await browser.newPage();
    const logs = [];
    page.on("console", (m) => logs.push(m.text()));
    const packedUrl = "**/weights/vgg16-imagenet-conv.safetensors.planes";
    const plainUrl = "**/weights/vgg16-imagenet-conv.safetensors";
    // A well-formed pack whose weights differ by one byte, and a plain file that is not the
    // published one: both are refused by their checksum, and nothing is kept.
    const plain = gunzipSync(await readFile(path.join(root, "dist/weights/vgg16-imagenet-conv.safetensors.planes")));
    plain[plain.length - 5] ^= 0x40;
    const tampered = gzipSync(plain, { level: 1 });
    await page.route(packedUrl, (route) => route.fulfill({ status: 200, body: tampered }));
    await page.route(plainUrl, (route) => route.fulfill({ status: 200, body: Buffer.from("definitely not the published weights") }));
    await page.goto(server.base + "?model=vgg16-imagenet-conv");
    await page.waitForFunction(() => /checksum mismatch/.test(document.querySelector('[data-testid="error"]')?.textContent ?? ""),
      null, { timeout: 300_000 });
    assert.match(await page.getByTestId("error").textContent(),
      /could not load vgg16-imagenet-conv: checksum mismatch for `vgg16-imagenet-conv.safetensors`.*\(36 bytes\)/);
    assert.ok(logs.some((l) => /\.planes does not rebuild the published file; fetching/.test(l)), logs.join("\n"));
    // A pack that is not gzip at all (a host answering with its index page, say): the plain
    // file is fetched instead, and the model loads.
    await page.unroute(packedUrl);
    await page.unroute(plainUrl);
    await page.route(packedUrl, (route) => route.fulfill({ status: 200, body: Buffer.from("<!DOCTYPE html><p>not here</p>") }));
    await page.getByRole("button", { name: "Retry" }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === "ready" &&
      document.querySelector('[data-testid="error"]')?.textContent === "" &&
      document.querySelectorAll('[data-testid="unit"]').length === 512, null, { timeout: 300_000 });
    assert.equal(await page.getByTestId("model-select").inputValue(), "vgg16-imagenet-conv");
    assert.ok(logs.some((l) => /\.planes is damaged.*fetching weights\/vgg16-imagenet-conv\.safetensors/.test(l)), logs.join("\n"));
  } finally {
    await browser.close();
  }
});

test("valence and arousal: the plot matches native, a lesion moves the point; colour by valence; genuine units", { timeout: 600_000 }, async () => {
  const img = await testImage("affect.png", 31);
  const model = "alexnet-imagenet-conv";
  const profile = path.join(root, `weights/profiles/${model}.json`);
  const ref = native(model, img, ["--profile", profile]).affect;
  assert.ok(ref, "the shipped profile carries the valence and arousal readouts");
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base + `?model=${model}&layer=conv5`);
    await page.getByTestId("upload-input").setInputFiles(img);
    const plot = page.getByTestId("affect-plot");
    await page.waitForFunction(() => document.querySelector('[data-testid="affect-plot"]')?.dataset.valence);
    await idle(page);
    const v = Number(await plot.getAttribute("data-valence"));
    const a = Number(await plot.getAttribute("data-arousal"));
    assert.ok(Math.abs(v - ref.valence) < 0.01 && Math.abs(a - ref.arousal) < 0.01,
      `page (${v}, ${a}) vs native (${ref.valence}, ${ref.arousal})`);
    // OASIS's 900 ratings as faint dots (positions only), and the image's point.
    assert.equal(await plot.locator("circle[fill-opacity]").count(), 900);
    assert.equal(await plot.locator("line").count(), 0, "no arrow before an intervention");

    // The genuine-units preset selects exactly the units marked in the profile.
    const prof = JSON.parse(await (await import("node:fs/promises")).readFile(profile, "utf8"));
    const conv5 = prof.layers.find((l) => l.name === "conv5");
    const marked = conv5.units.flatMap((u, i) => (u.genuine === 0 ? [i] : []));
    await page.getByTestId("select-genuine").click();
    if (marked.length > 0) {
      await page.waitForFunction(() => /units=\d/.test(location.search), null, { timeout: 60_000 });
      const units = new URL(page.url()).searchParams.get("units").split(",").map(Number);
      assert.deepEqual(units, marked, "genuine pleasant units of conv5");
    }
    // A lesion of all pleasant-selective units moves the point and draws the arrow.
    await page.getByTestId("select-all-selective").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="affect-plot"] line'), null, { timeout: 120_000 });
    await idle(page);
    const moved = Number(await plot.getAttribute("data-valence"));
    assert.equal(Number(await plot.getAttribute("data-base-valence")), v);
    assert.notEqual(moved, v);
    assert.match(await page.getByTestId("affect-summary").textContent(), /with the intervention/);

    // Colour by valence r: the legend switches to the diverging scale.
    await page.getByTestId("colour-by").selectOption("valence");
    await page.waitForFunction(() => document.querySelector(".legend")?.textContent.includes("responds to pleasant"));
    await shot(page, "affect");
    console.log(`valence ${v.toFixed(2)} → ${moved.toFixed(2)} after the lesion; ${marked.length} genuine pleasant units in conv5`);
  } finally {
    await browser.close();
  }
});
