import { Failure } from '../failure';

/** A failure of a call to Okta's Management API (the user, their groups), classified in `classify.ts`. */
export class OktaError extends Failure {
  override readonly name = 'OktaError';
}
