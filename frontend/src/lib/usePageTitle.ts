import { useEffect } from 'react';

/** Names the tab after the page shown ("Dashboard · tradebot"): what a screen reader, the
 * history list and a bookmark call it. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · tradebot`;
  }, [title]);
}
