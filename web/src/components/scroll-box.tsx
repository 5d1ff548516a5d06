import type { ComponentChildren } from 'preact';

/**
 * A wide table's box: it scrolls sideways inside the page on a narrow screen (the page itself
 * never does), and takes the focus, so that a keyboard can scroll it too.
 */
export function ScrollBox({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
