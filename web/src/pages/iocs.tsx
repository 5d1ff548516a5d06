import { useTitle } from '../hooks';

// TODO(issue 14): being built.
export function Iocs() {
  useTitle('Iocs');
  return (
    <main id="main">
      <h1>Iocs</h1>
    </main>
  );
}
