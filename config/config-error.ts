// A configuration or runbook file that does not validate: names the file, the path inside it and
// what was expected, so whoever edits it can fix it without reading code.
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(
      `${file}:\n${problems.map((problem) => `  ${problem.path || '(top level)'}: ${problem.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }

  static fromZod(file: string, error: z.ZodError): ConfigError {
    return new ConfigError(
      file,
      error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
}
