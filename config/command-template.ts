// Configured commands are argument arrays with placeholders ({version}, {colour}, …). Values that
// fill them must be plain tokens, so nothing a caller sends can become an option or shell syntax
// (R-INPUT).

/** No whitespace, no quotes or shell metacharacters, and no leading '-' (it would read as an option). */
export const COMMAND_VALUE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+:/@=-]*$/;
const PLACEHOLDER = /\{([a-zA-Z]+)\}/g;

export class CommandValueError extends Error {
  override name = 'CommandValueError';
}

export function fillPlaceholders(
  argv: readonly string[],
  values: Readonly<Record<string, string>>,
): string[] {
  return argv.map((arg) =>
    arg.replace(PLACEHOLDER, (whole, name: string) => {
      const value = values[name];
      if (value === undefined) return whole;
      if (!COMMAND_VALUE_PATTERN.test(value)) {
        throw new CommandValueError(
          `value for {${name}} is not allowed on a command line: ${JSON.stringify(value)}`,
        );
      }
      return value;
    }),
  );
}

export function unfilledPlaceholders(argv: readonly string[]): string[] {
  return argv.flatMap((arg) => [...arg.matchAll(PLACEHOLDER)].map((match) => match[0]));
}

/** In a secret's source variable name: the environment the command runs in (R-SECRETS). */
export const ENVIRONMENT_PLACEHOLDER = '{ENVIRONMENT}';

/** The worker variable holding a secret for one environment: `production` → `..._PRODUCTION_...`. */
export function secretVariableFor(source: string, environment: string): string {
  return source.replace(ENVIRONMENT_PLACEHOLDER, environment.toUpperCase().replaceAll('-', '_'));
}
