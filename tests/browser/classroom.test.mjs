// The classroom flow: a `path,label` CSV set profiled in the browser, the images that drive a
// unit most (checked against the native CLI), and "Run experiment" (checked against
// `neurons experiment` on the profile the page exports, computed on 2 pool workers), plus cancel.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, mkdir, copyFile, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve, launch, openApp, idle, root, shot, openTab, drawnSet, NO_WEBGPU } from "./helpers.mjs";

const neurons = path.resolve(root, process.env.NEURONS ?? "target/release/neurons");
const CLASSES = ["pleasant", "neutral", "unpleasant"];
let server;
before(async () => { server = await serve(); });
after(() => server.close());

/** A folder with img/<name>.jpg and labels.csv (two bad rows); returns { dir, csv, images }. */
async function csvSet() {
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-csv-"));
  const drawn = await drawnSet(4);
  await mkdir(path.join(dir, "img"));
  const rows = ["path,label"];
  const images = [];
  for (const label of CLASSES) {
    for (let i = 0; i < 4; i++) {
      const n = `${label} ${i}`;
      const p = path.join(dir, "img", `${n}.jpg`);
      await copyFile(path.join(drawn, label, `${label}${i}.jpg`), p);
      images.push(p);
      rows.push(`img/${n}.jpg,${label}`);
    }
  }
  rows.push("img/missing.jpg,pleasant", "img/pleasant 0.jpg,happy");
  const csv = path.join(dir, "labels.csv");
  await writeFile(csv, rows.join("\n") + "\n");
  return { dir, csv, images };
}

async function profileCsv(page, set) {
  await page.getByTestId("csv-input").setInputFiles([set.csv, ...set.images]);
  await page.waitForFunction(() => /Profiled/.test(document.querySelector(".notice")?.textContent ?? "") ||
    document.querySelector('[data-testid="error"]')?.textContent, null, { timeout: 300_000 });
  assert.equal(await page.getByTestId("error").textContent(), "");
  await idle(page);
  return page.locator(".notice").textContent();
}

test("a CSV set is profiled; a unit's top images and the experiment match the native CLI", { timeout: 900_000 }, async () => {
  const set = await csvSet();
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base + "?model=alexnet-untrained&layer=conv5&workers=2");
    const notice = await profileCsv(page, set);
    assert.match(notice, /Profiled 12 images/);
    assert.match(notice, /missing\.jpg/);
    assert.match(notice, /unknown label `happy`/);

    // The images that drive unit 7 most, against the native responses to every image.
    const unit = 7;
    const out = execFileSync(neurons, ["--weights-dir", path.join(root, "weights"), "predict",
      "--model", "alexnet-untrained", "--json", ...set.images], { maxBuffer: 64 << 20 });
    const native = JSON.parse(out).images.map((im, i) => [path.basename(set.images[i]), im.layers.conv5[unit]]);
    native.sort((a, b) => b[1] - a[1]);
    await page.locator(`[data-testid="unit"][data-unit="${unit}"]`).focus();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="top-image"]').length === 6,
      null, { timeout: 120_000 });
    const shown = await page.getByTestId("top-image").evaluateAll((es) => es.map((e) => [e.dataset.name, Number(e.dataset.value)]));
    shown.forEach(([name, v], i) => {
      assert.equal(name, native[i][0], `rank ${i}: page ${name} vs native ${native[i][0]}`);
      assert.ok(Math.abs(v - native[i][1]) <= 1e-3 * Math.max(1, Math.abs(v)), `${name}: ${v} vs ${native[i][1]}`);
    });

    // The experiment on conv5, against `neurons experiment` on the profile the page exports.
    await openTab(page, "export");
    const [download] = await Promise.all([page.waitForEvent("download"),
      page.getByRole("button", { name: "Profile (JSON)" }).click()]);
    const profile = path.join(set.dir, "profile.json");
    await download.saveAs(profile);
    await openTab(page, "experiment");
    await page.getByTestId("run-experiment").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="experiment-results"]')?.dataset.csv?.split("\n").length > 3 &&
      document.querySelector('[data-testid="status"]')?.textContent === "ready", null, { timeout: 600_000 });
    assert.equal(await page.getByTestId("error").textContent(), "");
    const csv = await page.getByTestId("experiment-results").getAttribute("data-csv");
    assert.equal(await page.getByTestId("experiment-chart").count(), 3, "one F1 chart per emotion");
    assert.match(await page.getByTestId("experiment-chart").first().innerHTML(), /<svg[^>]*>.*F1 for pleasant/s);
    const outDir = path.join(set.dir, "cli");
    execFileSync(neurons, ["--quiet", "--weights-dir", path.join(root, "weights"), "experiment",
      "--profile", profile, "--dataset", `csv:${set.csv}`, "--out", outDir, "--layers", "conv5",
      "--alpha-step", "1", "--controls", "5"]);
    assert.equal(csv, await readFile(path.join(outDir, "results.csv"), "utf8"), "browser and CLI results agree");
    const table = await page.locator('[data-testid="experiment-results"] tbody tr').evaluateAll((rs) =>
      rs.map((r) => [...r.cells].map((c) => c.textContent)));
    const rows = csv.trim().split("\n").slice(1).map((l) => l.split(","));
    assert.equal(table.length, rows.length, "one table row per result");
    table.forEach((t, i) => {
      assert.deepEqual(t.slice(0, 3), rows[i].slice(0, 3));
      assert.equal(t[4], Number(rows[i][4]).toFixed(2), `lesion F1, row ${i}`);
    });
    await shot(page, "experiment");
    console.log(csv);

    // Cancel: a long all-layers run stops, says so, and leaves the app idle.
    await page.getByTestId("experiment-all-layers").check();
    await page.getByTestId("run-experiment").click();
    await page.getByTestId("cancel-experiment").click();
    await page.waitForFunction(() => /cancelled/.test(document.querySelector(".notice")?.textContent ?? ""), null, { timeout: 300_000 });
    await idle(page);
    assert.equal(await page.getByTestId("error").textContent(), "");
  } finally {
    await browser.close();
  }
});
