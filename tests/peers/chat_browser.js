#!/usr/bin/env node
// Browser test of the chat demo, driving headless Debian Chromium with playwright-core.
//
// Usage: node chat_browser.js http://127.0.0.1:PORT/
//
// The chat server must serve the chat page (examples/chat.html) at "/" and
// a WebSocket endpoint at "/chat" that broadcasts every message to all clients
// prefixed with the sender's id. Cases, one output line each:
//
//     INFO ...
//     PASS <case> | FAIL <case>: <why>
//     SUMMARY chat_browser: <n> passed, <m> failed
//
// Exit status: 0 if every case passed, 1 otherwise, 2 on bad usage.
// The whole run is bounded by TOTAL_TIMEOUT_MS; the browser is always closed.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const TOTAL_TIMEOUT_MS = 55000;
const STEP_TIMEOUT_MS = 15000;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const NAME = 'chat_browser';
const HELLO = 'hello from A';
const BIG_LEN = 200000;

const results = [];
function report(name, ok, why) {
  results.push([name, ok]);
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${why}`);
}
class CaseFailed extends Error {}

function version(pkg) {
  return require(path.join(path.dirname(require.resolve(pkg)), 'package.json')).version;
}

// 200 000 UTF-16 code units mixing ASCII, 2- and 3-byte UTF-8 and surrogate pairs
// (4-byte UTF-8), with position markers so any truncation or reordering shows.
function bigMessage() {
  const pieces = ['abcdefghij', ' é ', '中文', '😀', '𝄞', '-'];
  let s = '';
  for (let i = 0; s.length < BIG_LEN - 40; i++) s += `[${i}]` + pieces[i % pieces.length];
  return s + 'x'.repeat(BIG_LEN - s.length);
}

async function status(page) {
  return page.textContent('#status');
}

async function waitStatus(page, pred, what) {
  try {
    await page.waitForFunction(pred, null, { timeout: STEP_TIMEOUT_MS });
  } catch (e) {
    throw new CaseFailed(`${what} not seen within ${STEP_TIMEOUT_MS} ms; status is ${JSON.stringify(await status(page))}`);
  }
}

async function messages(page) {
  return page.$$eval('#messages li', (lis) => lis.map((li) => li.textContent));
}

async function run(baseUrl, state) {
  console.log(`INFO playwright-core ${version('playwright-core')} (node ${process.version})`);
  state.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-browser-'));
  state.context = await chromium.launchPersistentContext(state.userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: STEP_TIMEOUT_MS,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const ctx = state.context;
  ctx.setDefaultTimeout(STEP_TIMEOUT_MS);
  const pageA = ctx.pages()[0] || (await ctx.newPage());
  const pageB = await ctx.newPage();
  for (const [label, page] of [['A', pageA], ['B', pageB]]) {
    page.on('pageerror', (err) => console.log(`INFO page ${label} error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') console.log(`INFO page ${label} console: ${msg.text()}`);
    });
  }
  console.log(`INFO browser ${await pageA.evaluate(() => navigator.userAgent)}`);

  const cases = [];
  let prefix = null;

  cases.push(['open', async () => {
    for (const [label, page] of [['A', pageA], ['B', pageB]]) {
      const resp = await page.goto(baseUrl, { waitUntil: 'load' });
      if (!resp || resp.status() !== 200) {
        throw new CaseFailed(`page ${label}: GET ${baseUrl} answered ${resp ? resp.status() : 'nothing'}`);
      }
    }
    for (const [label, page] of [['A', pageA], ['B', pageB]]) {
      await waitStatus(page, () => document.getElementById('status').textContent === 'open', `page ${label} status "open"`);
    }
  }]);

  cases.push(['permessage-deflate', async () => {
    // Chromium offers permessage-deflate; the chat example accepts it by
    // default, so every message below larger than 1 KiB travels compressed.
    for (const [label, page] of [['A', pageA], ['B', pageB]]) {
      const ext = await page.evaluate(() => window.chatExtensions());
      console.log(`INFO page ${label} ws.extensions ${JSON.stringify(ext)}`);
      if (!ext.includes('permessage-deflate')) {
        throw new CaseFailed(`page ${label}: ws.extensions is ${JSON.stringify(ext)}, without permessage-deflate`);
      }
    }
  }]);

  cases.push(['broadcast-hello', async () => {
    await pageA.fill('#input', HELLO);
    await pageA.click('#send');
    try {
      await pageB.waitForFunction(
        (hello) => [...document.querySelectorAll('#messages li')].some((li) => li.textContent.endsWith(hello)),
        HELLO, { timeout: STEP_TIMEOUT_MS });
    } catch (e) {
      throw new CaseFailed(`page B did not show "${HELLO}"; it shows ${JSON.stringify(await messages(pageB))}`);
    }
    const got = (await messages(pageB)).find((t) => t.endsWith(HELLO));
    prefix = got.slice(0, got.length - HELLO.length);
    console.log(`INFO page B received ${JSON.stringify(got)} (prefix ${JSON.stringify(prefix)})`);
    if (prefix.trim() === '') throw new CaseFailed(`message arrived without a sender id prefix: ${JSON.stringify(got)}`);
  }]);

  cases.push([`broadcast-${BIG_LEN}-chars`, async () => {
    if (prefix === null) throw new CaseFailed('no prefix known (broadcast-hello failed)');
    const big = bigMessage();
    const expectedLen = prefix.length + big.length;
    const before = (await messages(pageB)).length;
    await pageA.fill('#input', big);
    await pageA.click('#send');
    try {
      await pageB.waitForFunction(
        (n) => document.querySelectorAll('#messages li').length > n, before, { timeout: STEP_TIMEOUT_MS });
    } catch (e) {
      throw new CaseFailed(`page B received nothing new within ${STEP_TIMEOUT_MS} ms; status ${JSON.stringify(await status(pageB))}`);
    }
    const fresh = (await messages(pageB)).slice(before);
    const got = fresh[0];
    if (got.length !== expectedLen) {
      throw new CaseFailed(`expected ${expectedLen} characters (prefix ${prefix.length} + ${big.length}), got ${got.length}`);
    }
    if (got !== prefix + big) {
      let i = 0;
      while (i < got.length && got[i] === (prefix + big)[i]) i++;
      throw new CaseFailed(`content differs at character ${i}: ${JSON.stringify(got.slice(i, i + 20))}`);
    }
    const bytes = Buffer.byteLength(big, 'utf8');
    console.log(`INFO page B received the ${big.length}-character (${bytes}-byte UTF-8) message whole`);
  }]);

  cases.push(['broadcast-binary', async () => {
    const before = (await messages(pageB)).length;
    await pageA.evaluate(() => window.chatSendBinary(3000));
    try {
      await pageB.waitForFunction(
        (n) => [...document.querySelectorAll('#messages li')].slice(n)
          .some((li) => li.textContent === '[binary] 3000 bytes'),
        before, { timeout: STEP_TIMEOUT_MS });
    } catch (e) {
      throw new CaseFailed(`page B did not show "[binary] 3000 bytes"; it shows ${JSON.stringify((await messages(pageB)).slice(before))}`);
    }
    // The bytes arrive as they were sent.
    const ok = await pageB.evaluate(() => new Promise((resolve) => {
      const probe = new WebSocket('ws://' + location.host + '/chat');
      probe.binaryType = 'arraybuffer';
      probe.onopen = () => window.chatSendBinary(300);
      probe.onmessage = (ev) => {
        if (typeof ev.data === 'string') return;
        const a = new Uint8Array(ev.data);
        resolve(a.length === 300 && a.every((b, i) => b === (i & 255)));
        probe.close();
      };
      setTimeout(() => resolve(false), 5000);
    }));
    if (!ok) throw new CaseFailed('a relayed binary message did not arrive byte for byte');
  }]);

  cases.push(['cross-origin-refused', async () => {
    const WebSocket = require('ws');
    const url = baseUrl.replace(/^http/, 'ws').replace(/\/?$/, '/chat');
    const status = await new Promise((resolve) => {
      const ws = new WebSocket(url, { origin: 'http://evil.example' });
      ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); });
      ws.on('open', () => { resolve('open'); ws.terminate(); });
      ws.on('error', (e) => resolve(`error ${e.message}`));
    });
    if (status !== 403) throw new CaseFailed(`a cross-origin handshake got ${status}, not 403`);
    // The page's own origin is let in (the pages above), and so is a client without one.
    const own = await new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.on('open', () => { resolve('open'); ws.close(); });
      ws.on('unexpected-response', (req, res) => resolve(res.statusCode));
      ws.on('error', (e) => resolve(`error ${e.message}`));
    });
    if (own !== 'open') throw new CaseFailed(`a client without Origin got ${own}`);
  }]);

  cases.push(['close-4000', async () => {
    await pageB.click('#close');
    await waitStatus(pageB, () => document.getElementById('status').textContent.startsWith('closed'), 'page B status "closed ..."');
    const s = await status(pageB);
    console.log(`INFO page B status: ${s}`);
    if (!/^closed code=4000 clean=true\b/.test(s)) {
      throw new CaseFailed(`expected status "closed code=4000 clean=true ...", got ${JSON.stringify(s)}`);
    }
  }]);

  cases.push(['other-client-still-open', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const s = await status(pageA);
    if (s !== 'open') throw new CaseFailed(`page A status is ${JSON.stringify(s)} after B closed`);
  }]);

  let opened = false;
  for (const [name, fn] of cases) {
    if (name !== 'open' && !opened) {
      report(name, false, 'not run: the pages did not open');
      continue;
    }
    try {
      await fn();
      report(name, true);
      if (name === 'open') opened = true;
    } catch (e) {
      report(name, false, e instanceof CaseFailed ? e.message : `${e.name}: ${e.message.split('\n')[0]}`);
    }
  }
}

async function cleanup(state) {
  if (state.context) {
    await Promise.race([state.context.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    state.context = null;
  }
  if (state.userDataDir) {
    try { fs.rmSync(state.userDataDir, { recursive: true, force: true }); } catch (e) { /* ignore */ }
  }
}

function finish() {
  const failed = results.filter(([, ok]) => !ok).length;
  console.log(`SUMMARY ${NAME}: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed || results.length === 0 ? 1 : 0);
}

if (process.argv.length !== 3 || !/^https?:\/\//.test(process.argv[2])) {
  console.error('usage: node chat_browser.js http://HOST:PORT/');
  process.exit(2);
}
const state = {};
const overall = setTimeout(async () => {
  report('run', false, `whole run exceeded ${TOTAL_TIMEOUT_MS} ms`);
  await cleanup(state);
  finish();
}, TOTAL_TIMEOUT_MS);
run(process.argv[2], state)
  .catch((e) => report('run', false, `${e.name}: ${e.message.split('\n')[0]}`))
  .then(() => cleanup(state))
  .then(() => { clearTimeout(overall); finish(); });
