/* Operator screen of a pickup point (ПВЗ): native browser modules, no build
 * step. This file wires the page: the modes, the scan field, the keys, the
 * start after a login and the logout.
 *
 * The modules, one per mode: issue.js (F1, with parcel_card.js, payment.js
 * and refusal.js), acceptance.js (F2), placement.js (F3), returns.js (F4),
 * inventory.js (F5), shift.js (F6, with shift_report.js), tasks.js
 * («Сегодня», F7) and tickets.js («Создать обращение», with photos.js).
 * Shared: session.js (the session), api.js (the operator JSON API),
 * queue.js (scans kept while offline), modes.js (the modes and the scan
 * field), state.js (what the modes share), ui.js (elements, messages,
 * focus), format.js (money and dates), features.js (what the server has
 * activated), camera.js (scanning with the camera), login.js and
 * open_work.js (work left open, offered after a login).
 */
import {initAcceptance, renderReception} from './acceptance.js';
import {api} from './api.js';
import {initCamera, stopCamera} from './camera.js';
import {initInventory, renderInventory} from './inventory.js';
import {clearIssue, initIssue, updateIssue} from './issue.js';
import {choosePoint, initLogin, showLogin} from './login.js';
import {FKEYS, escapeMode, onScan, setMode} from './modes.js';
import {clearOpenWork, loadOpenWork} from './open_work.js';
import {initPayment} from './payment.js';
import {initPlacement} from './placement.js';
import {flushQueue, initQueue, loadQueue} from './queue.js';
import {initRefusal} from './refusal.js';
import {initReturns} from './returns.js';
import {ROOT, authHeader, endSession, session, updateSession} from './session.js';
import {forgetShift, initShift, refreshShift} from './shift.js';
import {state} from './state.js';
import {initTasks, loadToday} from './tasks.js';
import {initTickets} from './tickets.js';
import {$, $$, clearFlash, focusScan, show} from './ui.js';

async function startApp(point) {
  updateSession({point});
  show('app');
  $('#point-name').textContent = `${point.code} ${point.name}`;
  $('#user-name').textContent = session().login;
  forgetShift();
  setMode(state.mode);
  refreshShift();
  loadToday();  // asks the server's features first
  // resume an open reception or inventory after a reload
  const {reception, inventory} = session();
  if (reception) {
    try { renderReception(await api.get(`receptions/${reception}`)); }
    catch (e) { renderReception(null); }
  }
  if (inventory) {
    try { renderInventory(await api.get(`inventories/${inventory}`)); }
    catch (e) { renderInventory(null); }
  }
  loadOpenWork();
  flushQueue();
}

async function logout() {
  if (loadQueue().length
    && !window.confirm('В очереди есть неотправленные сканы. Выйти всё равно?')) return;
  try {
    await fetch(`${ROOT}/rpc/`, {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', ...authHeader()},
      body: JSON.stringify({id: 2, method: 'common.db.logout', params: []})});
  } catch (e) { /* offline: the session expires by itself */ }
  // the next login starts clean: what is left open the server offers again
  stopCamera();
  renderReception(null);
  renderInventory(null);
  clearIssue();
  clearOpenWork();
  clearFlash();
  endSession();
  showLogin();
}

function onKey(event) {
  if ($('#app').hidden) return;
  if (FKEYS[event.key]) {
    event.preventDefault();
    setMode(FKEYS[event.key]);
  } else if (event.key === 'Escape') {
    escapeMode();
    document.activeElement.blur();
    focusScan();
  }
}

function init() {
  initLogin(startApp);
  initIssue();
  initPayment(() => updateIssue());
  initRefusal();
  initAcceptance();
  initPlacement();
  initReturns();
  initInventory();
  initShift();
  initTickets();
  initTasks();
  initCamera(onScan);
  initQueue();
  $('#scan-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('#scan');
    const code = input.value;
    input.value = '';
    onScan(code);
  });
  $$('#modes button').forEach((b) => b.addEventListener('click', () => setMode(b.dataset.mode)));
  document.addEventListener('keydown', onKey);
  // the scan field keeps the focus unless the operator types elsewhere
  document.addEventListener('focusout', () => setTimeout(focusScan, 0));
  document.addEventListener('click', () => setTimeout(focusScan, 0));
  $('#logout').addEventListener('click', logout);

  if (!session()) showLogin();
  else if (!session().point) choosePoint();
  else startApp(session().point);
}

init();
