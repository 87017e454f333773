// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layering (STYLE.md, shared/DESIGN.md section 8), as import rules: a wrong import fails `npm run lint`.
 *
 *   contract/   the shared words: imports nothing of lambda/ but zod-messages
 *   failure, log, metrics, deadline, concurrency, retry, zod-messages: leaves, import nothing of lambda/'s folders
 *               (metrics.ts reads the metric catalogue, contract/metrics.ts: pure data that infra/ draws from too)
 *   http/       HTTP only: transport.ts is the one door to undici; nothing of lambda/'s folders
 *   core/       pure: no AWS shape, no SDK, no HTTP client; never adapters/, aws/, functions/, http/, okta/
 *   atlas/      HTTP and Atlas: nothing of events or rules (core/), adapters/, aws/, okta/, functions/
 *   okta/       HTTP and Okta: nothing of events or rules (core/), adapters/, aws/, atlas/, functions/
 *   adapters/   AWS and vendor shapes: never atlas/, okta/, http/, aws/ (they reach them through ports), functions/
 *   aws/        the SDK clients behind the ports: never core/, atlas/, okta/, http/, functions/
 *   functions/<name>/  one composition root each: never another function's folder
 *   functions/webhook-ingress/  and never atlas/, okta/, http/ or undici: it verifies and queues, Atlas and Okta are the onboarder's
 *   scim/       the SCIM service, the directory's item keys and the change relay, pure of AWS: no SDK, no AWS shape, no
 *               HTTP client; never adapters/, aws/, atlas/, functions/ (DynamoDB and SQS are reached through ports:
 *               scim/directory.ts, the relay's ChangeQueue; the stream adapter reads records into scim/changes.ts)
 *   functions/scim/  and never atlas/ or undici: the scim bundle holds no Atlas client code (contract section 9)
 *   lambda/     never infra/, local/, bench/, test/, sandbox/
 *   infra/      only lambda/contract; local/check-rules.ts only lambda/contract and lambda/preview/
 *   sandbox/    nothing of lambda/ (a stand-in that shares code with what it stands in for could pass a bug on both sides)
 *   local/dynamodb-*.ts: DynamoDB Local and the stream poller emulate AWS, so they share nothing with lambda/ either
 */
const OUTSIDE_LAMBDA = { regex: '^(\\.\\./)+(infra|local|bench|test|sandbox)(/|$)', message: 'lambda/ ships alone: it never imports the tools around it.' };
const SDK = { regex: '^@aws-sdk/', message: 'Only lambda/aws/ talks to the AWS SDK.' };
const AWS_SHAPES = { regex: '^aws-lambda$', message: 'Only adapters/ and the functions know AWS event shapes.' };
const HTTP_CLIENT = { regex: '^undici(/|$)', message: 'Only lambda/http/transport.ts talks to undici; clients use its send().' };
/** A folder of lambda/ that may not be imported from here: `../name` or deeper. */
const folders = (names, message) => ({ regex: `^(\\.\\./)+(${names.join('|')})(/|$)`, message });
const layer = (files, ...patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns: [OUTSIDE_LAMBDA, ...patterns] }] } });
const layering = [
  layer(['lambda/**/*.ts']),
  layer(['lambda/contract/**'], { regex: '^\\.\\./(?!zod-messages$)', message: 'contract/ is the shared vocabulary: it imports nothing of lambda/ but zod-messages.' }, SDK, AWS_SHAPES, HTTP_CLIENT),
  layer(
    ['lambda/failure.ts', 'lambda/log.ts', 'lambda/metrics.ts', 'lambda/deadline.ts', 'lambda/concurrency.ts', 'lambda/retry.ts', 'lambda/zod-messages.ts', 'lambda/constant-time.ts'],
    { regex: '^\\./(contract(?!/metrics$)|core|atlas|okta|http|adapters|aws|functions)(/|$)', message: 'A leaf module of lambda/ imports none of its folders (but the metric catalogue).' },
    SDK,
    AWS_SHAPES,
    HTTP_CLIENT,
  ),
  layer(
    ['lambda/core/**'],
    folders(['adapters', 'aws', 'functions', 'http', 'okta'], 'core/ is pure: it knows no AWS shape and reaches Atlas and Okta only through its ports.'),
    SDK,
    AWS_SHAPES,
    HTTP_CLIENT,
  ),
  layer(['lambda/http/**'], folders(['contract', 'core', 'atlas', 'okta', 'adapters', 'aws', 'functions'], 'http/ knows HTTP only: what an answer means is its clients’.'), SDK, AWS_SHAPES),
  {
    ...layer(['lambda/http/**'], folders(['contract', 'core', 'atlas', 'okta', 'adapters', 'aws', 'functions'], 'http/ knows HTTP only: what an answer means is its clients’.'), SDK, AWS_SHAPES, HTTP_CLIENT),
    ignores: ['lambda/http/transport.ts', 'lambda/http/undici-internals.d.ts'],
  },
  layer(['lambda/atlas/**'], folders(['core', 'okta', 'adapters', 'aws', 'functions'], 'atlas/ knows HTTP and Atlas, nothing of events, rules, Okta or AWS.'), SDK, AWS_SHAPES, HTTP_CLIENT),
  layer(['lambda/okta/**'], folders(['core', 'atlas', 'adapters', 'aws', 'functions'], 'okta/ knows HTTP and Okta, nothing of events, rules, Atlas or AWS.'), SDK, AWS_SHAPES, HTTP_CLIENT),
  layer(['lambda/adapters/**'], folders(['atlas', 'okta', 'http', 'aws', 'functions'], 'adapters/ reach Atlas, Okta and AWS only through the ports they are given.'), SDK, HTTP_CLIENT),
  layer(['lambda/aws/**'], folders(['core', 'atlas', 'okta', 'http', 'functions'], 'aws/ holds SDK clients behind ports; it knows no core, Atlas or Okta code.'), HTTP_CLIENT),
  layer(['lambda/functions/**'], { regex: '^\\.\\./[^.]', message: 'A function never imports another function’s folder; share through lambda/ instead.' }),
  layer(
    ['lambda/functions/webhook-ingress/**'],
    { regex: '^\\.\\./[^.]', message: 'A function never imports another function’s folder; share through lambda/ instead.' },
    folders(['atlas', 'okta', 'http'], 'The webhook ingress only verifies and queues: it holds no Atlas or Okta client code and no HTTP client (contract section 9).'),
    HTTP_CLIENT,
  ),
  layer(
    ['lambda/scim/**'],
    folders(['adapters', 'aws', 'atlas', 'okta', 'http', 'functions'], 'scim/ is the SCIM service, pure of AWS: it reaches the directory through its port.'),
    SDK,
    AWS_SHAPES,
    HTTP_CLIENT,
  ),
  layer(
    ['lambda/functions/scim/**'],
    { regex: '^\\.\\./[^.]', message: 'A function never imports another function’s folder; share through lambda/ instead.' },
    folders(['atlas'], 'The scim function holds no Atlas client code (contract section 9).'),
    HTTP_CLIENT,
  ),
  {
    files: ['infra/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./lambda/(?!contract(/|$))', message: 'infra/ reads the function only through lambda/contract.' }] },
      ],
    },
  },
  {
    files: ['local/check-rules.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./lambda/(?!contract(/|$)|preview/)', message: 'check-rules reads the function only through lambda/contract and lambda/preview/.' }] },
      ],
    },
  },
  {
    files: ['local/dynamodb-*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./lambda(/|$)', message: 'The AWS emulators share no code with the function they serve.' }] }] },
  },
  {
    files: ['sandbox/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./lambda(/|$)', message: 'The sandbox shares no code with the function it stands in for.' }] }] },
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'dist/', 'coverage/', 'bench/.out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['test/**', 'bench/**', 'local/**', 'sandbox/**', 'infra/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // vitest's asymmetric matchers (expect.any, expect.objectContaining) are typed `any`.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  ...layering,
  { files: ['eslint.config.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', performance: 'readonly', fetch: 'readonly' } } },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { process: 'readonly', module: 'writable' } } },
);
