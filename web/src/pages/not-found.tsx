import { useTitle } from '../hooks';

export function NotFound() {
  useTitle('Not found');
  return (
    <main id="main">
      <h1>No such page</h1>
      <p>
        This address is not a page of the dashboard. Start from the <a href="/">overview</a>, or search an IOC above.
      </p>
    </main>
  );
}
