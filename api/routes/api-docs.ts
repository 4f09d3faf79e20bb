// The OpenAPI document and its Swagger UI, both public: they describe the API, they hold no data.

import { swaggerUI } from '@hono/swagger-ui';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RunwayConfig } from '../../config/config-schema.js';
import type { AppEnv } from '../app-env.js';

export const OPENAPI_PATH = '/openapi.json';
/** The version of the API's contract, which the /api/v1 prefix carries too; not the package version. */
const API_VERSION = '1.0.0';

/** Mounted on the root app last, so the document holds every route the sub-apps brought in. */
export function addApiDocs(app: OpenAPIHono<AppEnv>, config: RunwayConfig): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from the environment variable runway.yml names for the identity.',
  });
  const { publicUrl } = config.settings.api;
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'Runway API',
      version: API_VERSION,
      description: 'Durable release runbooks on Temporal: start, watch and approve releases.',
    },
    ...(publicUrl ? { servers: [{ url: publicUrl }] } : {}),
    tags: [
      { name: 'releases', description: 'Releases and their approval gates.' },
      { name: 'health', description: 'Liveness and readiness probes.' },
    ],
  });
  app.get('/docs', swaggerUI({ url: OPENAPI_PATH, title: 'Runway API' }));
}
