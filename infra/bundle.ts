/**
 * `npm run build`: bundles the function into `dist/` with exactly the options `cdk synth` ships
 * (`infra/bundling.ts`), for inspection and for start-up measurements.
 *
 * @example
 * npm run build            # dist/index.mjs, dist/index.mjs.map, dist/meta.json
 * npm run build -- out/    # another directory
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_FILE, esbuildOptions } from './bundling';

const outdir = resolve(process.argv[2] ?? 'dist');
const result = await build({ ...esbuildOptions(outdir), metafile: true });
// The metafile says which dependency weighs what: the first thing to read when the bundle grows.
writeFileSync(resolve(outdir, 'meta.json'), JSON.stringify(result.metafile));
const output = result.metafile.outputs[Object.keys(result.metafile.outputs).find((file) => file.endsWith(BUNDLE_FILE)) ?? ''];
console.log(`${resolve(outdir, BUNDLE_FILE)}: ${output ? (output.bytes / 1024).toFixed(0) : '?'} KiB`);
