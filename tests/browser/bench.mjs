// Browser benchmark (not a test): speed of the seed's training step and of generation in
// headless Chromium on each CPU backend, page load times on both backends, and transfer sizes.
// Run with `./dev bench`. Prints one JSON object; every figure is the median of RUNS runs.
import { serve, browser, open } from './harness.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await serve();
const results = { runs: RUNS, backends: {}, load: {} };
for (const webgpu of [false, true]) {
  const name = webgpu ? 'webgpu' : 'cpu';
  const ready = [], firstTune = [], genMs = [], bytes = [];
  for (let run = 0; run < RUNS; run++) {
    const chrome = await browser({ webgpu });
    const { page } = await open(chrome, server.url);
    let transferred = 0;
    page.on('response', async (r) => { try { transferred += (await r.body()).length; } catch {} });
    await page.getByTestId('model-ready').waitFor({ timeout: 600_000 });
    ready.push(await page.evaluate(() => performance.now()));
    await page.getByTestId('max-len').fill(webgpu ? '64' : '256');
    await page.getByTestId('max-len').dispatchEvent('change');
    await page.getByTestId('generate').click();
    await page.getByTestId('tune').first().waitFor({ timeout: 600_000 });
    firstTune.push(await page.evaluate(() => performance.now()));
    const tokens = (await page.getByTestId('tune').first().getAttribute('data-tokens')).split(' ').length;
    genMs.push(Number(await page.getByTestId('generation-ms').getAttribute('data-ms')) / tokens * 256);
    bytes.push(transferred);
    if (!webgpu && run === 0) {
      results.backends = JSON.parse(await page.evaluate(() => window.wasmBindings.melodeon_bench(10)));
    }
    await chrome.close();
  }
  results.load[name] = {
    model_ready_ms: median(ready),
    first_tune_ms: median(firstTune),
    generate_256_tokens_ms: median(genMs),
    bytes_transferred: median(bytes),
  };
}
await server.close();
console.log(JSON.stringify(results, null, 2));
