/* Calls to the operator JSON API (/<db>/multipoint/api/v1, see openapi.yaml).
 *
 * api.get(path, query) and api.post(path, body) answer the JSON or throw:
 * NetworkError when the server cannot be reached, ApiError with the
 * server's {error: {code, message, details}} otherwise. A 401 ends the
 * session and calls the handler given to onUnauthorized.
 */
import {API, authHeader} from './session.js';
import {flash, setOnline} from './ui.js';

export class NetworkError extends Error {}

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

let unauthorized = () => {};

/* handler(): what to do when the server says the session has expired */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export async function request(method, url, body) {
  const headers = {Accept: 'application/json', ...authHeader()};
  const options = {method, headers, credentials: 'same-origin'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    setOnline(false);
    throw new NetworkError('Нет связи с сервером');
  }
  setOnline(true);
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { data = await response.json(); } catch (e) { data = null; }
  }
  if (response.status === 401) {
    unauthorized();
    throw new ApiError(401, 'unauthorized', 'Сеанс истёк, войдите снова');
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || 'http',
      error.message || `Ошибка сервера (${response.status})`, error.details);
  }
  return data;
}

export const api = {
  get: (path, params) => {
    const query = params ? '?' + new URLSearchParams(params) : '';
    return request('GET', `${API}/${path}${query}`);
  },
  post: (path, body = {}) => request('POST', `${API}/${path}`, body),
};

/* An act (PDF) in a new tab: it needs the session header, so it is
 * fetched and opened as a blob */
export async function openPdf(path) {
  try {
    const response = await fetch(`${API}/${path}`, {headers: authHeader(),
      credentials: 'same-origin'});
    if (!response.ok) {
      let message = `Ошибка сервера (${response.status})`;
      try { message = (await response.json()).error.message; } catch (e) { /* */ }
      flash(message, 'bad');
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    window.open(url, '_blank', 'noopener');
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (error) {
    flash('Нет связи с сервером', 'bad');
  }
}
