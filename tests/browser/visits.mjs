// A visit as a new visitor makes it, measured at the server (what it sent, and when), shared by
// the first-visit test and bench/browser/first_visit.mjs. Chromium's emulated throttling runs far
// below its nominal rate on these machines, so a slow link is modelled instead: the bytes sent
// before a moment at the link's rate, plus the unthrottled visit's own time to that moment.
export const MBIT10 = 10e6 / 8;

/** Bytes the server sent from log entry `from` up to `t` (ms on the server's clock). */
export function sentBy(log, t, from = 0) {
  return log.slice(from).filter((e) => e.t <= t).reduce((a, e) => a + e.bytes, 0);
}

/** `{ bytes, seconds }`: what a visit that began at `start` had been sent by `t`, and the
 * modelled time to `t` on a link of `rate` bytes/s. */
export function modelled(log, start, t, rate = MBIT10, from = 0) {
  const bytes = sentBy(log, t, from);
  return { bytes, seconds: bytes / rate + (t - start) / 1000 };
}

/** Paths the server sent more than once (status 200) from log entry `from` on. */
export function sentTwice(log, from = 0) {
  const n = new Map();
  for (const e of log.slice(from)) if (e.status === 200) n.set(e.path, (n.get(e.path) ?? 0) + 1);
  return [...n].filter(([, k]) => k > 1).map(([p, k]) => `${p} ×${k}`);
}

/** Bytes per path, largest first. */
export function byFile(log, from = 0, to = Infinity) {
  const n = new Map();
  for (const e of log.slice(from)) if (e.t <= to) n.set(e.path, (n.get(e.path) ?? 0) + e.bytes);
  return [...n].sort((a, b) => b[1] - a[1]);
}

/** Resolves once the server has sent nothing for `ms`. */
export async function quiet(server, ms = 3000) {
  for (;;) {
    const last = server.log.at(-1)?.t ?? 0;
    if (server.now() - last >= ms) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Opens `query` and uploads `image` as soon as the page lets a visitor; resolves with the
 * server-clock times of the first readout (and the network that gave it). */
export async function visit(page, server, query, image) {
  const start = server.now();
  await page.goto(server.base + query);
  await page.getByTestId("upload-input").setInputFiles(image, { timeout: 300_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.dataset.pleasant &&
    document.querySelector('[data-testid="status"]')?.textContent === "ready" ||
    document.querySelector('[data-testid="error"]')?.textContent, null, { timeout: 600_000, polling: 20 });
  const readoutAt = server.now();
  const error = await page.getByTestId("error").textContent();
  const model = await page.getByTestId("readout-model").getAttribute("data-model");
  return { start, readoutAt, model, error };
}

/** Waits until `model` is in use, idle and has given a readout; the server-clock time. */
export async function inUse(page, server, model) {
  await page.waitForFunction((m) => document.querySelector('[data-testid="model-select"]')?.value === m &&
    document.querySelector('[data-testid="readout-model"]')?.dataset.model === m &&
    document.querySelector('[data-testid="readout"]')?.dataset.pleasant &&
    document.querySelector('[data-testid="status"]')?.textContent === "ready", model, { timeout: 600_000, polling: 20 });
  return server.now();
}
