import { useTitle } from '../hooks';

// TODO(issue 14): being built.
export function Articles() {
  useTitle('Articles');
  return (
    <main id="main">
      <h1>Articles</h1>
    </main>
  );
}
