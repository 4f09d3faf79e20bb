/**
 * edm-web: the demo's web service, deployed blue-green: one process is one colour of an environment,
 * behind the demo target's traffic proxy. Its build metadata chooses how it misbehaves (version.ts).
 */
import { colourSchema } from '../target/model.js';
import { readCommandLine, runEdmService, unavailable } from './edm-service.js';
import { readFaultSettings } from './faults.js';
import { CONFIG_FILE_ENV, liveConfigReader } from './live-config.js';
import { behaviourOf, LATE_FAULTS } from './version.js';

const CAMPAIGNS = [
  { id: 'cmp-001', name: 'Spring newsletter', status: 'sent', recipients: 12840 },
  { id: 'cmp-002', name: 'Abandoned basket reminder', status: 'scheduled', recipients: 3120 },
  { id: 'cmp-003', name: 'Product launch teaser', status: 'draft', recipients: 0 },
];

const BACKEND = 'campaign store';

// The environment's live configuration, written by the demo target when a bundle is applied.
const servedConfig = liveConfigReader(process.env[CONFIG_FILE_ENV]);

runEdmService({
  name: 'edm-web',
  paths: ['/api/campaigns', '/config'],
  backend: BACKEND,
  route(path, failing) {
    if (path === '/config') {
      const { revision, settings, problem } = servedConfig();
      return { status: 200, body: { revision, settings, healthy: problem === null, problem } };
    }
    if (failing && path.startsWith('/api/')) return unavailable(BACKEND);
    return path === '/api/campaigns' ? { status: 200, body: CAMPAIGNS } : null;
  },
  configurationProblem: () => servedConfig().problem,
  usage: [
    'usage: server.ts --port PORT --version SEMVER --colour blue|green',
    'environment: EDM_FAULT_AFTER_MS EDM_FAULT_CLOCK=start|traffic EDM_ERROR_SHARE EDM_DEGRADED_DELAY_MS',
  ],
  readInstance(argv) {
    const { port, version, value } = readCommandLine(argv, 'colour');
    const colour = colourSchema.safeParse(value);
    if (!colour.success) throw new Error(`--colour must be blue or green, got ${value ?? 'nothing'}`);
    const faults = readFaultSettings(process.env);
    return { port, version, identity: { colour: colour.data }, behaviour: behaviourOf(version), faults };
  },
  describe({ identity, behaviour }, clock) {
    const faults = LATE_FAULTS.has(behaviour) ? `, ${clock.describe()}` : '';
    return `${identity.colour}, ${behaviour}${faults}`;
  },
});
