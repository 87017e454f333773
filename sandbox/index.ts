/**
 * Loopback stand-ins for MongoDB Atlas, Okta and the AWS services atlas-onboarder calls, for tests and local runs.
 */
export { startAtlasSandbox, SANDBOX_ORG_ID } from './atlas/server';
export type { AtlasSandbox, AtlasSandboxOptions, AtlasFault, AtlasFaultTarget, AtlasEndpoint, RecordedRequest, SeedEntry } from './atlas/server';
export { INVITES_MEDIA_TYPE, USERS_MEDIA_TYPE } from './atlas/admin-api';
export { INVITES_SUNSET } from './atlas/members';
export type { SandboxInvitation, SandboxMember } from './atlas/members';
export { startAwsEndpoints, SANDBOX_ACCOUNT, SANDBOX_REGION, MAX_MESSAGE_BYTES } from './aws';
export type { AwsEndpoints, AwsCall, SentMessage, VisibilityChange, MessageAttribute } from './aws';
export { listenOnLoopback, readBody } from './loopback';
export { startOktaSandbox, OKTA_SANDBOX_TOKEN } from './okta/server';
export type { OktaSandbox, OktaSandboxOptions, OktaFault, OktaFaultTarget, OktaEndpoint, OktaRecordedRequest, OktaUser, OktaGroup } from './okta/server';
export { OKTA_USER_STATUSES, EVERYONE_GROUP_ID } from './okta/store';
export type { OktaUserStatus, OktaUserProfile, OktaUserInput, OktaGroupInput } from './okta/store';
