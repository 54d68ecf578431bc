// Journey two: upload fixtures (both formats, a zip and a bad file), read the report, train
// two short epochs of a tiny model on the CPU and on SwiftShader's WebGPU in the worker, see
// the loss fall, find the model saved after a reload, generate with it, download its file
// and load it back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, browser, open, FIXTURE_SONGS, LAYOUTS, pressFor } from './harness.mjs';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const files = [
  ...readdirSync(join(FIXTURES, 'kern')).map((f) => join(FIXTURES, 'kern', f)),
  ...readdirSync(join(FIXTURES, 'esac')).map((f) => join(FIXTURES, 'esac', f)),
  new URL('./fixtures/songs.zip', import.meta.url).pathname,
].map((path) => ({ name: path.split('/').pop(), mimeType: 'application/octet-stream', buffer: readFileSync(path) }));
const bad = [
  { name: 'noise.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)) },
  { name: 'empty.krn', mimeType: 'text/plain', buffer: Buffer.alloc(0) },
  { name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\x03\x04 this is not a zip') },
];

let server;
before(async () => { server = await serve(); });
after(() => server.close());

async function upload(page) {
  await page.getByTestId('upload-files').setInputFiles([...files, ...bad]);
  const report = page.getByTestId('corpus-report');
  await report.waitFor({ timeout: 60_000 });
  return {
    files: Number(await report.getAttribute('data-files')),
    accepted: Number(await report.getAttribute('data-accepted')),
    rejected: Number(await report.getAttribute('data-rejected')),
    failed: Number(await report.getAttribute('data-failed')),
  };
}

async function setNumber(page, id, value) {
  await page.getByTestId(id).fill(String(value));
  await page.getByTestId(id).dispatchEvent('change');
}

/** Trains a tiny model named `name`; returns what the page showed. */
async function train(page, name, { recipe, stride, timeout, on = 'cpu' }) {
  await page.getByTestId('model-name').fill(name);
  await page.getByTestId('recipe').selectOption(recipe);
  await setNumber(page, 'hidden', 16);
  await setNumber(page, 'epochs', 2);
  await setNumber(page, 'batch', 16);
  if (stride) await setNumber(page, 'stride', stride);
  await setNumber(page, 'lr', 0.01);
  await page.getByTestId('calibrate').click();
  const calibration = page.getByTestId('calibration');
  await calibration.waitFor({ timeout });
  const perEpoch = Number(await calibration.getAttribute('data-seconds-per-epoch'));
  const estimates = Number(await calibration.getAttribute('data-estimates'));
  // The estimate chose the faster device for "Train on"; the run below asks for `on`.
  const faster = await calibration.getAttribute('data-faster');
  assert.equal(await page.getByTestId('train-on').inputValue(), faster);
  await page.getByTestId('train-on').selectOption(on);
  // Whether the page ever says it is finishing (the test songs and the end's calibration).
  await page.evaluate(() => {
    window.finishingSeen = false;
    new MutationObserver(() => {
      window.finishingSeen ||= document.querySelector('[data-testid=train-finishing]') !== null;
    }).observe(document.body, { childList: true, subtree: true });
  });
  await page.getByTestId('train').click();
  const outcome = page.getByTestId('train-outcome');
  await outcome.waitFor({ timeout });
  // The outcome carries the saved model's card, architecture included.
  await outcome.locator('.architecture .layer').first().waitFor({ state: 'attached', timeout: 10_000 });
  const chart = page.getByTestId('loss-chart');
  const started = page.getByTestId('train-started');
  return {
    perEpoch,
    estimates,
    backend: await started.getAttribute('data-backend'),
    firstLoss: Number(await chart.getAttribute('data-train-first')),
    lastLoss: Number(await chart.getAttribute('data-train-last')),
    validPoints: Number(await chart.getAttribute('data-valid-points')),
    samples: await page.getByTestId('sample').count(),
    testNll: Number(await outcome.getAttribute('data-test-nll')),
    rate: Number(await page.getByTestId('train-progress').getAttribute('data-rate')),
    rateUnit: await page.getByTestId('train-progress').getAttribute('data-rate-unit'),
    stallMs: Number(await page.getByTestId('longest-stall').getAttribute('data-ms')),
    finishingSeen: await page.evaluate(() => window.finishingSeen),
    finishingLeft: await page.getByTestId('train-finishing').count(),
  };
}

function storedModel(page, name) {
  return page.locator(`[data-testid=stored-model][data-name="${name}"]`);
}

for (const webgpu of [false, true]) {
  const device = webgpu ? 'WebGPU' : 'CPU';
  test(`journey two on ${device}: upload, train, save, reload, generate, download, load back`, async () => {
    const chrome = await browser({ webgpu });
    try {
      const { context, page, errors } = await open(chrome, server.url);
      await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
      if (!webgpu) {
        assert.match(await page.getByTestId('privacy').textContent(), /nothing is uploaded/);
      }

      if (!webgpu) {
        // A file dropped on the page is read too.
        const text = readFileSync(join(FIXTURES, 'kern', 'two_songs.krn'), 'utf8');
        await page.getByTestId('dropzone').evaluate((zone, content) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([content], 'dropped.krn'));
          zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }, text);
        await page.locator('[data-testid=corpus-report][data-files="1"]').waitFor({ timeout: 60_000 });
      }

      // Upload: 7 fixture files, a zip of 2, a binary file, an empty file and a broken zip.
      const counts = await upload(page);
      assert.deepEqual(counts, { files: 12, accepted: 12, rejected: 6, failed: 3 });
      const table = page.getByTestId('problems');
      for (const reason of [/noise\.bin/, /empty file/, /damaged archive/]) assert.match(await table.textContent(), reason);
      assert.match(await table.textContent(), /triplet off the grid/);
      await page.getByTestId('problem-filter').fill('triplet');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=problem]').length === 2);

      // Train two short epochs of a tiny model in the worker.
      const name = `Tiny ${device}`;
      // On the CPU: the default whole-song recipe. SwiftShader runs about 100× slower than the
      // CPU backend and a whole song is up to 256 sequential steps there: the seed's windows
      // at stride 16 keep that run short.
      const run = await train(page, name, webgpu
        ? { recipe: 'windows', stride: 16, timeout: 600_000, on: 'gpu' }
        : { recipe: 'whole-song', timeout: 120_000 });
      console.log(`# ${device}: ${JSON.stringify(run)}`);
      assert.match(run.backend, webgpu ? /^WebGPU/ : /^CPU/);
      assert.ok(run.perEpoch > 0, 'the calibration estimated an epoch');
      assert.ok(run.finishingSeen, 'the page said it was finishing after the last step');
      assert.equal(run.finishingLeft, 0, 'and stopped saying so once the model was ready');
      assert.equal(run.estimates, webgpu ? 2 : 1, 'the CPU timed, and WebGPU where it starts');
      assert.ok(run.lastLoss < run.firstLoss, `loss fell: ${run.firstLoss} → ${run.lastLoss}`);
      assert.equal(run.validPoints, 2, 'validated after each epoch');
      assert.equal(run.samples, 3, 'a sample before training and after each epoch');
      assert.ok(Number.isFinite(run.testNll) && run.testNll > 0);
      await storedModel(page, name).and(page.locator('[data-complete=true]')).waitFor({ timeout: 10_000 });

      if (!webgpu) {
        // A reload in the middle of a run keeps its last best checkpoint, usable.
        await page.getByTestId('model-name').fill('Interrupted');
        // A long run: 100 epochs of one song per step with the full-size network.
        await setNumber(page, 'epochs', 100);
        await setNumber(page, 'batch', 1);
        await setNumber(page, 'hidden', 128);
        await page.getByTestId('train').click();
        await storedModel(page, 'Interrupted').and(page.locator('[data-complete=false]')).waitFor({ timeout: 60_000 });
        // Pause holds the run (the step counter stands still), resume goes on.
        await page.getByTestId('pause').click();
        await page.getByTestId('pause').filter({ hasText: 'Resume' }).waitFor({ timeout: 30_000 });
        const step = async () => Number(await page.getByTestId('train-progress').getAttribute('data-step'));
        const held = await step();
        await page.waitForTimeout(1000);
        assert.equal(await step(), held, 'no steps while paused');
        await page.getByTestId('pause').click();
        await page.waitForFunction((n) => Number(document.querySelector('[data-testid=train-progress]').dataset.step) > n, held, { timeout: 30_000 });
      }

      // Reload: the models are still there; generate with the trained one.
      await page.reload();
      await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
      await storedModel(page, name).waitFor({ timeout: 10_000 });
      await storedModel(page, name).getByTestId('use-model').click();
      await page.locator(`[data-testid=model-ready][data-name="${name}"]`).waitFor({ timeout: 10_000 });
      await page.getByTestId('generate').click();
      const tune = page.getByTestId('tune').first();
      await tune.waitFor({ timeout: 60_000 });
      assert.match(await tune.textContent(), new RegExp(name));

      if (!webgpu) {
        const kept = storedModel(page, 'Interrupted');
        assert.equal(await kept.getAttribute('data-complete'), 'false');
        await kept.getByTestId('use-model').click();
        await page.locator('[data-testid=model-ready][data-name="Interrupted"]').waitFor({ timeout: 10_000 });
        await storedModel(page, name).getByTestId('use-model').click();
      }

      // Download the model file and load it back; a wrong file is refused with a message.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        storedModel(page, name).getByTestId('download-model').click(),
      ]);
      const path = join(mkdtempSync(join(tmpdir(), 'melodeon-')), 'model.mdl');
      await download.saveAs(path);
      await page.getByTestId('load-model').setInputFiles(path);
      await page.waitForFunction((n) => document.querySelectorAll(`[data-testid=stored-model][data-name="${n}"]`).length === 2, name);
      const wrong = join(mkdtempSync(join(tmpdir(), 'melodeon-')), 'wrong.mdl');
      writeFileSync(wrong, 'not a model');
      await page.getByTestId('load-model').setInputFiles(wrong);
      await page.getByTestId('load-model-error').filter({ hasText: /wrong\.mdl: this is not a Melodeon model file/ }).waitFor();

      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await chrome.close();
    }
  });
}

for (const [layout, options] of Object.entries(LAYOUTS)) {
  const press = pressFor(options);

  test(`a song of the upload report can be found, seen and heard (${layout})`, async () => {
    const chrome = await browser({ webgpu: false });
    try {
      const { page, errors } = await open(chrome, server.url, options);
      await page.getByTestId('upload-files').setInputFiles(FIXTURE_SONGS);
      const report = page.getByTestId('corpus-report');
      await report.waitFor({ timeout: 60_000 });
      const accepted = Number(await report.getAttribute('data-accepted'));
      assert.equal(await page.getByTestId('song').count(), Math.min(accepted, 100));

      await page.getByTestId('song-filter').fill('made-up');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=song]').length === 1);
      await press(page.getByTestId('song'));
      const shown = page.getByTestId('corpus-song');
      await shown.locator('[data-testid=staff][data-drawn=true]').waitFor({ timeout: 30_000 });
      // T0001: G major, 3/4 with a pickup, then 2/4; a note tied over a bar line.
      const caption = await page.getByTestId('corpus-song-title').textContent();
      for (const part of ['A Made-Up Tune', 'T0001', 'G major', '3/4, 2/4']) {
        assert.ok(caption.includes(part), `${part} not in ${caption}`);
      }
      const staff = shown.getByTestId('staff');
      assert.equal(await staff.getAttribute('data-fifths'), '1');
      const drawn = await staff.evaluate((e) => ({
        written: e.querySelectorAll('.abcjs-note, .abcjs-rest').length,
        meters: e.querySelectorAll('.abcjs-time-signature').length,
        ties: e.querySelectorAll('[data-name=tie]').length,
      }));
      assert.equal(drawn.written, Number(await staff.getAttribute('data-written')));
      assert.ok(drawn.meters >= 2, `${drawn.meters} time signatures drawn: the change to 2/4 is shown`);
      assert.ok(drawn.ties >= 1, 'the tie over the bar line is drawn');

      await press(page.getByTestId('corpus-play'));
      await page.locator('[data-testid=audio-state][data-running=true]').waitFor({ state: 'attached', timeout: 10_000 });
      await shown.locator('[data-testid=staff]:not([data-highlight="-1"])').waitFor({ timeout: 10_000 });
      await press(page.getByTestId('corpus-stop'));
      assert.deepEqual(errors, []);
    } finally {
      await chrome.close();
    }
  });
}
