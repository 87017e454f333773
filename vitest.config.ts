import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Loopback servers start per file; CDK synth tests bundle with esbuild and need more time than the default.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // DynamoDB Local starts once per run; files that need it read its endpoint with inject('dynamoDbEndpoint').
    globalSetup: ['./test/dynamodb-global-setup.ts'],
    reporters: ['default', './test/plain-summary.ts'],
  },
});
