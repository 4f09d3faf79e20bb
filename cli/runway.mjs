#!/usr/bin/env node
// The package's `runway` bin: registers tsx, then runs the TypeScript command, so a checkout needs
// no build step (`npx runway …`, or put cli/ on PATH through npm link).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
