// `npm run build:temporal-server`: builds (or finds) the Temporal server, its schema tool and
// Temporal Web's server at the pinned versions (scripts/temporal-server.json) into the build cache
// outside the clone, and prints where they are. `npm run cluster` does this itself when needed.
import { provideServerBinaries } from '../stack/cluster/server-binaries.js';

const started = Date.now();
const binaries = await provideServerBinaries((line) => console.log(`[temporal-server] ${line}`));
console.log(JSON.stringify(binaries, null, 2));
console.log(`[temporal-server] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
