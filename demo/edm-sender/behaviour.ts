import semver from 'semver';
import { behaviourOf, type EdmBehaviour } from '../edm-web/version.js';

/** An edm-sender instance's name: `sender-1`, `sender-2`, … in the demo. */
export const INSTANCE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * The build's behaviour on one instance. Beside edm-web's build metadata, `+failing-on-<instance>`
 * fails on that instance only, like a build that breaks on one host: a rolling update passes its
 * first batches and fails the batch holding that instance.
 */
export function senderBehaviour(version: string, instance: string): EdmBehaviour {
  const build = semver.parse(version)?.build ?? [];
  return build.includes(`failing-on-${instance}`) ? 'failing' : behaviourOf(version);
}
