import { useEffect, useState } from 'react';

/** Whether the system asks for dark colours; follows changes while the page is open. */
export function usePrefersDark(): boolean {
  const query = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const [dark, setDark] = useState(query?.matches ?? false);
  useEffect(() => {
    if (!query) return;
    const on = (e: MediaQueryListEvent) => setDark(e.matches);
    query.addEventListener('change', on);
    return () => query.removeEventListener('change', on);
  }, [query]);
  return dark;
}

export function chartColors(dark: boolean) {
  return dark
    ? { bg: '#111827', text: '#d1d5db', grid: '#1f2937', up: '#34d399', down: '#f87171', fast: '#fbbf24', slow: '#60a5fa', rsi: '#c084fc', level: '#6b7280', line: '#2dd4bf' }
    : { bg: '#ffffff', text: '#374151', grid: '#eef0f3', up: '#059669', down: '#dc2626', fast: '#d97706', slow: '#2563eb', rsi: '#7c3aed', level: '#9ca3af', line: '#0f766e' };
}
