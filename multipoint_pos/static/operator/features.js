/* Which Multipoint modules the server has activated (GET features): the
 * screen shows the modes and buttons of those only, e.g. no «Сегодня» and
 * no ticket buttons without multipoint_tickets. */
import {api} from './api.js';
import {state} from './state.js';

/* state.features once the server has said them (asked once per page) */
export async function loadFeatures() {
  if (state.features) return state.features;
  try {
    state.features = (await api.get('features')).features || {};
  } catch (error) {
    // no connection or no session yet: asked again next time
  }
  return state.features;
}

/* true or false once known, null before */
export function hasFeature(name) {
  return state.features ? Boolean(state.features[name]) : null;
}
