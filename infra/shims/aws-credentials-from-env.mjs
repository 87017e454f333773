// The SDK's credential chain for the bundle (infra/bundling.ts): in Lambda the role's credentials are always in the
// environment, its first link; the other links (files, SSO, process, IMDS) loaded 134 KB and child_process for nothing.
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init = {}) => fromEnv(init);
