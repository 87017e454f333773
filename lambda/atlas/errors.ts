import { Failure } from '../failure';

/** A failure of a call to Atlas (its token endpoint or its Administration API), classified in `classify.ts`. */
export class AtlasError extends Failure {
  override readonly name = 'AtlasError';
}
