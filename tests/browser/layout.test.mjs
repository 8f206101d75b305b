// One screen for a classroom: at 1366×768 (the common school laptop) and 1920×1080 the image,
// the readout, the layer's unit grid and the intervention controls are all in view together,
// with and without the lesson; on a phone (390×844) and at 200 % zoom the page is one column
// with no sideways scrolling, and the readout stays in view while the student intervenes. The
// panels below are tabs operable from the keyboard. Screenshots: target/screenshots/layout-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, openApp, idle, shot, inViewport, NO_WEBGPU } from "./helpers.mjs";

let server, browser;
before(async () => { server = await serve(); browser = await launch(NO_WEBGPU); });
after(async () => { await browser.close(); server.close(); });

const QUERY = "?model=vgg16-imagenet-conv&layer=conv5_3&example=cat.jpg";

/** Opens the lab at `viewport` (CSS pixels; `scale` 2 is a 200 % zoom), with the cat example
 * on conv5_3 (the largest grid) and 20 selective units lesioned. */
async function lab(viewport, extra = "", scale = 1) {
  const { page } = await openApp(browser, server.base + QUERY + extra, { viewport, deviceScaleFactor: scale });
  await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant, null, { timeout: 300_000 });
  await page.getByTestId("select-top-selective").click();
  await idle(page);
  assert.match(await page.getByTestId("intervention-summary").textContent(), /lesioned/);
  return page;
}

const WORKBENCH = ["crop", "readout", "intervention"];

async function allInView(page, label) {
  for (const id of WORKBENCH) {
    assert.ok(await inViewport(page.getByTestId(id)), `${label}: ${id} is not wholly in view`);
  }
  assert.ok(await inViewport(page.locator("#unit-grid")), `${label}: the unit grid is not wholly in view`);
}

for (const [w, h] of [[1366, 768], [1920, 1080]]) {
  test(`${w}×${h}: image, readout, unit grid and intervention on one screen`, { timeout: 600_000 }, async () => {
    const page = await lab({ width: w, height: h });
    await shot(page, `layout-${w}x${h}`, false);
    await allInView(page, `${w}×${h}`);
    // The lesson's step joins the workbench without pushing the controls off screen.
    await page.goto(server.base + QUERY + "&lesson=3");
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant, null, { timeout: 300_000 });
    await idle(page);
    await shot(page, `layout-${w}x${h}-lesson`, false);
    await allInView(page, `${w}×${h} lesson`);
    assert.ok(await inViewport(page.getByTestId("lesson-step")), "the lesson step is in view");
    assert.ok(await inViewport(page.getByTestId("lesson-next")), "the lesson's Next is in view");
    await page.close();
  });
}

for (const [name, viewport, scale] of [["phone 390×844", { width: 390, height: 844 }, 3],
  ["200 % zoom of 1366×768", { width: 683, height: 384 }, 2]]) {
  test(`${name}: one column, no sideways scroll, the readout stays in view`, { timeout: 600_000 }, async () => {
    const page = await lab(viewport, "", scale);
    await shot(page, `layout-${viewport.width}x${viewport.height}-top`, false);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= viewport.width, `the page scrolls sideways: ${wide} px wide in ${viewport.width}`);
    const [crop, grid] = await Promise.all([page.getByTestId("crop").boundingBox(), page.locator("#unit-grid").boundingBox()]);
    assert.ok(grid.y > crop.y + crop.height - 1, "one column: the grid comes below the image");
    // Scrolled down to the intervention buttons, the readout is still on screen (sticky).
    await page.getByTestId("select-random").scrollIntoViewIfNeeded();
    await page.getByTestId("select-random").click();
    await idle(page);
    assert.ok(await inViewport(page.getByTestId("select-random")), "the button is in view");
    assert.ok(await inViewport(page.getByTestId("readout")), "the readout stays in view while intervening");
    // …and further down, at the unit grid.
    await page.locator("#unit-grid").evaluate((e) => e.scrollIntoView({ block: "end" }));
    assert.ok(await inViewport(page.getByTestId("readout")), "the readout stays in view at the grid");
    await shot(page, `layout-${viewport.width}x${viewport.height}`, false);
    // The Experiment tab (the shipped results' wide table) does not widen the page either.
    await page.getByTestId("tab-experiment").click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="reference-row"]').length > 0, null, { timeout: 60_000 });
    const wideTab = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wideTab <= viewport.width, `the Experiment tab scrolls the page sideways: ${wideTab} px in ${viewport.width}`);
    await page.close();
  });
}

test("the panels below are tabs, operable from the keyboard", { timeout: 600_000 }, async () => {
  const page = await lab({ width: 1366, height: 768 });
  const selected = () => page.locator('[role="tab"][aria-selected="true"]').getAttribute("data-testid");
  assert.equal(await selected(), "tab-unit");
  await page.getByTestId("tab-unit").focus();
  await page.keyboard.press("ArrowRight");
  assert.equal(await selected(), "tab-responses");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "tab-responses");
  assert.ok(await page.locator("#panel-responses").isVisible() && !(await page.locator("#panel-unit").isVisible()));
  await page.keyboard.press("End");
  assert.equal(await selected(), "tab-export");
  await page.keyboard.press("ArrowRight");
  assert.equal(await selected(), "tab-unit", "arrows wrap around");
  // Keyboard focus in the unit grid is as calm as the mouse: one tab stop, nothing opens over
  // the grid or pushes the page, the arrows move along the cells, the line below names the unit.
  const grid = await page.locator("#unit-grid").boundingBox();
  const units = page.getByTestId("unit");
  assert.equal(await page.locator('[data-testid="unit"][tabindex="0"]').count(), 1, "one tab stop for the grid");
  const [first, second] = [await units.nth(0).getAttribute("data-unit"), await units.nth(1).getAttribute("data-unit")];
  await units.nth(0).focus();
  await idle(page);
  const list = await page.locator(".sr-list").boundingBox();
  assert.ok(list.width <= 2 && list.height <= 2, `the unit list stays out of sight (${JSON.stringify(list)})`);
  assert.deepEqual(await page.locator("#unit-grid").boundingBox(), grid, "the grid did not move");
  await allInView(page, "keyboard focus");
  assert.match(await page.locator(".focus-text").textContent(), new RegExp(`^unit ${first}\\b`));
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.unit), second, "ArrowRight moves to the next cell");
  assert.match(await page.locator(".focus-text").textContent(), new RegExp(`^unit ${second}\\b`));
  assert.equal(await page.locator('[data-testid="unit"][tabindex="0"]').getAttribute("data-unit"), second);
  assert.deepEqual(await page.locator("#unit-grid").boundingBox(), grid, "the grid did not move");
  // Enter selects the focused unit alone; Shift+Enter adds one, as shift-click does.
  const pressed = () => page.locator('[data-testid="unit"][aria-pressed="true"]').evaluateAll((es) => es.map((e) => e.dataset.unit));
  await page.keyboard.press("Enter");
  await page.waitForFunction((u) => [...document.querySelectorAll('[data-testid="unit"][aria-pressed="true"]')].map((e) => e.dataset.unit).join() === u, second);
  await page.keyboard.press("ArrowRight");
  const third = await page.evaluate(() => document.activeElement.dataset.unit);
  await page.keyboard.press("Shift+Enter");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="unit"][aria-pressed="true"]').length === 2);
  assert.deepEqual((await pressed()).sort(), [second, third].sort());
  await idle(page);
  // Focusing a unit from the keyboard opens its detail.
  await page.getByTestId("tab-experiment").click();
  const unit = page.getByTestId("unit").first();
  await unit.focus();
  await page.keyboard.press("Enter");
  await idle(page);
  assert.equal(await selected(), "tab-unit");
  await page.close();
});
