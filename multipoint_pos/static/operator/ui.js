/* Page helpers: finding and building elements, the message line (flash),
 * the scanner's beeps, which screen shows and where the focus goes. */
import {state} from './state.js';

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/* el('button', {class: 'primary', onclick: fn}, 'text', child, [children]) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/* ---------- feedback: flash and beep ---------- */

let audio = null;
export function beep(kind) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const tones = {ok: [[1000, 0.08]], warn: [[600, 0.12], [600, 0.12]],
      bad: [[220, 0.35]]}[kind] || [[800, 0.1]];
    let start = audio.currentTime;
    for (const [frequency, length] of tones) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      oscillator.type = kind === 'bad' ? 'square' : 'sine';
      gain.gain.value = 0.15;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + length);
      start += length + 0.05;
    }
  } catch (e) { /* no sound available */ }
}

/* A message belongs to the mode it was said in: it stays until the next
 * action there (a scan, a click that says something else) or a mode change. */
let flashTimer = null;
export function flash(message, kind = 'ok', sound = false) {
  const node = $('#flash');
  node.textContent = message;
  node.className = `flash ${kind}`;
  node.dataset.mode = state.mode;
  if (sound) beep(kind);
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { node.className = 'flash'; }, 2500);
}

export function clearFlash() {
  clearTimeout(flashTimer);
  const node = $('#flash');
  node.textContent = '';
  node.className = 'flash';
}

export function showError(error) {
  flash(error.message || String(error), 'bad', true);
}

export function setOnline(online) {
  const node = $('#net');
  node.textContent = online ? 'в сети' : 'нет связи';
  node.className = `net ${online ? 'ok' : 'down'}`;
}

/* ---------- screens and focus ---------- */

/* screen: 'login', 'point' (choose a point) or 'app' */
export function show(screen) {
  $('#login').hidden = screen !== 'login';
  $('#choose-point').hidden = screen !== 'point';
  $('#app').hidden = screen !== 'app';
}

function isEditable(node) {
  return node && (node.tagName === 'INPUT' || node.tagName === 'TEXTAREA'
    || node.tagName === 'SELECT') && node.id !== 'scan';
}

/* the scan field keeps the focus unless the operator types elsewhere */
export function focusScan() {
  if ($('#app').hidden) return;
  if (document.querySelector('dialog[open]')) return;
  if (isEditable(document.activeElement)) return;
  $('#scan').focus();
}
