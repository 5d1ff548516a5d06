// What a page shows while it loads, when a call fails, and when there is nothing to show.
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="muted" role="status">
      {what}…
    </p>
  );
}

/** The server's message, and the parameter it named. */
export function ErrorNote({ error, title = 'The request failed' }: { error: ApiError; title?: string }) {
  return (
    <div class="note error" role="alert">
      <strong>{title}:</strong> {error.message}
      {error.param && <span class="param"> (parameter <code>{error.param}</code>)</span>}
      {error.status === 403 && <span> This needs a key of a higher tier or with more scopes.</span>}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted empty">{children}</p>;
}
