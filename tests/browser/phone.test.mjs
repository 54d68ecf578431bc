// Phones: at 390×844 with touch both journeys work by tapping, the page never scrolls
// sideways, every touch target is at least 44 px, and audio starts on the first tap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, open, FIXTURE_SONGS, trainTiny, PHONE } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(() => server.close());

/** Sideways overflow of the page and the touch targets under 44 px (a checkbox counts by its label). */
function layout(page) {
  return page.evaluate(() => {
    const visible = (e) => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; };
    const small = [...document.querySelectorAll('button, select, input, label.button, a[href]')]
      .filter(visible)
      .map((e) => (e.matches('input[type=checkbox], input[type=radio], input[type=file]') && e.closest('label')) || e)
      .filter((e) => { const b = e.getBoundingClientRect(); return b.height < 44 || b.width < 44; })
      .map((e) => `${e.tagName.toLowerCase()} ${e.dataset.testid ?? e.textContent.trim().slice(0, 20)}`);
    return { overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth, small };
  });
}

test('on a phone both journeys work by touch, in one column, with 44 px targets', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url, PHONE);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });

    // Journey one: generate, play on the first tap, see the staff.
    await page.getByTestId('generate').tap();
    const card = page.getByTestId('tune').first();
    await card.waitFor({ timeout: 60_000 });
    await card.locator('[data-testid=staff][data-drawn=true]').waitFor({ timeout: 30_000 });
    await card.getByTestId('play').tap();
    await page.locator('[data-testid=audio-state][data-running=true]').waitFor({ state: 'attached', timeout: 10_000 });
    await card.getByTestId('stop').tap();

    // Journey two: upload, train a tiny model one epoch, generate with it.
    await page.getByTestId('upload-files').setInputFiles(FIXTURE_SONGS);
    await page.getByTestId('corpus-report').waitFor({ timeout: 60_000 });
    await trainTiny(page, 'Phone', { tap: true });

    const { overflow, small } = await layout(page);
    assert.equal(overflow, 0, 'the page scrolls sideways');
    assert.deepEqual(small, [], 'touch targets under 44 px');
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});
