// Ocelot's command line: `-v`, `-c <path>`; anything else prints the usage text.

export type ParsedArgs = { configPath?: string; verbose: boolean } | { usage: string };

/**
 * `argv` holds the arguments only, as in `parseArgs(process.argv.slice(2))`; `program` stands in
 * for Ocelot's argv[0] in the usage text. A repeated `-c` keeps the last path, as Ocelot does.
 */
export function parseArgs(argv: string[], program = 'oncilla'): ParsedArgs {
  let verbose = false;
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-v') {
      verbose = true;
    } else if (arg === '-c' && i < argv.length - 1) {
      configPath = argv[++i];
    } else {
      return { usage: `Usage: ${program} [-v] [-c configfile]` };
    }
  }
  return configPath === undefined ? { verbose } : { configPath, verbose };
}
