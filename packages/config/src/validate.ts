// Turns raw settings into typed values, collecting one problem per bad key.

import type { ConfigProblem } from './errors.js';
import { CONFIG_KEYS, type ConfigValues } from './schema.js';
import type { RawSettings } from './sources.js';

export function validateSettings(settings: RawSettings, problems: ConfigProblem[]): ConfigValues | undefined {
  const values: Partial<Record<keyof ConfigValues, unknown>> = {};
  let complete = true;
  for (const spec of CONFIG_KEYS) {
    const setting = settings.get(spec.name);
    if (setting === undefined) throw new Error(`no value for config key ${spec.name}`);
    const result = spec.parse(setting.raw);
    if (result.ok) {
      values[spec.name] = result.value;
      continue;
    }
    complete = false;
    // show() is null for secrets, so their text never reaches the message.
    const shown = spec.show(setting.raw) ?? '<hidden>';
    const reason = result.reason === undefined ? '' : ` (${result.reason})`;
    problems.push({
      key: spec.name,
      origin: setting.origin,
      message: `${spec.name}: invalid value ${shown} from ${setting.origin}${reason}; expected ${spec.validation}`,
    });
  }
  // Every entry was produced by its own key's parser, so the record matches ConfigValues.
  return complete ? (values as ConfigValues) : undefined;
}
