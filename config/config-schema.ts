// The shape of every configuration file (R-INPUT). Secrets never appear in these files: only the
// names of the environment variables that hold them (R-SECRETS).
import { z } from 'zod';
import { analysisThresholdsSchema, bakeProbeSettingsSchema } from '../analysis/thresholds.js';
import { ACCESS_ROLES, APPROVER_ROLES } from '../workflows/release-model.js';
import { COMMAND_VALUE_PATTERN, ENVIRONMENT_PLACEHOLDER } from './command-template.js';

export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export const name = z.string().regex(NAME_PATTERN, 'expected a lower-case name (a-z, 0-9, -)');
const envVarName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name (A-Z, 0-9, _)');
const seconds = z.number().int().positive();

/** Values that reach a command line must be plain tokens: no whitespace, no leading '-'. */
const commandValue = z.string().regex(COMMAND_VALUE_PATTERN, 'expected a plain value for a command line');

/**
 * Where a command's secret comes from: a worker environment variable named per environment, so
 * production's credentials are never the ones TEST uses (R-SECRETS). `{ENVIRONMENT}` becomes the
 * environment's name in upper case (`EDM_WEB_{ENVIRONMENT}_DEPLOY_TOKEN` → `EDM_WEB_PRODUCTION_DEPLOY_TOKEN`).
 */
const secretSource = z
  .string()
  .regex(
    new RegExp(`^[A-Z0-9_]*${ENVIRONMENT_PLACEHOLDER.replace(/[{}]/g, '\\$&')}[A-Z0-9_]*$`),
    `expected an environment variable name containing ${ENVIRONMENT_PLACEHOLDER} (A-Z, 0-9, _), so each environment has its own credentials`,
  );

export const commandSchema = z.strictObject({
  argv: z.array(z.string().min(1)).min(1, 'expected at least the program to run'),
  timeoutSeconds: seconds.default(60),
  /** Variables the command gets: its own name → where the worker holds the secret. */
  envFrom: z.record(envVarName, secretSource).default({}),
});

export const httpCheckSchema = z.strictObject({
  name,
  path: z.string().startsWith('/', 'expected a path starting with /'),
  expectStatus: z.number().int().min(100).max(599).default(200),
  expectVersion: z.boolean().default(false),
  timeoutSeconds: seconds.default(5),
});

/**
 * A service's migration tool: `status` prints {migrationId, applied} as JSON, `up` migrates to
 * {version}, `down` back to {migrationId} (`none`: no migration at all). Their commands get the
 * database URL through envFrom, from the same per-environment variable as `urlEnv`.
 */
export const databaseSchema = z
  .strictObject({
    urlEnv: secretSource,
    actions: z.strictObject({ status: commandSchema, up: commandSchema, down: commandSchema }),
  })
  .superRefine((database, context) => {
    // Without them the tool cannot know where to go: up to what, down to where.
    const needs = { up: '{version}', down: '{migrationId}' } as const;
    for (const [action, placeholder] of Object.entries(needs) as [keyof typeof needs, string][]) {
      const argv = database.actions?.[action]?.argv ?? [];
      if (!argv.some((arg) => arg.includes(placeholder))) {
        context.addIssue({
          code: 'custom',
          path: ['actions', action, 'argv'],
          message: `expected the ${placeholder} placeholder`,
        });
      }
    }
  });

/** The driver actions that change traffic or instances, so the target must be able to refuse them. */
const COMPARE_AND_SWAP_ACTIONS = ['deploy', 'switch', 'retire'] as const;
const EXPECTED_ACTIVE_PLACEHOLDER = '{expectedActive}';

/**
 * How a bake watches the service (R-RB-TRIGGER-AUTO): over HTTP (health from the first verification
 * check, traffic on the others), or through a Prometheus server scraping it. Thresholds default to
 * the spec's: health failing 3 times in a row, error rate above 5 %, p95 above 200 % of the baseline.
 */
const analysisSchema = z.strictObject({
  bakeSeconds: z.number().int().min(1).max(86_400).default(300),
  baselineSeconds: z.number().int().min(1).max(3_600).default(30),
  /** The short probe of the rollback verification checklist (R-RB-VERIFY). */
  recoverySeconds: z.number().int().min(1).max(600).default(10),
  probe: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('http') }),
      z.strictObject({
        type: z.literal('prometheus'),
        url: z.url({ protocol: /^https?$/ }),
        /** Label matchers; `{environment}` in a value becomes the environment's name. */
        selector: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string().min(1)),
        scrapeIntervalSeconds: z.number().positive().max(300).default(15),
      }),
    ])
    .default({ type: 'http' }),
  thresholds: analysisThresholdsSchema.default(analysisThresholdsSchema.parse({})),
  probeSettings: bakeProbeSettingsSchema.default(bakeProbeSettingsSchema.parse({})),
});

/** Rolling (R-RB-ROLLING): `update` must carry it, so an instance someone changed is left alone. */
const EXPECTED_VERSION_PLACEHOLDER = '{expectedVersion}';

const blueGreenDeploySchema = z.strictObject({
  strategy: z.literal('blue-green'),
  driver: z.strictObject({
    type: z.literal('command'),
    actions: z.strictObject({
      inspect: commandSchema,
      deploy: commandSchema,
      check: commandSchema,
      switch: commandSchema,
      retire: commandSchema,
    }),
  }),
});

/**
 * Instance by instance, `batchSize` at a time, each batch checked before the next (R-RB-ROLLING):
 * `instances` prints [{instance, version}] as JSON, `update` puts {version} on {instance} only while
 * it runs {expectedVersion}, `check` checks {instance} runs {version} healthily.
 */
const rollingDeploySchema = z.strictObject({
  strategy: z.literal('rolling'),
  batchSize: z.number().int().min(1),
  driver: z.strictObject({
    type: z.literal('command'),
    actions: z.strictObject({ instances: commandSchema, update: commandSchema, check: commandSchema }),
  }),
});

const deploySchema = z.discriminatedUnion('strategy', [blueGreenDeploySchema, rollingDeploySchema]);

function argvMissing(command: { argv?: string[] } | undefined, placeholder: string): boolean {
  return !(command?.argv ?? []).some((arg) => arg.includes(placeholder));
}

/** A configuration change (R-CONFIG-CHANGE) must name what it expects in force, so the target can refuse. */
const EXPECTED_REVISION_PLACEHOLDER = '{expectedRevision}';

/**
 * A service's configuration bundles (R-CONFIG-CHANGE): each revision a config-change release may
 * apply, and whether it touches sensitive settings (credentials, access), which adds the security
 * review. The driver's commands: `current` prints {"revision": …} as JSON, `apply` puts {revision} in
 * force only while {expectedRevision} is (`none`: nothing), exit 3 otherwise, idempotent per
 * {idempotencyKey}; `check` exits 0 when the service runs healthily with {revision}.
 */
const configurationSchema = z
  .strictObject({
    bundles: z
      .record(
        name,
        z.strictObject({
          sensitive: z.boolean().default(false),
          description: z.string().max(300).optional(),
        }),
      )
      .refine((bundles) => Object.keys(bundles).length > 0, 'expected at least one bundle'),
    driver: z.strictObject({
      type: z.literal('command'),
      actions: z.strictObject({ current: commandSchema, apply: commandSchema, check: commandSchema }),
    }),
  })
  .superRefine((configuration, context) => {
    const apply = configuration.driver?.actions?.apply;
    for (const placeholder of ['{revision}', EXPECTED_REVISION_PLACEHOLDER]) {
      if (apply && argvMissing(apply, placeholder)) {
        context.addIssue({
          code: 'custom',
          path: ['driver', 'actions', 'apply', 'argv'],
          message: `expected the ${placeholder} placeholder`,
        });
      }
    }
  });

export const serviceSchema = z
  .strictObject({
    name,
    description: z.string().optional(),
    deploy: deploySchema,
    commands: z.record(name, commandSchema).default({}),
    /**
     * The service's own database (R-RB-DB): a release backs it up, then migrates it with the
     * service's migration tool. `urlEnv` names the worker variable holding its URL per environment.
     */
    database: databaseSchema.optional(),
    verification: z.array(httpCheckSchema).min(1, 'expected at least one check'),
    /**
     * Checks run only where a runbook's verify step names them (`checks: [db-connectivity]`), e.g. the
     * checklist's items (R-CHECKLIST); unlike `verification`, no bake or rollback verification uses them.
     */
    checks: z.array(httpCheckSchema).default([]),
    analysis: analysisSchema.default(analysisSchema.parse({})),
    /** Configuration bundles a config-change release applies (R-CONFIG-CHANGE); none: no such releases. */
    configuration: configurationSchema.optional(),
  })
  .superRefine((service, context) => {
    if (service.deploy.strategy === 'rolling') {
      // Without it a target cannot tell that someone changed an instance meanwhile, and an undo would overwrite that.
      if (argvMissing(service.deploy.driver.actions.update, EXPECTED_VERSION_PLACEHOLDER)) {
        context.addIssue({
          code: 'custom',
          path: ['deploy', 'driver', 'actions', 'update', 'argv'],
          message: `expected the ${EXPECTED_VERSION_PLACEHOLDER} placeholder, so the target can refuse to update an instance that does not run the version the release expects`,
        });
      }
      return;
    }
    // Without it a target cannot tell that someone switched traffic by hand, and the release would undo that.
    for (const action of COMPARE_AND_SWAP_ACTIONS) {
      // A missing action is already reported by its own issue; do not trip over it here.
      if (argvMissing(service.deploy.driver.actions[action], EXPECTED_ACTIVE_PLACEHOLDER)) {
        context.addIssue({
          code: 'custom',
          path: ['deploy', 'driver', 'actions', action, 'argv'],
          message: `expected the ${EXPECTED_ACTIVE_PLACEHOLDER} placeholder, so the target can refuse to act when traffic is not where the release expects it`,
        });
      }
    }
  });

export const environmentSchema = z.strictObject({
  name,
  timeZone: z.string().default('Asia/Shanghai'),
  /** Roles per identity in this environment (R-AUTH). */
  grants: z.record(name, z.array(z.enum([...ACCESS_ROLES, ...APPROVER_ROLES])).min(1)),
  services: z.record(
    name,
    z.strictObject({
      // The URL reaches commands through {url}, so it must also be a plain command-line value.
      url: z
        .url({ protocol: /^https?$/ })
        .regex(COMMAND_VALUE_PATTERN, 'expected a URL without spaces, quotes, ? or %'),
      /** Extra placeholder values for this service's commands in this environment, e.g. {agent}. */
      vars: z.record(z.string().regex(/^[a-zA-Z]+$/), commandValue).default({}),
    }),
  ),
});

/**
 * An identity's token is never stored in clear (R-SECRETS): either the name of the environment
 * variable holding it, or its SHA-256 digest (`printf %s "$TOKEN" | sha256sum`).
 */
const identitySchema = z
  .strictObject({
    name,
    tokenEnv: envVarName.optional(),
    tokenSha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'expected the 64 hex digits of a SHA-256 digest')
      .transform((hex) => hex.toLowerCase())
      .optional(),
    /** The value of codec.oidc.identityClaim in this person's access tokens from the identity provider. */
    oidcSubject: z.string().min(1).max(256).optional(),
    /** How alerts reach this person (R-ESCALATE): mail, and the WeCom user id a group message mentions. */
    contact: z
      .strictObject({ email: z.email().optional(), wecomUserId: z.string().min(1).max(64).optional() })
      .optional(),
  })
  .refine((identity) => (identity.tokenEnv === undefined) !== (identity.tokenSha256 === undefined), {
    message: 'expected exactly one of tokenEnv (a variable holding the token) or tokenSha256 (its digest)',
  });

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
/** Where signing keys come from: https, or plain http only on this host (a local identity provider). */
const keySourceUrl = z
  .url({ protocol: /^https?$/ })
  .refine(
    (url) => url.startsWith('https:') || LOOPBACK_HOSTS.includes(new URL(url).hostname),
    'expected an https URL (plain http only for localhost)',
  );

/**
 * The identity provider behind Temporal Web's login, whose access tokens the codec endpoint
 * accepts (Temporal Web passes them on with TEMPORAL_CODEC_PASS_ACCESS_TOKEN).
 */
const codecOidcSchema = z.strictObject({
  /** Exactly as the tokens' `iss` claim has it. */
  issuer: keySourceUrl,
  /** The `aud` the provider puts in access tokens meant for Runway. */
  audience: z.string().min(1),
  /** Default: the jwks_uri of the issuer's /.well-known/openid-configuration. */
  jwksUrl: keySourceUrl.optional(),
  /** The claim matched against identities' oidcSubject. */
  identityClaim: z
    .string()
    .regex(/^[A-Za-z0-9_:./-]{1,100}$/, 'expected a claim name')
    .default('sub'),
});

/**
 * Where alerts go (R-ALERT). Webhook URLs carry their credentials (a WeCom robot's key), so only the
 * name of the variable holding each is configured (R-SECRETS).
 */
const alertChannelSchema = z.discriminatedUnion('type', [
  /** A generic JSON webhook: the alert as Runway's own JSON document. */
  z.strictObject({ type: z.literal('webhook'), urlEnv: envVarName }),
  /** A WeCom group robot (企业微信群机器人): its markdown/text message format. */
  z.strictObject({ type: z.literal('wecom'), urlEnv: envVarName }),
  /** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat). */
  z.strictObject({ type: z.literal('slack'), urlEnv: envVarName }),
  /** Mail over SMTP. */
  z.strictObject({
    type: z.literal('email'),
    smtp: z.strictObject({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(587),
      /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
      secure: z.boolean().default(false),
      userEnv: envVarName.optional(),
      passwordEnv: envVarName.optional(),
    }),
    from: z.email(),
    to: z.array(z.email()).min(1),
  }),
]);

const alertLevelRoutes = z.array(name).default([]);
const minutes = z
  .number()
  .min(0)
  .max(30 * 24 * 60);

/** The alert levels' channels (seed: P0 phone+SMS+WeCom, P1 SMS+WeCom, P2 WeCom+email, P3 email). */
const alertsSchema = z.strictObject({
  channels: z.record(name, alertChannelSchema).default({}),
  routes: z
    .strictObject({ P0: alertLevelRoutes, P1: alertLevelRoutes, P2: alertLevelRoutes, P3: alertLevelRoutes })
    .default({ P0: [], P1: [], P2: [], P3: [] }),
  /** A release's channel, where its stage changes are announced: per service, else the default. */
  announcements: z
    .strictObject({ default: name.optional(), services: z.record(name, name).default({}) })
    .default({ services: {} }),
  /** Delivery attempts per channel before the failure is recorded and the release goes on. */
  deliveryAttempts: z.number().int().min(1).max(20).default(5),
});

/** One rung of the escalation ladder (R-ESCALATE): who is told, and how long they have to answer. */
const escalationLevelSchema = z.strictObject({
  roster: z.array(name).min(1),
  responseMinutes: minutes,
});

const perReleaseType = <T extends z.ZodType>(value: T) =>
  z.strictObject({ regular: value, hotfix: value, emergency: value, 'config-change': value });

/** Timers of releases started from now on (R-SLA, R-EXPIRE, R-POSTHOC). */
const releasesSchema = z.strictObject({
  /** A newer release of a service whose older release waits at a gate: supersede the older, or refuse (409). */
  whenNewerStarts: z.enum(['supersede', 'refuse']).default('supersede'),
  /** How long a gate may wait before the release ends `expired`. */
  gateLifetimeMinutes: perReleaseType(minutes).default({
    regular: 7 * 24 * 60,
    hotfix: 120,
    emergency: 30,
    'config-change': 7 * 24 * 60,
  }),
  /** Production work must end this long after the start, or an alert fires at the level (none: no SLA). */
  sla: z
    .strictObject({
      hotfix: z.strictObject({ minutes, level: z.enum(['P0', 'P1', 'P2', 'P3']) }).optional(),
      emergency: z.strictObject({ minutes, level: z.enum(['P0', 'P1', 'P2', 'P3']) }).optional(),
    })
    .default({ hotfix: { minutes: 120, level: 'P1' }, emergency: { minutes: 30, level: 'P0' } }),
  /** What hotfix and emergency releases owe after success, and how often to remind until it is attached. */
  postHoc: z
    .strictObject({
      reminderHours: z
        .number()
        .min(0.01)
        .max(24 * 30)
        .default(24),
    })
    .default({ reminderHours: 24 }),
});

/**
 * host:port where a process serves its Prometheus /metrics, apart from the API's public port:
 * an IPv4 address, a host name or a bracketed IPv6 address; port 0 takes a free port (tests).
 */
export const metricsListenAddress = z
  .string()
  .regex(
    /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(0|[1-9][0-9]{0,4})$/,
    'expected host:port, e.g. 127.0.0.1:9464',
  )
  .refine(
    (address) => Number(address.slice(address.lastIndexOf(':') + 1)) <= 65535,
    'expected a port up to 65535',
  );

/** Each process's own /metrics: the API's, and a worker's (a second worker on one host needs its own). */
const metricsSchema = z.strictObject({
  listen: z
    .strictObject({
      api: metricsListenAddress.default('127.0.0.1:9464'),
      worker: metricsListenAddress.default('127.0.0.1:9465'),
    })
    .default({ api: '127.0.0.1:9464', worker: '127.0.0.1:9465' }),
});

/** A file runway.yml names; a relative path is taken from the configuration folder (load-config.ts). */
const filePath = z.string().min(1);

/**
 * mTLS to Temporal's frontend: the CA its certificate chains to, and this process's client
 * certificate and key (PEM files). `serverName` is the name its certificate carries when the
 * address does not (an IP address, a load balancer's name).
 */
export const temporalTlsSchema = z.strictObject({
  caFile: filePath,
  certFile: filePath,
  keyFile: filePath,
  serverName: z.string().min(1).optional(),
});

/** The API's own certificate and key (PEM files): it then serves HTTPS with TLS 1.3 only. */
export const apiTlsSchema = z.strictObject({ certFile: filePath, keyFile: filePath });

export const runwaySettingsSchema = z.strictObject({
  api: z.strictObject({
    port: z.number().int().min(1).max(65535).default(3001),
    publicUrl: z.url().optional(),
    /**
     * How long a POST /releases holds its Idempotency-Key before a retry may take over (its API
     * died mid-request); until then a retry with the key answers 409.
     */
    idempotencyLeaseSeconds: z.number().int().min(1).max(600).default(30),
    /** Release starts per identity (R-INPUT): a burst, then so many a minute; beyond that 429. */
    startRateLimit: z
      .strictObject({
        burst: z.number().int().min(1).max(10_000),
        perMinute: z.number().int().min(1).max(10_000),
      })
      .default({ burst: 30, perMinute: 30 }),
    /** HTTPS instead of HTTP, TLS 1.3 only (the deployment standard: 传输加密 TLS 1.3). */
    tls: apiTlsSchema.optional(),
  }),
  temporal: z.strictObject({
    address: z.string().min(1),
    namespace: z.string().min(1).default('default'),
    taskQueue: z.string().min(1).default('runway-releases'),
    /**
     * How long a running activity may go without a heartbeat before Temporal gives it to another
     * worker (a worker that died). Releases take it at start.
     */
    heartbeatTimeoutSeconds: z.number().int().min(1).max(600).default(30),
    webUrl: z.url(),
    /** Without it the connection is plain gRPC (a dev server, a compose network). */
    tls: temporalTlsSchema.optional(),
  }),
  /**
   * Who may use the codec endpoint (/codec) that decrypts payloads for Temporal Web: `token`
   * asks for a bearer token with `read` in production; `local-open` asks for none and admits only
   * the origin of temporal.webUrl, for a dev server whose Temporal Web is bound to localhost.
   * With `oidc`, `token` also accepts the access tokens of Temporal Web's signed-in users.
   */
  codec: z
    .strictObject({
      access: z.enum(['token', 'local-open']).default('token'),
      oidc: codecOidcSchema.optional(),
    })
    .default({ access: 'token' }),
  database: z.strictObject({ urlEnv: envVarName }),
  /** R-RB-TRIGGER-MANUAL and R-GUIDED, for releases started from now on. */
  rollback: z
    .strictObject({
      /** A succeeded release can still be rolled back this long, unless a newer release started (0: never). */
      afterSuccessMinutes: z
        .number()
        .min(0)
        .max(7 * 24 * 60)
        .default(60),
      /** Environments where a rollback needs a second person with deploy to order it too. */
      twoPersonEnvironments: z.array(name).default(['production']),
    })
    .default({ afterSuccessMinutes: 60, twoPersonEnvironments: ['production'] }),
  alerts: alertsSchema.default(alertsSchema.parse({})),
  /** L1 on-call engineer (15 min), L2 expert (30 min), L3 architect/CTO (1 h, then repeated). */
  escalation: z
    .strictObject({ L1: escalationLevelSchema, L2: escalationLevelSchema, L3: escalationLevelSchema })
    .optional(),
  releases: releasesSchema.default(releasesSchema.parse({})),
  /** Prometheus metrics (docs/metrics.md). */
  metrics: metricsSchema.default(metricsSchema.parse({})),
  identities: z
    .array(identitySchema)
    .min(1)
    .refine(
      (list) => new Set(list.map((identity) => identity.name)).size === list.length,
      'identity names must be unique',
    )
    .refine((list) => {
      const digests = list.flatMap((identity) => (identity.tokenSha256 ? [identity.tokenSha256] : []));
      return new Set(digests).size === digests.length;
    }, 'two identities have the same tokenSha256: a token must name exactly one identity')
    .refine((list) => {
      const subjects = list.flatMap((identity) => (identity.oidcSubject ? [identity.oidcSubject] : []));
      return new Set(subjects).size === subjects.length;
    }, 'two identities have the same oidcSubject: a signed-in user must be exactly one identity'),
});

export type CommandConfig = z.infer<typeof commandSchema>;
export type HttpCheckConfig = z.infer<typeof httpCheckSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type RunwaySettings = z.infer<typeof runwaySettingsSchema>;
export type CodecOidcSettings = z.infer<typeof codecOidcSchema>;
export type TemporalTlsSettings = z.infer<typeof temporalTlsSchema>;
export type ApiTlsSettings = z.infer<typeof apiTlsSchema>;

export interface RunwayConfig {
  settings: RunwaySettings;
  environments: Record<string, EnvironmentConfig>;
  services: Record<string, ServiceConfig>;
  /** config/calendar.yml: read anew whenever a release window is checked, so edits apply at once. */
  calendarFile: string;
}
