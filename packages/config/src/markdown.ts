// The configuration reference (docs/configuration.md), rendered from the schema table so the
// docs cannot drift from the code (a test compares them).
import { CONFIG_KEYS, type ConfigKeySpec } from './schema.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function row(s: ConfigKeySpec): string {
  const def = typeof s.default === 'string' ? (s.secret && s.default ? '(32 zeros)' : s.default === '' ? '(empty)' : `\`${s.default}\``) : s.default.describe;
  return `| \`${s.name}\` | \`${s.env}\` | ${cell(def)} | ${cell(s.validation)} | ${s.reloadable ? 'yes' : 'restart'} | ${cell(s.description)} |`;
}

export function renderConfigMarkdown(): string {
  const table = (origin: 'ocelot' | 'oncilla'): string =>
    ['| key | environment | default | valid values | SIGHUP | meaning |', '|---|---|---|---|---|---|', ...CONFIG_KEYS.filter((s) => s.origin === origin).map(row)].join('\n');
  return `# Configuration reference

<!-- Generated from packages/config/src/schema.ts by renderConfigMarkdown(); a test checks it. Regenerate with:
node --conditions=development --import tsx -e "import('@oncilla/config').then((m) => process.stdout.write(m.renderConfigMarkdown()))" > docs/configuration.md -->

Oncilla reads an Ocelot-style \`ocelot.conf\` (\`npm start -- -c <file>\`; without \`-c\`,
\`./ocelot.conf\` if it exists). The format is Ocelot's:
- one \`key = value\` per line;
- a \`#\` in the first column starts a comment;
- unknown keys are warned about and ignored.

Unlike Ocelot, Oncilla trims Windows line endings and refuses invalid values.

Every key can also be set with an environment variable, which wins over the file (for Docker).
An invalid value stops the start with a message that names the key and where it came from.
Secrets are never shown. On SIGHUP the file and the environment are read again:
- keys marked **restart** keep their running value, and the log names them;
- the others apply in every worker from the next request on;
- the site's runtime overrides (\`update_announce_interval\`, \`update_announce_jitter\`) are
  dropped, as in Ocelot.

A complete example file is \`packages/config/ocelot.conf.example\`.

## Ocelot's keys (an existing ocelot.conf keeps working)

${table('ocelot')}

## Oncilla's keys

${table('oncilla')}
`;
}
