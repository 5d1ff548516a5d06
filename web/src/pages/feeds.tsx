import { useTitle } from '../hooks';

// TODO(issue 14): being built.
export function Feeds() {
  useTitle('Feeds');
  return (
    <main id="main">
      <h1>Feeds</h1>
    </main>
  );
}
