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
