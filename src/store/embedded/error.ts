/** The embedded PostgreSQL could not be set up or started: a message the user can act on. */
export class EmbeddedStoreError extends Error {
  override name = 'EmbeddedStoreError';
}
