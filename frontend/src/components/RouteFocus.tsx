import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router';

function focus(el: HTMLElement): void {
  if (!el.hasAttribute('tabindex')) el.tabIndex = -1;
  el.focus();
}

/** After a client-side navigation, moves focus to the new page's h1, so a screen reader says
 * where it is and the keyboard goes on from the content, not from a link that is gone.
 *
 * A page still loading has no h1 yet: focus waits on its `main` and moves to the heading
 * once it shows, unless the user has gone elsewhere meanwhile. The first load keeps the
 * browser's own start (the skip link first). */
export function RouteFocus() {
  const { pathname } = useLocation();
  const shown = useRef(pathname);
  useEffect(() => {
    if (shown.current === pathname) return;
    shown.current = pathname;
    const main = document.getElementById('main');
    if (!main) return;
    const heading = main.querySelector('h1');
    if (heading) return focus(heading);
    focus(main);
    const observer = new MutationObserver(() => {
      const late = main.querySelector('h1');
      if (!late) return;
      observer.disconnect();
      if (document.activeElement === main) focus(late);
    });
    observer.observe(main, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [pathname]);
  return null;
}
