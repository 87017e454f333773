import { readdirSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';

/**
 * How the function is bundled, in one place: `cdk synth` (through {@link bundleFunction}, as the asset's local
 * bundling), `npm run build` (`infra/bundle.ts`) and every benchmark read this object, so what is measured is exactly
 * what is shipped.
 */

/** The project root: where `package-lock.json` lives and where esbuild runs, so paths in the bundle are stable. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The function's entry point; its `handler` export is the Lambda handler. */
export const FUNCTION_ENTRY = fileURLToPath(new URL('../lambda/handler.ts', import.meta.url));

/** File name of the bundle's entry inside the asset: the handler is `index.handler`. Its chunks lie beside it. */
export const BUNDLE_FILE = 'index.mjs';

/** The esbuild options we set; {@link esbuildOptions} adds the entry point and the output directory. */
export type FunctionBundleOptions = Readonly<
  Required<
    Pick<
      BuildOptions,
      'platform' | 'target' | 'format' | 'mainFields' | 'external' | 'minify' | 'sourcemap' | 'sourcesContent' | 'keepNames' | 'splitting'
    >
  > & {
    platform: 'node';
    format: 'esm';
    target: string;
    banner: { js: string };
    /** Module specifiers replaced by files (paths relative to the project root, where esbuild runs). */
    alias: Readonly<Record<string, string>>;
    /** Identifiers replaced by values throughout the bundle. */
    define: Readonly<Record<string, string>>;
  }
>;

/**
 * esbuild turns a bundled CommonJS dependency's `require('node:…')` into a call of its own `require` shim, which
 * does not exist in an ES module: give the module a real `require`. The alias keeps the name from clashing with a
 * `createRequire` import inside the bundle.
 */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __atlasOnboarderCreateRequire } from 'node:module'; const require = __atlasOnboarderCreateRequire(import.meta.url);";

const NODE_HTTP_SHIM = './infra/shims/node-http.cjs';

export const functionBundle: FunctionBundleOptions = {
  platform: 'node',
  // The runtime is nodejs24.x: let esbuild emit modern syntax rather than down-levelling for an older Node.
  target: 'node24',
  // ESM lets the runtime load the bundle as one module graph and allows top-level await during init.
  format: 'esm',
  // Code splitting: what the code imports dynamically (the SQS client, wanted only to dead-letter or delay a
  // message; the SDK's event-stream serde) goes to chunks of its own, loaded when first used, and the code shared
  // with the cold path stays in static chunks. In one file, esbuild would wrap every module reachable from a dynamic
  // import (340 of them, most of the SDK) in a lazy initialiser, which V8 parses twice, and the whole SQS client
  // would be parsed at every cold start. bench/cold-variants.ts, 21 runs: 146 ms split against 164 ms in one file.
  // This is why the asset is bundled here (infra/atlas-onboarder.ts) and not by NodejsFunction, which cannot split.
  // One chunk is never loaded: bowser (35 KB), imported dynamically by the SDK's browser user-agent parser, which is
  // itself shaken out; esbuild writes the chunk all the same.
  splitting: true,
  // Prefer dependencies' ES module builds (the AWS SDK ships both): they bundle and tree-shake better than CJS.
  mainFields: ['module', 'main'],
  // Bundle everything, the AWS SDK included: the SDK version is the one the tests ran against, not whichever one the
  // runtime happens to carry, and a bundled SDK loads from a few files instead of hundreds.
  external: [],
  // Minified: half the size (less for Lambda to fetch and unpack), and no slower to start (bench/cold-variants.ts:
  // 146 ms against 144 ms not minified, inside this machine's noise).
  minify: true,
  // A linked .map per file, read only with NODE_OPTIONS=--enable-source-maps, which the function does not set: that
  // costs a cold start 13 ms (bench/cold-variants.ts: 159 ms against 146 ms) and no log line carries a stack. Set it
  // to map a crash's stack.
  sourcemap: 'linked',
  // Stack traces need the mappings, not the sources: leaving the sources out keeps the maps (and the asset) small.
  sourcesContent: false,
  keepNames: false,
  banner: { js: CREATE_REQUIRE_BANNER },
  // Two modules replaced (why: in each shim). Cold starts by bench/cold-variants.ts: 146 ms shipped, 169 ms with the
  // real node:http import, 162 ms with the SDK's full credential chain.
  alias: {
    http: NODE_HTTP_SHIM,
    'node:http': NODE_HTTP_SHIM,
    '@aws-sdk/credential-provider-node': './infra/shims/aws-credentials-from-env.mjs',
  },
  // undici's own switch for builds that leave out its experimental Milo parser, which the function never turns on
  // (Node.js builds its internal undici with it): 166 KB less, most of it Milo's two WebAssembly modules in base64.
  define: { esbuildDetection: 'true' },
};

/**
 * The same options in the shape esbuild's API wants, writing the bundle into `outdir`.
 *
 * @example
 * await build(esbuildOptions('bench/.out/shipped')); // bench/.out/shipped/index.mjs and its chunks
 */
export function esbuildOptions(outdir: string, options: FunctionBundleOptions = functionBundle): BuildOptions {
  return {
    ...options,
    mainFields: [...options.mainFields],
    external: [...options.external],
    alias: { ...options.alias },
    define: { ...options.define },
    bundle: true,
    entryPoints: [FUNCTION_ENTRY],
    outdir,
    // index.mjs (the handler is `index.handler`) and chunk-<hash>.mjs beside it: .mjs, as there is no package.json
    // in the asset to say that .js files are ES modules.
    entryNames: BUNDLE_FILE.replace(/\.mjs$/, ''),
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    // Run from the project root, so paths in the bundle and its source maps are the same wherever it is built.
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'warning',
  };
}

/**
 * Bundles the function into `outdir`, synchronously: CDK's local bundling (`tryBundle`) cannot wait for a promise.
 * Answers the metafile. esbuild is a devDependency, so `cdk synth` never needs Docker.
 *
 * @example
 * const metafile = bundleFunction(outputDir); // outputDir/index.mjs, chunk-<hash>.mjs, their .map files
 */
export function bundleFunction(outdir: string, options: FunctionBundleOptions = functionBundle): Metafile {
  return buildSync({ ...esbuildOptions(outdir, options), metafile: true }).metafile;
}

/**
 * The output files a cold start loads before the handler runs: the entry and every chunk it imports statically,
 * as paths relative to the output directory. The rest is loaded when first used.
 *
 * @example
 * coldPathFiles(bundleFunction('dist')); // ['index.mjs', 'chunk-FZK5Q77J.mjs', …]
 */
export function coldPathFiles(metafile: Metafile): string[] {
  const outputs = metafile.outputs;
  // The entry by its name: chunks loaded by a dynamic import have an entryPoint too.
  const entry = Object.keys(outputs).find((file) => file === BUNDLE_FILE || file.endsWith(`/${BUNDLE_FILE}`))!;
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of outputs[file]!.imports) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(entry);
  const root = dirname(entry);
  return [...seen].map((file) => relative(root, file));
}

/**
 * The JavaScript files of a bundle directory (source maps and any rule file left out), sorted.
 *
 * @example
 * bundleFiles('dist'); // ['chunk-3N5SVSIG.mjs', …, 'index.mjs']
 */
export function bundleFiles(outdir: string): string[] {
  return readdirSync(outdir)
    .filter((file) => file.endsWith('.mjs'))
    .sort();
}
