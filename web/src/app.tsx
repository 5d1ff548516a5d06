// The dashboard's frame: sign-in, the header with its search box and navigation, and one route
// per page. Every page has a real URL, so the back button and links work as on any site.
import { useEffect, useRef, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { callWithKey } from './api';
import { session, useSession, type Me } from './session';
import { ArticlePage } from './pages/article';
import { Articles } from './pages/articles';
import { Feeds } from './pages/feeds';
import { Iocs } from './pages/iocs';
import { Keys } from './pages/keys';
import { NotFound } from './pages/not-found';
import { Overview } from './pages/overview';
import { Search } from './pages/search';
import { SignIn } from './pages/sign-in';

const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: '/', label: 'Overview' },
  { href: '/search', label: 'Search' },
  { href: '/iocs', label: 'IOCs' },
  { href: '/articles', label: 'Articles' },
  { href: '/feeds', label: 'Feeds' },
  { href: '/keys', label: 'Keys', admin: true },
];

function SearchBox() {
  const { route, path, query } = useLocation();
  const [value, setValue] = useState(path === '/search' ? (query.value ?? '') : '');
  useEffect(() => {
    if (path === '/search') setValue(query.value ?? '');
  }, [path, query.value]);
  return (
    <form
      class="search-box"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        const v = value.trim();
        if (v) route(`/search?value=${encodeURIComponent(v)}`);
      }}
    >
      <label for="search-value" class="visually-hidden">
        Search an IOC
      </label>
      <input
        id="search-value"
        type="search"
        placeholder="IP, domain, URL, hash, CVE… (defanged too)"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        spellcheck={false}
        autocomplete="off"
      />
      <button type="submit">Search</button>
    </form>
  );
}

function Header({ me }: { me: Me }) {
  const { path } = useLocation();
  const current = (href: string) => (href === '/' ? path === '/' : path.startsWith(href)) || (href === '/articles' && path.startsWith('/item/'));
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="bar">
        <a class="brand" href="/">
          SOC Defenders
        </a>
        <SearchBox />
        <div class="who">
          <span title={`Key ${me.key.prefix}…`}>
            {me.key.name} · <span class="tier">{me.tier.name}</span>
          </span>
          <button type="button" class="link" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </div>
      <nav aria-label="Main">
        <ul>
          {NAV.filter((item) => !item.admin || me.admin).map((item) => (
            <li key={item.href}>
              <a href={item.href} aria-current={current(item.href) ? 'page' : undefined}>
                {item.label}
              </a>
            </li>
          ))}
          <li>
            <a href="/docs">API reference</a>
          </li>
        </ul>
      </nav>
    </header>
  );
}

/** The page's heading, focused (as a screen reader expects after a navigation); false when it has none yet. */
function focusHeading(): boolean {
  const heading = document.querySelector<HTMLElement>('main h1');
  if (!heading) return false;
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
  return true;
}

/** After each navigation the new page's heading gets the focus, once the page shows it. */
function FocusOnNavigate() {
  const { url } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    focusHeading();
    // A page that loads its data shows (or replaces) its heading when the data arrives: the
    // heading is focused then, unless the focus is somewhere of the user's choosing.
    const observer = new MutationObserver(() => {
      if (document.activeElement === null || document.activeElement === document.body) focusHeading();
    });
    observer.observe(document.body, { childList: true, subtree: true });
    const timer = setTimeout(() => observer.disconnect(), 10_000);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [url]);
  return null;
}

function SignedIn({ me }: { me: Me }) {
  return (
    <>
      <Header me={me} />
      <FocusOnNavigate />
      <Router>
        <Route path="/" component={Overview} />
        <Route path="/search" component={Search} />
        <Route path="/iocs" component={Iocs} />
        <Route path="/articles" component={Articles} />
        <Route path="/item/:id" component={ArticlePage} />
        <Route path="/feeds" component={Feeds} />
        <Route path="/keys" component={Keys} />
        <Route default component={NotFound} />
      </Router>
    </>
  );
}

export function App() {
  const state = useSession();
  useEffect(() => {
    // A key kept by this tab is checked again on load: it may have been revoked or expired.
    const key = session.key();
    if (!key) return;
    session.begin();
    callWithKey<{ data: Me }>(key, '/api/v1/me').then(
      ({ body }) => session.signIn(key, body.data),
      (err: Error) => session.signOut(err.message),
    );
  }, []);
  return (
    // /docs and /api are the server's own pages: links to them load them.
    <LocationProvider scope={/^\/(?!docs|api)/}>
      {state.me ? <SignedIn me={state.me} /> : state.checking ? <p class="boot">Checking your key…</p> : <SignIn reason={state.reason} />}
    </LocationProvider>
  );
}
