/* The modes of the screen (F1-F6) and the one scan field they share.
 *
 * Each mode module describes itself once:
 *   defineMode('placement', {
 *     scan: async (code) => ...,       // what a scan does in the mode
 *     placeholder: () => '...',        // the scan field's hint
 *     enter: () => ...,                // called when the mode is opened
 *     escape: () => ...,               // Esc pressed in the mode
 *   });
 * Other modules follow the changes with on('mode', (name) => ...).
 */
import {emit, state} from './state.js';
import {$, $$, clearFlash, flash, focusScan, showError} from './ui.js';

export const FKEYS = {F1: 'issue', F2: 'reception', F3: 'placement', F4: 'returns',
  F5: 'inventory', F6: 'shift'};

const modes = {};

export function defineMode(name, definition) {
  modes[name] = definition;
}

export function setMode(name) {
  if (name !== state.mode) clearFlash();
  state.mode = name;
  const mode = modes[name] || {};
  $$('#modes button').forEach((b) => b.classList.toggle('active', b.dataset.mode === name));
  $$('main .mode').forEach((s) => s.classList.toggle('active', s.dataset.mode === name));
  $('#scan').placeholder = mode.placeholder ? mode.placeholder() : '';
  emit('mode', name);
  if (mode.enter) mode.enter();
  focusScan();
}

/* a code scanned, typed or read by the camera, for the current mode */
export async function onScan(code) {
  code = code.trim();
  if (!code) return;
  clearFlash();
  const mode = modes[state.mode] || {};
  try {
    if (mode.scan) await mode.scan(code);
    else flash('В режиме «Смена» сканирование не нужно', 'warn');
  } catch (error) {
    showError(error);
  }
}

export function escapeMode() {
  const mode = modes[state.mode] || {};
  if (mode.escape) mode.escape();
}
