/**
 * The contract module's public face: the only part of `lambda/` that `infra/` and `local/check-rules` import
 * (eslint.config.js enforces it).
 */
export * from './vocabulary';
export * from './rule-file';
export * from './connections';
export * from './environment';
export * from './queue';
export * from './metrics';
