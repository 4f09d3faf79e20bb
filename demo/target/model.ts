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
  activeColour: Colour;
  colours: Record<Colour, ColourStatus | null>;
}

export interface DeployResult extends ColourStatus {
  environment: string;
  colour: Colour;
}

export interface SwitchResult {
  environment: string;
  activeColour: Colour;
  previousColour: Colour;
}

export interface StopResult {
  environment: string;
  colour: Colour;
  stoppedVersion: string | null;
  stoppedPid: number | null;
}

export type ControlErrorStatus = 400 | 404 | 405 | 409 | 500;

/** An error the control API reports to its caller with the given HTTP status. */
export class DemoTargetError extends Error {
  constructor(
    readonly status: ControlErrorStatus,
    message: string,
  ) {
    super(message);
    this.name = 'DemoTargetError';
  }
}
