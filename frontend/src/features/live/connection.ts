// One EventSource on the status stream, reconnected with exponential backoff.
//
// The browser's own reconnect is not used: it gives up for good on an HTTP error and cannot
// tell a lost session from a lost network. On every error the source is closed, the session
// is checked (401: the stream `end`s, back to login), and a new source is opened after a
// growing delay, resuming from the last event id (`?last_event_id=`, since an EventSource
// cannot set headers). The server replays what was missed, or sends a fresh snapshot.
// A waiting reconnect is not sat out when the browser says the network is back or the tab
// is shown again: those are the moments a retry is most likely to work, and to be wanted.
import type { BacktestEvent, LiveBot, LiveStatus } from './types';

export interface LiveHandlers {
  snapshot(bots: LiveBot[]): void;
  state(bot: LiveBot): void;
  deleted(botId: number): void;
  /** A backtest job of the user moved (status, progress 0-100). */
  backtest?(job: BacktestEvent): void;
  end(reason: string): void;
  status(status: LiveStatus): void;
}

export interface LiveOptions {
  url?: string;
  EventSource?: typeof EventSource;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Failures in a row after which the dot says offline (retries go on). */
  offlineAfter?: number;
  /** Resolves false when the session is gone (the API answers 401). */
  sessionAlive?: () => Promise<boolean>;
  random?: () => number;
}

export const STREAM_URL = '/api/v1/bots/status-stream';

export class LiveConnection {
  private source: EventSource | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private stopped = true;
  lastEventId: string | null = null;
  currentStatus: LiveStatus = 'connecting';
  private readonly opts: Required<LiveOptions>;

  constructor(
    private readonly handlers: LiveHandlers,
    options: LiveOptions = {},
  ) {
    this.opts = {
      url: STREAM_URL,
      EventSource: globalThis.EventSource,
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      offlineAfter: 4,
      sessionAlive: async () => true,
      random: Math.random,
      ...options,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.failures = 0;
    this.setStatus('connecting');
    window.addEventListener('online', this.retryNow);
    document.addEventListener('visibilitychange', this.retryNow);
    this.open();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.retryNow);
    document.removeEventListener('visibilitychange', this.retryNow);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.source?.close();
    this.source = null;
  }

  /** Reconnect now if a reconnect is waiting out its delay (and the tab is shown). */
  private readonly retryNow = (): void => {
    if (this.timer === null || document.visibilityState === 'hidden') return;
    clearTimeout(this.timer);
    this.timer = null;
    this.open();
  };

  /** The delay before reconnect attempt `n` (1-based): doubling, capped, with jitter. */
  delay(n: number): number {
    const base = Math.min(this.opts.maxDelayMs, this.opts.initialDelayMs * 2 ** (n - 1));
    return Math.round(base * (0.5 + this.opts.random() / 2));
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.currentStatus && status !== 'connecting') return;
    this.currentStatus = status;
    this.handlers.status(status);
  }

  private url(): string {
    if (!this.lastEventId) return this.opts.url;
    const sep = this.opts.url.includes('?') ? '&' : '?';
    return `${this.opts.url}${sep}last_event_id=${encodeURIComponent(this.lastEventId)}`;
  }

  private open(): void {
    const source = new this.opts.EventSource(this.url(), { withCredentials: true });
    this.source = source;
    source.addEventListener('open', () => {
      this.failures = 0;
      this.setStatus('connected');
    });
    const track = (e: MessageEvent) => {
      if (e.lastEventId) this.lastEventId = e.lastEventId;
    };
    source.addEventListener('snapshot', (e) => {
      track(e);
      const body = parse(e.data) as { bots?: LiveBot[] } | null;
      this.handlers.snapshot(body?.bots ?? []);
    });
    source.addEventListener('state', (e) => {
      track(e);
      const body = parse(e.data) as LiveBot | null;
      if (body && typeof body.bot_id === 'number') this.handlers.state(body);
    });
    source.addEventListener('deleted', (e) => {
      track(e);
      const body = parse(e.data) as { bot_id?: number } | null;
      if (body && typeof body.bot_id === 'number') this.handlers.deleted(body.bot_id);
    });
    source.addEventListener('backtest', (e) => {
      track(e);
      const body = parse(e.data) as BacktestEvent | null;
      if (body && typeof body.id === 'number' && typeof body.status === 'string') this.handlers.backtest?.(body);
    });
    source.addEventListener('end', (e) => {
      const body = parse(e.data) as { reason?: string } | null;
      this.stop();
      this.handlers.end(body?.reason ?? 'ended');
    });
    source.onerror = () => {
      if (this.source !== source) return;
      source.close();
      this.source = null;
      void this.retry();
    };
  }

  private async retry(): Promise<void> {
    if (this.stopped) return;
    this.failures += 1;
    this.setStatus(this.failures >= this.opts.offlineAfter ? 'offline' : 'reconnecting');
    let alive = true;
    try {
      alive = await this.opts.sessionAlive();
    } catch {
      alive = true; // the API cannot be reached: a network problem, keep trying
    }
    if (this.stopped) return;
    if (!alive) {
      this.stop();
      this.handlers.end('unauthorized');
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.open();
    }, this.delay(this.failures));
  }
}

function parse(data: unknown): unknown {
  if (typeof data !== 'string') return null;
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}
