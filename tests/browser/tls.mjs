// gigcxd over TLS (HTTP/1.1 by ALPN), end to end: a throwaway certificate from `openssl req`, the
// expert's and customer's WebSockets over wss:// and the brand API over https:// in a page
// served by gigcxd itself; then a renewed certificate loaded on SIGHUP (new connections get
// it, open ones stay). Prints "N passed, M failed"; exits non-zero on failure.
//
//   cd tests/browser && npm ci && node tls.mjs     env: GIGCXD, CHROMIUM, KEEP=1
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'gigcx-tls-'));
const CERT = path.join(DIR, 'cert.pem');
const KEY = path.join(DIR, 'key.pem');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let passed = 0;
let failed = 0;
const check = (name, cond, detail = '') => {
  if (cond) passed++;
  else failed++;
  console.log(`  ${cond ? 'ok  ' : 'FAIL'}  ${name}${cond ? '' : `: ${detail}`}`);
};

/** A self-signed certificate for 127.0.0.1 (cn names the generation); its SHA-256 fingerprint. */
function makeCert(cn) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`,
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', KEY, '-out', CERT], { stdio: 'ignore' });
  return new X509Certificate(fs.readFileSync(CERT)).fingerprint256;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The fingerprint of the certificate a new TLS connection to port is shown. */
function servedFingerprint(port) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', reject);
    s.setTimeout(5000, () => reject(new Error('TLS handshake timed out')));
  });
}

async function main() {
  const first = makeCert('gigcx-test-1');
  const port = await freePort();
  const bin = process.env.GIGCXD || path.join(ROOT, 'build', 'server', 'gigcxd');
  const child = spawn(bin, ['--dev', '--listen', `127.0.0.1:${port}`, '--data', path.join(DIR, 'data'),
    '--admin-key', `adm_${randomBytes(8).toString('hex')}`, '--secret', randomBytes(24).toString('hex'),
    '--tls-cert', CERT, '--tls-key', KEY, '--log-level', 'warn', '--drain-s', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  let browser;
  try {
    for (const until = Date.now() + 15000; !/customer dana token/.test(out); await sleep(50)) {
      if (Date.now() > until || child.exitCode != null) throw new Error(`gigcxd did not start:\n${out}`);
    }
    const token = (who) => out.match(new RegExp(`${who}.*token: (\\S+)`))[1];
    const brandKey = out.match(/brand 'demo' key:\s+(\S+)/)[1];
    check('served certificate is the configured one', (await servedFingerprint(port)) === first);

    browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic'] });
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    const res = await page.goto(`https://127.0.0.1:${port}/healthz`);
    check('https /healthz', res.status() === 200, `status ${res.status()}`);
    await page.goto(`https://127.0.0.1:${port}/expert/`);
    check('expert console over https', (await page.title()).length > 0);

    // The whole flow in the page: brand REST over https, both WebSockets over wss.
    const flow = await page.evaluate(async ({ expertTok, brandKey }) => {
      const wss = `wss://${location.host}/ws`;
      const open = (tok) => new Promise((resolve, reject) => {
        const ws = new WebSocket(wss, 'gigcx.v1');
        const inbox = [];
        const waiters = [];
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          const i = waiters.findIndex((w) => w.type === m.type);
          if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
          else inbox.push(m);
        };
        ws.expect = (type) => new Promise((res2, rej2) => {
          const i = inbox.findIndex((m) => m.type === type);
          if (i >= 0) return res2(inbox.splice(i, 1)[0]);
          waiters.push({ type, resolve: res2 });
          setTimeout(() => rej2(new Error(`no ${type}`)), 8000);
        });
        ws.onopen = () => { ws.send(JSON.stringify({ type: 'hello', token: tok })); resolve(ws); };
        ws.onerror = () => reject(new Error('wss failed'));
      });
      const expert = await open(expertTok);
      await expert.expect('welcome');
      expert.send(JSON.stringify({ type: 'presence.set', status: 'available' }));
      await expert.expect('presence');
      const r = await fetch('/api/v1/tasks', { method: 'POST', headers: { Authorization: `Bearer ${brandKey}`,
        'Content-Type': 'application/json' }, body: JSON.stringify({ customer: { id: 'tls1', name: 'Tess' },
        topic: 'billing', language: 'en', text: 'over TLS', priority: 9 }) });
      const task = await r.json();
      let offer;
      do offer = await expert.expect('offer'); while (offer.task !== task.task);
      expert.send(JSON.stringify({ type: 'task.claim', task: task.task }));
      await expert.expect('task.assigned');
      const customer = await open(task.customer_token);
      await customer.expect('welcome');
      customer.send(JSON.stringify({ type: 'chat.send', task: task.task, text: 'hello over wss', cid: 'c1' }));
      const m = await expert.expect('chat.message');
      window.gx = { expert, customer, task: task.task };
      return { status: r.status, text: m.text };
    }, { expertTok: token('expert alice'), brandKey });
    check('task created over https', flow.status === 201, JSON.stringify(flow));
    check('chat over wss', flow.text === 'hello over wss', JSON.stringify(flow));

    const second = makeCert('gigcx-test-2');
    child.kill('SIGHUP');
    let now;
    for (let i = 0; i < 40 && (now = await servedFingerprint(port)) !== second; i++) await sleep(100);
    check('SIGHUP loads the renewed certificate', now === second && second !== first);
    const after = await page.evaluate(async () => {
      const { expert, customer, task } = window.gx;
      customer.send(JSON.stringify({ type: 'chat.send', task, text: 'still here', cid: 'c2' }));
      return (await expert.expect("chat.message")).text;
    });
    check('sockets opened before the reload stay open', after === 'still here', after);
  } catch (e) {
    check('tls flow', false, e.message);
  } finally {
    if (browser) await browser.close();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode != null ? r() : child.once('exit', r)));
    if (!process.env.KEEP) fs.rmSync(DIR, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
main();
