// The secret values this process holds (tokens, signing and payload keys, database passwords,
// secrets from the secrets file). Every log line is scrubbed of them before it is written
// (R-SECRETS), wherever in a logged object or message they hide; redaction by path alone would
// miss a secret under a name nobody thought of.

/** Shorter values would scrub ordinary words out of log lines. */
const MIN_SECRET_LENGTH = 8;
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

export function scrubSecrets(line: string): string {
  let scrubbed = line;
  for (const secret of secrets) {
    if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join('[redacted]');
  }
  return scrubbed;
}
