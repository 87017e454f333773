import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunctions, functionFiles } from '../infra/bundling';

/** Contract section 9: the scim bundle holds no Atlas client code, neither ours nor undici, and no SCIM library. */
describe('the scim bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'scim-bundle-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const metafile = bundleFunctions(outdir);
  const inputsOf = (name: string) => {
    const outputs = Object.keys(metafile.outputs);
    return functionFiles(metafile, name, 'all').flatMap((file) => {
      const key = outputs.find((output) => output === file || output.endsWith(`/${file}`))!;
      return Object.keys(metafile.outputs[key]!.inputs);
    });
  };

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
