/**
 * edm-sender: the demo's second service, the mail sender behind edm-web, updated instance by
 * instance (R-RB-ROLLING). One process is one instance; the demo target runs several per
 * environment behind a round-robin proxy. It honours edm-web's build metadata (`+failing`, `+slow`,
 * `+errors`, `+degrading`, `+unhealthy-later`, demo/edm-web/version.ts) and one of its own:
 * `+failing-on-<instance>` fails only on the instance of that name, as a build that breaks on one
 * host only, so a rolling update passes its first batches and fails a later one.
 */
import { readCommandLine, runEdmService, unavailable } from '../edm-web/edm-service.js';
import { readFaultSettings } from '../edm-web/faults.js';
import { INSTANCE_NAME_PATTERN, senderBehaviour } from './behaviour.js';

const SENDS = [
  { id: 'snd-101', campaign: 'cmp-001', accepted: 12790, bounced: 50 },
  { id: 'snd-102', campaign: 'cmp-002', accepted: 3100, bounced: 20 },
];

const BACKEND = 'mail relay';

runEdmService({
  name: 'edm-sender',
  paths: ['/api/sends'],
  backend: BACKEND,
  route(path, failing) {
    if (path !== '/api/sends') return null;
    return failing ? unavailable(BACKEND) : { status: 200, body: SENDS };
  },
  usage: ['usage: server.ts --port PORT --version SEMVER --instance NAME'],
  readInstance(argv) {
    const { port, version, value: instance = '' } = readCommandLine(argv, 'instance');
    if (!INSTANCE_NAME_PATTERN.test(instance)) {
      throw new Error(
        `--instance must be a name matching ${INSTANCE_NAME_PATTERN.source}, got "${instance}"`,
      );
    }
    const faults = readFaultSettings(process.env);
    return { port, version, identity: { instance }, behaviour: senderBehaviour(version, instance), faults };
  },
  describe: ({ identity, behaviour }) => `${identity.instance}, ${behaviour}`,
});
