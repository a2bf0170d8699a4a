// The typed API client. `schema.d.ts` is generated (`make client`) from the app's OpenAPI
// document and never edited by hand; the HttpOnly cookie set at login authenticates every
// call, so no token is ever kept by the page.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Bot = Schemas['BotOut'];
export type BotState = Schemas['BotStateOut'];
export type BotCreate = Schemas['BotCreate'];
export type BotUpdate = Schemas['BotUpdate'];
export type ApiKey = Schemas['ApiKeyOut'];
export type ApiKeyValidation = Schemas['ApiKeyValidation'];
export type Trade = Schemas['TradeOut'];
export type TradePage = Schemas['TradePage'];
export type BotChart = Schemas['BotChartOut'];
export type MarketChart = Schemas['ChartOut'];
export type Marker = Schemas['MarkerOut'];
export type Levels = Schemas['LevelsOut'];
export type Stats = Schemas['StatsOut'];
export type Totals = Schemas['TotalsOut'];
export type BacktestCreate = Schemas['BacktestCreate'];
export type Backtest = Schemas['BacktestOut'];
export type BacktestDetail = Schemas['BacktestDetailOut'];
export type BacktestResult = Schemas['ResultOut'];
export type BacktestMetrics = Schemas['MetricsOut'];
export type Telegram = Schemas['TelegramOut'];
export type LinkedChat = Schemas['LinkedChatOut'];
export type LinkCode = Schemas['LinkCodeOut'];
export type NotificationSwitches = Schemas['NotificationSwitches'];
export type Alarm = Schemas['AlarmOut'];
export type AlarmCreate = Schemas['AlarmIn'];

export const api = createClient<paths>({
  baseUrl: typeof window === 'undefined' ? '' : window.location.origin,
  credentials: 'include',
  // Looked up on every call, not captured once, so tests can stand in for the network.
  fetch: (request: Request) => globalThis.fetch(request),
});

/** One field the API refused, and why. */
export interface FieldError {
  field: string;
  reason: string;
}

/** Every API error has this body: `{error, detail, errors?}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[];
  /** Seconds to wait, from `Retry-After` (429, 503). */
  readonly retryAfter: number | null;

  constructor(status: number, body: unknown, retryAfter: string | null) {
    const b = (body ?? {}) as { error?: unknown; detail?: unknown; errors?: unknown };
    super(typeof b.detail === 'string' ? b.detail : `request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof b.error === 'string' ? b.error : 'error';
    this.errors = Array.isArray(b.errors) ? (b.errors as FieldError[]) : [];
    const wait = retryAfter === null ? NaN : Number(retryAfter);
    this.retryAfter = Number.isFinite(wait) ? wait : null;
  }

  /** Field errors keyed by field name (the first reason of each). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) out[e.field] ??= e.reason;
    return out;
  }
}

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a call, or an `ApiError` thrown with the API's reason. */
export async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) {
    throw new ApiError(response.status, error, response.headers.get('Retry-After'));
  }
  return data as T;
}

export function isStatus(error: unknown, status: number): boolean {
  return error instanceof ApiError && error.status === status;
}
