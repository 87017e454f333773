import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lambda/functions/onboarder/config';

const rules = JSON.stringify({ rules: [{ name: 'all', when: {}, invite: [{ groupId: '5f1e2d3c4b5a69788796a5b4', roles: ['GROUP_READ_ONLY'] }] }] });
const base = { ROLE_MAPPING: rules, ATLAS_SECRET_ID: 'atlas/onboarder' };

function refusal(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('has the contract defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      atlasBaseUrl: 'https://cloud.mongodb.com',
      inviteApi: 'invites',
      credentials: { secretId: 'atlas/onboarder' },
      dryRun: false,
      batchConcurrency: 10,
      deadLetterQueueUrl: undefined,
    });
    expect(config.retry.maxAttempts).toBeGreaterThan(1);
  });

  it('reads the rule file from a path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    writeFileSync(join(dir, 'rules.json'), rules);
    expect(loadConfig({ ...base, ROLE_MAPPING: undefined, ROLE_MAPPING_FILE: join(dir, 'rules.json') }).rules.rules[0]?.name).toBe('all');
  });

  it.each([
    [{ ATLAS_BASE_URL: 'not a url' }, 'ATLAS_BASE_URL'],
    [{ ATLAS_BASE_URL: 'ftp://cloud.mongodb.com' }, 'ATLAS_BASE_URL'],
    [{ ATLAS_INVITE_API: 'members' }, 'ATLAS_INVITE_API'],
    [{ DRY_RUN: 'maybe' }, 'DRY_RUN'],
    [{ DEAD_LETTER_QUEUE_URL: 'dlq' }, 'DEAD_LETTER_QUEUE_URL'],
    [{ BATCH_CONCURRENCY: '0' }, 'BATCH_CONCURRENCY'],
    [{ ATLAS_MAX_ATTEMPTS: 'ten' }, 'ATLAS_MAX_ATTEMPTS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ROLE_MAPPING: undefined }, 'ROLE_MAPPING_FILE'],
    [{ ROLE_MAPPING_FILE: '/nonexistent/rules.json', ROLE_MAPPING: undefined }, 'ROLE_MAPPING_FILE'],
    [{ ROLE_MAPPING_FILE: '/x.json' }, 'ROLE_MAPPING'],
    [{ ATLAS_SECRET_ID: undefined }, 'ATLAS_SECRET_ID'],
    [{ ATLAS_SECRET_ID: undefined, ATLAS_CLIENT_ID: 'id' }, 'ATLAS_CLIENT_SECRET'],
  ])('refuses %o, naming %s', (change, variable) => {
    const error = refusal({ ...base, ...change });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  it('names the rule when the inline rule file is wrong', () => {
    const error = refusal({ ...base, ROLE_MAPPING: JSON.stringify({ rules: [{ name: 'broken', when: { shoeSize: 9 }, invite: [] }] }) });
    expect(error.variable).toBe('ROLE_MAPPING');
    expect(error.message).toMatch(/rule "broken" at when: unknown key "shoeSize"/);
  });

  it('takes credentials from the environment for local runs only', () => {
    const local = { ...base, ATLAS_SECRET_ID: undefined, ATLAS_CLIENT_ID: 'id', ATLAS_CLIENT_SECRET: 'secret' };
    expect(loadConfig(local).credentials).toEqual({ fixed: { clientId: 'id', clientSecret: 'secret' } });
    expect(refusal({ ...local, AWS_LAMBDA_FUNCTION_NAME: 'onboarder' }).variable).toBe('ATLAS_SECRET_ID');
  });

  it('takes an http: Atlas origin for local runs only: inside Lambda it must be https:', () => {
    const local = { ...base, ATLAS_BASE_URL: 'http://127.0.0.1:8080' };
    expect(loadConfig(local).atlasBaseUrl).toBe('http://127.0.0.1:8080');
    const error = refusal({ ...local, AWS_LAMBDA_FUNCTION_NAME: 'onboarder' });
    expect(error.variable).toBe('ATLAS_BASE_URL');
    expect(error.message).toBe('configuration error: ATLAS_BASE_URL must be an https: URL inside AWS Lambda (the token and the credentials travel to it)');
    expect(loadConfig({ ...base, ATLAS_BASE_URL: 'https://cloud-qa.mongodb.com/', AWS_LAMBDA_FUNCTION_NAME: 'onboarder' }).atlasBaseUrl).toBe('https://cloud-qa.mongodb.com');
    expect(loadConfig({ ...base, AWS_LAMBDA_FUNCTION_NAME: 'onboarder' }).atlasBaseUrl).toBe('https://cloud.mongodb.com');
  });

  it('keeps at least 250 ms back from the deadline: the 200 ms for answering and some for dead-lettering', () => {
    for (const margin of ['0', '1', '249']) {
      const error = refusal({ ...base, DEADLINE_MARGIN_MS: margin });
      expect([margin, error.variable, error.message]).toEqual([margin, 'DEADLINE_MARGIN_MS', 'configuration error: DEADLINE_MARGIN_MS must be at least 250']);
    }
    expect(loadConfig({ ...base, DEADLINE_MARGIN_MS: '250' }).deadlineMarginMs).toBe(250);
    expect(loadConfig(base).deadlineMarginMs).toBe(1000);
  });

  it('needs no credentials to run dry', () => {
    expect(loadConfig({ ROLE_MAPPING: rules, DRY_RUN: 'true' }).credentials).toBeUndefined();
  });
});
