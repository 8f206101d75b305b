// A first visit as a new visitor on a slow link makes it (a static server that gzips text and
// wasm and sends no caching headers; a fresh browser profile): ImageNet AlexNet answers first
// and says so, VGG-16 is fetched behind it (held here until the test has set up an
// intervention) and the lab switches to it keeping the image, the layer (at the same depth) and
// the selection; no file is sent twice, and a returning visit fetches no weights (nor anything
// else but index.html).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, testImage, launch, idle, NO_WEBGPU } from "./helpers.mjs";
import { visit, inUse, quiet, sentTwice, modelled } from "./visits.mjs";

let server, release;
const held = new Promise((r) => { release = r; });
before(async () => {
  server = await serve({ gzip: true, gate: (p) => (p.includes("/vgg16-imagenet-conv.safetensors") ? held : undefined) });
});
after(() => server?.close());

const pressed = (page) => page.locator('[data-testid="unit"][aria-pressed="true"]').count();

test("first visit: AlexNet first, the switch to VGG-16 keeps the state, nothing sent twice, a return fetches no weights",
  { timeout: 900_000 }, async () => {
    const img = await testImage("first-visit.png", 23);
    const browser = await launch(NO_WEBGPU);
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const logs = [];
      page.on("console", (m) => logs.push(m.text()));
      const first = await visit(page, server, "", img);
      assert.equal(first.error, "", `${first.error}\n${logs.join("\n")}`);
      assert.equal(first.model, "alexnet-imagenet-conv", "the quick start answers first");
      assert.match(await page.getByTestId("readout-model").textContent(), /AlexNet/);
      assert.match(await page.getByTestId("upgrade").textContent(), /VGG-16.*downloading in the background/);
      assert.ok(!page.url().includes("model="), "the link leaves the quick start's model out");
      assert.equal(await page.getByTestId("lesson-link").getAttribute("href"), "?lesson=1",
        "the lesson, written around VGG-16, opens on it");
      const first10 = modelled(server.log, first.start, first.readoutAt);

      // An intervention on AlexNet's conv4 while VGG-16 is still on its way.
      await page.getByTestId("layer-select").selectOption("conv4");
      await idle(page);
      await page.getByTestId("select-top-selective").click();
      await idle(page);
      const before = await pressed(page);
      assert.ok(before > 0, "top selective units of conv4 selected");
      release();
      await inUse(page, server, "vgg16-imagenet-conv");
      assert.equal(await page.getByTestId("layer-select").inputValue(), "conv4_3", "the layer at the same depth");
      assert.equal(await pressed(page), before, "as many of the layer's most selective units");
      assert.match(await page.locator(".notice").allTextContents().then((t) => t.join(" ")),
        /Switched from .*AlexNet.* to .*VGG-16.*same image, layer conv4_3, the layer's most selective units/);
      assert.match(await page.locator(".readout-card h2").textContent(), /first-visit\.png/, "the same image");
      assert.ok(page.url().includes("model=vgg16-imagenet-conv"), page.url());
      assert.equal(await page.getByTestId("error").textContent(), "");

      // Offline copies come from what the page already fetched: nothing is sent twice.
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
      await quiet(server);
      assert.deepEqual(sentTwice(server.log), [], "a first visit sends each file once");
      const weights = server.log.filter((e) => e.path.includes("/weights/") && e.path.includes(".safetensors"));
      assert.deepEqual(weights.map((e) => e.path).sort(),
        ["/weights/alexnet-imagenet-conv.safetensors.planes", "/weights/vgg16-imagenet-conv.safetensors.planes"],
        "the packed weights, each once");

      // A returning visitor starts on VGG-16 from the cache and downloads no weights.
      const mark = server.log.length;
      const again = await context.newPage();
      const back = await visit(again, server, "", img);
      assert.equal(back.error, "");
      assert.equal(back.model, "vgg16-imagenet-conv", "a returning visitor starts on the paper's network");
      const fetched = server.log.slice(mark).filter((e) => e.path.includes("/weights/") && e.path.includes(".safetensors"));
      assert.deepEqual(fetched, [], "a returning visit fetches no weights");
      // Nor anything else the cache holds: only index.html is asked of the network (and sw.js,
      // the browser's own update check).
      const resent = server.log.slice(mark).filter((e) => !/\/(index\.html|sw\.js|favicon\.ico)?$/.test(e.path));
      assert.deepEqual(resent.map((e) => e.path), [], "a returning visit answers from the cache");
      console.log(`first visit: first readout (AlexNet) ${(first.readoutAt - first.start) / 1000} s after ` +
        `${(first10.bytes / 1e6).toFixed(1)} MB (modelled at 10 Mbit/s: ${first10.seconds.toFixed(1)} s); ` +
        `returning visit: readout ${(back.readoutAt - back.start) / 1000} s, ` +
        `${(server.log.slice(mark).reduce((a, e) => a + e.bytes, 0) / 1e6).toFixed(2)} MB sent`);
    } finally {
      await browser.close();
    }
  });

test("a site that does not deploy the quick start's weights starts on VGG-16, with no error", { timeout: 600_000 }, async () => {
  const bare = await serve({ gzip: true, hide: (p) => p.includes("/alexnet-imagenet-conv.safetensors") });
  const browser = await launch(NO_WEBGPU);
  try {
    const page = await browser.newPage();
    const img = await testImage("no-quick-start.png", 29);
    await page.goto(bare.base);
    await page.getByTestId("upload-input").setInputFiles(img);
    await inUse(page, bare, "vgg16-imagenet-conv");
    assert.equal(await page.getByTestId("error").textContent(), "");
    assert.equal(await page.getByTestId("upgrade").count(), 0, "nothing is downloading behind it");
  } finally {
    await browser.close();
    bare.close();
  }
});
