import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderConfigMarkdown } from '../src/markdown.js';

it('docs/configuration.md matches the schema table (regenerate: see the file header)', () => {
  const file = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(file, renderConfigMarkdown());
});
