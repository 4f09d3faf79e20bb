// `npm run deployment -- status` lists the builds of Runway's worker deployment: which is current
// (takes new releases) and whether releases still run on each (draining) or none do (drained: its
// workers may stop). `npm run deployment -- current <build>` makes a build current, once its
// workers poll. It reaches Temporal as the workers do: RUNWAY_TEMPORAL_ADDRESS, RUNWAY_TEMPORAL_TLS_*
// or runway.yml (RUNWAY_CONFIG_DIR).
import { Connection } from '@temporalio/client';
import { applyEnvironmentOverrides } from '../config/environment-overrides.js';
import { loadConfig } from '../config/load-config.js';
import { temporalConnectionOptions } from '../config/temporal-connection.js';
import { deploymentBuilds, setCurrentBuild } from '../worker/worker-deployment.js';

const [command, buildId] = process.argv.slice(2);
if (command !== 'status' && !(command === 'current' && buildId)) {
  console.error('usage: npm run deployment -- status | current <build id>');
  process.exit(1);
}
const config = applyEnvironmentOverrides(await loadConfig(process.env.RUNWAY_CONFIG_DIR));
const { namespace } = config.settings.temporal;
const connection = await Connection.connect(temporalConnectionOptions(config.settings));
try {
  if (command === 'current') {
    await setCurrentBuild(connection, namespace, buildId as string);
    console.log(`build ${buildId} is current: new releases start on it`);
  }
  for (const build of await deploymentBuilds(connection, namespace)) {
    console.log(`${build.buildId.padEnd(24)} ${build.current ? 'current ' : '        '} ${build.drainage}`);
  }
} catch (error) {
  console.error(`deployment ${command} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await connection.close();
}
