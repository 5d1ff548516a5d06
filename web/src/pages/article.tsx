import { useTitle } from '../hooks';

// TODO(issue 14): being built.
export function ArticlePage() {
  useTitle('ArticlePage');
  return (
    <main id="main">
      <h1>ArticlePage</h1>
    </main>
  );
}
