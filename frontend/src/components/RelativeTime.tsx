import { useSyncExternalStore } from 'react';
import { ago, dateTime } from '../lib/format';

const TICK_MS = 30_000;

/** One clock for every relative time on the page: a single timer while any is shown, and
 * only the components that read it re-render on a tick. */
const clock = {
  now: Date.now(),
  listeners: new Set<() => void>(),
  timer: undefined as ReturnType<typeof setInterval> | undefined,
  subscribe(listener: () => void) {
    clock.listeners.add(listener);
    if (clock.timer === undefined) {
      clock.now = Date.now();
      clock.timer = setInterval(() => {
        clock.now = Date.now();
        for (const l of clock.listeners) l();
      }, TICK_MS);
    }
    return () => {
      clock.listeners.delete(listener);
      if (clock.listeners.size === 0) {
        clearInterval(clock.timer);
        clock.timer = undefined;
      }
    };
  },
  read: () => clock.now,
};

/** "3 minutes ago", kept current, with the exact time as the element's title and value. */
export function RelativeTime({ value }: { value: string | null | undefined }) {
  const now = useSyncExternalStore(clock.subscribe, clock.read);
  if (!value) return 'never';
  return (
    <time dateTime={value} title={dateTime(value)}>
      {ago(value, now)}
    </time>
  );
}
