#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test and apps/*/test with node's test runner.
// Node 20's --test does not expand globs itself, so the files are listed here.
// `--unit` keeps only files named *.unit.test.ts (no servers needed).
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const unitOnly = process.argv.includes('--unit');
const files = [];
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name, 'test');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.test.ts')) continue;
      if (unitOnly && !f.endsWith('.unit.test.ts')) continue;
      files.push(join(group, name, 'test', f));
    }
  }
}
files.sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const args = ['--conditions=development', '--import', 'tsx', '--test', '--test-reporter=spec', ...files];
const res = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(res.status ?? 1);
