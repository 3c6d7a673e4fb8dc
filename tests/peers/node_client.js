#!/usr/bin/env node
// Echo-server conformance client built on the third-party `ws` library.
//
// Usage: node node_client.js ws://127.0.0.1:PORT/path
//
// Connects to an echo server (one that sends every data message back unchanged,
// answers pings and echoes the Close frame's code and reason), runs a list of
// cases and asserts on what it observed. Output, one line each:
//
//     INFO ws <version> ...
//     PASS <case>
//     FAIL <case>: <why>
//     SUMMARY node_client: <n> passed, <m> failed
//
// Exit status: 0 if every case passed, 1 if any failed, 2 on bad usage.
// The whole run is bounded by TOTAL_TIMEOUT_MS.
'use strict';

const crypto = require('crypto');
const path = require('path');
const WebSocket = require('ws');

const TOTAL_TIMEOUT_MS = 50000;
const STEP_TIMEOUT_MS = 10000;
const MAX_PAYLOAD = 64 * 1024 * 1024;
const NAME = 'node_client';

const results = [];
function report(name, ok, why) {
  results.push([name, ok]);
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${why}`);
}

function finish() {
  const failed = results.filter(([, ok]) => !ok).length;
  console.log(`SUMMARY ${NAME}: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed || results.length === 0 ? 1 : 0;
  // Do not wait for sockets or timers still pending.
  setImmediate(() => process.exit(process.exitCode));
}

class CaseFailed extends Error {}
// A reply did not come in time; later replies can no longer be matched.
class CaseTimeout extends CaseFailed {}

function wsVersion() {
  const pkgPath = path.join(path.dirname(require.resolve('ws')), 'package.json');
  return require(pkgPath).version;
}

function sha(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex').slice(0, 16);
}

function describe(m) {
  return `${m.isBinary ? 'binary' : 'text'} len=${m.data.length} sha256=${sha(m.data)}`;
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

// A queue of incoming events ('message' or 'pong') that cases can await.
class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
    this.closed = null;
  }
  push(item) {
    const w = this.waiters.shift();
    if (w) w.resolve(item);
    else this.items.push(item);
  }
  end(why) {
    this.closed = why;
    for (const w of this.waiters.splice(0)) w.reject(new CaseFailed(why));
  }
  next(what) {
    if (this.items.length) return Promise.resolve(this.items.shift());
    if (this.closed) return Promise.reject(new CaseFailed(this.closed));
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new CaseTimeout(`no ${what} within ${STEP_TIMEOUT_MS} ms`));
      }, STEP_TIMEOUT_MS);
      w.resolve = (v) => { clearTimeout(timer); resolve(v); };
      w.reject = (e) => { clearTimeout(timer); reject(e); };
      this.waiters.push(w);
    });
  }
}

function sendAsync(ws, data, opts) {
  return new Promise((resolve, reject) => {
    ws.send(data, opts, (err) => (err ? reject(err) : resolve()));
  });
}

function checkEcho(expected, got) {
  if (expected.isBinary !== got.isBinary || !expected.data.equals(got.data)) {
    let why = `sent ${describe(expected)}, got ${describe(got)}`;
    if (expected.isBinary === got.isBinary) {
      why += `, first difference at byte ${firstDifference(expected.data, got.data)}`;
    }
    throw new CaseFailed(`echo differs: ${why}`);
  }
}

// A printable-or-not text payload of exactly n UTF-8 bytes mixing 1..4-byte characters.
function utf8Text(n) {
  const pool = ['a', 'Z', ' ', 'ñ', 'é', 'Ω', '中', '€', '𝄞', '😀'];
  let out = '';
  let size = 0;
  while (size < n) {
    let c = pool[crypto.randomInt(pool.length)];
    let len = Buffer.byteLength(c);
    if (size + len > n) { c = 'a'; len = 1; }
    out += c;
    size += len;
  }
  return out;
}

async function run(url) {
  console.log(`INFO ws ${wsVersion()} (node ${process.version})`);
  console.log(`INFO connecting to ${url}`);
  const ws = new WebSocket(url, { maxPayload: MAX_PAYLOAD, handshakeTimeout: STEP_TIMEOUT_MS });
  const messages = new Inbox();
  const pongs = new Inbox();
  let closeInfo = null;
  const closed = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString('utf8'), reasonBytes: Buffer.from(reason), at: Date.now() };
      messages.end(`connection closed (code=${code} reason=${JSON.stringify(closeInfo.reason)})`);
      pongs.end('connection closed');
      resolve();
    });
  });
  let lastError = null;
  ws.on('error', (err) => { lastError = err; });
  ws.on('message', (data, isBinary) => messages.push({ data: Buffer.from(data), isBinary }));
  ws.on('pong', (data) => pongs.push(Buffer.from(data)));

  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('close', () => reject(new Error(`closed before open: ${lastError ? lastError.message : 'no error'}`)));
      ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode} instead of 101`)));
    });
  } catch (e) {
    report('connect', false, e.message);
    return;
  }
  report('connect', true);
  console.log(`INFO negotiated subprotocol=${JSON.stringify(ws.protocol)} extensions=${JSON.stringify(ws.extensions)}`);
  // PEER_EXPECT_DEFLATE=1: the server must have accepted ws's default
  // permessage-deflate offer.
  if (process.env.PEER_EXPECT_DEFLATE === '1') {
    report('permessage-deflate negotiated', ws.extensions.includes('permessage-deflate'), JSON.stringify(ws.extensions));
  }

  const text = (s) => ({ data: Buffer.from(s, 'utf8'), isBinary: false });
  const binary = (b) => ({ data: Buffer.from(b), isBinary: true });

  async function echo(msg) {
    await sendAsync(ws, msg.data, { binary: msg.isBinary });
    checkEcho(msg, await messages.next('echo'));
  }

  // Send `frags` as one fragmented message, optionally with a ping after the first fragment.
  async function fragmented(frags, isBinary, pingBetween) {
    const expected = { data: Buffer.concat(frags.map((f) => Buffer.from(f))), isBinary };
    for (let i = 0; i < frags.length; i++) {
      if (i === 1 && pingBetween) ws.ping(pingBetween); // control frame inside a fragmented message
      await sendAsync(ws, Buffer.from(frags[i]), { binary: isBinary, fin: i === frags.length - 1 });
    }
    checkEcho(expected, await messages.next('echo'));
    if (pingBetween) {
      const p = await pongs.next('pong');
      if (!p.equals(pingBetween)) throw new CaseFailed(`pong payload ${p.toString('hex')} != ${pingBetween.toString('hex')}`);
    }
  }

  async function ping(payload) {
    ws.ping(payload);
    const p = await pongs.next(`pong for ping ${payload.toString('hex')}`);
    if (!p.equals(payload)) {
      throw new CaseFailed(`pong payload ${p.toString('hex')} != ping payload ${payload.toString('hex')}`);
    }
  }

  async function pipelined(count) {
    const sent = [];
    for (let i = 0; i < count; i++) {
      const m = i % 2 === 0
        ? text(`pipelined #${i} ` + 'x'.repeat((i * 37) % 300))
        : binary(crypto.randomBytes((i * 53) % 700));
      sent.push(m);
      ws.send(m.data, { binary: m.isBinary });
    }
    for (let i = 0; i < count; i++) {
      const got = await messages.next(`echo #${i}`);
      try {
        checkEcho(sent[i], got);
      } catch (e) {
        throw new CaseFailed(`message #${i}: ${e.message}`);
      }
    }
  }

  const big = crypto.randomBytes(4 * 1024 * 1024);
  const cases = [
    ['text-ascii', () => echo(text('hello, rfc6455'))],
    ['text-utf8-4byte', () => echo(text('𝄞😀 ñé中€'))],
    ['text-empty', () => echo(text(''))],
    ['text-125', () => echo(text('t'.repeat(125)))],
    ['text-126', () => echo(text('u'.repeat(126)))],
    ['text-65535', () => echo(text(utf8Text(65535)))],
    ['text-65536', () => echo(text(utf8Text(65536)))],
    ['text-utf8-1MiB', () => echo(text(utf8Text(1024 * 1024)))],
  ];
  for (const n of [0, 1, 125, 126, 127, 65535, 65536]) {
    cases.push([`binary-${n}`, () => echo(binary(crypto.randomBytes(n)))]);
  }
  cases.push(
    ['binary-4MiB', () => echo(binary(big))],
    ['fragmented-text', () => fragmented(['frag', 'mented ', '', '𝄞😀'].map((s) => Buffer.from(s)), false)],
    // fragment boundaries in the middle of 4-byte UTF-8 sequences
    ['fragmented-text-split-codepoint', () => fragmented(
      [Buffer.from('61f09d', 'hex'), Buffer.from('84', 'hex'), Buffer.from('9ef0', 'hex'), Buffer.from('9f98807a', 'hex')],
      false)],
    ['fragmented-binary', () => fragmented([Buffer.from([0, 1]), Buffer.alloc(0), Buffer.alloc(300, 0xff), big.subarray(0, 70000)], true)],
    ['fragmented-text-ping-between', () => fragmented([Buffer.from('before '), Buffer.from('after')], false, Buffer.from('mid-fragment'))],
    ['ping-payload', () => ping(Buffer.from('ping-\x00\xff-payload', 'latin1'))],
    ['ping-empty', () => ping(Buffer.alloc(0))],
    ['ping-125', () => ping(Buffer.from(Array.from({ length: 125 }, (_, i) => i)))],
    ['pipelined-200', () => pipelined(200)],
  );

  let timedOut = null;
  for (const [name, fn] of cases) {
    if (timedOut) {
      report(name, false, `not run: no reply in time in ${timedOut}, later replies would be mismatched`);
      continue;
    }
    if (ws.readyState !== WebSocket.OPEN) {
      report(name, false, `connection not open (${messages.closed || 'state ' + ws.readyState})`);
      continue;
    }
    try {
      await fn();
      report(name, true);
    } catch (e) {
      report(name, false, e instanceof CaseFailed ? e.message : `${e.name}: ${e.message}`);
      if (e instanceof CaseTimeout) timedOut = name;
    }
  }

  // Closing handshake: the server must echo our code and reason (RFC 6455 §5.5.1),
  // then close the TCP connection (RFC 6455 §7.1.1).
  const code = 4001;
  const reason = 'bye-ñ';
  if (closeInfo) {
    report('close-echo', false, `connection already closed (code=${closeInfo.code})`);
    return;
  }
  const start = Date.now();
  ws.close(code, reason);
  const closeTimedOut = await Promise.race([
    closed.then(() => false),
    new Promise((r) => setTimeout(() => r(true), STEP_TIMEOUT_MS)),
  ]);
  if (closeTimedOut) {
    // ws only emits 'close' once TCP is closed; look at what it recorded so far.
    closeInfo = ws._closeFrameReceived
      ? { code: ws._closeCode, reason: ws._closeMessage.toString('utf8'), reasonBytes: Buffer.from(ws._closeMessage) }
      : { code: 1006, reason: '', reasonBytes: Buffer.alloc(0) };
  }
  if (closeInfo.code === code && closeInfo.reasonBytes.equals(Buffer.from(reason, 'utf8'))) {
    report('close-echo', true);
  } else {
    report('close-echo', false, `sent code=${code} reason=${JSON.stringify(reason)}, ` +
      `received code=${closeInfo.code} reason=${JSON.stringify(closeInfo.reason)}` +
      (closeInfo.code === 1006 ? ' (1006: no Close frame received)' : ''));
  }
  if (closeTimedOut) {
    report('close-tcp', false, `server did not close the TCP connection within ${STEP_TIMEOUT_MS} ms`);
  } else {
    report('close-tcp', true);
    console.log(`INFO closing handshake took ${closeInfo.at - start} ms`);
  }
}

if (process.argv.length !== 3 || !/^wss?:\/\//.test(process.argv[2])) {
  console.error('usage: node node_client.js ws://HOST:PORT/PATH');
  process.exit(2);
}
const overall = setTimeout(() => {
  report('run', false, `whole run exceeded ${TOTAL_TIMEOUT_MS} ms`);
  finish();
}, TOTAL_TIMEOUT_MS);
run(process.argv[2])
  .catch((e) => report('run', false, `unexpected error: ${e.stack || e}`))
  .finally(() => { clearTimeout(overall); finish(); });
