#!/usr/bin/env node
// `npm start` builds only when something the build reads has changed since the last build: the
// sources (server, tab, tests), the TypeScript and Vite configs, and the package files. A build
// records what it read in dist/.build-inputs; starting compares. `--record` (run by `npm run
// build` when it succeeds) writes the record. Size and modification time of each file, hashed:
// a few milliseconds, against about 14 s for a build that changes nothing.
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const record = join(root, 'dist', '.build-inputs');
const INPUTS = ['bot', 'adapters', 'triage', 'db', 'test', 'teams-app', 'tsconfig.json', 'package.json', 'package-lock.json'];
const SKIP = new Set(['node_modules', 'dist', '.git']);

function fingerprint() {
  const lines = [];
  const walk = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!SKIP.has(name)) walk(join(path, name));
    } else {
      lines.push(`${relative(root, path)} ${stat.size} ${stat.mtimeMs}`);
    }
  };
  for (const input of INPUTS) walk(join(root, input));
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

if (process.argv.includes('--record')) {
  writeFileSync(record, `${fingerprint()}\n`);
  process.exit(0);
}

const built = existsSync(join(root, 'dist', 'bot', 'index.js')) && existsSync(record) && readFileSync(record, 'utf8').trim() === fingerprint();
if (built) process.exit(0);
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(result.status ?? 1);
