import { z } from 'zod';

export const COLOURS = ['blue', 'green'] as const;
export const colourSchema = z.enum(COLOURS, { error: 'must be blue or green' });
export type Colour = z.infer<typeof colourSchema>;

export const ENVIRONMENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
export const environmentNameSchema = z
  .string()
  .regex(ENVIRONMENT_NAME_PATTERN, { error: 'must match ^[a-z][a-z0-9-]{0,31}$' });

export interface ColourStatus {
  version: string;
  port: number;
  running: boolean;
  pid: number | null;
}

export interface EnvironmentStatus {
  environment: string;
  /** Null while nothing takes traffic: nothing was ever deployed, or the active colour was retired. */
  activeColour: Colour | null;
  colours: Record<Colour, ColourStatus | null>;
}

/**
 * The active colour a caller expects, for compare-and-swap: null means "nothing active", undefined
 * means the caller does not say (older callers, or an operator by hand) and nothing is checked.
 */
export type ExpectedActive = Colour | null | undefined;

export interface DeployResult extends ColourStatus {
  environment: string;
  colour: Colour;
}

export interface SwitchResult {
  environment: string;
  activeColour: Colour;
  previousColour: Colour | null;
}

export interface RetireResult {
  environment: string;
  colour: Colour;
  stoppedVersion: string | null;
  stoppedPid: number | null;
  /** After the retire: null when the retired colour was the active one. */
  activeColour: Colour | null;
}

export type ControlErrorStatus = 400 | 404 | 405 | 409 | 500;

/** An error the control API reports to its caller with the given HTTP status. */
export class DemoTargetError extends Error {
  constructor(
    readonly status: ControlErrorStatus,
    message: string,
    /** Machine-readable fields sent beside `error`, so a caller can tell this refusal from others. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DemoTargetError';
  }
}

/** The `code` of a 409 whose cause is that the environment is not as the caller expected it. */
export const TARGET_CHANGED_CODE = 'target-changed';

/** Refused because acting would overwrite someone else's change, or deploy onto live traffic. */
export function targetChanged(message: string, activeColour: Colour | null): DemoTargetError {
  return new DemoTargetError(409, message, { code: TARGET_CHANGED_CODE, activeColour });
}

/** One edm-sender instance as the control API reports it. */
export interface SenderInstanceStatus {
  instance: string;
  version: string;
  port: number;
  running: boolean;
  /** Its last health check passed: the proxy sends it requests. */
  healthy: boolean;
  pid: number | null;
}

export interface UpdateInstanceResult extends SenderInstanceStatus {
  environment: string;
  /** What it ran before; the same as `version` when the update changed nothing. */
  previousVersion: string;
}

/** Refused because the instance does not run the version the caller expected: someone changed it. */
export function instanceChanged(message: string, version: string): DemoTargetError {
  return new DemoTargetError(409, message, { code: TARGET_CHANGED_CODE, version });
}
