// The foundation: the page picks WebGPU where it can, falls back to the CPU, can be forced
// onto the CPU (kept across reloads), and its start-up LSTM pass equals the native one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, open, engineStatus, cliJson, maxAbsDiff } from './harness.mjs';

const TOLERANCE = 1e-4;
let server;
let reference;

before(async () => {
  server = await serve();
  reference = cliJson('backend', '--check').check;
  assert.equal(reference.length, 12 * 8, 'native reference has 12 positions × 8 logits');
});
after(() => server.close());

test('with WebGPU the page runs on the WebGPU adapter and matches the native numbers', async () => {
  const chrome = await browser({ webgpu: true });
  try {
    const { page, errors } = await open(chrome, server.url);
    const status = await engineStatus(page);
    assert.equal(status.state, 'ready');
    assert.equal(status.kind, 'webgpu', `expected WebGPU, got ${status.label}`);
    assert.match(status.label, /^WebGPU \(.+\)$/);
    assert.ok(maxAbsDiff(status.values, reference) < TOLERANCE, 'WebGPU logits differ from native');
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});

test('without WebGPU the page falls back to the CPU and gives the same numbers', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    const status = await engineStatus(page);
    assert.equal(status.state, 'ready');
    assert.equal(status.kind, 'cpu', `expected the CPU, got ${status.label}`);
    assert.match(await page.getByTestId('fallback-reason').textContent(), /WebGPU/);
    assert.ok(maxAbsDiff(status.values, reference) < TOLERANCE, 'CPU logits differ from native');
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});

test('the force-CPU setting switches to the CPU and survives a reload', async () => {
  const chrome = await browser({ webgpu: true });
  try {
    const { page } = await open(chrome, server.url);
    assert.equal((await engineStatus(page)).kind, 'webgpu');
    await Promise.all([page.waitForEvent('load'), page.getByTestId('force-cpu').check()]);
    let status = await engineStatus(page);
    assert.equal(status.kind, 'cpu');
    assert.match(await page.getByTestId('fallback-reason').textContent(), /forced/);
    await page.reload();
    status = await engineStatus(page);
    assert.equal(status.kind, 'cpu', 'setting lost on reload');
    assert.ok(await page.getByTestId('force-cpu').isChecked());
    assert.ok(maxAbsDiff(status.values, reference) < TOLERANCE);
  } finally {
    await chrome.close();
  }
});

test('a panic shows the error banner instead of a dead page', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page } = await open(chrome, `${server.url}?panic-test`);
    const banner = page.locator('#panic-banner');
    await banner.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await banner.textContent(), /internal error/);
  } finally {
    await chrome.close();
  }
});

test('the page runs under a strict Content-Security-Policy that blocks injected scripts', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    assert.equal((await engineStatus(page)).state, 'ready');
    const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    for (const directive of [
      "default-src 'self'", "worker-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
    ]) assert.ok(policy.includes(directive), `policy lacks ${directive}: ${policy}`);
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'( 'sha256-[A-Za-z0-9+/=]+')+;/);
    assert.deepEqual(errors, [], 'the page itself breaks no rule');
    // Markup that slipped through would not run: an injected inline script is refused.
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.head.append(script);
      await new Promise((ok) => setTimeout(ok, 100));
      return window.__injected === true;
    });
    assert.equal(ran, false, 'an injected inline script ran');
    assert.ok(errors.some((e) => e.startsWith('CSP violation: script-src')), `no violation seen: ${errors}`);
  } finally {
    await chrome.close();
  }
});
