// A first visit as a new visitor on a school link makes it, and a return: the bytes the server
// sent (gzip for text and wasm, no caching headers, a fresh browser profile, CPU path) by file,
// and the modelled times at 10 Mbit/s (bytes sent before the moment at 10 Mbit/s plus the
// unthrottled visit's own time to it) of the first readout and of the paper's VGG-16 in use.
//   node bench/browser/first_visit.mjs [--rate-mbit 10]
// Three ways in, to show what each step saved: the default (quick start on AlexNet, VGG-16
// fetched behind it, weights packed); VGG-16 named in the link (packed); and VGG-16 named in the
// link with the packed files hidden (the plain .safetensors, as before the packing).
// Needs dist/ (trunk build --release) with weights/*.safetensors and *.planes.
import { serve, testImage, launch, NO_WEBGPU } from "../../tests/browser/helpers.mjs";
import { visit, inUse, quiet, sentTwice, modelled, byFile } from "../../tests/browser/visits.mjs";

const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : d; };
const rate = Number(arg("--rate-mbit", "10")) * 1e6 / 8;
const img = await testImage("first-visit-bench.png", 23);
const mb = (b) => (b / 1e6).toFixed(1);
const rows = [];

async function run(label, query, hide = () => false, detail = false) {
  const server = await serve({ gzip: true, hide });
  const browser = await launch(NO_WEBGPU);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const first = await visit(page, server, query, img);
    if (first.error) throw new Error(`${label}: ${first.error}`);
    const paperAt = await inUse(page, server, "vgg16-imagenet-conv");
    const a = modelled(server.log, first.start, first.readoutAt, rate);
    const b = modelled(server.log, first.start, paperAt, rate);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await quiet(server);
    const twice = sentTwice(server.log);
    const total = server.log.reduce((s, e) => s + e.bytes, 0);
    rows.push([label, `${first.model}: ${mb(a.bytes)} MB, ${((first.readoutAt - first.start) / 1e3).toFixed(1)} s → **${a.seconds.toFixed(1)} s**`,
      `${mb(b.bytes)} MB, ${((paperAt - first.start) / 1e3).toFixed(1)} s → **${b.seconds.toFixed(1)} s**`,
      `${mb(total)} MB`, twice.length ? twice.join(", ") : "none"]);
    if (detail) {
      console.log(`\n${label}: bytes sent by file before VGG-16 was in use (gzip on the wire)\n`);
      console.log("| file | MB |\n|---|---|");
      const files = byFile(server.log, 0, paperAt);
      for (const [p, n] of files.slice(0, 8)) console.log(`| ${p} | ${mb(n)} |`);
      const rest = files.slice(8);
      console.log(`| ${rest.length} other files | ${mb(rest.reduce((s, [, n]) => s + n, 0))} |`);
      const mark = server.log.length;
      const again = await context.newPage();
      const back = await visit(again, server, "", img);
      const weights = server.log.slice(mark).filter((e) => /safetensors/.test(e.path)).length;
      rows.push([`${label}, returning`, `${back.model}: ${((back.readoutAt - back.start) / 1e3).toFixed(2)} s unthrottled`,
        "–", `${mb(server.log.slice(mark).reduce((s, e) => s + e.bytes, 0))} MB (${weights} weights files)`, "–"]);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

await run("default: quick start on AlexNet, VGG-16 behind it", "", () => false, true);
await run("VGG-16 named in the link", "?model=vgg16-imagenet-conv");
await run("VGG-16 named in the link, weights not packed", "?model=vgg16-imagenet-conv", (p) => p.endsWith(".planes"));
console.log(`\nmodelled at ${rate * 8 / 1e6} Mbit/s: bytes sent before the moment / rate + the unthrottled time to it\n`);
console.log("| way in | first readout: sent, unthrottled → modelled | VGG-16 in use: sent, unthrottled → modelled | sent in all (offline copies included) | sent twice |");
console.log("|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
