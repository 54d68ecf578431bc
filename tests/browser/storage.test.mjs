// Storage failures: when the browser refuses IndexedDB (private windows, blocked storage) a
// trained model stays on the page, the page says so and offers the download; when
// localStorage is full the tune history says so and keeps working on the page; two tabs
// never overwrite each other's tunes or models.
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

test("two tabs never overwrite each other's tunes or models", async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { context, page: a, errors } = await open(chrome, server.url);
    const b = await context.newPage();
    b.on('pageerror', (err) => errors.push(`tab b: ${err}`));
    b.on('console', (msg) => { if (msg.type() === 'error') errors.push(`tab b: ${msg.text()}`); });
    await b.goto(server.url);
    const tunes = (page) => page.getByTestId('tune');
    const ids = (page) => tunes(page).evaluateAll((cards) => cards.map((c) => c.dataset.id));
    const showing = (page, n) => page.waitForFunction((k) => document.querySelectorAll('[data-testid=tune]').length === k, n, { timeout: 60_000 });
    for (const page of [a, b]) await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });

    // The tabs take turns; neither reloads, so each writes while its list is the older one.
    for (const [turn, page] of [a, b, a, b].entries()) {
      await page.getByTestId('generate').click();
      await showing(page, turn + 1);
    }
    await showing(a, 4);
    assert.deepEqual(await ids(a), await ids(b), 'both tabs list the same four tunes, newest first');

    // Edits in both tabs to different tunes, and a delete, reach the other tab.
    const [newest, , , oldest] = await ids(a);
    const card = (page, id) => page.locator(`[data-testid=tune][data-id="${id}"]`);
    await card(a, newest).getByTestId('title').fill('Renamed in tab A');
    await card(a, newest).getByTestId('title').dispatchEvent('change');
    await card(b, oldest).getByTestId('star').click();
    await b.waitForFunction((id) => document.querySelector(`[data-testid=tune][data-id="${id}"] [data-testid=title]`)?.value === 'Renamed in tab A', newest);
    await card(a, oldest).locator('[data-testid=star][aria-pressed=true]').waitFor({ timeout: 10_000 });
    await card(b, await ids(b).then((list) => list[1])).getByTestId('delete').click();
    await showing(a, 3);

    // After a reload each tab still has exactly what both did.
    for (const page of [a, b]) {
      await page.reload();
      await showing(page, 3);
      assert.equal(await card(page, newest).getByTestId('title').inputValue(), 'Renamed in tab A');
      assert.equal(await card(page, oldest).getByTestId('star').getAttribute('aria-pressed'), 'true');
    }

    // A model loaded in one tab appears in the other's list.
    await a.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    const models = (page) => page.getByTestId('stored-model').count();
    const before = await models(b);
    const model = readFileSync(new URL('../../public/models/german.mdl', import.meta.url));
    await a.getByTestId('load-model').setInputFiles({ name: 'copy.mdl', mimeType: 'application/octet-stream', buffer: model });
    await b.waitForFunction((n) => document.querySelectorAll('[data-testid=stored-model]').length > n, before, { timeout: 30_000 });
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});

test('tunes saved by the earlier one-list store are kept after the update', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    await page.getByTestId('generate').click();
    await page.getByTestId('tune').first().waitFor({ timeout: 60_000 });
    // Rewrite the storage as the earlier version kept it: one array under melodeon.tunes.
    await page.evaluate(() => {
      const keys = Object.keys(localStorage).filter((k) => k.startsWith('melodeon.tune.'));
      localStorage.setItem('melodeon.tunes', JSON.stringify(keys.map((k) => JSON.parse(localStorage.getItem(k)))));
      for (const k of keys) localStorage.removeItem(k);
    });
    await page.reload();
    await page.getByTestId('tune').first().waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('tune').count(), 1);
    assert.deepEqual(await page.evaluate(() => [localStorage.getItem('melodeon.tunes'), Object.keys(localStorage).filter((k) => k.startsWith('melodeon.tune.')).length]), [null, 1]);
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});
