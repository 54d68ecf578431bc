// Shared harness of the browser tests: serves the built page on loopback and starts
// Debian's headless Chromium through playwright-core (which never downloads a browser).
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const DIST = process.env.MELODEON_DIST ?? 'dist';
const CLI = process.env.MELODEON_CLI ?? 'target/release/melodeon';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Serves DIST on 127.0.0.1 at a free port; resolves to { url, close, rewrite }. `rewrite(path,
 * edit)` makes later responses for `path` (like '/sw.js') pass through `edit(text)`: a new
 * version of a file without touching the build.
 */
export async function serve() {
  const edits = new Map();
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(DIST, path);
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const edit = edits.get(path);
      const body = edit ? edit(await readFile(file, 'utf8')) : await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((ok) => server.close(ok)),
    rewrite: (path, edit) => edits.set(path, edit),
  };
}

/** Starts headless Chromium; `webgpu` adds --enable-unsafe-webgpu (SwiftShader's software adapter). */
export async function browser({ webgpu }) {
  const args = [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--autoplay-policy=no-user-gesture-required',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/**
 * Opens the page in a fresh context (`options` as Playwright's `newContext`), collecting as
 * errors: console errors, uncaught exceptions, Content-Security-Policy violations and any
 * request outside the page's own origin (the page, its worker and everything they load).
 * `initScript` (a function) runs in the page before its own scripts.
 */
export async function open(browserInstance, url, options = {}, initScript = null) {
  const context = await browserInstance.newContext(options);
  const page = await context.newPage();
  const errors = [];
  const origin = new URL(url).origin;
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  context.on('request', (request) => {
    const target = new URL(request.url());
    if (!['blob:', 'data:'].includes(target.protocol) && target.origin !== origin) {
      errors.push(`request outside the page's origin: ${request.url()}`);
    }
  });
  await page.exposeFunction('__cspViolation', (what) => errors.push(`CSP violation: ${what}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  if (initScript) await page.addInitScript(initScript);
  await page.goto(url);
  return { context, page, errors };
}

/** A phone: 390×844 CSS pixels, touch. */
export const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

/** The layouts musicians use, as `open` options: tests that must hold on both run twice. */
export const LAYOUTS = { desktop: {}, phone: PHONE };

/** Presses a control as the layout's user would: a tap on a touch screen, else a click. */
export function pressFor(options) {
  return options.hasTouch ? (control) => control.tap() : (control) => control.click();
}

/** Waits until the status bar says the engine is ready (or failed) and returns what it shows. */
export async function engineStatus(page, timeout = 240_000) {
  const state = page.getByTestId('backend-state');
  await state.and(page.locator('[data-state="ready"], [data-state="failed"]')).waitFor({ timeout });
  const backend = page.getByTestId('backend');
  return {
    state: await state.getAttribute('data-state'),
    kind: await backend.getAttribute('data-kind'),
    label: await backend.textContent(),
    values: JSON.parse((await page.getByTestId('startup-check').getAttribute('data-values')) ?? 'null'),
  };
}

/** The native CLI's output for `args`, parsed as JSON. */
export function cliJson(...args) {
  return JSON.parse(execFileSync(CLI, [...args, '--json'], { encoding: 'utf8' }));
}

/** Largest absolute difference between two equally long number arrays. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i])));
}

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

/** The typed-in `**kern` and EsAC fixtures as files for an upload (Playwright's format). */
export const FIXTURE_SONGS = ['kern', 'esac']
  .flatMap((dir) => readdirSync(join(FIXTURES, dir)).map((f) => join(FIXTURES, dir, f)))
  .map((path) => ({ name: path.split('/').pop(), mimeType: 'text/plain', buffer: readFileSync(path) }));

/** Types `value` into the number field `id` and commits it. */
export async function setNumber(page, id, value) {
  await page.getByTestId(id).fill(String(value));
  await page.getByTestId(id).dispatchEvent('change');
}

/**
 * Trains a tiny model (16 units, one epoch) named `name` on the corpus already uploaded and
 * waits for the outcome; `tap` presses Train by touch.
 */
export async function trainTiny(page, name, { tap = false } = {}) {
  await page.getByTestId('model-name').fill(name);
  await setNumber(page, 'hidden', 16);
  await setNumber(page, 'epochs', 1);
  await setNumber(page, 'batch', 16);
  const train = page.getByTestId('train');
  await (tap ? train.tap() : train.click());
  await page.getByTestId('train-outcome').waitFor({ timeout: 120_000 });
}
