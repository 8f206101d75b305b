// A cheap school laptop or phone is several times slower than this machine. With DevTools' 4×
// CPU throttling, lab interactions (analyse an example, focus a unit, lesion, random units,
// reset; VGG-16 on conv5_3, the 512-unit grid, CPU path; 40 of them, `NEURONS_INTERACTIONS` to
// change) run with no error, no main-thread task of 100 ms or more and at most two over 50 ms
// (three runs of 100 here: 0, 1 of 53 ms, 0; the figures are printed each run).
// `NEURONS_PROFILE=1` also samples the main thread and prints its heaviest functions.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, openApp, NO_WEBGPU } from "./helpers.mjs";

let server, browser;
before(async () => { server = await serve(); browser = await launch(NO_WEBGPU); });
after(async () => { await browser.close(); server.close(); });

const LONGTASKS = () => {
  window.__longtasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push([e.startTime, e.duration]); })
    .observe({ type: "longtask", buffered: true });
};

const N = Number(process.env.NEURONS_INTERACTIONS ?? 40);
/** The page is idle (polled every 250 ms: a poll on every frame would add main-thread work). */
const settled = (page) => page.waitForFunction(() =>
  document.querySelector('[data-testid="status"]')?.textContent === "ready", null, { timeout: 600_000, polling: 250 });

test(`4× CPU throttling: ${N} interactions, no error, no main-thread task of 100 ms, at most two over 50 ms`, { timeout: 1_200_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.addInitScript(LONGTASKS);
  const { page } = await openApp(context, server.base + "?model=vgg16-imagenet-conv&layer=conv5_3&backend=cpu&example=cat.jpg");
  await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant, null, { timeout: 600_000 });
  await settled(page);
  const cdp = await context.newCDPSession(page);
  const profiling = process.env.NEURONS_PROFILE === "1";
  if (profiling) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
  }
  // `NEURONS_TRACE=1`: a DevTools trace, and what each long task spent its time on.
  const tracing = process.env.NEURONS_TRACE === "1";
  const trace = [];
  if (tracing) {
    cdp.on("Tracing.dataCollected", (d) => trace.push(...d.value));
    await cdp.send("Tracing.start", { categories: "devtools.timeline,disabled-by-default-devtools.timeline", transferMode: "ReportEvents" });
  }
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  const t0 = await page.evaluate(() => performance.now());
  const examples = await page.getByTestId("example").count();
  const steps = [
    async (i) => { await page.getByTestId("example").nth(i % examples).click(); },
    async (i) => { await page.evaluate((u) => document.querySelectorAll('[data-testid="unit"]')[u].focus(), (i * 37) % 512); },
    async () => { await page.getByTestId("select-top-selective").click(); },
    async () => { await page.getByTestId("select-random").click(); },
    async () => { await page.getByTestId("reset").click(); },
  ];
  const kinds = ["example", "focus", "lesion", "random", "reset"];
  const starts = [];
  for (let i = 0; i < N; i++) {
    starts.push(await page.evaluate(() => performance.now()));
    await steps[i % steps.length](Math.floor(i / steps.length));
    await settled(page);
    assert.equal(await page.getByTestId("error").textContent(), "", `interaction ${i}`);
  }
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  const tasks = await page.evaluate((t) => window.__longtasks.filter(([s]) => s >= t), t0);
  const worst = Math.max(0, ...tasks.map(([, d]) => d));
  if (tracing) {
    const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
    await cdp.send("Tracing.end");
    await done;
    const names = new Map(trace.filter((e) => e.name === "thread_name").map((e) => [`${e.pid}:${e.tid}`, e.args.name]));
    for (const t of trace.filter((e) => e.name === "RunTask" && e.dur > 50_000 && names.get(`${e.pid}:${e.tid}`) === "CrRendererMain")) {
      const by = {};
      for (const k of trace) {
        if (k.pid !== t.pid || k.tid !== t.tid || k === t || !k.dur || k.ts < t.ts || k.ts + k.dur > t.ts + t.dur) continue;
        const key = k.name + (k.args?.data?.type ? `:${k.args.data.type}` : "") + (k.args?.data?.functionName ? `:${k.args.data.functionName}` : "");
        by[key] = (by[key] ?? 0) + k.dur / 1000;
      }
      console.log(`task ${(t.dur / 1000).toFixed(0)} ms: ` + Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", "));
    }
  }
  const during = (t) => { const i = starts.findLastIndex((s) => s <= t); return i < 0 ? "?" : `${kinds[i % kinds.length]} #${i}`; };
  console.log(`4× throttled, ${N} interactions: ${tasks.length} main-thread tasks over 50 ms, the longest ${worst.toFixed(0)} ms` +
    (tasks.length ? ` (${tasks.map(([s, d]) => `${Math.round(d)} ms during ${during(s)}`).join(", ")})` : ""));
  if (profiling) {
    const { profile } = await cdp.send("Profiler.stop");
    const self = new Map();
    const dt = profile.timeDeltas;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, k) => {
      const n = byId.get(id);
      const key = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}`;
      self.set(key, (self.get(key) ?? 0) + (dt[k] ?? 0) / 1000);
    });
    for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${ms.toFixed(0).padStart(7)} ms  ${k}`);
    console.log(JSON.stringify(tasks.map(([s, d]) => [Math.round(s - t0), Math.round(d)])));
  }
  assert.ok(worst < 100, `a main-thread task of ${worst.toFixed(0)} ms at 4×: ${JSON.stringify(tasks.map(([, d]) => Math.round(d)))}`);
  assert.ok(tasks.length <= 2, `${tasks.length} main-thread tasks over 50 ms at 4×`);
  // The instrument works under throttling: a busy task of the page's own is seen.
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  const t1 = await page.evaluate(() => {
    const t = performance.now();
    setTimeout(() => { const s = performance.now(); while (performance.now() - s < 120); }, 0);
    return t;
  });
  await page.waitForFunction((t) => window.__longtasks.some(([s, d]) => s >= t && d >= 110), t1, { timeout: 10_000 });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  await context.close();
});
