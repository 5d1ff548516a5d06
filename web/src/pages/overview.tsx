import { useTitle } from '../hooks';

// TODO(issue 14): being built.
export function Overview() {
  useTitle('Overview');
  return (
    <main id="main">
      <h1>Overview</h1>
    </main>
  );
}
