import { execFile } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlasCredentials, PLACEHOLDER_CLIENT_ID } from '../infra/atlas-credentials';
import { ATLAS_ONBOARDER_DEFAULTS, AtlasOnboarder } from '../infra/atlas-onboarder';
import { PLACEHOLDER_SHAPES } from '../infra/connection-secrets';
import { REJECTED_SIGNATURES_THRESHOLD, SCIM_ITERATOR_AGE_THRESHOLD } from '../infra/onboarding-alarms';
import { SCIM_DEFAULTS, SCIM_TOKEN_PLACEHOLDER } from '../infra/scim';
import { WEBHOOK_INGRESS_DEFAULTS } from '../infra/webhook-ingress';
import { REDELIVERY, SCIM_STATUSES, SCIM_VARIABLES, secondsBeforeLastReceive, WEBHOOK_INGRESS_VARIABLES } from '../lambda/contract';
import { bundleFiles, entryFile, esbuildOptions, functionBundle, functionFiles } from '../infra/bundling';
import { CONTEXT_KEYS } from '../infra/context';
import { BUNDLED_ROLE_MAPPING_FILE, INLINE_ROLE_MAPPING_MAX_BYTES } from '../infra/role-mapping';
import { defineApp, type AtlasOnboarderStack } from '../infra/stack';
import { startAtlasSandbox, startAwsEndpoints } from '../sandbox';

// The context `npx cdk synth` uses (feature flags included), so the tests look at the template that deploys.
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> }).context;
const KMS_KEY_ARN = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const CONNECTIONS_KMS_KEY_ARN = 'arn:aws:kms:eu-central-1:123456789012:key/5678efab-12ab-34cd-56ef-1234567890ab';
const OKTA_HOOK_SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:platform/okta-hook-AbC123';
const SCIM_TABLE_KMS_KEY_ARN = 'arn:aws:kms:eu-central-1:123456789012:key/9abcdef0-12ab-34cd-56ef-1234567890ab';
const scratch = mkdtempSync(join(tmpdir(), 'atlas-onboarder-infra-'));
const run = promisify(execFile);

type Props = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  Sid?: string;
}
interface Synth {
  app: App;
  stack: AtlasOnboarderStack;
  template: Template;
  assemblyDir: string;
}

function newApp(context: Record<string, unknown>): App {
  return new App({ outdir: mkdtempSync(join(scratch, 'cdk.out-')), context: { ...CDK_JSON_CONTEXT, ...context } });
}

/** Builds and synthesizes the app as `infra/app.ts` does; in a test, synth throws on any cdk-nag finding. */
function synth(context: Record<string, unknown>): Synth {
  const app = newApp(context);
  const stack = defineApp(app);
  const assembly = app.synth();
  return { app, stack, template: Template.fromStack(stack), assemblyDir: assembly.directory };
}

/** A CloudFormation value as a readable string: `${Logical}` for Ref, `${Logical.Arn}` for GetAtt, joins flattened. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
  if (Array.isArray(v['Fn::GetAtt'])) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(renderDeep(value));
}

/** Renders every CloudFormation value inside a structure (a policy condition, say). */
function renderDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(renderDeep);
  if (!value || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v || 'Fn::GetAtt' in v || 'Fn::Join' in v) return render(v);
  return Object.fromEntries(Object.entries(v).map(([key, inner]) => [key, renderDeep(inner)]));
}

function resources(s: Synth | Template, type: string, where: (p: Props) => boolean = () => true): [string, Props][] {
  const template = s instanceof Template ? s : s.template;
  const found = template.findResources(type) as Record<string, { Properties?: Props }>;
  return Object.entries(found)
    .map(([id, r]): [string, Props] => [id, r.Properties ?? {}])
    .filter(([, p]) => where(p));
}

function only(s: Synth | Template, type: string, where?: (p: Props) => boolean): [string, Props] {
  const matches = resources(s, type, where);
  expect(matches, `exactly one ${type}`).toHaveLength(1);
  return matches[0]!;
}

/** The onboarder's function (by its handler: with a connections file, the webhook ingress is a second function). */
const fn = (s: Synth) => only(s, 'AWS::Lambda::Function', (p) => p.Handler === 'onboarder/index.handler');
const ingress = (s: Synth) => only(s, 'AWS::Lambda::Function', (p) => p.Handler === 'webhook-ingress/index.handler');
const env = (s: Synth) => (fn(s)[1].Environment as { Variables: Record<string, unknown> }).Variables;
const ingressEnv = (s: Synth) => (ingress(s)[1].Environment as { Variables: Record<string, unknown> }).Variables;
const sourceQueue = (s: Synth) => only(s, 'AWS::SQS::Queue', (p) => p.RedrivePolicy !== undefined);
/** The queue the source queue redrives to (with SCIM, the relay-failure queue has no redrive policy either). */
const deadLetterQueue = (s: Synth) => {
  const target = render((sourceQueue(s)[1].RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn);
  return only(s, 'AWS::SQS::Queue', (p) => p.RedrivePolicy === undefined && resources(s, 'AWS::SQS::Queue').some(([id, q]) => q === p && target === `\${${id}.Arn}`));
};
const scimFn = (s: Synth) => only(s, 'AWS::Lambda::Function', (p) => p.Handler === 'scim/index.handler');
const scimEnv = (s: Synth) => (scimFn(s)[1].Environment as { Variables: Record<string, unknown> }).Variables;
const scimTable = (s: Synth) => only(s, 'AWS::DynamoDB::Table');
const relayFailureQueue = (s: Synth) => only(s, 'AWS::SQS::Queue', (p) => p.RedrivePolicy === undefined && p !== deadLetterQueue(s)[1]);
const sqsMapping = (s: Synth) => only(s, 'AWS::Lambda::EventSourceMapping', (p) => p.StartingPosition === undefined);
const streamMapping = (s: Synth) => only(s, 'AWS::Lambda::EventSourceMapping', (p) => p.StartingPosition !== undefined);
/** The stage's method settings of `/scim/v2/{proxy+}`, by method. */
const scimSettings = (s: Synth) =>
  (only(s, 'AWS::ApiGateway::Stage')[1].MethodSettings as Props[]).filter((m) => m.ResourcePath === '/~1scim~1v2~1{proxy+}').sort((a, b) => String(a.HttpMethod).localeCompare(String(b.HttpMethod)));
const logGroupIdOf = (f: [string, Props]) => render((f[1].LoggingConfig as { LogGroup: unknown }).LogGroup).slice(2, -1);
const functionLogGroupId = (s: Synth) => logGroupIdOf(fn(s));
const stageSettings = (s: Synth) => (only(s, 'AWS::ApiGateway::Stage')[1].MethodSettings as Props[])[0]!;
/** The stage's method settings of `/hooks/{name}`, GET then POST. */
const hookSettings = (s: Synth) =>
  (only(s, 'AWS::ApiGateway::Stage')[1].MethodSettings as Props[]).filter((m) => m.ResourcePath === '/~1hooks~1{name}').sort((a, b) => String(a.HttpMethod).localeCompare(String(b.HttpMethod)));

function assetDir(s: Synth, f: [string, Props] = fn(s)): string {
  const key = render((f[1].Code as { S3Key: unknown }).S3Key);
  return join(s.assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
}

/** What a function's role may do, as "action on resource [if condition]" lines, however CDK merged statements. */
function functionGrants(s: Synth, f: [string, Props] = fn(s)): string[] {
  const roleRef = render(f[1].Role).replace(/\.Arn\}$/, '}');
  const grants: string[] = [];
  for (const [, policy] of resources(s, 'AWS::IAM::Policy', (p) => (p.Roles as unknown[]).some((r) => render(r) === roleRef))) {
    for (const statement of (policy.PolicyDocument as { Statement: Statement[] }).Statement) {
      expect(statement.Effect).toBe('Allow');
      const condition = statement.Condition ? ` if ${JSON.stringify(renderDeep(statement.Condition))}` : '';
      for (const action of [statement.Action].flat()) {
        for (const resource of [statement.Resource].flat()) grants.push(`${action} on ${render(resource)}${condition}`);
      }
    }
  }
  return grants.sort();
}

/** Every acknowledged cdk-nag finding in the app, with its reason. */
function acknowledgements(app: App): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) found.set(id.replace(/^annotation::/i, ''), reason);
    }
  }
  return found;
}

/** A valid rule file too big to pass inline. */
function largeRuleFile(): string {
  const rules = Array.from({ length: 40 }, (_, i) => ({
    name: `department-${i}-readers`,
    when: { source: 'hr', department: `Department ${i}` },
    invite: [{ groupId: i.toString(16).padStart(24, 'a'), roles: ['GROUP_READ_ONLY'] }],
  }));
  expect(Buffer.byteLength(JSON.stringify({ rules }))).toBeGreaterThan(INLINE_ROLE_MAPPING_MAX_BYTES);
  const path = join(scratch, 'large-rules.json');
  writeFileSync(path, JSON.stringify({ rules }, null, 2));
  return path;
}

/** A connections file whose secrets exist: the Okta hook's by complete ARN, the others by name. */
function customConnectionsFile(): string {
  const path = join(scratch, 'connections.json');
  writeFileSync(
    path,
    JSON.stringify({
      connections: [
        { name: 'okta-prod', kind: 'okta-event-hook', secretId: OKTA_HOOK_SECRET_ARN, header: 'X-Hook-Secret', oktaOrgUrl: 'https://login.example.com', oktaApiSecretId: 'platform/okta-api' },
        { name: 'workday', kind: 'standard-webhooks', secretId: 'platform/workday-hook', source: 'hr' },
      ],
    }),
  );
  return path;
}

/** Every context key away from its default, as `-c key=value` passes them: strings. */
function customContext(ruleFile: string, connectionsFile = 'x'): Record<string, string> {
  return {
    stackName: 'AtlasOnboarderStaging',
    ruleFile,
    atlasSecret: 'platform/atlas-onboarder',
    atlasSecretKmsKeyArn: KMS_KEY_ARN,
    atlasBaseUrl: 'https://cloud-qa.mongodb.com',
    atlasInviteApi: 'users',
    dryRun: 'true',
    logLevel: 'debug',
    logRetentionDays: '90',
    batchSize: '25',
    maxBatchingWindowSeconds: '30',
    maxConcurrency: '4',
    batchConcurrency: '3',
    apiRateLimit: '2',
    apiBurstLimit: '4',
    apiClients: JSON.stringify(['okta', { name: 'workday', rateLimit: 1, burstLimit: 2, quotaPerDay: 500 }]),
    alarmEmail: 'oncall@example.com',
    apiGatewayCloudWatchRole: 'false',
    connectionsFile,
    existingConnectionSecrets: 'true',
    connectionSecretsKmsKeyArn: CONNECTIONS_KMS_KEY_ARN,
    hookRateLimit: '5',
    hookBurstLimit: '10',
    scim: 'true',
    scimTokenSecret: 'platform/scim-token',
    scimTableKmsKeyArn: SCIM_TABLE_KMS_KEY_ARN,
    scimRateLimit: '3',
    scimBurstLimit: '6',
  };
}

let defaults: Synth;
let custom: Synth;
/** The defaults with the example connections file: the webhook ingress, its routes and created secrets. */
let hooks: Synth;
/** The defaults with SCIM: the scim function, its table, stream, token secret, routes and alarms. */
let scim: Synth;
let largeRules: string;

// Four synths, each bundling with esbuild, shared by every test.
beforeAll(() => {
  largeRules = largeRuleFile();
  defaults = synth({});
  custom = synth(customContext(largeRules, customConnectionsFile()));
  hooks = synth({ connectionsFile: 'examples/connections.json' });
  scim = synth({ scim: true });
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the function', () => {
  it('runs on Node 24, arm64, with X-Ray tracing and the documented memory and timeout', () => {
    expect(fn(defaults)[1]).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'onboarder/index.handler',
      MemorySize: ATLAS_ONBOARDER_DEFAULTS.memorySize,
      Timeout: ATLAS_ONBOARDER_DEFAULTS.timeout.toSeconds(),
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('answers API callers before API Gateway’s 29 s integration timeout', () => {
    expect(fn(defaults)[1].Timeout).toBeLessThan(29);
  });

  it('logs to its own log group, kept for a year', () => {
    const logGroup = resources(defaults, 'AWS::Logs::LogGroup').find(([id]) => id === functionLogGroupId(defaults));
    expect(logGroup?.[1].RetentionInDays).toBe(365);
  });

  it('is configured through the contract’s environment', () => {
    const variables = env(defaults);
    expect(Object.keys(variables).sort()).toEqual(
      ['ATLAS_BASE_URL', 'ATLAS_INVITE_API', 'ATLAS_SECRET_ID', 'DEAD_LETTER_QUEUE_URL', 'DRY_RUN', 'LOG_LEVEL', 'ROLE_MAPPING'].sort(),
    );
    expect(variables).toMatchObject({
      ATLAS_BASE_URL: 'https://cloud.mongodb.com',
      ATLAS_INVITE_API: 'invites',
      DRY_RUN: 'false',
      LOG_LEVEL: 'info',
    });
    expect(render(variables.ATLAS_SECRET_ID)).toBe(`\${${only(defaults, 'AWS::SecretsManager::Secret')[0]}}`);
    expect(render(variables.DEAD_LETTER_QUEUE_URL)).toBe(`\${${deadLetterQueue(defaults)[0]}}`);
  });

  /** The asset's code: each JavaScript file by name, and the files a cold start loads (static imports from the entry). */
  function assetCode(s: Synth) {
    const dir = assetDir(s);
    const files = new Map(bundleFiles(dir).map((file) => [file, readFileSync(join(dir, file), 'utf8')]));
    const staticImports = (file: string, code: string) =>
      [...code.matchAll(/\bimport ?(?:[\w$]+ ?,? ?)?(?:\{[^}]*\} ?|\* ?as [\w$]+ ?)?(?:from ?)?["'](\.\.?\/[^"']+)["']/g)].map((m) => posix.join(posix.dirname(file), m[1]!));
    const coldPath = new Set<string>();
    const visit = (file: string) => {
      if (coldPath.has(file)) return;
      coldPath.add(file);
      staticImports(file, files.get(file)!).forEach(visit);
    };
    visit(entryFile('onboarder'));
    const sources = (file: string) => (JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8')) as { sources: string[] }).sources;
    return { dir, files, coldPath, sources };
  }

  it('ships minified ES modules with the AWS SDK inside: an entry, its chunks, a require shim, source maps without sources', () => {
    const { dir, files } = assetCode(defaults);
    expect(files.get(entryFile('onboarder'))).toMatch(/export ?\{[^}]*\bhandler\b/);
    for (const [file, code] of files) {
      expect(file).toMatch(/^(onboarder\/index|chunk-[A-Z0-9]+)\.mjs$/);
      expect(code.startsWith(`${functionBundle.banner.js}\n`)).toBe(true);
      // Only Node built-ins and the bundle's own chunks are left to resolve: the SDK is ours, not the runtime's.
      const specifiers = [...code.matchAll(/\bimport ?(?:[^'";]*?from ?)?\(?["']([^"']+)["']/g)].map((m) => m[1]!);
      expect(specifiers.filter((specifier) => !specifier.startsWith('node:') && !/^\.\.?\/chunk-[A-Z0-9]+\.mjs$/.test(specifier))).toEqual([]);
      // Minified (measured no slower to start, infra/bundling.ts): unminified, the entry alone runs to 30,000 lines.
      expect(code.split('\n').length).toBeLessThan(1000);
      expect(code).toContain(`\n//# sourceMappingURL=${basename(file)}.map`);
      const map = JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8')) as { sourcesContent?: unknown };
      expect(map.sourcesContent).toBeUndefined();
    }
    expect([...files.values()].some((code) => code.includes('SecretsManagerClient'))).toBe(true);
  });

  it('loads the SQS client only when first used: it is in a chunk that no cold start reads (infra/bundling.ts)', () => {
    const { files, coldPath, sources } = assetCode(defaults);
    const from = (fragment: string, inFiles: Iterable<string>) => [...inFiles].filter((file) => sources(file).some((source) => source.includes(fragment)));
    expect(coldPath.size).toBeGreaterThan(1); // the entry's static imports were found
    expect(from('lambda/functions/onboarder/handler.ts', coldPath)).toEqual([entryFile('onboarder')]);
    expect(from('node_modules/@aws-sdk/client-secrets-manager/', coldPath).length).toBeGreaterThan(0);
    expect(from('node_modules/@aws-sdk/client-sqs/', coldPath)).toEqual([]);
    expect(from('node_modules/@aws-sdk/client-sqs/', files.keys())).toHaveLength(1);
  });

  it('carries only the parts of its libraries that the function uses (what each costs: infra/bundling.ts)', () => {
    const { files, sources: sourcesOf } = assetCode(defaults);
    const sources = [...files.keys()].flatMap(sourcesOf);
    const code = [...files.values()].join('\n');
    const from = (fragment: string) => sources.filter((source) => source.includes(fragment));
    // undici's agent alone (lambda/atlas/transport.ts), not its package entry with fetch, WebSocket and the mocks, and
    // without the experimental Milo parser (the esbuildDetection define).
    expect(from('node_modules/undici/lib/dispatcher/agent.js')).toHaveLength(1);
    expect(from('node_modules/undici/index.js')).toEqual([]);
    expect(from('node_modules/undici/lib/web/fetch/index.js')).toEqual([]);
    expect(from('node_modules/undici/lib/mock/')).toEqual([]);
    expect(from('node_modules/undici/lib/milo/')).toEqual([]);
    expect(from('node_modules/undici/lib/dispatcher/parser-h1.js')).toEqual([]);
    // zod/mini with the English messages alone (lambda/zod-messages.ts), not classic zod and its 64 locales.
    expect(from('node_modules/zod/v4/mini/').length).toBeGreaterThan(0);
    expect(from('node_modules/zod/v4/classic/')).toEqual([]);
    expect(from('node_modules/zod/v4/locales/').map((source) => source.replace(/^.*\//, ''))).toEqual(['en.js']);
    // node:http through infra/shims/node-http.cjs: an ES module import of it would build the facade that loads
    // Node's internal undici.
    expect(from('infra/shims/node-http.cjs')).toHaveLength(1);
    const specifiers = [...code.matchAll(/import ?(?:[^'";]*?from ?)?["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(specifiers).toContain('node:https');
    expect(specifiers.filter((specifier) => specifier === 'node:http' || specifier === 'http')).toEqual([]);
    // The SDK's credential chain cut to its environment link (infra/shims/aws-credentials-from-env.mjs).
    expect(from('infra/shims/aws-credentials-from-env.mjs')).toHaveLength(1);
    expect(from('node_modules/@aws-sdk/credential-provider-node/')).toEqual([]);
    expect(from('node_modules/@aws-sdk/credential-provider-sso/')).toEqual([]);
    expect(from('node_modules/@aws-sdk/nested-clients/')).toEqual([]);
    expect(specifiers).not.toContain('node:child_process');
  });

  /** The function's environment in Lambda, pointed at the sandbox and the AWS endpoints on loopback. */
  const shippedEnv = (atlasUrl: string, awsUrl: string) => ({
    PATH: process.env.PATH,
    ATLAS_BASE_URL: atlasUrl,
    ATLAS_SECRET_ID: 'atlas/asset',
    ROLE_MAPPING_FILE: 'examples/rules.json',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: awsUrl,
    AWS_ENDPOINT_URL_SQS: awsUrl,
    AWS_REGION: 'us-east-1',
    // As in Lambda: the execution role's credentials in the environment, and nothing else to find them by.
    AWS_ACCESS_KEY_ID: 'AKIDASSET',
    AWS_SECRET_ACCESS_KEY: 'asset-secret-access-key',
    AWS_SESSION_TOKEN: 'asset-session-token',
    HOME: scratch,
  });

  it('runs as shipped: one SQS record, in a fresh Node process, against the Atlas sandbox and the AWS endpoints', async () => {
    // The asset is what carries the shims and the trimmed credential chain (infra/bundling.ts); the other tests run
    // the TypeScript sources, so this is where they are shown to work.
    const atlas = await startAtlasSandbox({ clients: { 'asset-client': 'asset-client-secret' } });
    const aws = await startAwsEndpoints({ secrets: { 'atlas/asset': JSON.stringify({ clientId: 'asset-client', clientSecret: 'asset-client-secret' }) } });
    try {
      const { stdout } = await run(process.execPath, ['bench/cold-start.mjs', join(assetDir(defaults), entryFile('onboarder')), 'asset@example.com'], {
        env: shippedEnv(atlas.url, aws.url),
      });
      const lines = stdout.trim().split('\n');
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ ok: true });
      // The decision's log line is out before the handler returns (bench/cold-start.mjs prints after the return):
      // Lambda freezes the process as soon as it has the answer.
      const decided = lines.findIndex((line) => line.includes('"invitation decided"'));
      expect(decided).toBeGreaterThanOrEqual(0);
      expect(decided).toBeLessThan(lines.length - 1);
      expect(atlas.invitations().map((i) => i.username)).toEqual(['asset@example.com']);
      expect(aws.calls.map((c) => [c.operation, c.signed, c.status])).toEqual([['GetSecretValue', true, 200]]);
    } finally {
      await atlas.close();
      await aws.close();
    }
  });

  it('runs as shipped: a record that is not JSON is dead-lettered through the SQS client, loaded from its chunk', async () => {
    const atlas = await startAtlasSandbox({ clients: { 'asset-client': 'asset-client-secret' } });
    const aws = await startAwsEndpoints({});
    const invoke = `
      const { handler } = await import(process.argv[1]);
      const record = { messageId: 'asset-not-json', receiptHandle: 'r', body: 'not json', attributes: {}, messageAttributes: {},
        md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:onboarding', awsRegion: 'us-east-1' };
      const answer = await handler({ Records: [record] }, { awsRequestId: 'asset', getRemainingTimeInMillis: () => 20000 });
      process.stdout.write('\\n' + JSON.stringify(answer) + '\\n');`;
    try {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', invoke, join(assetDir(defaults), entryFile('onboarder'))], {
        env: shippedEnv(atlas.url, aws.url),
      });
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ batchItemFailures: [] });
      expect(aws.calls.map((c) => [c.operation, c.signed, c.status])).toEqual([['SendMessage', true, 200]]);
      expect(aws.sentMessages.map((m) => [m.queueUrl, m.body, m.attributes.errorCode?.StringValue])).toEqual([
        ['https://sqs.us-east-1.amazonaws.com/123456789012/dlq', 'not json', 'invalid_json'],
      ]);
    } finally {
      await atlas.close();
      await aws.close();
    }
  });

  it('takes the credentials shim’s provider at the version the SDK’s own chain asks for', () => {
    // A separate pin could drift from the SDK on an upgrade and leave two copies at different versions.
    const ours = (JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> }).dependencies['@aws-sdk/credential-provider-env'];
    const chain = JSON.parse(readFileSync('node_modules/@aws-sdk/credential-provider-node/package.json', 'utf8')) as { dependencies: Record<string, string> };
    expect(chain.dependencies['@aws-sdk/credential-provider-env']).toBe(`^${ours}`);
    expect(globSync('node_modules/**/@aws-sdk/credential-provider-env/package.json')).toEqual(['node_modules/@aws-sdk/credential-provider-env/package.json']);
  });

  it('is bundled exactly as `npm run build` bundles it', async () => {
    const outdir = mkdtempSync(join(scratch, 'build-'));
    const { metafile } = await build({ ...esbuildOptions(outdir), metafile: true });
    // Chunk names carry a hash that covers the source maps, whose paths are relative to where the bundle is written:
    // the code is compared with the names left out. The asset holds what the onboarder loads, now or later.
    const unnamed = (code: string) => code.replace(/chunk-[A-Z0-9]+\.mjs/g, 'chunk-*.mjs');
    const built = functionFiles(metafile, 'onboarder', 'all').map((file) => unnamed(readFileSync(join(outdir, file), 'utf8')));
    expect(built.sort()).toEqual([...assetCode(defaults).files.values()].map(unnamed).sort());
  });
});

describe('the rule file', () => {
  it('is passed inline, compacted, when small', () => {
    expect(env(defaults).ROLE_MAPPING).toBe(JSON.stringify(JSON.parse(readFileSync('examples/rules.json', 'utf8'))));
    expect(env(defaults).ROLE_MAPPING_FILE).toBeUndefined();
    expect(existsSync(join(assetDir(defaults), BUNDLED_ROLE_MAPPING_FILE))).toBe(false);
  });

  it('is bundled beside the code and named by ROLE_MAPPING_FILE when too big to inline', () => {
    expect(env(custom).ROLE_MAPPING).toBeUndefined();
    expect(env(custom).ROLE_MAPPING_FILE).toBe(BUNDLED_ROLE_MAPPING_FILE);
    expect(readFileSync(join(assetDir(custom), BUNDLED_ROLE_MAPPING_FILE), 'utf8')).toBe(readFileSync(largeRules, 'utf8'));
  });

  it('is each function’s own when one app has several onboarders, bundled or inline', () => {
    // CDK reuses a staged asset within an app when the bundling options look the same: the rule file must count.
    const other = join(scratch, 'other-large-rules.json');
    const rules = JSON.parse(readFileSync(largeRules, 'utf8')) as { rules: { name: string }[] };
    writeFileSync(other, JSON.stringify({ rules: rules.rules.map((rule) => ({ ...rule, name: `other-${rule.name}` })) }, null, 2));
    const app = new App({ outdir: mkdtempSync(join(scratch, 'cdk.out-')) });
    const stack = new Stack(app, 'Several');
    const onboarders = [largeRules, other, 'examples/rules.json'].map((ruleFile, i) => new AtlasOnboarder(stack, `Onboarder${i}`, { ruleFile }));
    const assembly = app.synth();
    const template = Template.fromStack(stack);
    const assetOf = (onboarder: AtlasOnboarder) => {
      const [, props] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id === stack.getLogicalId(onboarder.function.node.defaultChild as CfnElement))!;
      const key = render(((props as { Properties: Props }).Properties.Code as { S3Key: unknown }).S3Key);
      return join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
    };
    expect(readFileSync(join(assetOf(onboarders[0]!), BUNDLED_ROLE_MAPPING_FILE), 'utf8')).toBe(readFileSync(largeRules, 'utf8'));
    expect(readFileSync(join(assetOf(onboarders[1]!), BUNDLED_ROLE_MAPPING_FILE), 'utf8')).toBe(readFileSync(other, 'utf8'));
    expect(existsSync(join(assetOf(onboarders[2]!), BUNDLED_ROLE_MAPPING_FILE))).toBe(false);
  });

  it('fails synth, naming the rule, when a rule is bad', () => {
    const bad = join(scratch, 'bad-rules.json');
    const grant = { groupId: '5f1e2d3c4b5a69788796a5b4', roles: ['GROUP_READ_ONLY'] };
    writeFileSync(
      bad,
      JSON.stringify({
        rules: [
          { name: 'everyone-reads', when: {}, invite: [grant] },
          { name: 'contractors-get-everything', when: { source: 'hr' }, invite: [{ ...grant, roles: ['GROUP_GOD'] }] },
        ],
      }),
    );
    expect(() => defineApp(newApp({ ruleFile: bad }))).toThrow(/rule "contractors-get-everything".*GROUP_GOD/s);
  });

  it('fails synth, naming the path, when the file is missing', () => {
    expect(() => defineApp(newApp({ ruleFile: 'examples/nope.json' }))).toThrow(/invalid rule file \(examples\/nope\.json\):\s+- cannot be read \(ENOENT\)/);
  });
});

describe('the queues', () => {
  it('are encrypted at rest and refuse requests without TLS', () => {
    for (const [id, queue] of resources(defaults, 'AWS::SQS::Queue')) {
      expect(queue.SqsManagedSseEnabled, id).toBe(true);
      defaults.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it('redrive to a dead-letter queue after 20 receives, which keeps messages 14 days', () => {
    expect(sourceQueue(defaults)[1].RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueue(defaults)[0], 'Arn'] },
      maxReceiveCount: REDELIVERY.maxReceiveCount,
    });
    expect(REDELIVERY.maxReceiveCount).toBe(20);
    expect(deadLetterQueue(defaults)[1].MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('with the function backing failed receives off, dead-letter nothing through an Atlas outage of 60 minutes (contract section 7, v2)', () => {
    const maxReceiveCount = (sourceQueue(defaults)[1].RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount;
    // The waits the function sets before each receive but the last (lambda/contract/queue.ts).
    expect(secondsBeforeLastReceive(maxReceiveCount)).toBeGreaterThanOrEqual(3600);
    // And if it could set none (ChangeMessageVisibility failing), the queue's own timeout still spreads the receives.
    expect((sourceQueue(defaults)[1].VisibilityTimeout as number) * (maxReceiveCount - 1)).toBeGreaterThanOrEqual(3600);
  });

  it('hide a received message for at least six function timeouts plus the batching window, and at least 300 s', () => {
    for (const s of [defaults, custom]) {
      const window = sqsMapping(s)[1].MaximumBatchingWindowInSeconds as number;
      expect(sourceQueue(s)[1].VisibilityTimeout).toBe(Math.max(300, 6 * (fn(s)[1].Timeout as number) + window));
    }
  });

  it('feed the function in batches that report their own failures, at bounded concurrency', () => {
    expect(only(defaults, 'AWS::Lambda::EventSourceMapping')[1]).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [sourceQueue(defaults)[0], 'Arn'] },
      FunctionName: { Ref: fn(defaults)[0] },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });
});

describe('least privilege', () => {
  it('gives the function exactly what it uses, each on its one resource', () => {
    const logs = `\${${functionLogGroupId(defaults)}.Arn}`;
    const queue = `\${${sourceQueue(defaults)[0]}.Arn}`;
    expect(functionGrants(defaults)).toEqual(
      [
        `logs:CreateLogStream on ${logs}`,
        `logs:PutLogEvents on ${logs}`,
        `secretsmanager:GetSecretValue on \${${only(defaults, 'AWS::SecretsManager::Secret')[0]}}`,
        `sqs:SendMessage on \${${deadLetterQueue(defaults)[0]}.Arn}`,
        // ChangeMessageVisibility is the function's own call; the rest is the event source mapping's.
        `sqs:ChangeMessageVisibility on ${queue}`,
        `sqs:DeleteMessage on ${queue}`,
        `sqs:GetQueueAttributes on ${queue}`,
        `sqs:GetQueueUrl on ${queue}`,
        `sqs:ReceiveMessage on ${queue}`,
        'xray:PutTelemetryRecords on *',
        'xray:PutTraceSegments on *',
      ].sort(),
    );
  });

  it('reads a secret given by name through its ARN plus the six-character suffix, and decrypts only via Secrets Manager', () => {
    expect(functionGrants(custom).filter((grant) => /^(secretsmanager|kms):/.test(grant))).toEqual([
      `kms:Decrypt on ${KMS_KEY_ARN} if {"StringEquals":{"kms:ViaService":"secretsmanager.\${AWS::Region}.amazonaws.com"}}`,
      // The connection secrets' key, for the Okta API token.
      `kms:Decrypt on ${CONNECTIONS_KMS_KEY_ARN} if {"StringEquals":{"kms:ViaService":"secretsmanager.\${AWS::Region}.amazonaws.com"}}`,
      'secretsmanager:GetSecretValue on arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:platform/atlas-onboarder-??????',
      // The Okta API token of the connection that has one (contract section 12), never a hook's secret.
      'secretsmanager:GetSecretValue on arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:platform/okta-api-??????',
    ]);
  });

  it('grants no wildcard action, and a wildcard resource only to X-Ray', () => {
    for (const s of [defaults, custom, hooks]) {
      for (const grant of [...functionGrants(s), ...(s === defaults ? [] : functionGrants(s, ingress(s)))]) {
        const [action, resource] = grant.split(' on ') as [string, string];
        expect(action).not.toContain('*');
        if (resource.includes('*')) expect(action).toMatch(/^xray:Put(TraceSegments|TelemetryRecords)$/);
      }
      for (const [id, role] of resources(s, 'AWS::IAM::Role')) expect(role.Policies, id).toBeUndefined();
    }
  });

  it('attaches no managed policy but API Gateway’s own logging policy, and none to the function', () => {
    const managed = resources(defaults, 'AWS::IAM::Role').flatMap(([id, role]) =>
      ((role.ManagedPolicyArns as unknown[] | undefined) ?? []).map((arn) => `${id} ${render(arn)}`),
    );
    expect(managed).toHaveLength(1);
    expect(managed[0]).toMatch(/AmazonAPIGatewayPushToCloudWatchLogs$/);
    expect(managed[0]).not.toContain(render(fn(defaults)[1].Role).slice(2, -5));
  });

  it('lets API Gateway invoke the function only through the methods of its own stage', () => {
    const api = only(defaults, 'AWS::ApiGateway::RestApi')[0];
    const stage = only(defaults, 'AWS::ApiGateway::Stage')[0];
    const prefix = `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${api}}/\${${stage}}`;
    const onboarder = `\${${fn(defaults)[0]}.Arn}`;
    expect(resources(defaults, 'AWS::Lambda::Permission', (p) => render(p.FunctionName) === onboarder).map(([, p]) => `${render(p.Principal)} ${render(p.SourceArn)}`).sort()).toEqual([
      `apigateway.amazonaws.com ${prefix}/*/`,
      `apigateway.amazonaws.com ${prefix}/*/*`,
      `apigateway.amazonaws.com ${prefix}/*/events`,
      `apigateway.amazonaws.com ${prefix}/*/invites`,
      `apigateway.amazonaws.com ${prefix}/POST/events`,
      `apigateway.amazonaws.com ${prefix}/POST/invites`,
    ]);
  });
});

describe('the webhook ingress', () => {
  it('runs on Node 24, arm64, with X-Ray tracing, 512 MB and a 10 s timeout, from its own bundle', () => {
    expect(ingress(hooks)[1]).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'webhook-ingress/index.handler',
      MemorySize: WEBHOOK_INGRESS_DEFAULTS.memorySize,
      Timeout: WEBHOOK_INGRESS_DEFAULTS.timeout.toSeconds(),
      TracingConfig: { Mode: 'Active' },
    });
    expect(WEBHOOK_INGRESS_DEFAULTS.memorySize).toBe(512);
    expect(ingress(hooks)[1].Role).not.toEqual(fn(hooks)[1].Role);
  });

  it('is not deployed without a connections file: no second function, no public route, no connection secret', () => {
    expect(resources(defaults, 'AWS::Lambda::Function')).toHaveLength(1);
    expect(resources(defaults, 'AWS::ApiGateway::Method', (m) => m.AuthorizationType !== 'AWS_IAM')).toEqual([]);
    expect(resources(defaults, 'AWS::SecretsManager::Secret')).toHaveLength(1);
  });

  it('logs to its own log group, kept for a year', () => {
    const id = logGroupIdOf(ingress(hooks));
    expect(id).not.toBe(functionLogGroupId(hooks));
    expect(resources(hooks, 'AWS::Logs::LogGroup').find(([logGroup]) => logGroup === id)?.[1].RetentionInDays).toBe(365);
  });

  it('is configured through the contract’s environment: the connections file inline, the two queues, the log level', () => {
    const variables = ingressEnv(hooks);
    expect(Object.keys(variables).sort()).toEqual(['CONNECTIONS', 'DEAD_LETTER_QUEUE_URL', 'LOG_LEVEL', 'ONBOARDING_QUEUE_URL']);
    expect(Object.keys(variables).every((name) => (WEBHOOK_INGRESS_VARIABLES as readonly string[]).includes(name))).toBe(true);
    expect(variables.CONNECTIONS).toBe(JSON.stringify(JSON.parse(readFileSync('examples/connections.json', 'utf8'))));
    expect(render(variables.ONBOARDING_QUEUE_URL)).toBe(`\${${sourceQueue(hooks)[0]}}`);
    expect(render(variables.DEAD_LETTER_QUEUE_URL)).toBe(`\${${deadLetterQueue(hooks)[0]}}`);
    expect(variables.LOG_LEVEL).toBe('info');
    // And the onboarder reads the same file, to read people from Okta (contract section 12).
    expect(env(hooks).CONNECTIONS).toBe(variables.CONNECTIONS);
  });

  it('may write its log group, read its connections’ secrets and send to the two queues, and nothing else', () => {
    const secret = (name: string) => only(hooks, 'AWS::SecretsManager::Secret', (p) => p.Name === name)[0];
    const logs = `\${${logGroupIdOf(ingress(hooks))}.Arn}`;
    expect(functionGrants(hooks, ingress(hooks))).toEqual(
      [
        `logs:CreateLogStream on ${logs}`,
        `logs:PutLogEvents on ${logs}`,
        `secretsmanager:GetSecretValue on \${${secret('atlas-onboarder/okta-hook')}}`,
        `secretsmanager:GetSecretValue on \${${secret('atlas-onboarder/hr-bridge')}}`,
        // SendMessageBatch is authorized by sqs:SendMessage; the queues are SQS-encrypted, so no KMS grant.
        `sqs:SendMessage on \${${sourceQueue(hooks)[0]}.Arn}`,
        `sqs:SendMessage on \${${deadLetterQueue(hooks)[0]}.Arn}`,
        'xray:PutTelemetryRecords on *',
        'xray:PutTraceSegments on *',
      ].sort(),
    );
    // The Okta API token is the onboarder's alone, and the hooks' secrets are the ingress's alone.
    const onboarderSecrets = functionGrants(hooks).filter((grant) => grant.startsWith('secretsmanager:'));
    expect(onboarderSecrets).toEqual([
      `secretsmanager:GetSecretValue on \${${only(hooks, 'AWS::SecretsManager::Secret', (p) => p.Name === undefined)[0]}}`,
      `secretsmanager:GetSecretValue on \${${secret('atlas-onboarder/okta-api')}}`,
    ]);
  });

  it('creates each connection secret under the name the connections file gives, with a placeholder the functions refuse, and keeps it', () => {
    const created = Object.entries(hooks.template.findResources('AWS::SecretsManager::Secret') as Record<string, { Properties: Props; DeletionPolicy?: string }>)
      .filter(([, r]) => r.Properties.Name !== undefined)
      .map(([, r]) => [r.Properties.Name, r.DeletionPolicy, r.Properties.GenerateSecretString]);
    expect(created.sort()).toEqual([
      ['atlas-onboarder/hr-bridge', 'Retain', { SecretStringTemplate: JSON.stringify({ replaceWith: PLACEHOLDER_SHAPES.hook }), GenerateStringKey: 'placeholder' }],
      ['atlas-onboarder/okta-api', 'Retain', { SecretStringTemplate: JSON.stringify({ replaceWith: PLACEHOLDER_SHAPES.oktaApi }), GenerateStringKey: 'placeholder' }],
      ['atlas-onboarder/okta-hook', 'Retain', { SecretStringTemplate: JSON.stringify({ replaceWith: PLACEHOLDER_SHAPES.hook }), GenerateStringKey: 'placeholder' }],
    ]);
  });

  it('takes GET and POST /hooks/{name} on the same API as the IAM routes, without IAM or an API key, which stay on the others', () => {
    const [api] = only(hooks, 'AWS::ApiGateway::RestApi');
    const paths = new Map(resources(hooks, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r]));
    const pathOf = (id: string): string => {
      const r = paths.get(id);
      return r ? `${pathOf(render(r.ParentId).slice(2, -1))}/${r.PathPart as string}` : '';
    };
    const methods = resources(hooks, 'AWS::ApiGateway::Method').map(([, m]) => ({ route: `${m.HttpMethod as string} ${pathOf(render(m.ResourceId).slice(2, -1)) || '/'}`, m }));
    const open = methods.filter(({ m }) => m.AuthorizationType !== 'AWS_IAM');
    expect(open.map(({ route }) => route).sort()).toEqual(['GET /hooks/{name}', 'POST /hooks/{name}']);
    for (const { m } of open) {
      expect(m).toMatchObject({ AuthorizationType: 'NONE', ApiKeyRequired: false, RestApiId: { Ref: api }, Integration: { Type: 'AWS_PROXY' } });
      expect(render((m.Integration as { Uri: unknown }).Uri)).toContain(`\${${ingress(hooks)[0]}.Arn}`);
    }
    expect(methods.filter(({ m }) => m.AuthorizationType === 'AWS_IAM')).toHaveLength(6);
    // Only the ingress's routes reach it.
    const stage = only(hooks, 'AWS::ApiGateway::Stage')[0];
    const prefix = `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${api}}/\${${stage}}`;
    expect(
      resources(hooks, 'AWS::Lambda::Permission', (p) => render(p.FunctionName) === `\${${ingress(hooks)[0]}.Arn}`)
        .map(([, p]) => render(p.SourceArn))
        .sort(),
    ).toEqual([`${prefix}/GET/hooks/*`, `${prefix}/POST/hooks/*`]);
  });

  it('throttles /hooks/{name} apart from the stage: 20 requests a second, bursts of 40', () => {
    expect(hookSettings(hooks)).toEqual([
      expect.objectContaining({ HttpMethod: 'GET', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
      expect.objectContaining({ HttpMethod: 'POST', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
    ]);
    expect(stageSettings(hooks)).toMatchObject({ ResourcePath: '/*', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
    // Okta's cap, 400,000 events a day, is 4.6 a second: Okta, which does not retry a 429, is never the one throttled.
    expect(ATLAS_ONBOARDER_DEFAULTS.hookRateLimit).toBeGreaterThan(400_000 / 86_400);
  });

  it('alarms on 20 rejected signatures in 5 minutes, published by the ingress itself', () => {
    const alarm = only(hooks, 'AWS::CloudWatch::Alarm', (p) => p.MetricName === 'RejectedSignatures')[1];
    expect(alarm).toMatchObject({
      Namespace: 'AtlasOnboarder',
      Dimensions: [{ Name: 'Function', Value: 'webhook-ingress' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: REJECTED_SIGNATURES_THRESHOLD,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: only(hooks, 'AWS::SNS::Topic')[0] }],
    });
    expect(REJECTED_SIGNATURES_THRESHOLD).toBe(20);
    expect(alarm.AlarmDescription).toMatch(/request rejected/);
    expect(resources(hooks, 'AWS::CloudWatch::Alarm')).toHaveLength(6);
  });

  it('has its own row on the dashboard: invocations, errors, throttles, duration p99 and rejected signatures', () => {
    const body = JSON.parse(render(only(hooks, 'AWS::CloudWatch::Dashboard')[1].DashboardBody)) as { widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; alarms?: string[] } }[] };
    const lines = (title: string) =>
      body.widgets.find((w) => w.properties.title === title)!.properties.metrics!.map((line) => {
        const options = line.at(-1) as { stat: string };
        return [...(line.slice(0, -1) as string[]), options.stat].join(' ');
      });
    const function_ = `FunctionName \${${ingress(hooks)[0]}}`;
    expect(lines('Webhook ingress: invocations, errors, throttles')).toEqual(['Invocations', 'Errors', 'Throttles'].map((m) => `AWS/Lambda ${m} ${function_} Sum`));
    expect(lines('Webhook ingress: duration (ms)')).toEqual(['p50', 'p99', 'Maximum'].map((stat) => `AWS/Lambda Duration ${function_} ${stat}`));
    expect(lines('Webhook ingress: rejected signatures')).toEqual(['AtlasOnboarder RejectedSignatures Function webhook-ingress Sum']);
    const alarmWidget = body.widgets.find((w) => w.type === 'alarm')!;
    expect(alarmWidget.properties.alarms).toContain(`\${${only(hooks, 'AWS::CloudWatch::Alarm', (p) => p.MetricName === 'RejectedSignatures')[0]}.Arn}`);
  });

  it('acknowledges cdk-nag’s authorization findings on the two hook methods only, with the reason', () => {
    const byConstruct = new Map<string, string[]>();
    for (const construct of hooks.app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const key of Object.keys(entry.data as Record<string, string>)) {
          const id = key.replace(/^annotation::/i, '');
          byConstruct.set(id, [...(byConstruct.get(id) ?? []), construct.node.path]);
        }
      }
    }
    expect(byConstruct.get('AwsSolutions-APIG4')?.sort()).toEqual([
      'AtlasOnboarder/AtlasOnboarder/Api/Api/Default/hooks/{name}/GET',
      'AtlasOnboarder/AtlasOnboarder/Api/Api/Default/hooks/{name}/POST',
    ]);
    expect(acknowledgements(hooks.app).get('AwsSolutions-APIG4')).toMatch(/verifies every request in constant time/);
    expect([...acknowledgements(hooks.app).keys()].sort()).toEqual(
      [...acknowledgements(defaults.app).keys(), 'AwsSolutions-APIG4'].sort(),
    );
  });

  it('gives the hook URL of each connection and the function’s name as outputs', () => {
    const outputs = (hooks.template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    expect(render(outputs.HookUrlokta?.Value)).toMatch(/^https:\/\/\$\{\w+\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/\$\{\w+\}\/hooks\/okta$/);
    expect(render(outputs.HookUrlhrbridge?.Value)).toMatch(/\/hooks\/hr-bridge$/);
    expect(render(outputs.WebhookIngressFunctionName?.Value)).toBe(`\${${ingress(hooks)[0]}}`);
  });

  it('ships an asset of its entry and the chunks it reaches, with no Atlas client code', () => {
    const dir = assetDir(hooks, ingress(hooks));
    const files = bundleFiles(dir);
    expect(files).toContain('webhook-ingress/index.mjs');
    expect(files.filter((file) => !/^(webhook-ingress\/index|chunk-[A-Z0-9]+)\.mjs$/.test(file))).toEqual([]);
    const sources = files.flatMap((file) => (JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8')) as { sources: string[] }).sources);
    expect(sources.some((source) => source.includes('lambda/adapters/webhooks/ingress.ts'))).toBe(true);
    expect(sources.filter((source) => source.includes('lambda/atlas/') || source.includes('node_modules/undici/') || source.includes('lambda/functions/onboarder/'))).toEqual([]);
  });

  it('fails synth, naming the connection, when the connections file is bad or missing', () => {
    const bad = join(scratch, 'bad-connections.json');
    writeFileSync(bad, JSON.stringify({ connections: [{ name: 'workday', kind: 'standard-webhooks', secretId: 'hooks/workday', source: 'payroll' }] }));
    expect(() => defineApp(newApp({ connectionsFile: bad }))).toThrow(/connection "workday" at source/);
    expect(() => defineApp(newApp({ connectionsFile: 'examples/nope.json' }))).toThrow(/invalid connections file \(examples\/nope\.json\):\s+- cannot be read \(ENOENT\)/);
    expect(() => defineApp(newApp({ connectionsFile: 'examples/connections.json', existingConnectionSecrets: '["atlas-onboarder/okta-hok"]' }))).toThrow(
      /existingConnectionSecrets" names "atlas-onboarder\/okta-hok", which no connection/,
    );
    const large = join(scratch, 'large-connections.json');
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `sender-${i}`, kind: 'standard-webhooks', secretId: `atlas-onboarder/sender-${i}-signing-secret`, source: 'hr' }));
    writeFileSync(large, JSON.stringify({ connections: many }));
    expect(() => defineApp(newApp({ connectionsFile: large }))).toThrow(/at most 1536 fit in the functions' environment/);
  });
});

describe('the scim function', () => {
  it('runs on Node 24, arm64, with X-Ray tracing, 512 MB and a 25 s timeout, from its own bundle and role', () => {
    expect(scimFn(scim)[1]).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'scim/index.handler',
      MemorySize: SCIM_DEFAULTS.memorySize,
      Timeout: SCIM_DEFAULTS.timeout.toSeconds(),
      TracingConfig: { Mode: 'Active' },
    });
    expect(SCIM_DEFAULTS.memorySize).toBe(512);
    // The function's own answer, not API Gateway's 504, wherever it can give one.
    expect(SCIM_DEFAULTS.timeout.toSeconds()).toBeLessThan(29);
    expect(scimFn(scim)[1].Role).not.toEqual(fn(scim)[1].Role);
  });

  it('is not deployed without scim=true: no table, no scim function, no public route, no SCIM output (cdk-nag clean either way)', () => {
    for (const s of [defaults, hooks]) {
      expect(resources(s, 'AWS::DynamoDB::Table')).toEqual([]);
      expect(resources(s, 'AWS::Lambda::Function', (p) => p.Handler === 'scim/index.handler')).toEqual([]);
      expect(Object.keys((s.template.toJSON() as { Outputs: Record<string, unknown> }).Outputs).filter((name) => name.startsWith('Scim'))).toEqual([]);
    }
    expect(resources(defaults, 'AWS::ApiGateway::Method', (m) => m.AuthorizationType !== 'AWS_IAM')).toEqual([]);
    expect(new AwsSolutionsChecks().validateScope(scim.app).violations).toEqual([]);
    // Its settings without it are a mistake, said at synth rather than dropped.
    expect(() => defineApp(newApp({ scimTokenSecret: 'platform/scim-token' }))).toThrow(/context "scimTokenSecret" is set, but SCIM is not deployed: add -c scim=true/);
  });

  it('logs to its own log group, kept for a year', () => {
    const id = logGroupIdOf(scimFn(scim));
    expect(id).not.toBe(functionLogGroupId(scim));
    expect(resources(scim, 'AWS::Logs::LogGroup').find(([logGroup]) => logGroup === id)?.[1].RetentionInDays).toBe(365);
  });

  it('is configured through the contract’s environment: the token secret, the table, the onboarding queue, the log level', () => {
    const variables = scimEnv(scim);
    expect(Object.keys(variables).sort()).toEqual(['LOG_LEVEL', 'ONBOARDING_QUEUE_URL', 'SCIM_TABLE_NAME', 'SCIM_TOKEN_SECRET_ID']);
    expect(Object.keys(variables).every((name) => (SCIM_VARIABLES as readonly string[]).includes(name))).toBe(true);
    expect(render(variables.SCIM_TOKEN_SECRET_ID)).toBe(`\${${only(scim, 'AWS::SecretsManager::Secret', (p) => p.Name === 'AtlasOnboarder/scim-token')[0]}}`);
    expect(render(variables.SCIM_TABLE_NAME)).toBe(`\${${scimTable(scim)[0]}}`);
    expect(render(variables.ONBOARDING_QUEUE_URL)).toBe(`\${${sourceQueue(scim)[0]}}`);
    expect(variables.LOG_LEVEL).toBe('info');
  });

  it('keeps its directory in a pay-per-request table (pk, sk) with PITR, encryption, deletion protection, a NEW_AND_OLD_IMAGES stream, retained', () => {
    const [id, table] = scimTable(scim);
    expect(table).toEqual({
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // KMS with the AWS managed key (aws/dynamodb): encrypted, with no key to grant.
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    const resource = (scim.template.toJSON() as { Resources: Record<string, { DeletionPolicy?: string; UpdateReplacePolicy?: string }> }).Resources[id]!;
    expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    // No index: every read must see the write just answered (lambda/aws/directory.ts).
    expect(table.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('relays its stream from the oldest record, in order, reporting failures, retrying for 12 hours before giving up to a queue of its own', () => {
    expect(streamMapping(scim)[1]).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [scimTable(scim)[0], 'StreamArn'] },
      FunctionName: { Ref: scimFn(scim)[0] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10_000,
      MaximumRecordAgeInSeconds: 12 * 3600,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [relayFailureQueue(scim)[0], 'Arn'] } } },
    });
    // An SQS outage of hours is survived, and what is given up can still be read from the stream (kept 24 hours).
    expect(SCIM_DEFAULTS.streamMaxRecordAge.toHours()).toBeGreaterThanOrEqual(6);
    expect(SCIM_DEFAULTS.streamMaxRecordAge.toHours()).toBeLessThan(24);
    // The relay's worst case (50 events, 10 to a SendMessageBatch of at most 3 s, one after another) fits its timeout.
    expect((SCIM_DEFAULTS.streamBatchSize / 10) * 3).toBeLessThan(SCIM_DEFAULTS.timeout.toSeconds());
    // Not the dead-letter queue, whose messages are onboarding events to redrive: these are stream positions.
    expect(relayFailureQueue(scim)[0]).not.toBe(deadLetterQueue(scim)[0]);
    expect(relayFailureQueue(scim)[1]).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
  });

  it('may write its log group, read and write its table, read its stream and token secret, send to the onboarding and relay-failure queues, and nothing else', () => {
    const logs = `\${${logGroupIdOf(scimFn(scim))}.Arn}`;
    const table = `\${${scimTable(scim)[0]}.Arn}`;
    const stream = `\${${scimTable(scim)[0]}.StreamArn}`;
    const failures = `\${${relayFailureQueue(scim)[0]}.Arn}`;
    expect(functionGrants(scim, scimFn(scim))).toEqual(
      [
        `logs:CreateLogStream on ${logs}`,
        `logs:PutLogEvents on ${logs}`,
        // What lambda/aws/directory.ts calls; TransactWriteItems is authorized item by item as its Put, Update, Delete.
        ...['GetItem', 'Query', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((action) => `dynamodb:${action} on ${table}`),
        // What the stream's event source mapping needs; ListStreams takes no resource.
        ...['DescribeStream', 'GetRecords', 'GetShardIterator'].map((action) => `dynamodb:${action} on ${stream}`),
        'dynamodb:ListStreams on *',
        `secretsmanager:GetSecretValue on \${${only(scim, 'AWS::SecretsManager::Secret', (p) => p.Name === 'AtlasOnboarder/scim-token')[0]}}`,
        `sqs:SendMessage on \${${sourceQueue(scim)[0]}.Arn}`,
        // Lambda sends the on-failure records with the function's role.
        `sqs:SendMessage on ${failures}`,
        `sqs:GetQueueAttributes on ${failures}`,
        `sqs:GetQueueUrl on ${failures}`,
        'xray:PutTelemetryRecords on *',
        'xray:PutTraceSegments on *',
      ].sort(),
    );
    // No Scan, no BatchWriteItem, no KMS with the AWS managed key; and the onboarder gains nothing.
    expect(functionGrants(scim)).toEqual(functionGrants(defaults).map((grant) => grant.replaceAll(fn(defaults)[0], fn(scim)[0])));
  });

  it('creates its token secret as <stack>/scim-token with a placeholder the function refuses, and keeps it', () => {
    const [, secret] = only(scim, 'AWS::SecretsManager::Secret', (p) => p.Name === 'AtlasOnboarder/scim-token');
    expect(secret.GenerateSecretString).toEqual({ SecretStringTemplate: JSON.stringify({ replaceWith: SCIM_TOKEN_PLACEHOLDER }), GenerateStringKey: 'placeholder' });
    const resources_ = (scim.template.toJSON() as { Resources: Record<string, { Properties: Props; DeletionPolicy?: string }> }).Resources;
    expect(Object.values(resources_).find((r) => r.Properties?.Name === 'AtlasOnboarder/scim-token')?.DeletionPolicy).toBe('Retain');
    // The shape the function reads is {"values": [...]}: the placeholder has none.
    expect(Object.keys(JSON.parse(SCIM_TOKEN_PLACEHOLDER) as object)).toEqual(['values']);
    expect(JSON.parse(secret.GenerateSecretString ? (secret.GenerateSecretString as { SecretStringTemplate: string }).SecretStringTemplate : '{}')).not.toHaveProperty('values');
  });

  it('takes GET, POST, PUT, PATCH and DELETE on /scim/v2/{proxy+}, on the same API, without IAM or an API key, and only those invoke it', () => {
    const [api] = only(scim, 'AWS::ApiGateway::RestApi');
    const paths = new Map(resources(scim, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r]));
    const pathOf = (id: string): string => {
      const r = paths.get(id);
      return r ? `${pathOf(render(r.ParentId).slice(2, -1))}/${r.PathPart as string}` : '';
    };
    const methods = resources(scim, 'AWS::ApiGateway::Method').map(([, m]) => ({ route: `${m.HttpMethod as string} ${pathOf(render(m.ResourceId).slice(2, -1)) || '/'}`, m }));
    const open = methods.filter(({ m }) => m.AuthorizationType !== 'AWS_IAM');
    expect(open.map(({ route }) => route).sort()).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT'].map((method) => `${method} /scim/v2/{proxy+}`));
    for (const { m } of open) {
      expect(m).toMatchObject({ AuthorizationType: 'NONE', ApiKeyRequired: false, RestApiId: { Ref: api }, Integration: { Type: 'AWS_PROXY' } });
      expect(render((m.Integration as { Uri: unknown }).Uri)).toContain(`\${${scimFn(scim)[0]}.Arn}`);
    }
    // /scim/v2 itself is only a prefix: it takes no method.
    expect(methods.filter(({ route }) => / \/scim(\/v2)?$/.test(route))).toEqual([]);
    expect(methods.filter(({ m }) => m.AuthorizationType === 'AWS_IAM')).toHaveLength(6);
    const stage = only(scim, 'AWS::ApiGateway::Stage')[0];
    const prefix = `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${api}}/\${${stage}}`;
    expect(
      resources(scim, 'AWS::Lambda::Permission', (p) => render(p.FunctionName) === `\${${scimFn(scim)[0]}.Arn}`)
        .map(([, p]) => render(p.SourceArn))
        .sort(),
    ).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT'].map((method) => `${prefix}/${method}/scim/v2/*`));
  });

  it('throttles each SCIM method apart from the stage: 25 requests a second, bursts of 50', () => {
    expect(scimSettings(scim).map((m) => `${m.HttpMethod as string} ${m.ThrottlingRateLimit as number}/${m.ThrottlingBurstLimit as number}`)).toEqual(
      ['DELETE', 'GET', 'PATCH', 'POST', 'PUT'].map((method) => `${method} 25/50`),
    );
    expect(stageSettings(scim)).toMatchObject({ ResourcePath: '/*', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
  });

  it('alarms on SCIM 5xx answers, a relay more than 15 minutes behind, records given up, errors and throttles', () => {
    const alarms = resources(scim, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(5 + 5);
    const topic = { Ref: only(scim, 'AWS::SNS::Topic')[0] };
    const byName = (name: string) => alarms.find(([id]) => id.includes(name))![1];
    const fiveXx = byName('ScimServerErrors');
    expect(fiveXx).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching', AlarmActions: [topic] });
    const queries = fiveXx.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Stat: string; Period: number } }[];
    expect(queries.find((q) => q.Expression)?.Expression).toBe('FILL(m500, 0) + FILL(m503, 0)');
    expect(
      queries
        .filter((q) => q.MetricStat)
        .map((q) => `${q.MetricStat!.Metric.Namespace} ${q.MetricStat!.Metric.MetricName} ${q.MetricStat!.Metric.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(' ')} ${q.MetricStat!.Stat} ${q.MetricStat!.Period}`)
        .sort(),
    ).toEqual(['AtlasOnboarder ScimRequests Function=scim Status=500 Sum 300', 'AtlasOnboarder ScimRequests Function=scim Status=503 Sum 300']);
    const functionDimension = [{ Name: 'FunctionName', Value: { Ref: scimFn(scim)[0] } }];
    expect(byName('ScimIteratorAge')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: functionDimension,
      Statistic: 'Maximum',
      Threshold: SCIM_ITERATOR_AGE_THRESHOLD.toMilliseconds(),
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic],
    });
    expect(SCIM_ITERATOR_AGE_THRESHOLD.toMilliseconds()).toBe(15 * 60_000);
    expect(byName('ScimRelayFailures')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [relayFailureQueue(scim)[0], 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
    });
    expect(byName('ScimRelayFailures').AlarmDescription).toMatch(/get-records/);
    for (const name of ['ScimFunctionErrors', 'ScimFunctionThrottles']) {
      expect(byName(name)).toMatchObject({ Namespace: 'AWS/Lambda', Dimensions: functionDimension, Statistic: 'Sum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [topic] });
    }
  });

  it('has its own rows on the dashboard: requests by status, duration p99, iterator age and records given up, errors, deployment faults', () => {
    const body = JSON.parse(render(only(scim, 'AWS::CloudWatch::Dashboard')[1].DashboardBody)) as { widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; alarms?: string[] } }[] };
    const lines = (title: string) =>
      body.widgets.find((w) => w.properties.title === title)!.properties.metrics!.map((line) => {
        const options = line.at(-1) as { stat: string; yAxis?: string };
        return [...(line.slice(0, -1) as string[]), options.stat, ...(options.yAxis ? [options.yAxis] : [])].join(' ');
      });
    const function_ = `FunctionName \${${scimFn(scim)[0]}}`;
    expect(lines('SCIM: requests by status')).toEqual(SCIM_STATUSES.map((status) => `AtlasOnboarder ScimRequests Function scim Status ${status} Sum`));
    expect(lines('SCIM: duration (ms)')).toEqual(['p50', 'p99', 'Maximum'].map((stat) => `AWS/Lambda Duration ${function_} ${stat}`));
    expect(lines('SCIM relay: iterator age (ms)')).toEqual([
      `AWS/Lambda IteratorAge ${function_} Maximum`,
      `AWS/SQS ApproximateNumberOfMessagesVisible QueueName \${${relayFailureQueue(scim)[0]}.QueueName} Maximum right`,
    ]);
    expect(lines('SCIM: errors and throttles')).toEqual(['Errors', 'Throttles'].map((m) => `AWS/Lambda ${m} ${function_} Sum`));
    expect(lines('SCIM: deployment faults and rejected tokens')).toEqual([
      'AtlasOnboarder DeploymentFaults Function scim Sum',
      'AtlasOnboarder ScimRequests Function scim Status 401 Sum',
    ]);
    const alarmWidget = body.widgets.find((w) => w.type === 'alarm')!;
    for (const [id] of resources(scim, 'AWS::CloudWatch::Alarm')) expect(alarmWidget.properties.alarms).toContain(`\${${id}.Arn}`);
  });

  it('acknowledges cdk-nag’s authorization findings on the five SCIM methods only, with the reason', () => {
    const byConstruct = new Map<string, string[]>();
    for (const construct of scim.app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const key of Object.keys(entry.data as Record<string, string>)) {
          const id = key.replace(/^annotation::/i, '');
          byConstruct.set(id, [...(byConstruct.get(id) ?? []), construct.node.path]);
        }
      }
    }
    const methods = ['DELETE', 'GET', 'PATCH', 'POST', 'PUT'].map((method) => `AtlasOnboarder/AtlasOnboarder/Api/Api/Default/scim/v2/{proxy+}/${method}`);
    expect(byConstruct.get('AwsSolutions-APIG4')?.sort()).toEqual(methods);
    expect(byConstruct.get('AwsSolutions-COG4')?.sort()).toEqual(['AtlasOnboarder/AtlasOnboarder/Api/Api', ...methods].sort());
    expect(byConstruct.get('AwsSolutions-SQS3')).toEqual(['AtlasOnboarder/AtlasOnboarder/Scim/RelayFailures']);
    expect(byConstruct.get('AwsSolutions-IAM5[Resource::*]')?.sort()).toEqual(['AtlasOnboarder/AtlasOnboarder/FunctionRole', 'AtlasOnboarder/AtlasOnboarder/Scim/Role']);
    expect(acknowledgements(scim.app).get('AwsSolutions-APIG4')).toMatch(/compares the token in constant time/);
    expect([...acknowledgements(scim.app).keys()].sort()).toEqual([...acknowledgements(defaults.app).keys(), 'AwsSolutions-APIG4', 'AwsSolutions-SQS3'].sort());
  });

  it('gives the SCIM base URL, the table name, the token secret’s name, the function and the relay-failure queue as outputs', () => {
    const outputs = (scim.template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    expect(render(outputs.ScimBaseUrl?.Value)).toMatch(/^https:\/\/\$\{\w+\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/\$\{\w+\}\/scim\/v2$/);
    expect(render(outputs.ScimTableName?.Value)).toBe(`\${${scimTable(scim)[0]}}`);
    expect(outputs.ScimTokenSecretName?.Value).toBe('AtlasOnboarder/scim-token');
    expect(render(outputs.ScimFunctionName?.Value)).toBe(`\${${scimFn(scim)[0]}}`);
    expect(render(outputs.ScimRelayFailureQueueUrl?.Value)).toBe(`\${${relayFailureQueue(scim)[0]}}`);
    expect((custom.template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs.ScimTokenSecretName?.Value).toBe('platform/scim-token');
  });

  it('ships an asset of its entry and the chunks it reaches, with no Atlas client code and no undici', () => {
    const dir = assetDir(scim, scimFn(scim));
    const files = bundleFiles(dir);
    expect(files).toContain('scim/index.mjs');
    expect(files.filter((file) => !/^(scim\/index|chunk-[A-Z0-9]+)\.mjs$/.test(file))).toEqual([]);
    const sources = files.flatMap((file) => (JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8')) as { sources: string[] }).sources);
    expect(sources.some((source) => source.includes('lambda/scim/service.ts'))).toBe(true);
    expect(
      sources.filter(
        (source) =>
          source.includes('lambda/atlas/') ||
          source.includes('node_modules/undici/') ||
          source.includes('lambda/functions/onboarder/') ||
          source.includes('lambda/functions/webhook-ingress/'),
      ),
    ).toEqual([]);
  });
});

describe('the credentials secret', () => {
  it('is created with the expected structure and a placeholder when none is given', () => {
    expect(only(defaults, 'AWS::SecretsManager::Secret')[1].GenerateSecretString).toEqual({
      SecretStringTemplate: JSON.stringify({ clientId: PLACEHOLDER_CLIENT_ID }),
      GenerateStringKey: 'clientSecret',
    });
  });

  // An imported secret adds no resource; a bare stack shows the policy it produces.
  function statementsFor(existingSecret: string): Statement[] {
    const stack = new Stack(new App(), 'Credentials');
    const role = new iam.Role(stack, 'Grantee', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const credentials = new AtlasCredentials(stack, 'Credentials', { existingSecret });
    credentials.grantGetSecretValue(role);
    expect(credentials.secretId).toBe(existingSecret);
    return (only(Template.fromStack(stack), 'AWS::IAM::Policy')[1].PolicyDocument as { Statement: Statement[] }).Statement;
  }

  it('is read by its complete ARN as given', () => {
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:atlas/onboarder-AbC123';
    expect(statementsFor(arn)).toEqual([{ Sid: 'ReadAtlasCredentials', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: arn }]);
  });

  it('is read by a partial ARN plus exactly six suffix characters', () => {
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:atlas/onboarder';
    expect(statementsFor(arn)).toEqual([
      { Sid: 'ReadAtlasCredentials', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `${arn}-??????` },
    ]);
  });
});

describe('the API', () => {
  it('takes POST /events and POST /invites, and hands every other path and method to the function (its 404 and 405), all IAM-authorized', () => {
    const [validator, validatorProps] = only(defaults, 'AWS::ApiGateway::RequestValidator');
    expect(validatorProps).toMatchObject({ ValidateRequestBody: false, ValidateRequestParameters: true });
    const paths = new Map(resources(defaults, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r.PathPart as string]));
    expect([...paths.values()].sort()).toEqual(['events', 'invites', '{proxy+}']);
    const methods = resources(defaults, 'AWS::ApiGateway::Method');
    const routes = methods.map(([, m]) => `${m.HttpMethod as string} /${paths.get(render(m.ResourceId).slice(2, -1)) ?? ''}`).sort();
    expect(routes).toEqual(['ANY /', 'ANY /events', 'ANY /invites', 'ANY /{proxy+}', 'POST /events', 'POST /invites']);
    for (const [, method] of methods) {
      expect(method).toMatchObject({
        AuthorizationType: 'AWS_IAM',
        ApiKeyRequired: false,
        RequestValidatorId: { Ref: validator },
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
    }
  });

  it('leaves every body to the function, which answers in the contract’s words: no gateway model or error body', () => {
    expect(resources(defaults, 'AWS::ApiGateway::Model')).toEqual([]);
    expect(resources(defaults, 'AWS::ApiGateway::GatewayResponse')).toEqual([]);
    for (const [, method] of resources(defaults, 'AWS::ApiGateway::Method')) expect(method.RequestModels).toBeUndefined();
  });

  it('throttles the stage, writes JSON access logs, traces, and never logs request bodies', () => {
    const [, stage] = only(defaults, 'AWS::ApiGateway::Stage');
    expect(stage).toMatchObject({ StageName: 'v1', TracingEnabled: true });
    expect(stageSettings(defaults)).toMatchObject({
      HttpMethod: '*',
      ResourcePath: '/*',
      LoggingLevel: 'ERROR',
      DataTraceEnabled: false,
      ThrottlingRateLimit: 10,
      ThrottlingBurstLimit: 20,
    });
    const { DestinationArn, Format } = stage.AccessLogSetting as { DestinationArn: unknown; Format: string };
    const accessLogGroup = /:log-group:\$\{(\w+)\}$/.exec(render(DestinationArn))?.[1];
    expect(accessLogGroup).not.toBe(functionLogGroupId(defaults));
    expect(resources(defaults, 'AWS::Logs::LogGroup').find(([id]) => id === accessLogGroup)?.[1].RetentionInDays).toBe(365);
    expect(JSON.parse(Format.replace(/\$context\.[\w.]+/g, 'x'))).toHaveProperty('requestId');
  });

  it('sets the account’s API Gateway logging role, so logs can be written at all', () => {
    expect(resources(defaults, 'AWS::ApiGateway::Account')).toHaveLength(1);
  });
});

describe('the alarms', () => {
  const alarm = (s: Synth, metricName: string) => only(s, 'AWS::CloudWatch::Alarm', (p) => p.MetricName === metricName)[1];

  it('fire on the first dead letter, function error, throttle, API 5xx and deployment fault', () => {
    const dimensions = (s: Synth, metricName: string) =>
      (alarm(s, metricName).Dimensions as { Name: string; Value: unknown }[]).map((d) => `${d.Name}=${render(d.Value)}`).sort();
    expect(dimensions(defaults, 'ApproximateNumberOfMessagesVisible')).toEqual([`QueueName=\${${deadLetterQueue(defaults)[0]}.QueueName}`]);
    expect(dimensions(defaults, 'Errors')).toEqual([`FunctionName=\${${fn(defaults)[0]}}`]);
    expect(dimensions(defaults, 'Throttles')).toEqual([`FunctionName=\${${fn(defaults)[0]}}`]);
    expect(dimensions(defaults, '5XXError')).toEqual(['ApiName=AtlasOnboarder-api', `Stage=\${${only(defaults, 'AWS::ApiGateway::Stage')[0]}}`]);
    expect(dimensions(defaults, 'DeploymentFaults')).toEqual(['Function=onboarder']);
    for (const metricName of ['ApproximateNumberOfMessagesVisible', 'Errors', 'Throttles', '5XXError', 'DeploymentFaults']) {
      expect(alarm(defaults, metricName), metricName).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
    expect(resources(defaults, 'AWS::CloudWatch::Alarm')).toHaveLength(5);
  });

  it('fire on one deployment fault the function published in 5 minutes, and tell the operator to fix the secret', () => {
    const faults = alarm(defaults, 'DeploymentFaults');
    // Threshold 0, "greater than": one fault is enough.
    expect(faults).toMatchObject({ Namespace: 'AtlasOnboarder', Statistic: 'Sum', Period: 300, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(faults.AlarmDescription).toMatch(/Fix the secret/);
    expect(faults.AlarmDescription).toMatch(/wait on the queue.*nothing to redrive/);
  });

  it('notify an encrypted, TLS-only SNS topic that CloudWatch of this account may publish to', () => {
    const [topicId, topic] = only(defaults, 'AWS::SNS::Topic');
    for (const [, a] of resources(defaults, 'AWS::CloudWatch::Alarm')) {
      expect(a).toMatchObject({ AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] });
    }
    const [keyId, key] = only(defaults, 'AWS::KMS::Key');
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(key.EnableKeyRotation).toBe(true);
    // CloudWatch may use the key only for this account's alarms: the trust carries the confused-deputy conditions.
    const keyStatements = (key.KeyPolicy as { Statement: Statement[] }).Statement.filter((s) => s.Sid === 'LetCloudWatchAlarmsPublishEncrypted' || JSON.stringify(s).includes('cloudwatch.amazonaws.com'));
    expect(keyStatements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
        },
      }),
    ]);
    const statements = (only(defaults, 'AWS::SNS::TopicPolicy')[1].PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'sns:Publish',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }) as unknown,
        }),
      ]),
    );
    expect(resources(defaults, 'AWS::SNS::Subscription')).toEqual([]);
  });
});

describe('the dashboard', () => {
  /** The dashboard's widgets, its body's CloudFormation values rendered (`${Logical.Arn}`, `${AWS::Region}`). */
  const widgets = (s: Synth) => {
    const body = render(only(s, 'AWS::CloudWatch::Dashboard')[1].DashboardBody);
    return (JSON.parse(body) as { widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; alarms?: string[] } }[] }).widgets;
  };
  /** Each graph's lines as `Namespace MetricName Dim=Value… stat`, by title. */
  const graphs = (s: Synth) =>
    Object.fromEntries(
      widgets(s)
        .filter((w) => w.type === 'metric')
        .map((w) => [
          w.properties.title!,
          w.properties.metrics!.map((line) => {
            const options = line.at(-1) as { stat: string; yAxis?: string };
            const [namespace, name, ...dimensions] = line.slice(0, -1) as string[];
            const pairs = dimensions.flatMap((d, i) => (i % 2 ? [] : [`${d}=${dimensions[i + 1]}`]));
            return [namespace, name, ...pairs, options.stat, ...(options.yAxis ? [options.yAxis] : [])].join(' ');
          }),
        ]),
    );

  it('draws the metrics the function publishes, by their exact namespace, name and dimensions', () => {
    const g = graphs(defaults);
    expect(g['Results by status (projects)']).toEqual(
      ['invited', 'already_invited', 'updated', 'removed', 'ignored', 'dry_run', 'failed'].map((status) => `AtlasOnboarder Results Function=onboarder Status=${status} Sum`),
    );
    expect(g['Atlas calls by outcome']).toEqual(
      ['ok', 'transient', 'permanent', 'conflict'].map((outcome) => `AtlasOnboarder AtlasCalls Function=onboarder Outcome=${outcome} Sum`),
    );
    expect(g['Atlas latency (ms)']).toEqual(['p50', 'p90', 'Maximum'].map((stat) => `AtlasOnboarder AtlasLatency Function=onboarder ${stat}`));
    expect(g['Rate-limited waits']).toEqual(['AtlasOnboarder RateLimitedWaits Function=onboarder Sum']);
    expect(g['Dead letters and deployment faults']).toEqual([
      'AtlasOnboarder DeadLetters Function=onboarder Sum',
      'AtlasOnboarder DeploymentFaults Function=onboarder Sum',
    ]);
  });

  it('draws the queues, the function and the API as AWS measures them', () => {
    const g = graphs(defaults);
    const queue = `QueueName=\${${sourceQueue(defaults)[0]}.QueueName}`;
    const function_ = `FunctionName=\${${fn(defaults)[0]}}`;
    const stage = `ApiName=AtlasOnboarder-api Stage=\${${only(defaults, 'AWS::ApiGateway::Stage')[0]}}`;
    expect(g['Queue: messages waiting']).toEqual([
      `AWS/SQS ApproximateNumberOfMessagesVisible ${queue} Maximum`,
      `AWS/SQS ApproximateAgeOfOldestMessage ${queue} Maximum right`,
    ]);
    expect(g['Dead-letter queue: messages']).toEqual([`AWS/SQS ApproximateNumberOfMessagesVisible QueueName=\${${deadLetterQueue(defaults)[0]}.QueueName} Maximum`]);
    expect(g['Function: errors and throttles']).toEqual([`AWS/Lambda Errors ${function_} Sum`, `AWS/Lambda Throttles ${function_} Sum`]);
    expect(g['Function: duration (ms)']).toEqual(['p50', 'p90', 'Maximum'].map((stat) => `AWS/Lambda Duration ${function_} ${stat}`));
    expect(g['API: 4xx and 5xx']).toEqual([`AWS/ApiGateway 4XXError ${stage} Sum`, `AWS/ApiGateway 5XXError ${stage} Sum`]);
    expect(Object.keys(g)).toHaveLength(10);
  });

  it('shows the state of every alarm', () => {
    const alarmWidget = widgets(defaults).find((w) => w.type === 'alarm')!;
    const alarmIds = resources(defaults, 'AWS::CloudWatch::Alarm').map(([id]) => `\${${id}.Arn}`);
    expect([...alarmWidget.properties.alarms!].sort()).toEqual(alarmIds.sort());
  });
});

describe('outputs', () => {
  it('give the API URL, queue URL, DLQ URL, secret ARN, function name and dashboard name', () => {
    const outputs = defaults.template.toJSON() as { Outputs: Record<string, { Value: unknown }> };
    const value = (name: string) => render(outputs.Outputs[name]?.Value);
    expect(value('ApiUrl')).toMatch(/^https:\/\/\$\{\w+\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/\$\{\w+\}\/$/);
    expect(value('QueueUrl')).toBe(`\${${sourceQueue(defaults)[0]}}`);
    expect(value('DeadLetterQueueUrl')).toBe(`\${${deadLetterQueue(defaults)[0]}}`);
    expect(value('AtlasSecretArn')).toBe(`\${${only(defaults, 'AWS::SecretsManager::Secret')[0]}}`);
    expect(value('FunctionName')).toBe(`\${${fn(defaults)[0]}}`);
    expect(value('DashboardName')).toBe(`\${${only(defaults, 'AWS::CloudWatch::Dashboard')[0]}}`);
    // The RestApi's own "Endpoint" output is removed: the stack names its outputs.
    expect(Object.keys(outputs.Outputs).filter((name) => name.includes('Endpoint'))).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged, with defaults or every option set', () => {
    for (const s of [defaults, custom, hooks, scim]) expect(new AwsSolutionsChecks().validateScope(s.app).violations).toEqual([]);
  });

  it('acknowledges only these findings, each with a reason a reviewer can check', () => {
    const acknowledged = acknowledgements(defaults.app);
    expect([...acknowledged.keys()].sort()).toEqual([
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG3',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SMG4',
    ]);
    for (const [id, reason] of acknowledged) expect(reason.length, id).toBeGreaterThan(150);
    // Without the created secret and the account role, their acknowledgements go too.
    // With the webhook ingress and SCIM, their open methods' APIG4, and the relay-failure queue's SQS3.
    expect([...acknowledgements(custom.app).keys()].sort()).toEqual([
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG4',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SQS3',
    ]);
  });
});

describe('context options', () => {
  const logRetentions = (s: Synth) => resources(s, 'AWS::Logs::LogGroup').map(([, p]) => p.RetentionInDays);
  const effects: Record<(typeof CONTEXT_KEYS)[number], () => void> = {
    stackName: () => {
      expect(defaults.stack.stackName).toBe('AtlasOnboarder');
      expect(custom.stack.stackName).toBe('AtlasOnboarderStaging');
    },
    ruleFile: () => expect(env(custom).ROLE_MAPPING_FILE).toBe(BUNDLED_ROLE_MAPPING_FILE),
    atlasSecret: () => {
      expect(resources(custom, 'AWS::SecretsManager::Secret')).toEqual([]);
      expect(env(custom).ATLAS_SECRET_ID).toBe('platform/atlas-onboarder');
    },
    atlasSecretKmsKeyArn: () => {
      expect(functionGrants(defaults).filter((grant) => grant.startsWith('kms:'))).toEqual([]);
      expect(functionGrants(custom).filter((grant) => grant.startsWith(`kms:Decrypt on ${KMS_KEY_ARN} `))).toHaveLength(1);
    },
    atlasBaseUrl: () => expect(env(custom).ATLAS_BASE_URL).toBe('https://cloud-qa.mongodb.com'),
    atlasInviteApi: () => expect(env(custom).ATLAS_INVITE_API).toBe('users'),
    dryRun: () => expect(env(custom).DRY_RUN).toBe('true'),
    logLevel: () => expect(env(custom).LOG_LEVEL).toBe('debug'),
    logRetentionDays: () => {
      expect(logRetentions(defaults)).toEqual([365, 365]);
      // The onboarder's, the API's access log, the webhook ingress's and the scim function's.
      expect(logRetentions(custom)).toEqual([90, 90, 90, 90]);
    },
    batchSize: () => expect(sqsMapping(custom)[1].BatchSize).toBe(25),
    maxBatchingWindowSeconds: () => {
      expect(sqsMapping(custom)[1].MaximumBatchingWindowInSeconds).toBe(30);
      expect(sourceQueue(custom)[1].VisibilityTimeout).toBe(Math.max(REDELIVERY.visibilityTimeoutSeconds, 6 * 20 + 30));
    },
    maxConcurrency: () => expect(sqsMapping(custom)[1].ScalingConfig).toEqual({ MaximumConcurrency: 4 }),
    batchConcurrency: () => {
      expect(env(defaults).BATCH_CONCURRENCY).toBeUndefined();
      expect(env(custom).BATCH_CONCURRENCY).toBe('3');
    },
    apiRateLimit: () => expect(stageSettings(custom).ThrottlingRateLimit).toBe(2),
    apiBurstLimit: () => expect(stageSettings(custom).ThrottlingBurstLimit).toBe(4),
    apiClients: () => {
      expect(resources(defaults, 'AWS::ApiGateway::ApiKey')).toEqual([]);
      expect(resources(custom, 'AWS::ApiGateway::ApiKey').map(([, k]) => k.Name).sort()).toEqual(['AtlasOnboarderStaging-okta', 'AtlasOnboarderStaging-workday']);
      // Every IAM method; the hooks' senders cannot send our keys (their own secret is the gate).
      for (const [, method] of resources(custom, 'AWS::ApiGateway::Method')) expect(method.ApiKeyRequired).toBe(method.AuthorizationType === 'AWS_IAM');
      const plan = (name: string) => only(custom, 'AWS::ApiGateway::UsagePlan', (p) => p.UsagePlanName === `AtlasOnboarderStaging-${name}`)[1];
      expect(plan('workday')).toMatchObject({ Throttle: { RateLimit: 1, BurstLimit: 2 }, Quota: { Limit: 500, Period: 'DAY' } });
      // A caller without limits of its own gets the stage's.
      expect(plan('okta')).toMatchObject({ Throttle: { RateLimit: 2, BurstLimit: 4 } });
      expect(plan('okta').Quota).toBeUndefined();
      expect(resources(custom, 'AWS::ApiGateway::UsagePlanKey')).toHaveLength(2);
    },
    alarmEmail: () =>
      expect(only(custom, 'AWS::SNS::Subscription')[1]).toMatchObject({ Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: only(custom, 'AWS::SNS::Topic')[0] } }),
    connectionsFile: () => {
      expect(resources(defaults, 'AWS::Lambda::Function')).toHaveLength(1);
      expect(env(defaults).CONNECTIONS).toBeUndefined();
      expect(JSON.parse(ingressEnv(custom).CONNECTIONS as string)).toMatchObject({ connections: [{ name: 'okta-prod' }, { name: 'workday' }] });
      expect(env(custom).CONNECTIONS).toBe(ingressEnv(custom).CONNECTIONS);
    },
    existingConnectionSecrets: () => {
      expect(resources(hooks, 'AWS::SecretsManager::Secret', (p) => p.Name !== undefined)).toHaveLength(3);
      expect(resources(custom, 'AWS::SecretsManager::Secret')).toEqual([]);
      expect(functionGrants(custom, ingress(custom)).filter((grant) => grant.startsWith('secretsmanager:'))).toEqual([
        // A complete ARN as given; a name matched with exactly the six characters Secrets Manager appends.
        'secretsmanager:GetSecretValue on arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:platform/workday-hook-??????',
        `secretsmanager:GetSecretValue on ${OKTA_HOOK_SECRET_ARN}`,
      ]);
    },
    connectionSecretsKmsKeyArn: () => {
      expect(functionGrants(hooks, ingress(hooks)).filter((grant) => grant.startsWith('kms:'))).toEqual([]);
      expect(functionGrants(custom, ingress(custom)).filter((grant) => grant.startsWith('kms:'))).toEqual([
        `kms:Decrypt on ${CONNECTIONS_KMS_KEY_ARN} if {"StringEquals":{"kms:ViaService":"secretsmanager.\${AWS::Region}.amazonaws.com"}}`,
      ]);
    },
    hookRateLimit: () => expect(hookSettings(custom).map((m) => m.ThrottlingRateLimit)).toEqual([5, 5]),
    hookBurstLimit: () => expect(hookSettings(custom).map((m) => m.ThrottlingBurstLimit)).toEqual([10, 10]),
    scim: () => {
      expect(resources(defaults, 'AWS::DynamoDB::Table')).toEqual([]);
      expect(scimFn(custom)[1].Handler).toBe('scim/index.handler');
      expect(render(scimEnv(custom).SCIM_TABLE_NAME)).toBe(`\${${scimTable(custom)[0]}}`);
    },
    scimTokenSecret: () => {
      // Referred to, not created; read by its name plus the six characters Secrets Manager appends.
      expect(resources(custom, 'AWS::SecretsManager::Secret')).toEqual([]);
      expect(scimEnv(custom).SCIM_TOKEN_SECRET_ID).toBe('platform/scim-token');
      expect(functionGrants(custom, scimFn(custom)).filter((grant) => grant.startsWith('secretsmanager:'))).toEqual([
        'secretsmanager:GetSecretValue on arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:platform/scim-token-??????',
      ]);
    },
    scimTableKmsKeyArn: () => {
      expect(scimTable(scim)[1].SSESpecification).toEqual({ SSEEnabled: true });
      expect(scimTable(custom)[1].SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: SCIM_TABLE_KMS_KEY_ARN });
      expect(functionGrants(scim, scimFn(scim)).filter((grant) => grant.startsWith('kms:'))).toEqual([]);
      // Ours for the table, and the event source mapping's own (Decrypt, DescribeKey) for the stream: on that key only.
      expect(functionGrants(custom, scimFn(custom)).filter((grant) => grant.startsWith('kms:'))).toEqual(
        ['kms:Decrypt', 'kms:Decrypt', 'kms:DescribeKey', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'].map((action) => `${action} on ${SCIM_TABLE_KMS_KEY_ARN}`),
      );
      // The key is the table's alone: the other functions get nothing on it.
      expect(functionGrants(custom).filter((grant) => grant.includes(SCIM_TABLE_KMS_KEY_ARN))).toEqual([]);
    },
    scimRateLimit: () => expect(scimSettings(custom).map((m) => m.ThrottlingRateLimit)).toEqual([3, 3, 3, 3, 3]),
    scimBurstLimit: () => expect(scimSettings(custom).map((m) => m.ThrottlingBurstLimit)).toEqual([6, 6, 6, 6, 6]),
    apiGatewayCloudWatchRole: () => {
      expect(resources(custom, 'AWS::ApiGateway::Account')).toEqual([]);
      // The three functions' roles, and no account role.
      expect(resources(custom, 'AWS::IAM::Role')).toHaveLength(3);
      expect(resources(custom, 'AWS::IAM::Role', (r) => JSON.stringify(r).includes('apigateway.amazonaws.com'))).toEqual([]);
    },
  };

  it.each(Object.entries(effects))('%s changes the template as documented', (_key, effect) => effect());

  it('are all tested above, all set in the custom variant, and all documented in infra/README.md', () => {
    expect(Object.keys(effects).sort()).toEqual([...CONTEXT_KEYS].sort());
    expect(Object.keys(customContext('x', 'y')).sort()).toEqual([...CONTEXT_KEYS].sort());
    const readme = readFileSync('infra/README.md', 'utf8');
    for (const key of CONTEXT_KEYS) expect(readme, key).toContain(`\`${key}\``);
  });

  it('stop synth with a message naming the key when a value is bad', () => {
    expect(() => defineApp(newApp({ batchSize: 'lots' }))).toThrow(/context "batchSize" must be a number/);
    expect(() => defineApp(newApp({ atlasSecretKmsKeyArn: 'alias/atlas' }))).toThrow(/context "atlasSecretKmsKeyArn" must be a KMS key ARN/);
    expect(() => defineApp(newApp({ apiClients: '["okta", "okta"]' }))).toThrow(/context "apiClients" names "okta" twice/);
  });
});
