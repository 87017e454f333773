import { fileURLToPath } from 'node:url';
import { OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How the function is bundled, in one place: `cdk synth` (through {@link nodejsBundlingOptions}), `npm run build`
 * (`infra/bundle.ts`) and any benchmark read this object, so what is measured is exactly what is shipped.
 */

/** The project root: where `package-lock.json` lives and where esbuild runs, so paths in the bundle are stable. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The function's entry point; its `handler` export is the Lambda handler. */
export const FUNCTION_ENTRY = fileURLToPath(new URL('../lambda/handler.ts', import.meta.url));

/** File name of the bundle inside the asset; CDK names ESM output `index.mjs`, so the handler is `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * The esbuild options we set. Only options that {@link nodejsBundlingOptions} can hand to CDK are allowed here, so
 * an option added for `npm run build` cannot silently be missing from what `cdk synth` ships.
 */
export type FunctionBundleOptions = Readonly<
  Required<Pick<BuildOptions, 'platform' | 'target' | 'format' | 'mainFields' | 'external' | 'minify' | 'sourcesContent' | 'keepNames'>> & {
    platform: 'node';
    format: 'esm';
    target: string;
    sourcemap: boolean | 'linked' | 'external' | 'inline' | 'both';
    banner: { js: string };
    /** Module specifiers replaced by files (paths relative to the project root, where esbuild runs). */
    alias: Readonly<Record<string, string>>;
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
  // Prefer dependencies' ES module builds (the AWS SDK ships both): they bundle and tree-shake better than CJS.
  mainFields: ['module', 'main'],
  // Bundle everything, the AWS SDK included: the SDK version is the one the tests ran against, not whichever one the
  // runtime happens to carry, and a bundled SDK loads from one file instead of many.
  external: [],
  // Minified: a third of the size, and no slower to start (bench/cold-variants.ts: 169 ms against 176 ms not).
  minify: true,
  // A linked .map, read only with NODE_OPTIONS=--enable-source-maps, which the function does not set: that costs a
  // cold start about 20 ms (189 ms against 169 ms) and no log line carries a stack. Set it to map a crash's stack.
  sourcemap: true,
  // Stack traces need the mappings, not the sources: leaving the sources out keeps the map (and the asset) small.
  sourcesContent: false,
  keepNames: false,
  banner: { js: CREATE_REQUIRE_BANNER },
  // Two modules replaced (why: in each shim). Cold starts by bench/cold-variants.ts: 169 ms shipped, 190 ms with the
  // real node:http import, 192 ms with the SDK's full credential chain.
  alias: {
    http: NODE_HTTP_SHIM,
    'node:http': NODE_HTTP_SHIM,
    '@aws-sdk/credential-provider-node': './infra/shims/aws-credentials-from-env.mjs',
  },
};

/** The same options in the shape `NodejsFunction` wants (it runs the locally installed esbuild, never Docker). */
export function nodejsBundlingOptions(options: FunctionBundleOptions = functionBundle): BundlingOptions {
  const sourceMapModes: Record<Exclude<FunctionBundleOptions['sourcemap'], boolean>, SourceMapMode> = {
    linked: SourceMapMode.DEFAULT,
    external: SourceMapMode.EXTERNAL,
    inline: SourceMapMode.INLINE,
    both: SourceMapMode.BOTH,
  };
  return {
    target: options.target,
    format: OutputFormat.ESM,
    mainFields: [...options.mainFields],
    externalModules: [...options.external],
    minify: options.minify,
    sourceMap: options.sourcemap !== false,
    ...(typeof options.sourcemap === 'string' ? { sourceMapMode: sourceMapModes[options.sourcemap] } : {}),
    sourcesContent: options.sourcesContent,
    keepNames: options.keepNames,
    banner: options.banner.js,
    // NodejsFunction has no alias option; its esbuildArgs renders each item as `--alias:name=path`.
    esbuildArgs: { '--alias': Object.entries(options.alias).map(([name, path]) => `${name}=${path}`) },
  };
}

/** The same options in the shape esbuild's own API wants, for `npm run build` and benchmarks. */
export function esbuildOptions(outdir: string, options: FunctionBundleOptions = functionBundle): BuildOptions {
  return {
    ...options,
    mainFields: [...options.mainFields],
    external: [...options.external],
    alias: { ...options.alias },
    bundle: true,
    entryPoints: [FUNCTION_ENTRY],
    outfile: `${outdir}/${BUNDLE_FILE}`,
    // CDK runs esbuild from the project root; doing the same keeps the file comments in the bundle identical.
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'warning',
  };
}
