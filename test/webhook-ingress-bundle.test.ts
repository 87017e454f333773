import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunctions, functionFiles } from '../infra/bundling';

/** Contract section 9: the webhook-ingress bundle holds no Atlas client code, neither ours nor undici. */
describe('the webhook-ingress bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'ingress-bundle-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const metafile = bundleFunctions(outdir);
  /** The source files that went into one function's output files, cold path and lazily loaded chunks alike. */
  const inputsOf = (name: string) => {
    const outputs = Object.keys(metafile.outputs);
    return functionFiles(metafile, name, 'all').flatMap((file) => {
      const key = outputs.find((output) => output === file || output.endsWith(`/${file}`))!;
      return Object.keys(metafile.outputs[key]!.inputs);
    });
  };

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
