// Bad images: corrupt, truncated, not an image, too many pixels, too many bytes. Each gets a
// specific error; the previous image and its readout stay, and the app keeps working.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { crc32, deflateSync } from "node:zlib";
import path from "node:path";
import { serve, testImage, launch, openApp, idle, NO_WEBGPU, readout, refusedWith } from "./helpers.mjs";

let server;
before(async () => { server = await serve(); });
after(() => server?.close());

/** A well-formed PNG whose header claims `w × h` gray pixels (with one tiny data chunk). */
function pngClaiming(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (gray), no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(64))), chunk("IEND", Buffer.alloc(0))]);
}

test("bad uploads each get a specific error and lose nothing", { timeout: 600_000 }, async () => {
  const good = await testImage("good.png", 11);
  const dir = path.dirname(good);
  const png = await readFile(good);
  const bad = {
    "corrupt.jpg": [Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3000, 0x5a)]), /corrupt|unsupported/],
    "truncated.png": [png.subarray(0, png.length >> 1), /corrupt or truncated/],
    "notes.png": [Buffer.from("just some text, not a picture\n".repeat(20)), /not an image/],
    "huge.png": [pngClaiming(100_000, 100_000), /too large to decode safely/],
    "big.jpg": [Buffer.alloc(65 * 1024 * 1024, 1), /the limit is 64 MB/],
  };
  const browser = await launch(NO_WEBGPU);
  try {
    const { page } = await openApp(browser, server.base + "?model=alexnet-untrained&layer=conv5");
    await page.getByTestId("upload-input").setInputFiles(good);
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant);
    await idle(page);
    const before = await readout(page);
    for (const [name, [bytes, reason]] of Object.entries(bad)) {
      const err = await refusedWith(page, "upload-input", dir, name, bytes);
      assert.match(err, reason, `${name}: ${err}`);
      assert.match(err, /previous image is kept/);
      assert.deepEqual(await readout(page), before, `${name}: the readout is untouched`);
      console.log(err);
    }
    // Still working, on the good image: an intervention changes the readout and clears the error.
    await page.getByTestId("select-top-selective").click();
    await page.waitForFunction((b) => {
      const e = document.querySelector('[data-testid="readout"]');
      return ["pleasant", "neutral", "unpleasant"].some((k, i) => Number(e.dataset[k]) !== b[i]);
    }, before, { timeout: 120_000 });
    await idle(page);
    assert.equal(await page.getByTestId("error").textContent(), "");
  } finally {
    await browser.close();
  }
});
