#!/usr/bin/env node
// Logging echo server built on the third-party `ws` library.
//
// Usage: node node_server.js PORT [LIFETIME_SECONDS]
//
// Binds 127.0.0.1:PORT (PORT 0 picks a free port) and echoes every message back
// with the same type. Prints one JSON object per line on stdout:
//
//   {"event":"listening","port":N,"library":"ws","version":"8.x"}           (first line)
//   {"event":"rejected","conn":C,"path":"/forbidden","status":403}
//   {"event":"open","conn":C,"path":"/x?y","subprotocol":"chat"|null,"offered":[...]}
//   {"event":"message","conn":C,"type":"text"|"binary","len":N,"sha256":"<hex>"[,"text":"..."|"hex":"..."]}
//   {"event":"ping","conn":C,"len":N,"hex":"<payload hex>"}
//   {"event":"pong","conn":C,"len":N,"hex":"<payload hex>"}
//   {"event":"error","conn":C,"error":"...","code":"WS_ERR_..."}
//   {"event":"close","conn":C,"code":N,"reason":"...","clean":true|false}
//   {"event":"exit","why":"timeout"|"SIGTERM"|"SIGINT"}
//
// "len" is the payload size in bytes (UTF-8 bytes for text). "text" (text
// messages) or "hex" (binary messages) is included when len <= 1024.
// "close" code/reason are those of the Close frame received from the client
// (1005 if it carried no code, 1006 if there was none).
//
// Subprotocols: the server supports "chat" and "superchat" and picks the first
// one the client offered that it supports; none is selected otherwise (the
// handshake still succeeds). A handshake for the path /forbidden is answered
// with HTTP 403. Compression is disabled. The server exits by itself after
// LIFETIME_SECONDS (default 60) or on SIGTERM/SIGINT.
'use strict';

const crypto = require('crypto');
const http = require('http');
const path = require('path');
const WebSocket = require('ws');

const SUPPORTED = ['chat', 'superchat'];
const MAX_PAYLOAD = 64 * 1024 * 1024;
const INLINE_LIMIT = 1024;

function log(fields) {
  // One write per complete line; stdout writes to files and pipes are synchronous
  // on Linux, so each line is out before the next event is handled.
  process.stdout.write(JSON.stringify(fields) + '\n');
}

function wsVersion() {
  return require(path.join(path.dirname(require.resolve('ws')), 'package.json')).version;
}

const args = process.argv.slice(2);
if (args.length < 1 || args.length > 2 || !/^\d+$/.test(args[0])) {
  console.error('usage: node node_server.js PORT [LIFETIME_SECONDS]');
  process.exit(2);
}
const port = Number(args[0]);
const lifetimeMs = (args.length === 2 ? Number(args[1]) : 60) * 1000;

let nextConn = 0;
const wss = new WebSocket.Server({
  noServer: true,
  maxPayload: MAX_PAYLOAD,
  // PEER_SERVER_DEFLATE=1: ws's permessage-deflate, every message compressed.
  perMessageDeflate: process.env.PEER_SERVER_DEFLATE === '1' ? { threshold: 0 } : false,
  // `offered` is a Set in the client's order of preference.
  handleProtocols: (offered) => {
    for (const p of offered) if (SUPPORTED.includes(p)) return p;
    return false;
  },
});

const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
  res.end('WebSocket only\n');
});

server.on('upgrade', (req, socket, head) => {
  const conn = ++nextConn;
  const pathname = new URL(req.url, 'http://localhost').pathname;
  if (pathname === '/forbidden') {
    log({ event: 'rejected', conn, path: req.url, status: 403 });
    const body = 'Forbidden\n';
    socket.end(
      'HTTP/1.1 403 Forbidden\r\n' +
        'Content-Type: text/plain\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req, conn));
});

function onConnection(ws, req, conn) {
  const offered = (req.headers['sec-websocket-protocol'] || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  log({ event: 'open', conn, path: req.url, subprotocol: ws.protocol || null, offered, extensions: ws.extensions || null });
  // The path /close-first: this server starts the closing handshake at once.
  if (req.url.split('?')[0] === '/close-first') ws.close(1000, 'bye');

  ws.on('message', (data, isBinary) => {
    const buf = Buffer.from(data);
    const entry = {
      event: 'message',
      conn,
      type: isBinary ? 'binary' : 'text',
      len: buf.length,
      sha256: crypto.createHash('sha256').update(buf).digest('hex'),
    };
    if (buf.length <= INLINE_LIMIT) {
      if (isBinary) entry.hex = buf.toString('hex');
      else entry.text = buf.toString('utf8');
    }
    log(entry);
    ws.send(buf, { binary: isBinary });
  });
  // ws answers pings automatically (autoPong); these only log.
  ws.on('ping', (d) => log({ event: 'ping', conn, len: d.length, hex: Buffer.from(d).toString('hex') }));
  ws.on('pong', (d) => log({ event: 'pong', conn, len: d.length, hex: Buffer.from(d).toString('hex') }));
  ws.on('error', (err) => log({ event: 'error', conn, error: err.message, code: err.code || null }));
  ws.on('close', (code, reason) => {
    log({
      event: 'close',
      conn,
      code,
      reason: reason.toString('utf8'),
      clean: ws._closeFrameReceived === true && ws._closeFrameSent === true,
    });
  });
}

let exiting = false;
function shutdown(why) {
  if (exiting) return;
  exiting = true;
  log({ event: 'exit', why });
  for (const ws of wss.clients) ws.close(1001, 'server exiting');
  server.close();
  // Give close handshakes a moment, then go regardless.
  setTimeout(() => process.exit(0), 2000).unref();
  const poll = setInterval(() => {
    if (wss.clients.size === 0) process.exit(0);
  }, 50);
  poll.unref();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
setTimeout(() => shutdown('timeout'), lifetimeMs);

server.listen(port, '127.0.0.1', () => {
  log({ event: 'listening', port: server.address().port, library: 'ws', version: wsVersion() });
});
