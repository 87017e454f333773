import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunctions, functionFiles, functionInputs } from '../infra/bundling';

/**
 * Contract section 9: the webhook-ingress and scim bundles hold no Atlas client code, neither ours nor undici. One
 * build, as `npm run build` makes it, for both.
 */
const outdir = mkdtempSync(join(tmpdir(), 'function-bundles-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
const metafile = bundleFunctions(outdir);
const inputsOf = (name: string) => functionInputs(metafile, name);

describe('the webhook-ingress bundle', () => {
  it('is built beside the onboarder', () => {
    expect(functionFiles(metafile, 'webhook-ingress', 'all')[0]).toBe('webhook-ingress/index.mjs');
    expect(inputsOf('webhook-ingress')).toContain('lambda/adapters/webhooks/ingress.ts');
  });

  it('holds no lambda/atlas/, lambda/okta/ or lambda/http/ source and no undici', () => {
    const inputs = inputsOf('webhook-ingress');
    const clients = (input: string) => ['lambda/atlas/', 'lambda/okta/', 'lambda/http/'].some((folder) => input.startsWith(folder)) || input.includes('node_modules/undici/');
    expect(inputs.filter(clients)).toEqual([]);
    // The check can fail: the onboarder's bundle holds them all.
    const onboarder = inputsOf('onboarder');
    expect(onboarder.some((input) => input.startsWith('lambda/atlas/'))).toBe(true);
    expect(onboarder.some((input) => input.startsWith('lambda/okta/'))).toBe(true);
    expect(onboarder.some((input) => input.startsWith('lambda/http/'))).toBe(true);
    expect(onboarder.some((input) => input.includes('node_modules/undici/'))).toBe(true);
  });
});

describe('the scim bundle', () => {
  it('is built with the service in it', () => {
    expect(functionFiles(metafile, 'scim', 'all')[0]).toBe('scim/index.mjs');
    expect(inputsOf('scim')).toContain('lambda/scim/service.ts');
  });

  it('holds no lambda/atlas/ source and no undici', () => {
    const inputs = inputsOf('scim');
    expect(inputs.filter((input) => input.startsWith('lambda/atlas/') || input.includes('node_modules/undici/'))).toEqual([]);
    expect(inputsOf('onboarder').some((input) => input.startsWith('lambda/atlas/'))).toBe(true);
  });
});
