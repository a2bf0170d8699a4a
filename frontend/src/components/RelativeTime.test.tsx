import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RelativeTime } from './RelativeTime';

describe('RelativeTime', () => {
  afterEach(() => vi.useRealTimers());

  it('says how long ago, keeps it current every 30 s, and gives the exact time', () => {
    vi.useFakeTimers({ now: new Date('2026-12-01T12:03:10Z') });
    const { unmount } = render(
      <>
        <RelativeTime value="2026-12-01T12:00:00Z" />
        <RelativeTime value="2026-12-01T09:00:00Z" />
        <RelativeTime value={null} />
      </>,
    );
    const recent = screen.getByText('3 minutes ago');
    expect(recent.tagName).toBe('TIME');
    expect(recent).toHaveAttribute('dateTime', '2026-12-01T12:00:00Z');
    expect(recent.title).toMatch(/01\/12\/2026/);
    expect(screen.getByText('3 hours ago')).toBeInTheDocument();
    expect(screen.getByText('never')).toBeInTheDocument();
    expect(vi.getTimerCount()).toBe(1); // one clock for all of them
    act(() => vi.advanceTimersByTime(60_000));
    expect(recent).toHaveTextContent('4 minutes ago');
    unmount();
    expect(vi.getTimerCount()).toBe(0);
  });
});
