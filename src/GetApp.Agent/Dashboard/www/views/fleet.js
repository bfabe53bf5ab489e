// Fleet: this agent's children, live from the fleet stream (docs/fleet.md) — each one's online state, mode, last
// contact, releases with their progress, and its latest commands with their outcome — and the commands to send them,
// one device or many. An agent with no child says so, and how a device becomes one.

import { emptyState, syncRows } from '../components.js';
import { h, setText, show, uid } from '../dom.js';
import { deviceName } from '../fleet-actions.js';
import { deviceCard } from './fleet-device.js';
import { fleetToolbar } from './fleet-toolbar.js';

/** The filters the API offers (GET /api/cdn/device: connectivity, filter, mode, orchestration), applied to the stream. */
const filters = [
  ['connectivity', 'Connection', [['all', 'All'], ['online', 'Online'], ['offline', 'Offline']]],
  ['activity', 'Activity', [['all', 'All'], ['active', 'Active'], ['inactive', 'Inactive']]],
  ['mode', 'Mode', [['all', 'All'], ['orchestrated', 'Orchestrated'], ['reactive', 'Reactive'], ['none', 'Not managed'], ['pending', 'Awaiting approval']]],
];

function matches(entry, chosen, needle) {
  const d = entry.device ?? {};
  if (chosen.connectivity === 'online' && !d.online) return false;
  if (chosen.connectivity === 'offline' && d.online) return false;
  if (chosen.activity === 'active' && d.active === false) return false;
  if (chosen.activity === 'inactive' && d.active !== false) return false;
  if (chosen.mode === 'pending' ? d.orchestration !== 'pending' : chosen.mode !== 'all' && d.mode !== chosen.mode) return false;
  return !needle || entry.deviceId.toLowerCase().includes(needle) || deviceName(entry).toLowerCase().includes(needle);
}

/** What a person needs to make a device a child of this agent. */
function noChildren() {
  const address = `${location.protocol}//${location.host}`;
  return h('div', { class: 'card no-children', hidden: true },
    h('h2', {}, 'No device is managed from this agent yet'),
    h('p', {}, 'A child is another GetApp agent whose upstream is this agent. It appears here as soon as it connects.'),
    h('ol', {},
      h('li', {}, 'Point it at this agent: start it with ', h('code', {}, `--upstream ${address}`),
        ' (or ', h('code', {}, 'BASE_URL'), '), using an address of this agent the device can reach.'),
      h('li', {}, 'Let it be managed: turn on its ', h('code', {}, 'orchestrateMe'), ' (it joins this site\'s platform once you approve it here) or its ',
        h('code', {}, 'reactiveMode'), ' (it takes commands at once): ', h('code', {}, 'ORCHESTRATE_ME=true'), ' or ', h('code', {}, 'REACTIVE_MODE=true'),
        ', or in its own Settings.'),
      h('li', {}, 'If this agent has a children secret (', h('code', {}, '--children-secret'), '), give it to the child as its device secret.')));
}

export default {
  id: 'fleet',
  title: 'Fleet',
  // Children waiting for a decision on their orchestration.
  badge: (store) => [...store.fleet.values()].filter((e) => e.device?.orchestration === 'pending').length || null,
  create(ctx) {
    const chosen = { connectivity: 'all', activity: 'all', mode: 'all' };
    const selected = new Set();
    let shown = [];
    const cards = new Map();
    const list = h('div', { class: 'cards', 'aria-live': 'off' });
    const loading = h('p', { class: 'empty' }, 'Loading…');
    const none = noChildren();
    const noMatch = emptyState('No child matches these filters.');
    const summary = h('p', { class: 'lead', dataset: { field: 'summary' } }, 'The devices that take this agent as their upstream, live.');
    const search = h('input', { type: 'search', placeholder: 'Filter by name or id', 'aria-label': 'Filter devices' });
    const selects = filters.map(([key, label, options]) => {
      const id = uid(`fleet-${key}`);
      const select = h('select', { id, dataset: { filter: key } }, options.map(([value, text]) => h('option', { value }, text)));
      select.addEventListener('change', () => {
        chosen[key] = select.value;
        render();
      });
      return h('div', { class: 'filter' }, h('label', { for: id }, label), select);
    });

    const selection = {
      has: (id) => selected.has(id),
      toggle(id, on) {
        if (on) selected.add(id);
        else selected.delete(id);
        render();
      },
      selectAll(on) {
        selected.clear();
        if (on) for (const e of shown) selected.add(e.deviceId);
        render();
      },
      clear() {
        selected.clear();
        render();
      },
      entries: () => shown.filter((e) => selected.has(e.deviceId)),
      shownCount: () => shown.length,
    };
    const toolbar = fleetToolbar(ctx, selection);
    const body = h('div', { class: 'fleet-body' }, h('div', { class: 'fleet-filters' }, search, selects), toolbar.element, noMatch, list);

    const element = h('section', { class: 'view', 'aria-labelledby': 'fleet-title' },
      h('div', { class: 'view-head' }, h('div', {}, h('h1', { id: 'fleet-title' }, 'Fleet'), summary)),
      loading, none, body);

    // An empty first snapshot is not proof of no children: the agent sends the entries of children that changed while
    // no page followed the stream just after it. Before saying "none", ask the API once.
    let checked = 'no';
    const checkEmpty = async () => {
      checked = 'asking';
      try {
        const devices = await ctx.request('GET', 'api/cdn/device?filter=all');
        checked = (devices ?? []).some((d) => !d.isSelf) ? 'no' : 'empty';
      } catch {
        checked = 'empty'; // cannot tell: the stream is the truth
      }
      render();
    };

    function render() {
      const all = [...ctx.store.fleet.values()].filter((e) => e.device);
      if (all.length > 0) checked = 'no';
      else if (ctx.store.has('fleet') && checked === 'no') checkEmpty();
      const known = ctx.store.has('fleet') && (all.length > 0 || checked === 'empty');
      show(loading, !known);
      show(none, known && all.length === 0);
      show(body, all.length > 0);
      const online = all.filter((e) => e.device.online).length;
      const awaiting = all.filter((e) => e.device.orchestration === 'pending').length;
      const waiting = all.reduce((n, e) => n + (e.device.pendingCommands ?? 0), 0);
      setText(summary, all.length
        ? [`${all.length} ${all.length === 1 ? 'child' : 'children'}`, `${online} online`, awaiting ? `${awaiting} awaiting approval` : null,
          waiting ? `${waiting} command${waiting === 1 ? '' : 's'} waiting` : null].filter(Boolean).join(' · ')
        : 'The devices that take this agent as their upstream, live.');
      const needle = search.value.trim().toLowerCase();
      shown = all.filter((e) => matches(e, chosen, needle)).sort((a, b) => deviceName(a).localeCompare(deviceName(b)) || a.deviceId.localeCompare(b.deviceId));
      // What is selected is what is shown: a child filtered out or forgotten is no longer acted on.
      const visible = new Set(shown.map((e) => e.deviceId));
      for (const id of [...selected]) if (!visible.has(id)) selected.delete(id);
      show(noMatch, all.length > 0 && shown.length === 0);
      syncRows(list, cards, shown, (e) => e.deviceId, (e) => deviceCard(ctx, e, selection), (card, e) => card.update(e));
      toolbar.refresh();
    }

    search.addEventListener('input', render);
    // "Last seen 3 min ago" ages without events.
    const timer = setInterval(render, 30_000);
    return {
      element,
      update(topics) {
        if (topics.has('fleet') || topics.has('delivery') || topics.has('offering')) render();
      },
      destroy() {
        clearInterval(timer);
      },
    };
  },
};
