// A known path asked with a method it does not declare answers 405 with the methods it does (RFC 9110
// 15.5.6), not 404: a client learns its mistake is the method, not the address (R-INPUT).
import type { Hono, NotFoundHandler } from 'hono';
import type { AppEnv } from './app-env.js';
import { errorJson, notFound } from './error-responses.js';

interface RoutePattern {
  method: string;
  matches: RegExp;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** hono's path syntax (/releases/:id, :id{regex}, a trailing *) as an anchored expression. */
function pathExpression(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return escapeRegExp(segment);
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

/** The methods declared for a path; GET brings HEAD, which hono answers from the GET handler. */
export function allowedMethods(patterns: readonly RoutePattern[], path: string): string[] {
  const methods = new Set(patterns.filter((route) => route.matches.test(path)).map((route) => route.method));
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/**
 * The app's not-found handler: 405 with Allow when the path exists under other methods, 404
 * otherwise.
 */
export function methodNotAllowed(app: Hono<AppEnv>): NotFoundHandler<AppEnv> {
  return (c) => {
    // Read on each miss, so routes mounted after this handler count too; a miss is rare and cheap.
    const patterns = app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => ({ method: route.method, matches: pathExpression(route.path) }));
    const allowed = allowedMethods(patterns, c.req.path);
    if (allowed.length === 0) return notFound(c);
    c.header('Allow', allowed.join(', '));
    return errorJson(c, 405, {
      code: 'method_not_allowed',
      message: `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allowed.join(', ')}`,
    });
  };
}
