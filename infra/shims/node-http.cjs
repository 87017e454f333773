// node:http for the bundle (infra/bundling.ts): an ES module import of it builds a facade that reads every export,
// and the WebSocket getters then load Node's internal undici. Its CommonJS exports, taken as they are, do not.
module.exports = process.getBuiltinModule('node:http');
