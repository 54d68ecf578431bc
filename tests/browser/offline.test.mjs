// Offline use: after one visit the service worker has cached the page, the wasm, the worker
// and the shipped model; with the network off the page opens, generates, plays, reads an
// upload and trains. It installs as an app (web manifest).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, open, FIXTURE_SONGS, trainTiny } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(() => server.close());

test('after one visit the page opens, generates, plays and trains with the network off', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { context, page, errors } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    // The service worker has cached every file once it controls the page.
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 120_000 });
    const manifest = await page.evaluate(async () => (await fetch('manifest.webmanifest')).json());
    assert.equal(manifest.name, 'Melodeon');
    assert.equal(manifest.display, 'standalone');

    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    const before = await page.getByTestId('tune').count();
    await page.getByTestId('generate').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=tune]').length > n, before, { timeout: 60_000 });
    const card = page.getByTestId('tune').first();
    await card.locator('[data-testid=staff][data-drawn=true]').waitFor({ timeout: 30_000 });
    await card.getByTestId('play').click();
    await page.locator('[data-testid=audio-state][data-running=true]').waitFor({ state: 'attached', timeout: 10_000 });
    await card.getByTestId('stop').click();
    const icon = await page.evaluate(async (src) => (await fetch(src)).status, manifest.icons[0].src);
    assert.equal(icon, 200, 'the app icon is cached');

    // The training worker starts from the cache too: read an upload and train one epoch.
    await page.getByTestId('upload-files').setInputFiles(FIXTURE_SONGS);
    await page.getByTestId('corpus-report').waitFor({ timeout: 60_000 });
    await trainTiny(page, 'Offline');
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});

test('a new version waits until the user takes it, then replaces the old one whole', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 120_000 });
    const caches = () => page.evaluate(async () => (await window.caches.keys()).sort());
    const [old] = await caches();

    // The next build: the same files under a new version.
    server.rewrite('/sw.js', (text) => text.replace(/const VERSION = "([^"]*)"/, 'const VERSION = "$1-next"'));
    await page.reload();
    await page.getByTestId('update-ready').waitFor({ timeout: 120_000 });
    assert.deepEqual(await caches(), [old, `${old}-next`].sort(), 'the new version waits beside the old');
    await Promise.all([page.waitForEvent('load'), page.getByTestId('update-ready').getByRole('button').click()]);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    await page.waitForFunction(async (next) => (await window.caches.keys()).join() === next, `${old}-next`, { timeout: 30_000 });
    assert.equal(await page.getByTestId('update-ready').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});
