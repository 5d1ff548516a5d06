// The server's own description of its parameters (/api/openapi.json, generated from the schemas
// it validates requests with): the pages take the allowed values of a filter, the export formats
// and the scopes from it, so that they never drift from what the server accepts.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../api';

interface Schema {
  enum?: string[];
  items?: Schema;
  properties?: Record<string, Schema>;
}

interface Operation {
  parameters?: { name: string; in: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

export interface ApiDocument {
  paths: Record<string, Record<string, Operation | undefined> | undefined>;
}

// Fetched once a tab (it is large, and changes only with the server's version).
let loading: Promise<ApiDocument> | undefined;

function load(): Promise<ApiDocument> {
  loading ??= call<ApiDocument>('/api/openapi.json').then(
    ({ body }) => body,
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

export function useApiDocument(): { doc?: ApiDocument; error?: ApiError } {
  const [state, setState] = useState<{ doc?: ApiDocument; error?: ApiError }>({});
  useEffect(() => {
    let live = true;
    load().then(
      (doc) => live && setState({ doc }),
      (error: unknown) => live && setState({ error: error instanceof ApiError ? error : new ApiError(0, 'client', String(error)) }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}

/** The values a query parameter of `GET path` allows ([] when it is free text, or not there). */
export function queryValues(doc: ApiDocument, path: string, name: string): string[] {
  return doc.paths[path]?.get?.parameters?.find((p) => p.in === 'query' && p.name === name)?.schema?.enum ?? [];
}

/** The values a JSON body property of `POST path` allows; for an array, those of its items. */
export function bodyValues(doc: ApiDocument, path: string, property: string): string[] {
  const schema = doc.paths[path]?.post?.requestBody?.content['application/json']?.schema.properties?.[property];
  return schema?.enum ?? schema?.items?.enum ?? [];
}

/** Whether the server has a GET at `path`. */
export function hasGet(doc: ApiDocument, path: string): boolean {
  return doc.paths[path]?.get !== undefined;
}
