/**
 * Types for the undici file that lambda/atlas/undici.ts imports instead of the package entry: the package's own
 * public types, applied to the file that implements them.
 */

declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}
