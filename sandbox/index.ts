/**
 * Loopback stand-ins for MongoDB Atlas and the AWS services atlas-onboarder calls, for tests and local runs.
 */
export { startAtlasSandbox, INVITES_MEDIA_TYPE, USERS_MEDIA_TYPE, INVITES_SUNSET } from './atlas';
export type {
  AtlasSandbox,
  AtlasSandboxOptions,
  AtlasFault,
  AtlasFaultTarget,
  AtlasEndpoint,
  RecordedRequest,
  SandboxInvitation,
} from './atlas';
export { startAwsEndpoints, SANDBOX_ACCOUNT, SANDBOX_REGION, MAX_MESSAGE_BYTES } from './aws';
export type { AwsEndpoints, AwsCall, SentMessage, VisibilityChange, MessageAttribute } from './aws';
