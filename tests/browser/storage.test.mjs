// Storage failures: when the browser refuses IndexedDB (private windows, blocked storage) a
// trained model stays on the page, the page says so and offers the download; when
// localStorage is full the tune history says so and keeps working on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, browser, open } from './harness.mjs';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const songs = ['kern', 'esac']
  .flatMap((dir) => readdirSync(join(FIXTURES, dir)).map((f) => join(FIXTURES, dir, f)))
  .map((path) => ({ name: path.split('/').pop(), mimeType: 'text/plain', buffer: readFileSync(path) }));

let server;
before(async () => { server = await serve(); });
after(() => server.close());

async function setNumber(page, id, value) {
  await page.getByTestId(id).fill(String(value));
  await page.getByTestId(id).dispatchEvent('change');
}

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
    await page.getByTestId('upload-files').setInputFiles(songs);
    await page.getByTestId('corpus-report').waitFor({ timeout: 60_000 });
    await page.getByTestId('model-name').fill('Kept on the page');
    await setNumber(page, 'hidden', 16);
    await setNumber(page, 'epochs', 1);
    await setNumber(page, 'batch', 16);
    await page.getByTestId('train').click();
    await page.getByTestId('train-outcome').waitFor({ timeout: 120_000 });
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
