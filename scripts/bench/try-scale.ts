// Tries the scale benchmark on its own and prints its rows:
//   node --import tsx scripts/bench/try-scale.ts --releases 20 --server dev [--server cluster]
// Needs dist/ (`npm run build:dist`).
import { parseArgs } from 'node:util';
import { measureScale } from './scale.js';
import type { ScaleServer } from './scale-stacks.js';

const SERVERS: readonly ScaleServer[] = ['dev', 'cluster'];

function serversOf(given: string[] | undefined): ScaleServer[] {
  const servers = given?.length ? given : ['dev'];
  for (const server of servers) {
    if (!SERVERS.includes(server as ScaleServer))
      throw new Error(`--server is dev or cluster, not ${server}`);
  }
  return servers as ScaleServer[];
}

const { values } = parseArgs({
  options: { releases: { type: 'string', default: '20' }, server: { type: 'string', multiple: true } },
});
const releases = Number(values.releases);
if (!Number.isInteger(releases) || releases < 1) throw new Error('--releases takes a whole number');
const rows = await measureScale({ releases, servers: serversOf(values.server) });
for (const row of rows) {
  const target = row.target ? ` (target ${row.target}: ${row.met ? 'met' : 'NOT met'})` : '';
  console.log(
    `${row.name}: ${row.runway.value.toFixed(2)} ${row.unit}${target}${row.note ? `\n    ${row.note}` : ''}`,
  );
}
process.exit(0);
