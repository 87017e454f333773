/**
 * Types for the undici files that lambda/http/transport.ts imports instead of the package entry: the package's own
 * public types, applied to the files that implement them.
 */

declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}

declare module 'undici/lib/core/symbols.js' {
  const symbols: {
    /** Dispatch option: called with a function that takes the request out of a dispatcher's queue while it waits there. */
    readonly kQueuedAbort: unique symbol;
  };
  export default symbols;
}
