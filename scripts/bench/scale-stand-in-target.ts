// The scale benchmark's target: one small HTTP process that holds the blue-green state of every
// stand-in service in every environment and answers each driver action, so hundreds of releases
// can run without hundreds of real services. It keeps the driver's contract where a release could
// notice: inspect prints the state as JSON, check fails unless the colour runs the version, and
// deploy/switch/retire refuse (409) when the active colour is not the one the release expected,
// unless the same idempotency key already succeeded (a retried call).
//
//   node --import tsx scripts/bench/scale-stand-in-target.ts --port <port>
//
// Paths: /{service}/{environment}/inspect, /check/{colour}/{version},
// /deploy/{colour}/{version}/{expectedActive}, /switch/{colour}/{expectedActive},
// /retire/{colour}/{expectedActive} (the last three take ?key=), and /stats (actions answered).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

type Colour = 'blue' | 'green';

interface TargetState {
  activeColour: Colour | null;
  colours: Record<Colour, { version: string } | null>;
  /** Idempotency keys of the changes already made, so a retried call is the no-op it should be. */
  doneKeys: Set<string>;
}

const targets = new Map<string, TargetState>();
const answered: Record<string, number> = {};

function stateOf(service: string, environment: string): TargetState {
  const id = `${service}/${environment}`;
  let state = targets.get(id);
  if (!state) {
    state = { activeColour: null, colours: { blue: null, green: null }, doneKeys: new Set() };
    targets.set(id, state);
  }
  return state;
}

const isColour = (value: string | undefined): value is Colour => value === 'blue' || value === 'green';
const expectedActiveOf = (value: string | undefined) => (value === 'none' ? null : value);

interface Answer {
  status: number;
  body: unknown;
}

/** The blue-green actions over one target's state; `args` are the path segments after the action. */
function act(state: TargetState, action: string, args: string[], key: string | null): Answer {
  const [colour, second, third] = args;
  if (action === 'inspect') {
    return { status: 200, body: { activeColour: state.activeColour, colours: state.colours } };
  }
  if (!isColour(colour)) return { status: 400, body: { error: `unknown colour ${colour}` } };
  if (action === 'check') {
    const runs = state.colours[colour]?.version === second;
    return runs
      ? { status: 200, body: { healthy: true } }
      : { status: 422, body: { error: `${colour} does not run ${second}` } };
  }
  const expected = expectedActiveOf(action === 'deploy' ? third : second);
  if (key && state.doneKeys.has(key)) return { status: 200, body: { repeated: true } };
  if (expected !== state.activeColour) {
    return { status: 409, body: { error: `active is ${state.activeColour ?? 'none'}, not ${expected}` } };
  }
  if (action === 'deploy') state.colours[colour] = { version: second ?? '' };
  else if (action === 'switch') state.activeColour = colour;
  else if (action === 'retire') {
    state.colours[colour] = null;
    if (state.activeColour === colour) state.activeColour = null;
  } else return { status: 404, body: { error: `unknown action ${action}` } };
  if (key) state.doneKeys.add(key);
  return { status: 200, body: { done: action } };
}

function answer(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const [service, environment, action, ...args] = url.pathname
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  let result: Answer;
  if (service === 'stats') result = { status: 200, body: { targets: targets.size, answered } };
  else if (!service || !environment || !action) result = { status: 404, body: { error: 'no such path' } };
  else {
    result = act(stateOf(service, environment), action, args, url.searchParams.get('key'));
    answered[action] = (answered[action] ?? 0) + 1;
  }
  response.writeHead(result.status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(result.body)}\n`);
}

function main(): void {
  const { values } = parseArgs({ options: { port: { type: 'string' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port <= 0) throw new Error('--port <port> is required');
  const server = createServer(answer);
  // Hundreds of short-lived curl connections at once: a deep accept queue, no keep-alive to hold.
  server.listen({ port, host: '127.0.0.1', backlog: 1024 }, () => console.log(`listening on ${port}`));
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
