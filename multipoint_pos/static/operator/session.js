/* The operator's session, kept in sessionStorage (this tab only): login,
 * user id, token, the chosen point and the reception / inventory in progress.
 *
 * It is sent in the "Authorization: Session base64(login:user_id:token)"
 * header: trytond's session cookie is Secure and may not be stored over
 * plain http.
 */

export const DB = decodeURIComponent(location.pathname.split('/')[1] || '');
export const ROOT = `/${encodeURIComponent(DB)}`;
export const API = `${ROOT}/multipoint/api/v1`;
const SESSION_KEY = `multipoint.operator.${DB}`;

let current = load();

function load() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY)) || null; }
  catch (e) { return null; }
}

function save() {
  if (current) sessionStorage.setItem(SESSION_KEY, JSON.stringify(current));
  else sessionStorage.removeItem(SESSION_KEY);
}

/* {login, userId, token, point, reception, inventory} or null */
export function session() {
  return current;
}

export function startSession(login, userId, token) {
  current = {login, userId, token, point: null};
  save();
}

export function endSession() {
  current = null;
  save();
}

/* remember more of the session (point, reception, inventory) */
export function updateSession(fields) {
  if (!current) return;
  Object.assign(current, fields);
  save();
}

export function authHeader() {
  if (!current) return {};
  const raw = `${current.login}:${current.userId}:${current.token}`;
  const bytes = new TextEncoder().encode(raw);
  let binary = '';
  bytes.forEach((b) => { binary += String.fromCharCode(b); });
  return {Authorization: `Session ${btoa(binary)}`};
}

/* the body or query of a call with the session's point */
export function withPoint(body = {}) {
  return current && current.point ? {point: current.point.id, ...body} : body;
}
