// One error carrying every configuration problem, so an operator fixes them all in one go.

export interface ConfigProblem {
  /** The key concerned; absent for problems such as an unreadable file. */
  readonly key?: string;
  /** Where the value came from: `<file> line <n>`, `environment variable <NAME>` or `default`. */
  readonly origin?: string;
  /** A complete sentence; never contains a secret value. */
  readonly message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`Invalid configuration (${count}):\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}
