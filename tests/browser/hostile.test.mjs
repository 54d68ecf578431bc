// Hostile input in the page: markup in file names, titles, model names and share links is
// shown as text; huge or malformed links and forged model files are refused with a clear
// message naming the problem (and the file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serve, browser, open, trainTiny } from './harness.mjs';

const MARKUP = '<img src=x onerror="window.__pwned=1">';
const MODEL = readFileSync(new URL('../../public/models/german.mdl', import.meta.url));

let server;
before(async () => { server = await serve(); });
after(() => server.close());

/** No element built from the markup, no script run. */
async function assertInert(page) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'injected script ran');
  assert.equal(await page.locator('img[src=x]').count(), 0, 'markup became an element');
}

test('markup in file names, song titles, tune titles, model names and links is text', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    // Six different little songs (different openings, so the split has every part).
    const notes = ['c', 'd', 'e', 'f', 'g', 'a', 'b'];
    const kern = (title, n) => `!!!OTL: ${title}\n**kern\n*M2/4\n*k[]\n*C:\n`
      + [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `=${i + 1}\n4${notes[(i * n) % 7]}\n4${notes[(i + n) % 7]}\n`).join('')
      + '==\n*-\n';
    const files = [
      { name: `${MARKUP}.krn`, mimeType: 'text/plain', buffer: Buffer.from('\u0000\u0001binary') },
      ...[1, 2, 3, 4, 5, 6].map((n) => ({ name: `song${n}.krn`, mimeType: 'text/plain', buffer: Buffer.from(kern(`${MARKUP} ${n}`, n)) })),
    ];
    await page.getByTestId('upload-files').setInputFiles(files);
    await page.getByTestId('corpus-report').waitFor({ timeout: 60_000 });
    assert.ok((await page.getByTestId('problems').textContent()).includes(MARKUP), 'the file name shows as text');

    await trainTiny(page, MARKUP);
    await page.locator('[data-testid=stored-model]', { hasText: MARKUP }).first().waitFor({ timeout: 10_000 });

    await page.getByTestId('generate').click();
    const card = page.getByTestId('tune').first();
    await card.waitFor({ timeout: 60_000 });
    await card.getByTestId('title').fill(MARKUP);
    await card.getByTestId('title').dispatchEvent('change');
    await card.getByTestId('share').click();
    const link = await card.getByTestId('share-link').inputValue();
    await assertInert(page);

    const fresh = await chrome.newContext();
    const shared = await fresh.newPage();
    await shared.goto(link);
    await shared.getByTestId('tune').first().waitFor({ timeout: 60_000 });
    assert.equal(await shared.getByTestId('title').first().inputValue(), MARKUP);
    await assertInert(shared);
    await fresh.close();
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});

test('huge and malformed share links get a clear message', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    for (const [fragment, message] of [
      [`tune=${'A'.repeat(200_000)}`, /more than a tune of 1024 steps/],
      ['tune=%%%<script>', /does not hold a Melodeon tune/],
      ['tune=TQI', /does not hold a Melodeon tune/],
    ]) {
      const { page, errors } = await open(chrome, `${server.url}#${fragment}`);
      await page.getByTestId('notice').waitFor({ timeout: 60_000 });
      assert.match(await page.getByTestId('notice').textContent(), message);
      assert.equal(await page.getByTestId('tune').count(), 0);
      assert.deepEqual(errors, []);
      await page.context().close();
    }
  } finally {
    await chrome.close();
  }
});

test('forged model files are refused with the file and the problem named', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    const lying = Buffer.from(MODEL);
    lying.writeUInt32LE(0xfffffff0, 12); // a header length far beyond the file
    const huge = Buffer.concat([MODEL.subarray(0, 24), Buffer.from(`{"name":"${'x'.repeat(3_000_000)}"}`)]);
    huge.writeUInt32LE(huge.length - 24, 12);
    huge.writeUInt32LE(0, 16);
    for (const [name, buffer, problem] of [
      ['lying.mdl', lying, /truncated/],
      ['huge-header.mdl', huge, /corrupted|header is invalid/],
      ['song.mdl', Buffer.from('**kern\n*-\n'), /not a Melodeon model file/],
    ]) {
      await page.getByTestId('load-model').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
      const shown = page.getByTestId('load-model-error');
      await page.waitForFunction((n) => document.querySelector('[data-testid=load-model-error]')?.textContent.includes(n), name, { timeout: 30_000 });
      const text = await shown.textContent();
      assert.match(text, problem, text);
    }
    assert.equal(await page.getByTestId('stored-model').count(), 1, 'only the pretrained model is listed');
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});

test('10,000 tiny files in one upload: progress shows and the page never stalls 200 ms', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    // Every tenth file is not a song; the others are two-bar songs of their own.
    const letters = ['c', 'd', 'e', 'f', 'g', 'a', 'b'];
    const files = Array.from({ length: 10_000 }, (_, i) => ({
      name: `tiny-${i}.krn`,
      mimeType: 'text/plain',
      buffer: Buffer.from(i % 10 === 9
        ? `not a song ${i}`
        : `!!!SCT: X${i}\n**kern\n*M2/4\n*C:\n=1\n4${letters[i % 7]}\n4${letters[(i >> 3) % 7]}\n=2\n2${letters[(i >> 6) % 7]}\n==\n*-\n`),
    }));
    // Long tasks (over 50 ms) on the main thread from the moment the page is told of the
    // files (the change event), and whether a progress bar was shown. The browser's own work
    // of putting 10,000 files on the input comes before that moment, in the same task.
    await page.evaluate(() => {
      window.__longest = 0;
      window.__progress = false;
      window.__chosen = Infinity;
      document.addEventListener('change', () => { window.__chosen = performance.now(); }, true);
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const end = entry.startTime + entry.duration;
          const ours = end - Math.max(entry.startTime, window.__chosen);
          window.__longest = Math.max(window.__longest, ours);
        }
      }).observe({ type: 'longtask' });
      new MutationObserver(() => {
        if (document.querySelector('[data-testid=corpus-progress]')) window.__progress = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByTestId('upload-files').setInputFiles(files);
    const report = page.getByTestId('corpus-report');
    await report.waitFor({ timeout: 180_000 });
    assert.equal(Number(await report.getAttribute('data-files')), 10_000);
    assert.equal(Number(await report.getAttribute('data-accepted')), 9_000);
    assert.equal(Number(await report.getAttribute('data-failed')), 1_000);
    const { longest, progress } = await page.evaluate(() => ({ longest: window.__longest, progress: window.__progress }));
    assert.ok(progress, 'a progress bar was shown');
    assert.ok(longest < 200, `the main thread stalled for ${longest} ms`);
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});
