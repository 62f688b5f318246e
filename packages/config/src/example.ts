// Renders ocelot.conf.example from the schema; a test keeps the checked-in file identical.
// Regenerate: node --conditions=development --import tsx -e \
//   "import('@oncilla/config').then(m => process.stdout.write(m.renderExampleConfig()))" \
//   > packages/config/ocelot.conf.example

import { CONFIG_KEYS, type ConfigKeySpec } from './schema.js';

const HEADER = `# Oncilla configuration, in Ocelot's ocelot.conf format (an existing ocelot.conf works as is).
# A line counts only if its first character is not '#' and it contains '='. The key is the text
# before the first '=', the value the rest; spaces, tabs and CR around both are removed.
# A '#' anywhere but the first column is literal; there is no quoting.
# Every key can also be set by the environment variable TRACKER_<KEY> (e.g. TRACKER_LISTEN_PORT),
# which wins over this file. Invalid values stop the tracker with a message naming the key.
# SIGHUP re-reads this file; keys marked [restart] only take effect after a restart.
# Every line below shows the built-in default.
`;

function entry(spec: ConfigKeySpec, width: number): string {
  const restart = spec.reloadable ? '' : ' [restart]';
  const comment = `# ${spec.description} Expected: ${spec.validation}.${restart}`;
  if (typeof spec.default !== 'string') {
    // A computed default cannot be written down; leave the key commented out.
    return `${comment}\n#${spec.name.padEnd(width - 1)} = <${spec.default.describe}>`;
  }
  const line = `${spec.name.padEnd(width)} = ${spec.default}`;
  return `${comment}\n${line.trimEnd()}`;
}

export function renderExampleConfig(): string {
  const width = Math.max(...CONFIG_KEYS.map((s) => s.name.length));
  const section = (origin: 'ocelot' | 'oncilla') =>
    CONFIG_KEYS.filter((s) => s.origin === origin)
      .map((s) => entry(s, width))
      .join('\n\n');
  return [
    HEADER,
    "# ---- Ocelot's keys (GazellePW defaults) ----\n",
    section('ocelot'),
    "\n# ---- Oncilla's own keys ----\n",
    section('oncilla'),
    '',
  ].join('\n');
}
