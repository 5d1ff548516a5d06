import { useTitle } from '../hooks';

// TODO(issue 14): being built.
export function Search() {
  useTitle('Search');
  return (
    <main id="main">
      <h1>Search</h1>
    </main>
  );
}
