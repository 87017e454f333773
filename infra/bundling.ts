import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';

/**
 * How the functions are bundled, in one place: `cdk synth` (through {@link bundleFunction}, as each asset's local
 * bundling), `npm run build` (`infra/bundle.ts`) and every benchmark read this object, so what is measured is exactly
 * what is shipped.
 *
 * Every function (`lambda/functions/<name>/handler.ts`, contract section 9) is built in one esbuild run, so that code
 * they share lands in shared chunks: `<name>/index.mjs` for each entry, `chunk-<hash>.mjs` beside the folders. A
 * function's asset holds its entry and the chunks it reaches, in that layout; its handler is `<name>/index.handler`.
 */

/** The project root: where `package-lock.json` lives and where esbuild runs, so paths in the bundle are stable. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

const FUNCTIONS_DIR = join(PROJECT_ROOT, 'lambda/functions');

/** The deployed functions: each folder of `lambda/functions/` with a `handler.ts`. */
export const FUNCTION_NAMES: readonly string[] = readdirSync(FUNCTIONS_DIR)
  .filter((name) => existsSync(join(FUNCTIONS_DIR, name, 'handler.ts')))
  .sort();

/** A function's entry point; its `handler` export is the Lambda handler. */
export function functionEntry(name: string): string {
  return join(FUNCTIONS_DIR, name, 'handler.ts');
}

/** The onboarder's entry point, which the benchmarks measure. */
export const FUNCTION_ENTRY = functionEntry('onboarder');

/** File name of a function's bundle entry inside its folder of the output. */
export const BUNDLE_FILE = 'index.mjs';

/** Where a function's entry lies in the output (and in its asset): `onboarder/index.mjs`. */
export function entryFile(name: string): string {
  return `${name}/${BUNDLE_FILE}`;
}

/** The Lambda handler setting of a function: `onboarder/index.handler`. */
export function handlerOf(name: string): string {
  return `${name}/${BUNDLE_FILE.replace(/\.mjs$/, '')}.handler`;
}

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
 * The same options in the shape esbuild's API wants, writing every function's bundle into `outdir`.
 *
 * @example
 * await build(esbuildOptions('bench/.out/shipped')); // bench/.out/shipped/onboarder/index.mjs and the chunks
 */
export function esbuildOptions(outdir: string, options: FunctionBundleOptions = functionBundle): BuildOptions {
  return {
    ...options,
    mainFields: [...options.mainFields],
    external: [...options.external],
    alias: { ...options.alias },
    define: { ...options.define },
    bundle: true,
    // <name>/index.mjs (the handler is `<name>/index.handler`) and chunk-<hash>.mjs beside the folders: .mjs, as
    // there is no package.json in the asset to say that .js files are ES modules.
    entryPoints: Object.fromEntries(FUNCTION_NAMES.map((name) => [entryFile(name).replace(/\.mjs$/, ''), functionEntry(name)])),
    outdir,
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    // Run from the project root, so paths in the bundle and its source maps are the same wherever it is built.
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'warning',
  };
}

/**
 * Bundles every function into `outdir`, synchronously (CDK's local bundling, `tryBundle`, cannot wait for a promise),
 * and answers the metafile. esbuild is a devDependency, so `cdk synth` never needs Docker.
 *
 * @example
 * const metafile = bundleFunctions('dist'); // dist/onboarder/index.mjs, dist/chunk-<hash>.mjs, their .map files
 */
export function bundleFunctions(outdir: string, options: FunctionBundleOptions = functionBundle): Metafile {
  return buildSync({ ...esbuildOptions(outdir, options), metafile: true }).metafile;
}

/**
 * One function's asset in `outdir`: every function is built (one run, so the chunks are those every asset shares),
 * then what `name` never loads is taken out.
 *
 * @example
 * bundleFunction(outputDir, 'onboarder'); // outputDir/onboarder/index.mjs and the chunks it loads, with their maps
 */
export function bundleFunction(outdir: string, name: string, options: FunctionBundleOptions = functionBundle): Metafile {
  const metafile = bundleFunctions(outdir, options);
  const kept = new Set(functionFiles(metafile, name, 'all'));
  for (const output of Object.keys(metafile.outputs)) {
    const file = relative(outdir, join(PROJECT_ROOT, output));
    const code = file.replace(/\.map$/, '');
    if (!kept.has(code)) rmSync(join(outdir, file), { force: true });
  }
  for (const other of FUNCTION_NAMES) if (other !== name) rmSync(join(outdir, other), { recursive: true, force: true });
  return metafile;
}

/**
 * The output files of one function, as paths relative to the output directory: with `cold`, those a cold start
 * loads before the handler runs (the entry and every chunk it imports statically); with `all`, also those loaded
 * when first used (dynamic imports).
 *
 * @example
 * functionFiles(bundleFunctions('dist'), 'onboarder', 'cold'); // ['onboarder/index.mjs', 'chunk-FZK5Q77J.mjs', …]
 */
export function functionFiles(metafile: Metafile, name: string, which: 'cold' | 'all'): string[] {
  const outputs = metafile.outputs;
  // The entry by its path: chunks loaded by a dynamic import have an entryPoint too.
  const suffix = `/${entryFile(name)}`;
  const entry = Object.keys(outputs).find((file) => file === entryFile(name) || file.endsWith(suffix))!;
  const root = entry.slice(0, entry.length - entryFile(name).length);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of outputs[file]!.imports) {
      if (imported.external) continue;
      if (imported.kind === 'import-statement' || (which === 'all' && imported.kind === 'dynamic-import')) visit(imported.path);
    }
  };
  visit(entry);
  return [...seen].map((file) => file.slice(root.length));
}

/**
 * The source files that went into one function's output files, cold path and lazily loaded chunks alike: what a test
 * reads to say which code a function ships.
 *
 * @example
 * functionInputs(bundleFunctions('dist'), 'scim'); // ['lambda/scim/service.ts', …, 'node_modules/zod/…']
 */
export function functionInputs(metafile: Metafile, name: string): string[] {
  const outputs = Object.keys(metafile.outputs);
  return functionFiles(metafile, name, 'all').flatMap((file) => {
    const key = outputs.find((output) => output === file || output.endsWith(`/${file}`))!;
    return Object.keys(metafile.outputs[key]!.inputs);
  });
}

/**
 * The onboarder's cold path, as {@link functionFiles} with `cold`.
 *
 * @example
 * coldPathFiles(bundleFunctions('dist')); // ['onboarder/index.mjs', 'chunk-FZK5Q77J.mjs', …]
 */
export function coldPathFiles(metafile: Metafile, name = 'onboarder'): string[] {
  return functionFiles(metafile, name, 'cold');
}

/**
 * The JavaScript files of a bundle directory (source maps and any rule file left out), as paths relative to it, sorted.
 *
 * @example
 * bundleFiles('dist'); // ['chunk-3N5SVSIG.mjs', …, 'onboarder/index.mjs']
 */
export function bundleFiles(outdir: string): string[] {
  return (readdirSync(outdir, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.mjs'))
    .map((file) => file.split('\\').join('/'))
    .sort();
}
