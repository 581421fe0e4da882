#!/usr/bin/env node
// `npm test`: unit tests once, then the integration suite on SQLite and again on PostgreSQL
// when 127.0.0.1:5432 answers (required when LAMPLIGHT_REQUIRE_POSTGRES=1, as in CI).
'use strict';
const { spawnSync } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const mocha = path.join(__dirname, '..', 'node_modules', 'mocha', 'bin', 'mocha.js');
const dist = path.join(__dirname, '..', 'dist', 'test');
const extra = process.argv.slice(2);

const totals = { passed: 0, failed: 0, skipped: 0 };

/**
 * `node`: the Node.js to run the suite on (default this one). With LAMPLIGHT_POSTGRES_NODE=24 the
 * PostgreSQL run goes on Node 24 from the npm registry (`npx -y node@24`): users run the current
 * LTS, while this machine's Node is 20 (better-sqlite3's build here is for 20, so the SQLite runs
 * stay on it).
 */
function run(label, files, env, node = [process.execPath]) {
  process.stdout.write(`\n=== ${label} ===\n`);
  const result = spawnSync(node[0], [...node.slice(1), mocha, '--timeout', '20000', '--exit', ...extra, files], {
    stdio: ['inherit', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = result.stdout.toString();
  process.stdout.write(output);
  const count = (word) => Number((output.match(new RegExp(`^\\s*(\\d+) ${word}`, 'm')) ?? [0, 0])[1]);
  totals.passed += count('passing');
  totals.failed += count('failing') + (result.status !== 0 && count('failing') === 0 ? 1 : 0);
  totals.skipped += count('pending');
  return result.status === 0;
}

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1500 }, () => { socket.end(); resolve(true); });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => { socket.destroy(); resolve(false); });
  });
}

(async () => {
  const results = [];
  results.push(['unit', run('unit tests', `${dist}/unit/**/*.test.js`, {})]);
  results.push(['integration (SQLite)', run('integration tests on SQLite', `${dist}/integration/**/*.test.js`, { TEST_DATABASE: 'sqlite' })]);
  results.push(['browser (SQLite)', run('browser tests (headless Chromium) on SQLite', `${dist}/browser/**/*.test.js`, { TEST_DATABASE: 'sqlite' })]);
  if (await reachable('127.0.0.1', 5432)) {
    const version = process.env.LAMPLIGHT_POSTGRES_NODE;
    const node = version ? ['npx', '-y', `node@${version}`] : [process.execPath];
    results.push([`integration (PostgreSQL${version ? `, Node ${version}` : ''})`, run(`integration tests on PostgreSQL${version ? ` (Node ${version})` : ''}`, `${dist}/integration/**/*.test.js`, { TEST_DATABASE: 'postgres' }, node)]);
  } else if (process.env.LAMPLIGHT_REQUIRE_POSTGRES === '1') {
    process.stdout.write('\nPostgreSQL is required (LAMPLIGHT_REQUIRE_POSTGRES=1) but 127.0.0.1:5432 does not answer\n');
    results.push(['integration (PostgreSQL)', false]);
  } else {
    process.stdout.write('\nPostgreSQL at 127.0.0.1:5432 does not answer: the PostgreSQL run is skipped\n');
  }
  process.stdout.write('\n');
  for (const [label, ok] of results) process.stdout.write(`${ok ? 'ok    ' : 'FAILED'}  ${label}\n`);
  process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
  process.exit(results.every(([, ok]) => ok) ? 0 : 1);
})();
