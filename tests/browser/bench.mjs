// Browser benchmark (not a test): speed of the seed's training step and of generation in
// headless Chromium on each CPU backend, page load times on both backends, and journey two on
// the Erk corpus (training speed in the worker, main-thread stalls, memory).
// Run with `./dev bench` (QUICK=1 / QUICK=webgpu: journey two on one backend only; QUICK=kernels: the
// LSTM's GPU kernels against the composed layer on WebGPU; QUICK=cpu: the seed's step on the
// page's CPU backends, with PROFILE=1 also where its time goes; LONG_RUN=20: memory over a
// 20-epoch whole-song run on Erk; FINISH_EPOCHS=2: how long the page takes after a 2-epoch run's
// last step, for the test songs and the end's calibration). Prints one JSON object; every
// figure is the median of RUNS runs.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serve, browser, open } from './harness.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const DIST = process.env.MELODEON_DIST ?? 'dist';
/** The Erk collection the journeys on it read (beside the repository, not in it). */
const ERK = '../shared/corpus/erk-kern';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Loads the worker's module (with burn; named in the page's meta tags) into the page, as
 * `window.melodeonWorker`, for its benchmark functions.
 */
async function loadWorkerModule(page) {
  await page.evaluate(async () => {
    const named = (name) => new URL(document.querySelector(`meta[name="${name}"]`).content, document.baseURI).href;
    const module = await import(named('melodeon-worker-module'));
    await module.default({ module_or_path: named('melodeon-worker-wasm') });
    window.melodeonWorker = module;
  });
}

/** Parsing + encoding the Erk corpus (both formats) in the page, median of RUNS. */
async function corpusSpeed(page) {
  const roots = ['../shared/corpus/erk-kern', '../shared/corpus/esac/erk'].filter(existsSync);
  if (roots.length === 0) return 'skipped: ../shared/corpus is absent';
  const out = {};
  for (const root of roots) {
    const files = readdirSync(root).map((name) => ({ name, bytes: [...readFileSync(join(root, name))] }));
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      runs.push(JSON.parse(await page.evaluate((list) => window.melodeonWorker.melodeon_corpus_bench(
        list.map((f) => ({ name: f.name, bytes: new Uint8Array(f.bytes) }))), files)));
    }
    out[root] = { ...runs[0], ms: median(runs.map((r) => r.ms)) };
  }
  return out;
}

/**
 * Resident memory of the page's renderer process (the page and its worker; the largest of
 * Chromium's renderers, the others being small helpers), in MB.
 */
function rendererMb() {
  const ps = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8' });
  return Math.max(...ps.split('\n').filter((l) => l.includes('--type=renderer'))
    .map((l) => Number(l.trim().split(/\s+/)[0]) / 1024));
}

/**
 * Journey two on the Erk **kern files (copied `copies` times under other names): upload,
 * then train with the page's defaults for `seconds`; reports parse time, the worker's
 * training speed, the longest main-thread stall and the renderer's peak memory.
 */
async function trainOnErk({ webgpu, copies, seconds }) {
  if (!existsSync(ERK)) return 'skipped: ../shared/corpus is absent';
  // Paths, not buffers: playwright hands local paths to the browser directly.
  const names = readdirSync(ERK);
  const files = [];
  for (let copy = 0; copy < copies; copy++) {
    const dir = copy === 0 ? ERK : mkdtempSync(join(tmpdir(), 'erk-copy-'));
    for (const name of names) {
      if (copy > 0) copyFileSync(join(ERK, name), join(dir, `${copy}-${name}`));
      files.push(join(dir, copy === 0 ? name : `${copy}-${name}`));
    }
  }
  const chrome = await browser({ webgpu });
  const { page } = await open(chrome, server.url);
  await page.getByTestId('model-ready').waitFor({ timeout: 600_000 });
  const atLoad = rendererMb();
  let peak = atLoad;
  const sampler = setInterval(() => { peak = Math.max(peak, rendererMb()); }, 500);
  const t0 = Date.now();
  await page.getByTestId('upload-files').setInputFiles(files, { timeout: 600_000 });
  const selectMs = Date.now() - t0;
  const report = page.getByTestId('corpus-report');
  await report.waitFor({ timeout: 600_000 });
  const parseMs = Date.now() - t0;
  const accepted = Number(await report.getAttribute('data-accepted'));
  await page.getByTestId('train-on').selectOption(webgpu ? 'gpu' : 'cpu');
  await page.getByTestId('train').click();
  await page.getByTestId('train-progress').waitFor({ timeout: 600_000 });
  await page.waitForTimeout(seconds * 1000);
  const progress = page.getByTestId('train-progress');
  const out = {
    songs: accepted,
    choose_files_ms: selectMs,
    read_parse_and_report_ms: parseMs - selectMs,
    backend: await page.getByTestId('train-started').getAttribute('data-backend'),
    steps: Number(await progress.getAttribute('data-step')),
    train_rate: Number(await progress.getAttribute('data-rate')),
    train_rate_unit: await progress.getAttribute('data-rate-unit'),
    worker_wasm_memory_mb: Number(await progress.getAttribute('data-memory')) / 1e6,
    longest_main_thread_stall_ms: Number(await page.getByTestId('longest-stall').getAttribute('data-ms')),
  };
  // A click during training is answered at once: time from click to the paused state.
  const c0 = Date.now();
  await page.getByTestId('pause').click();
  await page.getByTestId('pause').filter({ hasText: 'Resume' }).waitFor({ timeout: 600_000 });
  out.pause_click_to_shown_ms = Date.now() - c0;
  clearInterval(sampler);
  out.renderer_rss_at_load_mb = atLoad;
  out.renderer_peak_rss_mb = Math.max(peak, rendererMb());
  await chrome.close();
  return out;
}

/**
 * Uploads Erk into `page` once its model is ready, waits for the corpus report and sets
 * "Train on" to the CPU and, when given, the epochs.
 */
async function erkOnCpu(page, epochs) {
  await page.getByTestId('model-ready').waitFor({ timeout: 600_000 });
  await page.getByTestId('upload-files').setInputFiles(readdirSync(ERK).map((n) => join(ERK, n)), { timeout: 600_000 });
  await page.getByTestId('corpus-report').waitFor({ timeout: 600_000 });
  await page.getByTestId('train-on').selectOption('cpu');
  if (epochs !== undefined) {
    await page.getByTestId('epochs').fill(String(epochs));
    await page.getByTestId('epochs').dispatchEvent('change');
  }
}

/**
 * The whole-song goal of issue 10: on the CPU, with the page's default settings on Erk, how
 * long from pressing "Train" until the validation NLL (whole songs, nats per token) is at or
 * below `target` (the seed recipe's whole-song test NLL on the same grouped split, measured
 * with `melodeon eval`). Wall-clock, validation included; gives up after `limit` seconds.
 */
async function erkToTarget({ target, limit }) {
  if (!existsSync(ERK)) return 'skipped: ../shared/corpus is absent';
  const chrome = await browser({ webgpu: false });
  const { page } = await open(chrome, server.url);
  await erkOnCpu(page);
  const t0 = Date.now();
  await page.getByTestId('train').click();
  const curve = [];
  let reached = null;
  while ((Date.now() - t0) / 1000 < limit) {
    await page.waitForTimeout(250);
    const chart = page.getByTestId('loss-chart');
    const points = Number(await chart.getAttribute('data-valid-points'));
    const nll = Number(await chart.getAttribute('data-valid-last'));
    if (points > curve.length) {
      curve.push([Math.round((Date.now() - t0) / 100) / 10, Math.round(nll * 10000) / 10000]);
      if (nll <= target) { reached = curve.at(-1)[0]; break; }
    }
  }
  await chrome.close();
  return { target_nll: target, seconds_to_target: reached, validation_curve_s_nll: curve };
}

/**
 * Issue 14's long run: a whole-song run on Erk with the page's defaults for `epochs` epochs
 * on the CPU. After each epoch: the worker's WebAssembly memory, the page's JavaScript heap
 * (after a garbage collection) and the renderer's resident memory, in MB.
 */
async function longRun({ epochs }) {
  if (!existsSync(ERK)) return 'skipped: ../shared/corpus is absent';
  const chrome = await browser({ webgpu: false });
  const { page } = await open(chrome, server.url);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const pageHeapMb = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'JSHeapUsedSize').value / 1e6;
  };
  await erkOnCpu(page, epochs);
  const t0 = Date.now();
  await page.getByTestId('train').click();
  const rows = [];
  const chart = page.getByTestId('loss-chart');
  while (rows.length < epochs) {
    await page.waitForTimeout(500);
    const points = Number(await chart.getAttribute('data-valid-points').catch(() => 0));
    if (points > rows.length) {
      rows.push({
        epoch: points,
        seconds: Math.round((Date.now() - t0) / 1000),
        worker_wasm_mb: Number(await page.getByTestId('train-progress').getAttribute('data-memory')) / 1e6,
        page_js_heap_mb: Math.round((await pageHeapMb()) * 10) / 10,
        renderer_rss_mb: Math.round(rendererMb()),
      });
      console.error(JSON.stringify(rows.at(-1)));
    }
  }
  await chrome.close();
  const growth = (key) => Math.round((rows.at(-1)[key] / rows[0][key] - 1) * 1000) / 10;
  return {
    epochs: rows,
    growth_percent_epoch_1_to_last: {
      worker_wasm: growth('worker_wasm_mb'),
      page_js_heap: growth('page_js_heap_mb'),
      renderer_rss: growth('renderer_rss_mb'),
    },
  };
}

/**
 * What training in the page does after its last step: a whole-song run on Erk with the page's
 * defaults for `epochs` epochs on the CPU, then the seconds from the "finishing" notice (the
 * test songs and the end's calibration, `recipe::PAGE_CALIBRATION_ROUNDS`) to the trained model.
 */
async function finishing({ epochs }) {
  if (!existsSync(ERK)) return 'skipped: ../shared/corpus is absent';
  const chrome = await browser({ webgpu: false });
  const { page } = await open(chrome, server.url);
  await erkOnCpu(page, epochs);
  const t0 = Date.now();
  await page.getByTestId('train').click();
  await page.getByTestId('train-finishing').waitFor({ timeout: 1_200_000 });
  const t1 = Date.now();
  await page.getByTestId('train-outcome').waitFor({ timeout: 600_000 });
  const t2 = Date.now();
  await chrome.close();
  return { epochs, training_s: (t1 - t0) / 1000, finishing_s: (t2 - t1) / 1000 };
}

/** In the page: the times (performance.now) the model-ready mark and the first tune appear. */
function markMoments() {
  window.__moments = {};
  const seen = () => {
    const now = performance.now();
    if (!window.__moments.ready && document.querySelector('[data-testid=model-ready]')) window.__moments.ready = now;
    if (!window.__moments.tune && document.querySelector('[data-testid=tune]')) {
      window.__moments.tune = now;
      // Everything the page had asked for by then (the document itself, then its resources).
      window.__moments.fetched = [location.href, ...performance.getEntriesByType('resource')
        .filter((e) => e.startTime <= now).map((e) => e.name)];
    }
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
}

/** The `top` functions of a CPU profile by their own samples, as "percent name". */
function topFunctions(profile, top) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName || '(anonymous)']));
  const own = new Map();
  for (const id of profile.samples) own.set(nodes.get(id), (own.get(nodes.get(id)) ?? 0) + 1);
  return [...own.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, n]) => `${(100 * n / profile.samples.length).toFixed(1)} % ${name}`);
}

/** Bytes of `urls` (files of the served build) gzipped at level 9, in all and by file. */
function gzipped(urls) {
  const files = {};
  for (const url of new Set(urls.filter((u) => u.startsWith('http')))) {
    const path = new URL(url).pathname.replace(/^\//, '') || 'index.html';
    files[path] = gzipSync(readFileSync(join(DIST, path)), { level: 9 }).length;
  }
  return { total_bytes: Object.values(files).reduce((a, b) => a + b, 0), files };
}

const server = await serve();
if (process.env.FINISH_EPOCHS) {
  console.log(JSON.stringify(await finishing({ epochs: Number(process.env.FINISH_EPOCHS) }), null, 2));
  await server.close();
  process.exit(0);
}
if (process.env.LONG_RUN) {
  console.log(JSON.stringify(await longRun({ epochs: Number(process.env.LONG_RUN) }), null, 2));
  await server.close();
  process.exit(0);
}
if (process.env.TARGET_NLL) {
  console.log(JSON.stringify(await erkToTarget({ target: Number(process.env.TARGET_NLL), limit: Number(process.env.LIMIT_S ?? 300) }), null, 2));
  await server.close();
  process.exit(0);
}
// QUICK=kernels: only the LSTM on WebGPU in the page, as Melodeon's GPU kernels and composed
// from burn's tensor operations (the seed's step and the whole-song step).
async function webgpuLstmSpeed(page) {
  await loadWorkerModule(page);
  return JSON.parse(await page.evaluate(() => window.melodeonWorker.melodeon_bench(3, true)));
}
if (process.env.QUICK === 'kernels') {
  const chrome = await browser({ webgpu: true });
  const { page } = await open(chrome, server.url);
  await page.getByTestId('model-ready').waitFor({ timeout: 600_000 });
  console.log(JSON.stringify({ webgpu_lstm: await webgpuLstmSpeed(page) }, null, 2));
  await chrome.close();
  await server.close();
  process.exit(0);
}
// QUICK=cpu: only the seed's step and generation on each CPU backend in the page (RUNS runs).
if (process.env.QUICK === 'cpu') {
  const chrome = await browser({ webgpu: false });
  const { page } = await open(chrome, server.url);
  await page.getByTestId('model-ready').waitFor({ timeout: 600_000 });
  await loadWorkerModule(page);
  // PROFILE=1: Chromium's sampling profiler over the runs; the functions with the most samples.
  const profiler = process.env.PROFILE ? await page.context().newCDPSession(page) : null;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: 200 });
    await profiler.send('Profiler.start');
  }
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    runs.push(JSON.parse(await page.evaluate(() => window.melodeonWorker.melodeon_bench(10, false))));
  }
  const seed = runs.map((r) => r.flex.train_windows_per_s);
  const profile = profiler ? topFunctions((await profiler.send('Profiler.stop')).profile, 20) : undefined;
  console.log(JSON.stringify({ flex_train_windows_per_s: median(seed), runs: seed, last: runs[runs.length - 1], profile }, null, 2));
  await chrome.close();
  await server.close();
  process.exit(0);
}
const results = { runs: RUNS, backends: {}, load: {} };
// ONLY_TRAINING=1 skips to journey two's figures.
for (const webgpu of process.env.ONLY_TRAINING || process.env.QUICK === 'webgpu' ? [] : [false, true]) {
  const name = webgpu ? 'webgpu' : 'cpu';
  const ready = [], firstTune = [], genMs = [];
  let fetched = [];
  for (let run = 0; run < RUNS; run++) {
    const chrome = await browser({ webgpu });
    // The page notes when the model is ready and when the first tune card is in the document
    // (its own clock, without the test driver's polling delay).
    const { page } = await open(chrome, server.url, {}, markMoments);
    await page.getByTestId('model-ready').waitFor({ timeout: 600_000 });
    await page.getByTestId('generate').click();
    await page.getByTestId('tune').first().waitFor({ timeout: 600_000 });
    const moments = await page.evaluate(() => window.__moments);
    ready.push(moments.ready);
    firstTune.push(moments.tune);
    fetched = moments.fetched;
    genMs.push(Number(await page.getByTestId('generation-ms').getAttribute('data-ms')));
    if (!webgpu && run === 0 && process.env.QUICK !== 'load') {
      await loadWorkerModule(page);
      results.backends = JSON.parse(await page.evaluate(() => window.melodeonWorker.melodeon_bench(10, false)));
      results.corpus = await corpusSpeed(page);
    }
    if (webgpu && run === 0 && process.env.QUICK !== 'load') {
      results.webgpu_lstm = await webgpuLstmSpeed(page);
    }
    await chrome.close();
  }
  results.load[name] = {
    model_ready_ms: median(ready),
    first_tune_ms: median(firstTune),
    generate_click_to_shown_ms: median(genMs),
    downloaded_before_first_tune_gzip: gzipped(fetched),
  };
}
// QUICK=1 measures journey two on the CPU only, for 30 s; QUICK=webgpu on WebGPU, for 60 s;
// QUICK=load only the loads.
const quick = {
  1: async () => ({ cpu_erk: await trainOnErk({ webgpu: false, copies: 1, seconds: 30 }) }),
  webgpu: async () => ({ webgpu_erk: await trainOnErk({ webgpu: true, copies: 1, seconds: 60 }) }),
  load: async () => ({}),
}[process.env.QUICK];
results.training = quick ? await quick() : {
  cpu_erk: await trainOnErk({ webgpu: false, copies: 1, seconds: 60 }),
  cpu_erk_times_10: await trainOnErk({ webgpu: false, copies: 10, seconds: 30 }),
  webgpu_erk: await trainOnErk({ webgpu: true, copies: 1, seconds: 240 }),
};
await server.close();
console.log(JSON.stringify(results, null, 2));
