/* Signing in: the login form (JSON-RPC common.db.login answers the session
 * token), the choice of a point when the user works at several, and the
 * login form again when the server says the session has expired. */
import {onUnauthorized, request} from './api.js';
import {ROOT, endSession, startSession} from './session.js';
import {$, el, show} from './ui.js';

let startApp = () => {};

export function showLogin(message = '') {
  show('login');
  $('#login-error').textContent = message;
  $('#login-name').focus();
}

async function login(event) {
  event.preventDefault();
  const name = $('#login-name').value.trim();
  const password = $('#login-password').value;
  $('#login-error').textContent = '';
  let response;
  try {
    // the token is then sent in the Authorization header (session.js)
    response = await fetch(`${ROOT}/rpc/`, {method: 'POST',
      headers: {'Content-Type': 'application/json'}, credentials: 'same-origin',
      body: JSON.stringify({id: 1, method: 'common.db.login',
        params: [name, {password}, 'ru']})});
  } catch (error) {
    $('#login-error').textContent = 'Нет связи с сервером';
    return;
  }
  if (response.status === 429) {
    $('#login-error').textContent = 'Слишком много попыток, подождите';
    return;
  }
  let data = null;
  try { data = await response.json(); } catch (e) { /* */ }
  if (!response.ok || !data || !Array.isArray(data.result)) {
    $('#login-error').textContent = 'Неверный логин или пароль';
    return;
  }
  const [userId, token] = data.result;
  startSession(name, userId, token);
  $('#login-password').value = '';
  await choosePoint();
}

/* the user's active points: the only one is taken, else the user chooses */
export async function choosePoint() {
  let points;
  try {
    points = (await request('GET', `${ROOT}/multipoint/operator/points`)).points;
  } catch (error) {
    if (error.status === 401) return;
    show('point');
    $('#point-error').textContent = error.message;
    return;
  }
  if (points.length === 1) {
    startApp(points[0]);
    return;
  }
  show('point');
  $('#point-error').textContent = points.length ? '' : 'Вы не назначены ни на один пункт';
  $('#point-list').replaceChildren(...points.map((point) => el('button', {
    class: 'primary', onclick: () => startApp(point)},
  `${point.code} — ${point.name}${point.city ? ', ' + point.city : ''}`)));
}

/* start(point): the screen of the point chosen */
export function initLogin(start) {
  startApp = start;
  $('#login-form').addEventListener('submit', login);
  $('#point-name').addEventListener('click', choosePoint);
  onUnauthorized(() => {
    endSession();
    showLogin('Сеанс истёк, войдите снова');
  });
}
