import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource, asEventSource } from '../../test/fakeEventSource';
import { makeLive } from '../../test/fixtures';
import { LiveConnection, type LiveHandlers } from './connection';

function setup(opts: { alive?: boolean | (() => Promise<boolean>) } = {}) {
  const h = {
    snapshot: vi.fn(),
    state: vi.fn(),
    deleted: vi.fn(),
    end: vi.fn(),
    status: vi.fn(),
  } satisfies LiveHandlers;
  const alive = opts.alive ?? true;
  const conn = new LiveConnection(h, {
    EventSource: asEventSource,
    initialDelayMs: 1000,
    maxDelayMs: 8000,
    offlineAfter: 3,
    random: () => 1, // no jitter: delays are exactly 1 s, 2 s, 4 s, 8 s, 8 s
    sessionAlive: typeof alive === 'function' ? alive : async () => alive,
  });
  return { h, conn };
}

describe('LiveConnection', () => {
  beforeEach(() => {
    FakeEventSource.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('opens one stream with the cookie and reports connected', () => {
    const { h, conn } = setup();
    conn.start();
    conn.start(); // a second start does not open a second stream
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(FakeEventSource.last.url).toBe('/api/v1/bots/status-stream');
    expect(FakeEventSource.last.withCredentials).toBe(true);
    expect(h.status).toHaveBeenLastCalledWith('connecting');
    FakeEventSource.last.open();
    expect(h.status).toHaveBeenLastCalledWith('connected');
  });

  it('passes snapshot, state and deleted events on', () => {
    const { h, conn } = setup();
    conn.start();
    const es = FakeEventSource.last;
    es.open();
    es.emit('snapshot', { bots: [makeLive({ bot_id: 1 }), makeLive({ bot_id: 2 })] }, '100-0');
    es.emit('state', makeLive({ bot_id: 2, status: 'in_position' }), '101-0');
    es.emit('deleted', { type: 'deleted', bot_id: 1 }, '102-0');
    es.emit('state', 'not json', '103-0');
    expect(h.snapshot).toHaveBeenCalledWith([expect.objectContaining({ bot_id: 1 }), expect.objectContaining({ bot_id: 2 })]);
    expect(h.state).toHaveBeenCalledTimes(1);
    expect(h.state).toHaveBeenCalledWith(expect.objectContaining({ bot_id: 2, status: 'in_position' }));
    expect(h.deleted).toHaveBeenCalledWith(1);
    expect(conn.lastEventId).toBe('103-0');
  });

  it('reconnects with a doubling, capped delay and resumes from the last event id', async () => {
    const { h, conn } = setup();
    conn.start();
    FakeEventSource.last.open();
    FakeEventSource.last.emit('state', makeLive(), '1700000000000-3');
    const first = FakeEventSource.last;
    first.fail();
    expect(first.closed).toBe(true); // the browser's own retry is not used
    expect(h.status).toHaveBeenLastCalledWith('reconnecting');
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeEventSource.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(FakeEventSource.last.url).toBe('/api/v1/bots/status-stream?last_event_id=1700000000000-3');

    // Failing again and again: 2 s, then 4 s, and the dot says offline after 3 failures.
    FakeEventSource.last.fail();
    await vi.advanceTimersByTimeAsync(1999);
    expect(FakeEventSource.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeEventSource.instances).toHaveLength(3);
    FakeEventSource.last.fail();
    expect(h.status).toHaveBeenLastCalledWith('offline');
    await vi.advanceTimersByTimeAsync(4000);
    expect(FakeEventSource.instances).toHaveLength(4);
    expect([conn.delay(4), conn.delay(5), conn.delay(9)]).toEqual([8000, 8000, 8000]);

    // Back: connected, and the next drop starts again from the shortest delay.
    FakeEventSource.last.open();
    expect(h.status).toHaveBeenLastCalledWith('connected');
    FakeEventSource.last.fail();
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeEventSource.instances).toHaveLength(5);
  });

  it('adds jitter between half and all of the delay', () => {
    const h = { snapshot: vi.fn(), state: vi.fn(), deleted: vi.fn(), end: vi.fn(), status: vi.fn() };
    const low = new LiveConnection(h, { random: () => 0, initialDelayMs: 1000 });
    const high = new LiveConnection(h, { random: () => 1, initialDelayMs: 1000 });
    expect(low.delay(3)).toBe(2000);
    expect(high.delay(3)).toBe(4000);
  });

  it('resyncs from a fresh snapshot after a reconnect', async () => {
    const { h, conn } = setup();
    conn.start();
    FakeEventSource.last.open();
    FakeEventSource.last.emit('snapshot', { bots: [makeLive({ bot_id: 1 })] }, '5-0');
    FakeEventSource.last.fail();
    await vi.advanceTimersByTimeAsync(1000);
    FakeEventSource.last.open();
    // The server no longer keeps what was missed: it sends a snapshot, which replaces all.
    FakeEventSource.last.emit('snapshot', { bots: [makeLive({ bot_id: 7 })] }, '90-0');
    expect(h.snapshot).toHaveBeenLastCalledWith([expect.objectContaining({ bot_id: 7 })]);
    expect(conn.lastEventId).toBe('90-0');
  });

  it('ends on an end event and opens nothing more', async () => {
    const { h, conn } = setup();
    conn.start();
    const es = FakeEventSource.last;
    es.open();
    es.emit('end', { reason: 'logout' });
    expect(h.end).toHaveBeenCalledWith('logout');
    expect(es.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('ends when the session is gone instead of retrying', async () => {
    const { h, conn } = setup({ alive: false });
    conn.start();
    FakeEventSource.last.fail();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.end).toHaveBeenCalledWith('unauthorized');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('keeps retrying when the session check itself cannot reach the API', async () => {
    const { h, conn } = setup({ alive: () => Promise.reject(new TypeError('network')) });
    conn.start();
    FakeEventSource.last.fail();
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.end).not.toHaveBeenCalled();
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it('retries at once when the network comes back, instead of waiting out the delay', async () => {
    const { h, conn } = setup();
    conn.start();
    FakeEventSource.last.open();
    for (const wait of [1000, 2000]) {
      FakeEventSource.last.fail();
      await vi.advanceTimersByTimeAsync(wait);
    }
    FakeEventSource.last.fail(); // the third failure: offline, next try in 4 s
    await vi.advanceTimersByTimeAsync(0);
    expect(h.status).toHaveBeenLastCalledWith('offline');
    expect(FakeEventSource.instances).toHaveLength(3);
    window.dispatchEvent(new Event('online'));
    expect(FakeEventSource.instances).toHaveLength(4);
    expect(FakeEventSource.instances[2]?.closed).toBe(true);
    // The timer it replaced does not open a second stream later.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeEventSource.instances).toHaveLength(4);
    FakeEventSource.last.open();
    expect(h.status).toHaveBeenLastCalledWith('connected');
  });

  it('retries at once when the tab is shown again, not while it is hidden', async () => {
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    const { conn } = setup();
    conn.start();
    FakeEventSource.last.fail();
    await vi.advanceTimersByTimeAsync(0);
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event('online'));
    expect(FakeEventSource.instances).toHaveLength(1);
    visibility.mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(FakeEventSource.instances).toHaveLength(2);
    visibility.mockRestore();
  });

  it('leaves a healthy stream alone when the tab is shown or the network returns', () => {
    const { conn } = setup();
    conn.start();
    FakeEventSource.last.open();
    window.dispatchEvent(new Event('online'));
    document.dispatchEvent(new Event('visibilitychange'));
    expect(FakeEventSource.instances).toHaveLength(1);
    conn.stop();
    window.dispatchEvent(new Event('online'));
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('stops cleanly: no reconnect after stop', async () => {
    const { conn } = setup();
    conn.start();
    const es = FakeEventSource.last;
    es.fail();
    conn.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(es.closed).toBe(true);
  });
});
