// Deploying to any static host: the same build served under a sub-path (as GitHub Pages serves a
// project site, here /emotion-neurons/) runs the visitor's flow with its service worker scoped
// there; a new deploy replaces the cached app on the next online visit; offline still works.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, writeFile, readdir, rm } from "node:fs/promises";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve, launch, idle, readout, root, NO_WEBGPU } from "./helpers.mjs";

const ready = (page) => page.waitForFunction(() =>
  document.querySelector('[data-testid="status"]')?.textContent === "ready" &&
  document.querySelector('[data-testid="model-select"]')?.value, null, { timeout: 300_000 });

/** A copy of dist/ as the next deploy would be: a changed stylesheet under a new hashed name
 * (with its integrity hash) that adds a visible line to the footer, a changed unhashed file
 * (the engine's loader, with a comment), and the new build stamp in index.html. */
async function nextDeploy() {
  const dir = await mkdtemp(path.join(tmpdir(), "neurons-deploy-"));
  await cp(path.join(root, "dist"), dir, { recursive: true });
  const css = (await readdir(dir)).find((f) => /^style-[0-9a-f]+\.css$/.test(f));
  const body = (await readFile(path.join(dir, css), "utf8")) + '\nfooter::after { content: " · deploy 2"; }\n';
  const name = `style-${createHash("sha256").update(body).digest("hex").slice(0, 16)}.css`;
  await rm(path.join(dir, css));
  await writeFile(path.join(dir, name), body);
  const sri = "sha384-" + createHash("sha384").update(body).digest("base64");
  const html = (await readFile(path.join(dir, "index.html"), "utf8"))
    .replace(new RegExp(`${css}"( integrity="[^"]*")?`), `${name}" integrity="${sri}"`);
  assert.ok(html.includes(name), "the new stylesheet is linked");
  const loader = path.join(dir, "worker_loader.js");
  await writeFile(loader, (await readFile(loader, "utf8")) + "\n// deploy 2\n");
  const stamped = html.replace(/<meta name="build" content="([^"]+)">/, '<meta name="build" content="$1-2">');
  assert.notEqual(stamped, html, "the build stamp is there to change");
  await writeFile(path.join(dir, "index.html"), stamped);
  return dir;
}

const footerMark = (page) => page.evaluate(() => getComputedStyle(document.querySelector("footer"), "::after").content);

test("under /emotion-neurons/: the flow, the service worker, a new deploy and offline", { timeout: 900_000 }, async () => {
  const server = await serve({ prefix: "/emotion-neurons/" });
  const browser = await launch(NO_WEBGPU);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const missing = [];
    page.on("response", (r) => { if (r.status() >= 400 && !r.url().endsWith("favicon.ico")) missing.push(`${r.status()} ${r.url()}`); });
    // The default: the quick start, then the paper's model, their weights fetched from beside
    // the page, under the sub-path.
    await page.goto(server.base);
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === "ready" &&
      document.querySelector('[data-testid="model-select"]')?.value === "vgg16-imagenet-conv" &&
      !document.querySelector('[data-testid="upgrade"]'), null, { timeout: 300_000 });
    assert.equal(await page.getByTestId("error").textContent(), "");
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, server.base, "the service worker is scoped to the sub-path");
    await page.locator('[data-testid="example"][data-file="cat.jpg"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant, null, { timeout: 300_000 });
    await idle(page);
    const plain = await readout(page);
    await page.getByTestId("select-top-selective").click();
    await idle(page);
    assert.notDeepEqual(await readout(page), plain, "a lesion changes the readout");
    assert.deepEqual(missing, [], "every request under the sub-path is found");
    assert.equal(await footerMark(page), "none");
    if (!await page.evaluate(() => navigator.serviceWorker.controller !== null)) {
      await page.reload();
      await ready(page);
    }
    assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), "controlled by the service worker");

    // A new deploy: the next online visit shows it.
    server.setDir(await nextDeploy());
    await page.goto(server.base + "?model=vgg16-imagenet-conv");
    await ready(page);
    assert.equal(await footerMark(page), '" · deploy 2"', "the new deploy replaced the cached app");
    const loaderText = () => page.evaluate(() => fetch("worker_loader.js").then((r) => r.text()));
    assert.match(await loaderText(), /deploy 2/, "an unhashed file of the new deploy, not the cached one");

    // Offline afterwards: the new deploy, from the cache.
    await context.setOffline(true);
    server.close();
    await page.reload();
    await ready(page);
    assert.equal(await footerMark(page), '" · deploy 2"');
    assert.match(await loaderText(), /deploy 2/, "offline, the new deploy's copy");
    assert.equal(await page.getByTestId("error").textContent(), "");
    console.log(`sub-path deploy: scope ${scope}; new deploy seen on the next visit; offline ready`);
  } finally {
    await browser.close();
    server.close();
  }
});
