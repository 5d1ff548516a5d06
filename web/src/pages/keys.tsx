import { useTitle } from '../hooks';

// TODO(issue 14): being built.
export function Keys() {
  useTitle('Keys');
  return (
    <main id="main">
      <h1>Keys</h1>
    </main>
  );
}
