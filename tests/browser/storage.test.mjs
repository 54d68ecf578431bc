// Storage failures: when the browser refuses IndexedDB (private windows, blocked storage) a
// trained model stays on the page, the page says so and offers the download; when
// localStorage is full the tune history says so and keeps working on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serve, browser, open, FIXTURE_SONGS, trainTiny } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(() => server.close());

test('without IndexedDB a trained model stays on the page, can be used and downloaded', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    await page.addInitScript(() => {
      Object.defineProperty(window, 'indexedDB', {
        get() { throw new DOMException('The user denied permission to access the database.', 'SecurityError'); },
      });
    });
    await page.reload();
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    assert.match(await page.getByTestId('notice').textContent(), /does not let Melodeon store models.*stay on this page only/);
    await page.getByTestId('upload-files').setInputFiles(FIXTURE_SONGS);
    await page.getByTestId('corpus-report').waitFor({ timeout: 60_000 });
    await trainTiny(page, 'Kept on the page');
    await page.waitForFunction(
      () => /kept on this page only: download it/.test(document.querySelector('[data-testid=notice]')?.textContent),
      null, { timeout: 10_000 },
    );
    const row = page.locator('[data-testid=stored-model][data-name="Kept on the page"][data-unsaved=true]');
    await row.waitFor({ timeout: 10_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('download-model').click()]);
    assert.ok((await readFileSync(await download.path())).subarray(0, 8).toString() === 'MELODEON', 'a model file');
    await row.getByTestId('use-model').click();
    await page.getByTestId('model-ready').waitFor({ timeout: 60_000 });
    const before = await page.getByTestId('tune').count();
    await page.getByTestId('generate').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=tune]').length > n, before, { timeout: 60_000 });
    assert.deepEqual(errors.filter((e) => !/IndexedDB|indexedDB|denied permission/.test(e)), []);
  } finally {
    await chrome.close();
  }
});

test('with localStorage full the history says so and keeps the tunes on the page', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    await page.addInitScript(() => {
      Storage.prototype.setItem = function () {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    });
    await page.reload();
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    for (const n of [1, 2]) {
      await page.getByTestId('generate').click();
      await page.waitForFunction((k) => document.querySelectorAll('[data-testid=tune]').length >= k, n, { timeout: 60_000 });
    }
    assert.match(await page.getByTestId('history-error').textContent(), /kept on this page only/);
    assert.equal(await page.getByTestId('tune').count(), 2);
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});
