// The console is a client of the public REST API like any other (STYLE.md habit 12): every
// call carries the bearer token in the Authorization header, never in a URL.

const KEY = 'fairqueue.token';

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set token(value) { sessionStorage.setItem(KEY, value); },
  clear() { sessionStorage.removeItem(KEY); },
};

/** An answer other than 2xx: its status and problem document (RFC 9457). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function apiUrl(path) {
  return new URL('api/v1/' + path, document.baseURI);
}

export async function call(method, path, body, token = session.token) {
  if (!token) throw new ApiError(401, { title: 'Unauthorized', detail: 'not signed in' }); // signed out meanwhile
  const headers = { Accept: 'application/json', Authorization: 'Bearer ' + token };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(apiUrl(path), {
      method, headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { title: 'Network error', detail: 'the server cannot be reached' });
  }
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = null; }
  if (!res.ok) throw new ApiError(res.status, doc && typeof doc === 'object' ? doc : { title: res.statusText });
  return doc;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body === undefined ? {} : body);

/** A query string from the members that have a value. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}
