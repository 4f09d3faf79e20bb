// Bundles the demo's tools and servers into demo/dist (`npm run worker` and the container image do
// this; stack starts do it themselves).
import { bundleDemoPrograms, demoBundlesDir } from '../demo/program-bundles.js';

await bundleDemoPrograms();
console.log(`demo tools and servers bundled into ${demoBundlesDir()}`);
