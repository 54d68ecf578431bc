// Browser benchmark (not a test): speed of the seed's training step and of generation in
// headless Chromium on each CPU backend, page load times on both backends, and transfer sizes.
// Run with `./dev bench`. Prints one JSON object; every figure is the median of RUNS runs.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve, browser, open } from './harness.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Parsing + encoding the Erk corpus (both formats) in the page, median of RUNS. */
async function corpusSpeed(page) {
  const roots = ['../shared/corpus/erk-kern', '../shared/corpus/esac/erk'].filter(existsSync);
  if (roots.length === 0) return 'skipped: ../shared/corpus is absent';
  const out = {};
  for (const root of roots) {
    const files = readdirSync(root).map((name) => ({ name, bytes: [...readFileSync(join(root, name))] }));
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      runs.push(JSON.parse(await page.evaluate((list) => window.wasmBindings.melodeon_corpus_bench(
        list.map((f) => ({ name: f.name, bytes: new Uint8Array(f.bytes) }))), files)));
    }
    out[root] = { ...runs[0], ms: median(runs.map((r) => r.ms)) };
  }
  return out;
}

const server = await serve();
const results = { runs: RUNS, backends: {}, load: {} };
for (const webgpu of [false, true]) {
  const name = webgpu ? 'webgpu' : 'cpu';
  const ready = [], firstTune = [], genMs = [];
  for (let run = 0; run < RUNS; run++) {
    const chrome = await browser({ webgpu });
    const { page } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 600_000 });
    ready.push(await page.evaluate(() => performance.now()));
    await page.getByTestId('max-len').fill('256');
    await page.getByTestId('max-len').dispatchEvent('change');
    await page.getByTestId('generate').click();
    await page.getByTestId('tune').first().waitFor({ timeout: 600_000 });
    firstTune.push(await page.evaluate(() => performance.now()));
    genMs.push(Number(await page.getByTestId('generation-ms').getAttribute('data-ms')));
    if (!webgpu && run === 0) {
      results.backends = JSON.parse(await page.evaluate(() => window.wasmBindings.melodeon_bench(10)));
      results.corpus = await corpusSpeed(page);
    }
    await chrome.close();
  }
  results.load[name] = {
    model_ready_ms: median(ready),
    first_tune_ms: median(firstTune),
    generate_click_to_shown_ms: median(genMs),
  };
}
await server.close();
console.log(JSON.stringify(results, null, 2));
