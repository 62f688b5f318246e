// Ocelot's command line (§2.1): `-v`, `-c <path>`; anything else prints the usage text.

export type ParsedArgs = { configPath?: string; verbose: boolean } | { usage: string };

/**
 * `argv` is C-style: argv[0] is the program name used in the usage text, e.g.
 * `parseArgs(process.argv.slice(1))`. A repeated `-c` keeps the last path, as Ocelot does.
 */
export function parseArgs(argv: string[]): ParsedArgs {
  const program = argv[0] ?? 'oncilla';
  let verbose = false;
  let configPath: string | undefined;
  for (let i = 1; i < argv.length; i++) {
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
