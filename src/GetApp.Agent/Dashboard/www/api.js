// The agent's REST API, as the page calls it. Every call carries the device secret when one is needed (auth.js);
// every failure becomes an ApiError with the agent's own AppError message, which the page shows as it is.

import { authHeaders, needSecret, secretInUse } from './auth.js';

export class ApiError extends Error {
  constructor(status, name, message) {
    super(message);
    this.status = status;
    this.name = name || 'Error';
  }
}

/** A path of the API, relative to the page, so an agent behind a reverse proxy's prefix works too. */
export function apiUrl(path) {
  return new URL(path, document.baseURI);
}

/** Sends a request; answers the parsed JSON body, or throws ApiError. A 401 asks for the secret and tries again. */
export async function request(method, path, body) {
  for (;;) {
    const used = secretInUse();
    let response;
    try {
      response = await fetch(apiUrl(path), {
        method,
        cache: 'no-store',
        headers: authHeaders(body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'AgentUnreachable', 'The agent could not be reached. Is it running?');
    }
    if (response.status === 401) {
      await needSecret(used);
      continue;
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      throw new ApiError(response.status, data?.name, data?.message ?? `The agent answered HTTP ${response.status}`);
    }
    return data;
  }
}

export const get = (path) => request('GET', path);

/** `releases/7.app@1.0.0` style path segment. */
export const id = (catalogId) => encodeURIComponent(catalogId);
