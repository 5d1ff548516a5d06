// Links every page shares: an IOC value to its answer page, an article to its page. Values are
// untrusted text: they are only ever rendered as text and as a query parameter.
import type { ComponentChildren } from 'preact';

export function searchHref(value: string): string {
  return `/search?value=${encodeURIComponent(value)}`;
}

export function IocLink({ value, children }: { value: string; children?: ComponentChildren }) {
  return (
    <a class="ioc" href={searchHref(value)}>
      {children ?? value}
    </a>
  );
}

export function ArticleLink({ id, title }: { id: string; title: string }) {
  return <a href={`/item/${encodeURIComponent(id)}`}>{title || '(untitled article)'}</a>;
}

/** A link off the service (a publisher's page): opened without a referrer or an opener. */
export function ExternalLink({ href, children }: { href: string; children?: ComponentChildren }) {
  const safe = /^https?:\/\//i.test(href) ? href : undefined;
  if (!safe) return <span>{children ?? href}</span>;
  return (
    <a href={safe} rel="noopener noreferrer nofollow" target="_blank">
      {children ?? href}
    </a>
  );
}
