// The typed API client. `schema.d.ts` is generated (`make client`) from the app's OpenAPI
// document and never edited by hand; the cookie set at login authenticates every call.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

export const api = createClient<paths>({
  baseUrl: '',
  credentials: 'include',
});
