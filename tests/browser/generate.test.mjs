// Journey one: the pretrained model loads, a fixed seed gives a tune (the same one again),
// its MIDI download matches the notes shown, the share link shows it in a fresh browser,
// a reload keeps the history, playback starts the AudioContext and moves the playhead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, browser, open, cliJson, LAYOUTS, pressFor } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(() => server.close());

/**
 * Waits for the model, sets a locked seed and length, generates (pressing with `press`),
 * returns the new tune card.
 */
async function generate(page, { seed, maxLen, press = (control) => control.click() }) {
  await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
  const before = await page.getByTestId('tune').count();
  await page.getByTestId('seed').fill(String(seed));
  await page.getByTestId('seed').dispatchEvent('change');
  await page.getByTestId('max-len').fill(String(maxLen));
  await page.getByTestId('max-len').dispatchEvent('change');
  if ((await page.getByTestId('seed-lock').getAttribute('aria-pressed')) !== 'true') {
    await press(page.getByTestId('seed-lock'));
  }
  await press(page.getByTestId('generate'));
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=tune]').length > n, before, { timeout: 240_000 });
  return page.getByTestId('tune').first();
}

/** Presses a download button and returns the file's text, checking its name. */
async function downloadText(page, card, testId, name, press = (control) => control.click()) {
  const [download] = await Promise.all([page.waitForEvent('download'), press(card.getByTestId(testId))]);
  assert.match(download.suggestedFilename(), name);
  return readFileSync(await download.path(), 'utf8');
}

const SEMITONES = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/**
 * Notes of an ABC tune with L:1/16 as [midi, start step, steps], ties joined: the key
 * signature `signature` ({ letter: alteration }) and accidentals that hold to the bar line.
 */
function readAbc(text, signature) {
  const body = text.split('\n').filter((line) => !/^[A-Za-z]:/.test(line)).join('');
  const tokens = /(\^\^|\^|__|_|=)?([A-Ga-gz])([,']*)(\d*)(?:\/(\d+))?(-?)|\|/g;
  const marks = { '^^': 2, '^': 1, '__': -2, '_': -1, '=': 0 };
  const notes = [];
  let clock = 0;
  let bar = {};
  let tied = false;
  for (const [all, accidental, letter, octave, count, divide, tie] of body.matchAll(tokens)) {
    if (all === '|') { bar = {}; continue; }
    const steps = Number(count || 1) / Number(divide || 1);
    if (letter !== 'z') {
      const place = letter + octave;
      if (accidental) bar[place] = marks[accidental];
      const upper = letter.toUpperCase();
      const alter = bar[place] ?? signature[upper] ?? 0;
      const shift = [...octave].reduce((s, c) => s + (c === "'" ? 12 : -12), 0);
      const midi = (letter === upper ? 60 : 72) + SEMITONES[upper] + alter + shift;
      const last = notes[notes.length - 1];
      if (tied && last && last[0] === midi) last[2] += steps;
      else notes.push([midi, clock, steps]);
    }
    tied = tie === '-' && letter !== 'z';
    clock += steps;
  }
  return notes;
}

/** In the page: the notes of a MusicXML document (the browser's own XML parser), like readAbc. */
function readMusicXml(text) {
  const semitones = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.querySelector('parsererror')) throw new Error('not well-formed XML');
  const perStep = Number(doc.querySelector('divisions').textContent) / 4;
  const notes = [];
  let clock = 0;
  let tied = false;
  for (const note of doc.querySelectorAll('note')) {
    const steps = Number(note.querySelector('duration').textContent) / perStep;
    const pitch = note.querySelector('pitch');
    if (pitch) {
      const midi = 12 * (Number(pitch.querySelector('octave').textContent) + 1)
        + semitones[pitch.querySelector('step').textContent]
        + Number(pitch.querySelector('alter')?.textContent ?? 0);
      const last = notes[notes.length - 1];
      if (tied && last && last[0] === midi) last[2] += steps;
      else notes.push([midi, clock, steps]);
    }
    tied = Boolean(pitch) && note.querySelector('tie[type=start]') !== null;
    clock += steps;
  }
  return notes;
}

/** Waits for the model and asks for tunes in 3/4, E minor. */
async function chooseThreeFourInEMinor(page) {
  await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
  await page.getByTestId('meter').selectOption('3/4');
  await page.getByTestId('mode').selectOption('minor');
  await page.getByTestId('key').selectOption('-5');
}

async function tuneData(card) {
  return {
    tokens: await card.getAttribute('data-tokens'),
    notes: JSON.parse(await card.getAttribute('data-notes')),
    noteCount: Number(await card.getAttribute('data-note-count')),
    seed: await card.getAttribute('data-seed'),
  };
}

test('journey one on the CPU backend: generate, download, share, reload, play', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { context, page, errors } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    assert.match(await page.getByTestId('model-params').textContent(), /201,878 parameters/);
    assert.match(await page.getByTestId('model-nll').textContent(), /nats per token/);

    const first = await tuneData(await generate(page, { seed: 4242, maxLen: 96 }));
    assert.equal(first.seed, '4242');
    const tokens = first.tokens.split(' ');
    assert.ok(tokens.length > 0 && tokens.length <= 96, `tune length ${tokens.length}`);
    assert.equal(first.noteCount, tokens.filter((t) => /^\d+$/.test(t)).length, 'one note per note token');
    assert.equal(first.notes.length, first.noteCount);

    const again = await tuneData(await generate(page, { seed: 4242, maxLen: 96 }));
    assert.equal(again.tokens, first.tokens, 'the same seed gives the same tune');

    // MIDI download: parse it with midly (through the CLI) and compare with the notes shown.
    const card = page.getByTestId('tune').first();
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByTestId('download-mid').click()]);
    assert.match(download.suggestedFilename(), /seed-4242\.mid$/);
    const file = join(mkdtempSync(join(tmpdir(), 'melodeon-')), 'tune.mid');
    await download.saveAs(file);
    const midi = cliJson('midi', file);
    assert.equal(midi.ticks_per_quarter, 480);
    assert.equal(midi.meter, '4/4');
    assert.deepEqual(midi.notes, first.notes.map(([pitch, start, steps]) => [pitch, start * 120, (start + steps) * 120]));

    // Share link, opened in a fresh browser context.
    await card.getByTestId('share').click();
    const link = await card.getByTestId('share-link').inputValue();
    assert.match(link, /#tune=/);
    const fresh = await chrome.newContext();
    const shared = await fresh.newPage();
    await shared.goto(link);
    const sharedCard = shared.getByTestId('tune').first();
    await sharedCard.waitFor({ timeout: 60_000 });
    assert.equal(await sharedCard.getAttribute('data-tokens'), first.tokens);
    await fresh.close();

    // A tampered link explains itself.
    const broken = await chrome.newContext();
    const brokenPage = await broken.newPage();
    await brokenPage.goto(link.slice(0, -8) + 'AAAAAAAA');
    await brokenPage.getByTestId('notice').waitFor({ timeout: 60_000 });
    assert.match(await brokenPage.getByTestId('notice').textContent(), /damaged|does not hold/);
    await broken.close();

    // Rename and star, then reload: the history is kept.
    await card.getByTestId('title').fill('Reel for the test');
    await card.getByTestId('title').dispatchEvent('change');
    await card.getByTestId('star').click();
    const count = await page.getByTestId('tune').count();
    await page.reload();
    await page.getByTestId('tune').first().waitFor();
    assert.equal(await page.getByTestId('tune').count(), count);
    assert.equal(await page.getByTestId('title').first().inputValue(), 'Reel for the test');
    assert.equal(await page.getByTestId('star').first().getAttribute('aria-pressed'), 'true');

    // Playback: the AudioContext runs and the playhead advances.
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    await page.getByTestId('play').first().click();
    await page.locator('[data-testid=audio-state][data-running=true]').waitFor({ state: 'attached', timeout: 10_000 });
    const playhead = page.getByTestId('playhead').first();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=playhead]')?.getAttribute('data-beat') || 0) > 0.1);
    const early = Number(await playhead.getAttribute('data-beat'));
    await page.waitForTimeout(400);
    const later = Number(await playhead.getAttribute('data-beat'));
    assert.ok(later > early, `playhead ${early} → ${later}`);
    await page.getByTestId('stop').first().click();

    // Deleting removes it.
    await page.getByTestId('delete').first().click();
    assert.equal(await page.getByTestId('tune').count(), count - 1);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await chrome.close();
  }
});

for (const [layout, options] of Object.entries(LAYOUTS)) {
  const press = pressFor(options);

  test(`a tune asked for in 3/4 and E minor fills its bars and its MIDI file says E minor (${layout})`, async () => {
    const chrome = await browser({ webgpu: false });
    try {
      const { page, errors } = await open(chrome, server.url, options);
      await chooseThreeFourInEMinor(page);
      const card = await generate(page, { seed: 77, maxLen: 512, press });
      assert.equal(await card.getAttribute('data-meter'), '3/4');
      assert.equal(await card.getAttribute('data-mode'), 'minor');
      const steps = (await card.getAttribute('data-tokens')).split(' ').length;
      const pickup = Number(await card.getAttribute('data-pickup'));
      assert.ok(pickup > 0 && pickup < 12, `pickup ${pickup}`);
      // Whole bars: the pickup and the last bar add up to one bar of 12 sixteenths.
      assert.equal(steps % 12, 0, `${steps} steps are not whole 3/4 bars`);
      assert.match(await card.textContent(), /E minor/);
      const [download] = await Promise.all([page.waitForEvent('download'), press(card.getByTestId('download-mid'))]);
      const file = join(mkdtempSync(join(tmpdir(), 'melodeon-')), 'minor.mid');
      await download.saveAs(file);
      const midi = cliJson('midi', file);
      assert.equal(midi.meter, '3/4');
      assert.equal(midi.minor, true);
      assert.equal(midi.key_fifths, 1, 'E minor has one sharp');

      // ABC and MusicXML read back, by readers of this test's own, to the notes shown.
      const shown = JSON.parse(await card.getAttribute('data-notes'));
      const abc = await downloadText(page, card, 'download-abc', /seed-77\.abc$/, press);
      for (const header of ['X:1', 'M:3/4', 'L:1/16', 'Q:1/4=100', 'K:Em']) {
        assert.ok(abc.split('\n').includes(header), `ABC lacks ${header}:\n${abc}`);
      }
      assert.deepEqual(readAbc(abc, { F: 1 }), shown, `ABC:\n${abc}`);
      const xml = await downloadText(page, card, 'download-musicxml', /seed-77\.musicxml$/, press);
      assert.deepEqual(await page.evaluate(readMusicXml, xml), shown);

      // WAV: what the player plays, rendered offline: 44.1 kHz mono 16-bit, as long as the tune.
      const [wavDownload] = await Promise.all([page.waitForEvent('download'), press(card.getByTestId('download-wav'))]);
      const wav = readFileSync(await wavDownload.path());
      assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
      assert.equal(wav.toString('ascii', 8, 12), 'WAVE');
      assert.equal(wav.readUInt16LE(22), 1, 'mono');
      assert.equal(wav.readUInt32LE(24), 44_100);
      assert.equal(wav.readUInt16LE(34), 16);
      const seconds = (wav.length - 44) / 2 / 44_100;
      const expected = (steps / 4) * (60 / 100);
      assert.ok(seconds > expected && seconds < expected + 0.2, `${seconds} s for a ${expected} s tune`);
      let energy = 0;
      for (let i = 44; i + 1 < wav.length; i += 2) energy += wav.readInt16LE(i) ** 2;
      assert.ok(Math.sqrt(energy / ((wav.length - 44) / 2)) > 500, 'the WAV file is not silent');
      assert.deepEqual(errors, []);
    } finally {
      await chrome.close();
    }
  });

  test(`the staff shows the bars, key signature and ties, and its highlight follows playback (${layout})`, async () => {
    const chrome = await browser({ webgpu: false });
    try {
      const { page, errors } = await open(chrome, server.url, options);
      await chooseThreeFourInEMinor(page);
      // An opening note five sixteenths long cannot be one written value: it is tied.
      await page.getByTestId('primer').fill('69 _ _ _ _ 71');
      const card = await generate(page, { seed: 5, maxLen: 96, press });
      const staff = card.getByTestId('staff');
      await card.locator('[data-testid=staff][data-drawn=true]').waitFor({ timeout: 30_000 });
      const drawn = await staff.evaluate((e) => ({
        bars: e.querySelectorAll('.abcjs-bar').length,
        written: e.querySelectorAll('.abcjs-note, .abcjs-rest').length,
        // The first line's key signature (each line of the staff repeats it).
        sharps: e.querySelector('.abcjs-key-signature').querySelectorAll('[data-name="accidentals.sharp"]').length,
        ties: e.querySelectorAll('[data-name=tie]').length,
        svgWidth: e.querySelector('svg').getBoundingClientRect().width,
        boxWidth: e.getBoundingClientRect().width,
      }));
      assert.equal(await staff.getAttribute('data-fifths'), '1', 'E minor: one sharp');
      assert.equal(drawn.sharps, 1, 'one sharp drawn in the key signature');
      assert.equal(drawn.bars, Number(await staff.getAttribute('data-bars')), 'a bar line per bar');
      assert.equal(drawn.written, Number(await staff.getAttribute('data-written')), 'every written note and rest drawn');
      const ties = Number(await staff.getAttribute('data-ties'));
      assert.ok(ties >= 1 && drawn.ties >= ties, `${ties} ties written, ${drawn.ties} drawn: ${await card.getAttribute('data-tokens')} pickup ${await card.getAttribute('data-pickup')}`);
      assert.ok(drawn.svgWidth <= drawn.boxWidth + 1, 'the staff scales to its box');
      assert.match(await staff.getAttribute('aria-label'), /Staff notation: 3\/4 in E minor/);

      // Note letters: one under each note that starts a sound, spelled for E minor (the
      // primer's A and B are written E and F♯); the choice outlasts a reload.
      await press(page.getByTestId('note-letters'));
      await staff.locator('.abcjs-annotation').first().waitFor({ timeout: 10_000 });
      const letters = await staff.evaluate((e) => [...e.querySelectorAll('.abcjs-annotation')].map((a) => a.textContent));
      assert.equal(letters.length, Number(await card.getAttribute('data-note-count')), `letters ${letters}`);
      assert.deepEqual(letters.slice(0, 2), ['E', 'F♯']);

      await press(card.getByTestId('play'));
      await card.locator('[data-testid=staff]:not([data-highlight="-1"])').waitFor({ timeout: 10_000 });
      const early = Number(await staff.getAttribute('data-highlight'));
      await page.waitForTimeout(1200);
      const later = Number(await staff.getAttribute('data-highlight'));
      assert.ok(later > early, `highlight ${early} → ${later}`);
      assert.equal(await staff.evaluate((e) => e.querySelectorAll('.playing').length), 1);
      await press(card.getByTestId('stop'));
      await page.reload();
      await page.locator('[data-testid=tune] [data-testid=staff] .abcjs-annotation').first().waitFor({ timeout: 30_000 });
      assert.deepEqual(errors, []);
    } finally {
      await chrome.close();
    }
  });

  test(`writing for a B♭ instrument raises the notation, MIDI, ABC and sound by a major second (${layout})`, async () => {
    const chrome = await browser({ webgpu: false });
    try {
      const { page, errors } = await open(chrome, server.url, options);
      await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
      await page.getByTestId('mode').selectOption('major');
      await page.getByTestId('key').selectOption('0');
      const card = await generate(page, { seed: 4242, maxLen: 96, press });
      const concert = JSON.parse(await card.getAttribute('data-notes'));
      const staff = card.getByTestId('staff');
      assert.equal(await staff.getAttribute('data-fifths'), '0', 'C major at concert pitch');

      await card.getByTestId('instrument').selectOption({ label: 'B♭ instrument' });
      await page.waitForFunction((before) => document.querySelector('[data-testid=tune]').getAttribute('data-notes') !== before,
        JSON.stringify(concert));
      const written = JSON.parse(await card.getAttribute('data-notes'));
      assert.deepEqual(written, concert.map(([pitch, start, steps]) => [pitch + 2, start, steps]), 'notes (and so the sound) a major second up');
      assert.equal(await card.getByTestId('staff').getAttribute('data-fifths'), '2', 'written in D major');
      assert.match(await card.getByTestId('provenance').textContent(), /D major/);
      assert.match(await card.getByTestId('form').textContent(), /^Form: a[a-zA-Z?]{0,3}( [a-zA-Z?]{1,4})*$/, 'a letter per bar, in fours');

      const [download] = await Promise.all([page.waitForEvent('download'), press(card.getByTestId('download-mid'))]);
      const file = join(mkdtempSync(join(tmpdir(), 'melodeon-')), 'b-flat.mid');
      await download.saveAs(file);
      const midi = cliJson('midi', file);
      assert.equal(midi.key_fifths, 2);
      assert.deepEqual(midi.notes.map((n) => n[0]), written.map((n) => n[0]));
      const abc = await downloadText(page, card, 'download-abc', /\.abc$/, press);
      assert.ok(abc.split('\n').includes('K:D'), abc);
      assert.deepEqual(errors, []);
    } finally {
      await chrome.close();
    }
  });

  test(`the A–B loop repeats the chosen bars (${layout})`, async () => {
    const chrome = await browser({ webgpu: false });
    try {
      const { page, errors } = await open(chrome, server.url, options);
      const card = await generate(page, { seed: 4242, maxLen: 96, press });
      await card.getByTestId('tempo').fill('240');
      await card.getByTestId('tempo').dispatchEvent('change');
      await card.getByTestId('loop-from').fill('2');
      await card.getByTestId('loop-from').dispatchEvent('change');
      await card.getByTestId('loop-to').fill('3');
      await card.getByTestId('loop-to').dispatchEvent('change');
      await card.getByTestId('loop').check();
      const [beats, unit] = (await card.getAttribute('data-meter')).split('/').map(Number);
      const bar = (4 * beats) / unit;
      const pickup = Number(await card.getAttribute('data-pickup')) / 4;
      // Bar 1 starts after the pickup (bar 0, when there is one).
      const start = pickup + bar;
      const end = pickup + 3 * bar;
      await press(card.getByTestId('play'));
      const playhead = card.getByTestId('playhead');
      const seen = [];
      for (let i = 0; i < 40; i++) {
        const beat = await playhead.getAttribute('data-beat').catch(() => null);
        if (beat !== null) seen.push(Number(beat));
        await page.waitForTimeout(100);
      }
      await press(card.getByTestId('stop'));
      assert.ok(seen.length > 20, `playhead seen ${seen.length} times`);
      assert.ok(seen.every((b) => b >= start - 0.05 && b <= end + 0.1), `beats ${seen} outside bars 2–3 (${start}–${end})`);
      assert.ok(seen.some((b, i) => i > 0 && b < seen[i - 1] - bar), `no repeat in ${seen}`);
      assert.deepEqual(errors, []);
    } finally {
      await chrome.close();
    }
  });
}

test('a count-in delays the tune by one bar, and the metronome plays along', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(chrome, server.url);
    const card = await generate(page, { seed: 4242, maxLen: 96 });
    await card.getByTestId('tempo').fill('120');
    await card.getByTestId('tempo').dispatchEvent('change');
    await card.getByTestId('count-in').check();
    await card.getByTestId('metronome').check();
    const [beats, unit] = (await card.getAttribute('data-meter')).split('/').map(Number);
    const barSeconds = ((4 * beats) / unit) * 0.5;
    await card.getByTestId('play').click();
    const beat = async () => Number((await card.getByTestId('playhead').getAttribute('data-beat').catch(() => '0')) ?? 0);
    await page.waitForTimeout(barSeconds * 1000 * 0.6);
    const during = await beat();
    assert.ok(during < 0.05, `the tune waits during the count-in (beat ${during})`);
    await page.waitForTimeout(barSeconds * 1000 * 0.4 + 700);
    const after = await beat();
    assert.ok(after > 0.5, `the tune plays after the count-in (beat ${after})`);
    await card.getByTestId('stop').click();
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
  }
});

test('a primer with a mistake is explained and blocks generation', async () => {
  const chrome = await browser({ webgpu: false });
  try {
    const { page } = await open(chrome, server.url);
    await page.getByTestId('model-ready').waitFor({ timeout: 240_000 });
    await page.getByTestId('primer').fill('G4 8 H4 8');
    assert.match(await page.getByTestId('primer-error').textContent(), /item 3 \(`H4`\)/);
    assert.ok(await page.getByTestId('generate').isDisabled());
    await page.getByTestId('primer').fill('G4 8 A4 8');
    assert.equal(await page.getByTestId('primer-error').textContent(), '');
    const card = await generate(page, { seed: 7, maxLen: 48 });
    assert.match(await card.getAttribute('data-tokens'), /^67 _ 69 _/);
  } finally {
    await chrome.close();
  }
});

test('a page running on WebGPU generates the same tune as one on the CPU', async () => {
  const cpu = await browser({ webgpu: false });
  const gpu = await browser({ webgpu: true });
  try {
    const cpuPage = (await open(cpu, server.url)).page;
    const expected = await tuneData(await generate(cpuPage, { seed: 99, maxLen: 24 }));
    const { page, errors } = await open(gpu, server.url);
    await page.locator('[data-testid=backend][data-kind=webgpu]').waitFor({ timeout: 240_000 });
    const actual = await tuneData(await generate(page, { seed: 99, maxLen: 24 }));
    assert.equal(actual.tokens, expected.tokens);
    assert.deepEqual(errors, []);
  } finally {
    await cpu.close();
    await gpu.close();
  }
});
