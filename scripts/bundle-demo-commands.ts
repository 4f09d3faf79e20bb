// Bundles the demo's command-line tools into demo/dist (`npm run worker` and the container image do
// this; stack starts do it themselves).
import { bundleDemoCommands, demoCommandsDir } from '../demo/commands-bundle.js';

await bundleDemoCommands();
console.log(`demo commands bundled into ${demoCommandsDir()}`);
