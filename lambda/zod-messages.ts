import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * The schemas use `zod/mini` (a fraction of classic `zod`'s size and load time, for the cold start). Classic `zod`
 * installs its English messages on first use; `zod/mini` installs none, so a schema without an `error` of its own
 * would say only "Invalid input". Every schema module imports this one first: English, and English alone, so the
 * bundle carries no other locale. A locale set beforehand wins, as it does with classic `zod`.
 *
 * Named imports only: reading `z.core` at run time would pull the whole of zod's core, every locale included, into
 * the bundle.
 */
if (!config().localeError) config(en());
