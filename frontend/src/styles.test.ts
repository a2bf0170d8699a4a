import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Read from disk: the test setup does not process CSS (even `?raw` imports come back empty).
const css = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'styles.css'), 'utf8');

describe('styles', () => {
  it('lets no grid track ask for more than the screen has (a 320 px phone)', () => {
    // `minmax(300px, 1fr)` keeps a 300 px column in a 296 px container and the page scrolls
    // sideways; `minmax(min(100%, 300px), 1fr)` shrinks it to the container.
    const minimums = [...css.matchAll(/minmax\(\s*([^,]+),/g)].map((m) => m[1]!.trim());
    expect(minimums.length).toBeGreaterThan(0);
    const fixed = minimums.filter((m) => m !== '0' && !m.startsWith('min(100%'));
    expect(fixed).toEqual([]);
  });
});
