// The guided lesson (`?lesson=1`), walked as a student would on the CPU path with a bundled
// example: each step unlocks only when its action is done, answers are typed, and the exported
// worksheet (HTML and JSON) carries the answers and the very readouts the page showed. Then the
// teacher's side: a shared link opens a step with a chosen model and image, answers survive a
// reload, the French lesson is a data file, and a broken lesson file is refused with its line.
// Screenshots of every step: target/screenshots/lesson-step-N.png (1366×768).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve, launch, openApp, idle, shot, readout, NO_WEBGPU } from "./helpers.mjs";

let server, browser;
before(async () => { server = await serve(); browser = await launch(NO_WEBGPU); });
after(async () => { await browser.close(); server.close(); });

const VIEW = { viewport: { width: 1366, height: 768 } };
const CLASSES = ["pleasant", "neutral", "unpleasant"];
const step = (page) => page.getByTestId("lesson-step").evaluate((e) => [Number(e.dataset.step), e.dataset.done === "true"]);
const waitDone = (page) => page.waitForFunction(() =>
  document.querySelector('[data-testid="lesson-step"]')?.dataset.done === "true", null, { timeout: 300_000 });

async function answer(page, n, text) {
  await page.getByTestId("lesson-answer").fill(text);
  await shot(page, `lesson-step-${n}`, false);
}

async function next(page, n) {
  assert.ok(await page.getByTestId("lesson-next").isEnabled(), `step ${n} is done, so Next is enabled`);
  await page.getByTestId("lesson-next").click();
  assert.deepEqual((await step(page))[0], n + 1);
}

async function download(page, testid, dir) {
  const [d] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testid).click()]);
  const p = path.join(dir, d.suggestedFilename());
  await d.saveAs(p);
  return readFile(p, "utf8");
}

const close = (a, b, what) => a.forEach((x, i) =>
  assert.ok(Math.abs(x - b[i]) <= 1e-6, `${what}[${i}]: worksheet ${x}, page ${b[i]}`));

test("a student walks the lesson; the worksheet holds their answers and the page's numbers", { timeout: 1_200_000 }, async () => {
  const { page } = await openApp(browser, server.base + "?lesson=1&model=vgg16-imagenet-conv", VIEW);
  const answers = ["Pleasant: a cat.", "Its face and fur.", "The selective lesion changed it more.",
    "Yes, a little.", "Fewer selective units.", "The top layers, as in our class's run."];
  const seen = {};

  // 1. Pick an image: Next stays locked until the readout shows one.
  assert.deepEqual(await step(page), [1, false]);
  assert.ok(await page.getByTestId("lesson-next").isDisabled());
  await page.locator('[data-testid="example"][data-file="cat.jpg"]').click();
  await waitDone(page);
  await idle(page);
  seen.plain = await readout(page);
  await answer(page, 1, answers[0]);
  await next(page, 1);
  assert.match(page.url(), /lesson=2/);
  assert.match(page.url(), /example=cat\.jpg/);

  // 2. conv5_3, then a unit that prefers the readout's emotion.
  const top = CLASSES[seen.plain.indexOf(Math.max(...seen.plain))];
  await page.getByTestId("layer-select").selectOption("conv5_3");
  await idle(page);
  assert.deepEqual(await step(page), [2, false], "the layer alone is not enough");
  const unit = page.locator(`[data-testid="unit"][aria-label*="prefers ${top},"]`).first();
  await unit.focus();
  await page.keyboard.press("Enter");
  await idle(page);
  await page.waitForFunction(() => document.querySelector('[data-testid="crop"]')?.dataset.map === "true", null, { timeout: 300_000 });
  assert.deepEqual(await step(page), [2, false], "the emotion map is still to open");
  await page.getByTestId("emotion-map-toggle").check();
  await waitDone(page);
  await idle(page);
  assert.equal(await page.getByTestId("emotion-map").getAttribute("data-emotion"), top, "the map shows the readout's emotion");
  await answer(page, 2, answers[1]);
  await next(page, 2);

  // 3. The classroom set: selective lesion against random units, F1 per emotion; then the same
  // on the student's own image.
  await page.getByTestId("tab-experiment").click();
  const t0 = Date.now();
  await page.getByTestId("class-set-run").click();
  await waitDone(page);
  await idle(page);
  seen.classSetSecs = (Date.now() - t0) / 1000;
  seen.classSet = await page.getByTestId("class-set-row").evaluateAll((rs) => rs.map((r) =>
    [r.dataset.emotion, Number(r.dataset.f1), Number(r.dataset.f1Lesion), Number(r.dataset.f1Random)]));
  assert.equal(seen.classSet.length, 3);
  await shot(page, "lesson-class-set", false);
  await page.getByTestId("intervention").locator("select").selectOption({ label: top });
  await page.getByTestId("select-top-selective").click();
  await idle(page);
  seen.selective = await readout(page);
  await page.getByTestId("select-random").click();
  await idle(page);
  seen.random = await readout(page);
  await answer(page, 3, answers[2]);
  await next(page, 3);

  // 4. Enhance them with α = 2.
  await page.getByTestId("select-top-selective").click();
  await idle(page);
  await page.getByTestId("mode-enhance").check();
  await idle(page);
  await page.getByTestId("alpha").fill("2");
  await waitDone(page);
  await idle(page);
  seen.enhanced = await readout(page);
  await answer(page, 4, answers[3]);
  await next(page, 4);

  // 5. The untrained control.
  await page.getByTestId("model-select").selectOption("vgg16-untrained");
  await waitDone(page);
  await idle(page);
  seen.untrained = await readout(page);
  await answer(page, 5, answers[4]);
  await page.getByTestId("tab-unit").click();
  await next(page, 5);

  // 6. The full OASIS experiment, shipped with the site: open the Experiment tab. Last: no Next.
  assert.deepEqual(await step(page), [6, false]);
  assert.ok(await page.getByTestId("lesson-next").isHidden());
  await page.getByTestId("tab-experiment").click();
  await waitDone(page);
  // The untrained control has no shipped experiment: the trained VGG-16's is shown, said so.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="reference-row"]').length === 39, null, { timeout: 60_000 });
  assert.match(await page.getByTestId("reference-other").textContent(), /No full experiment ships for vgg16-untrained/);
  await page.getByTestId("lesson-student").fill("Ada Lovelace");
  await answer(page, 6, answers[5]);
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-worksheet-"));
  const html = await download(page, "worksheet", dir);
  const sheet = JSON.parse(await download(page, "worksheet-json", dir));

  assert.equal(sheet.student, "Ada Lovelace");
  assert.deepEqual(sheet.steps.map((s) => s.answer), answers);
  assert.deepEqual(sheet.steps.map((s) => s.done), [true, true, true, true, true, true]);
  // The classroom run is on the worksheet with the numbers the page showed.
  assert.equal(sheet.class_set.length, 1);
  assert.equal(sheet.class_set[0].layer, "conv5_3");
  sheet.class_set[0].rows.forEach((r, i) => {
    const [e, f1, lesion, random] = seen.classSet[i];
    assert.equal(r.emotion, e);
    close([r.f1, r.f1_lesion, r.f1_random], [f1, lesion, random], `class set ${e}`);
  });
  assert.ok(html.includes("Classroom set: F1 before and after lesions"));
  const find = (n, f) => sheet.steps[n - 1].measures.filter(f).at(-1);
  const m1 = find(1, (m) => m.act === "none" && m.image === "cat.jpg");
  close(m1.readout, seen.plain, "step 1 readout");
  const sel = find(3, (m) => m.act === "lesion" && m.selection === "selective");
  const rnd = find(3, (m) => m.act === "lesion" && m.selection === "random");
  assert.equal(sel.units, rnd.units, "the control lesions as many units");
  assert.equal(sel.layer, "conv5_3");
  close(sel.readout, seen.selective, "selective lesion");
  close(rnd.readout, seen.random, "random lesion");
  close(sel.baseline, seen.plain, "baseline");
  const enh = find(4, (m) => m.act === "enhance" && m.alpha === 2);
  close(enh.readout, seen.enhanced, "enhanced");
  const un = find(5, (m) => m.model === "vgg16-untrained");
  assert.equal(un.trained, false);
  close(un.readout, seen.untrained, "untrained");
  // The HTML shows the same answers and numbers, names the image, and carries no pixels.
  for (const a of answers.slice(0, 5)) assert.ok(html.includes(a), `HTML has "${a}"`);
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  assert.ok(html.includes(`<td>${pct(sel.readout[0])}`), "the selective lesion's figure is in the HTML");
  assert.ok(html.includes("cat.jpg") && !/data:image|base64/.test(html));
  assert.ok(html.includes("Ada Lovelace"));
  console.log(`classroom set on vgg16-imagenet-conv conv5_3, cold: ${seen.classSetSecs.toFixed(1)} s; F1 (before, selective lesion, random): ` +
    JSON.stringify(seen.classSet));
  console.log(`readouts (pleasant, neutral, unpleasant): plain ${seen.plain.map((x) => x.toFixed(3))}, ` +
    `selective lesion (${sel.units} units) ${seen.selective.map((x) => x.toFixed(3))}, ` +
    `random ${seen.random.map((x) => x.toFixed(3))}, enhanced ×3 ${seen.enhanced.map((x) => x.toFixed(3))}, ` +
    `untrained ${seen.untrained.map((x) => x.toFixed(3))}; selective units per class on conv5_3: ` +
    `trained ${sel.selective}, untrained ${un.selective}`);
  await page.close();
});

test("a teacher's link, kept answers, a translation and a broken lesson file", { timeout: 600_000 }, async () => {
  const context = await browser.newContext(VIEW);
  const { page } = await openApp(context, server.base + "?lesson=1&model=vgg16-imagenet-conv");
  await page.getByTestId("lesson-answer").fill("kept across a reload");
  await page.getByTestId("lesson-answer").blur();
  // The shared link: step 1 with the untrained model and the coffee example, already done.
  await page.goto(server.base + "?lesson=1&model=vgg16-untrained&example=coffee.jpg");
  await waitDone(page);
  await idle(page);
  assert.equal(await page.getByTestId("model-select").inputValue(), "vgg16-untrained");
  assert.equal(await page.getByTestId("lesson-answer").inputValue(), "kept across a reload");
  assert.match(await page.getByTestId("readout").locator("..").textContent(), /coffee\.jpg/);
  // A link into the middle of the lesson.
  await page.goto(server.base + "?lesson=4&model=vgg16-imagenet-conv");
  await page.waitForFunction(() => document.querySelector('[data-testid="lesson-step"]')?.dataset.step === "4");
  // French: another data file, same checks.
  await page.goto(server.base + "?lesson=2&lang=fr");
  await page.waitForFunction(() => /Étape 2 sur 6/.test(document.querySelector('[data-testid="lesson-step"]')?.textContent ?? ""));
  assert.equal(await page.getByTestId("lesson-step").getAttribute("lang"), "fr");
  await idle(page);
  await shot(page, "lesson-fr", false);
  // A teacher's file with a typo in a check is refused with its line; the lesson stays.
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-lesson-"));
  const bad = path.join(dir, "mine.md");
  await writeFile(bad, "---\nlang: en\ntitle: Mine\n---\n## One\ncheck: imgae\n\nDo: a\n\nAsk: b\n");
  await page.getByTestId("lesson-file").setInputFiles(bad);
  await page.waitForFunction(() => document.querySelector('[data-testid="error"]')?.textContent);
  assert.match(await page.getByTestId("error").textContent(), /^mine\.md: line 6: unknown check `imgae`/);
  assert.match(await page.getByTestId("lesson-step").textContent(), /Étape 2 sur 6/);
  const good = path.join(dir, "good.md");
  await writeFile(good, "---\nlang: en\ntitle: Mine\n---\n## Only step\ncheck: image\n\nDo: pick one\n\nAsk: why?\n");
  await page.getByTestId("lesson-file").setInputFiles(good);
  await page.waitForFunction(() => /Step 1 of 1/.test(document.querySelector('[data-testid="lesson-step"]')?.textContent ?? ""));
  await context.close();
});
