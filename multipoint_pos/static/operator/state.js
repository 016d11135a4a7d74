/* What the modes share while the page is open, and a tiny event bus so that
 * a module can say "the shift changed" without importing its listeners.
 *
 * Events: 'mode' (name) after the mode changed; 'shift' after the point's
 * shift was opened, closed or reloaded.
 */

export const state = {
  mode: 'issue',
  // the open shift of the point, null when it is closed
  shift: null,
  // false until shifts/current has answered for the point
  shiftKnown: false,
  // the server's features ({pos: true, tickets: false, ...}), null until known
  features: null,
};

const listeners = new Map();

export function on(event, listener) {
  if (!listeners.has(event)) listeners.set(event, []);
  listeners.get(event).push(listener);
}

export function emit(event, ...args) {
  for (const listener of listeners.get(event) || []) listener(...args);
}
