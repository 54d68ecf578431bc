// "How do these tunes compare?": for the shipped model (whose file carries its held-out
// songs' statistics) and for a model trained in the page, 200 tunes written in the worker are
// measured against the held-out songs: rates (among them the bars that repeat an earlier
// bar), per-feature overlaps, five histograms with text alternatives, and near copies (of the
// shipped model's training songs, from the index beside it, or of the uploaded songs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serve, browser, open, FIXTURE_SONGS, trainTiny } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(() => server.close());

/** Opens the panel, runs a comparison and returns what it shows. */
async function compare(page) {
  const panel = page.getByTestId('compare-panel');
  if ((await panel.getAttribute('open')) === null) await panel.locator('summary').click();
  await page.getByTestId('compare-run').click();
  const result = page.getByTestId('comparison');
  await result.waitFor({ timeout: 240_000 });
  return {
    tunes: Number(await result.getAttribute('data-tunes')),
    reference: Number(await result.getAttribute('data-reference')),
    lengthOverlap: Number(await result.getAttribute('data-overlap-length')),
    overlaps: await page.getByTestId('overlaps').locator('tbody tr').count(),
    charts: await page.getByTestId('compare-chart').evaluateAll((charts) => charts.map((c) => ({
      bars: c.querySelectorAll('svg rect').length,
      alternative: c.querySelector('[role=img]').getAttribute('aria-label'),
    }))),
    copiesChecked: await page.getByTestId('compare-copies').getAttribute('data-checked'),
    repeats: await result.locator('table.figures tr', { hasText: 'repeat an earlier bar' }).locator('td').allTextContents(),
  };
}

test('the comparison panel for the shipped model and for a model trained in the page', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });

    const shipped = await compare(page);
    assert.equal(shipped.tunes, 200);
    assert.equal(shipped.reference, 200, 'the shipped model file describes 200 held-out songs');
    assert.equal(shipped.overlaps, 13, 'one overlap per feature');
    assert.ok(shipped.lengthOverlap > 0.3 && shipped.lengthOverlap <= 1, `length overlap ${shipped.lengthOverlap}`);
    assert.equal(shipped.charts.length, 5);
    for (const chart of shipped.charts) {
      assert.ok(chart.bars > 10, 'bars drawn');
      assert.match(chart.alternative, /most common for your tunes .+, for the held-out songs .+\./);
    }
    assert.equal(shipped.copiesChecked, 'true', 'the shipped index of training songs is searched');
    assert.equal(shipped.repeats.length, 2);
    for (const share of shipped.repeats) assert.match(share, /^\d+ %$/, 'bars that repeat, in the tunes and in the held-out songs');
    // Every figure downloads as JSON, for those who want to work with them.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('compare-download').click()]);
    assert.equal(download.suggestedFilename(), 'melodeon-comparison.json');
    const figures = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(figures.report.features.length, 13);
    assert.equal(figures.generated.melodies, 200);
    assert.ok(Array.isArray(figures.copied));

    // A model trained in the page carries its own held-out songs; the upload is searched.
    await page.getByTestId('upload-files').setInputFiles(FIXTURE_SONGS);
    await page.getByTestId('corpus-report').waitFor({ timeout: 60_000 });
    await trainTiny(page, 'Compared');
    await page.getByTestId('use-trained').click();
    await page.getByTestId('model-ready').waitFor({ timeout: 60_000 });
    const trained = await compare(page);
    assert.equal(trained.tunes, 200);
    assert.ok(trained.reference >= 1 && trained.reference < 9, `${trained.reference} held-out fixture songs`);
    assert.equal(trained.copiesChecked, 'true');
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});
