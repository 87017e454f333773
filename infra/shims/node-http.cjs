// node:http for the bundled function, aliased in by infra/bundling.ts. An ES module `import ... from 'node:http'` (the
// AWS SDK's HTTP handler has one) makes Node build a module facade, which reads every export of node:http, and its
// WebSocket, CloseEvent and MessageEvent getters load Node's internal copy of undici: 20-35 ms of every cold start.
// The same module's CommonJS exports, taken without a facade, read nothing.
module.exports = process.getBuiltinModule('node:http');
