// App offering: what the upstream offers or pushes to this device and it has not delivered yet, with each release's
// dependencies (and where they stand here) and a Deliver button. Sync asks the upstream again.

import { actionBar, emptyState, releaseTitle, syncRows } from '../components.js';
import { h, replaceChildren, setText, show, uid } from '../dom.js';
import { bytes } from '../format.js';

function dependencyState(store, id) {
  const onDevice = store.releases.get(id);
  if (onDevice) return onDevice.state;
  const offered = store.offering.find((o) => o.release?.id === id);
  return offered ? offered.state : 'unknown';
}

function createRow(ctx, item) {
  const id = item.release.id;
  const titleId = uid('offer');
  const title = h('h3', { id: titleId });
  const kind = h('span', { class: 'state', dataset: { field: 'state' } });
  const meta = h('p', { class: 'meta' });
  const notes = h('p', { class: 'notes' });
  const deps = h('ul', { class: 'deps', 'aria-label': `Dependencies of ${id}` });
  const depsBox = h('div', { class: 'deps-box' }, h('span', { class: 'deps-label' }, 'Depends on'), deps);
  const actions = actionBar(ctx, id, id);
  const element = h('article', { class: 'card offer', 'aria-labelledby': titleId, dataset: { releaseId: id } },
    h('div', { class: 'release-head' }, h('div', {}, title, meta), kind), notes, depsBox, actions.element);
  return {
    element,
    update(offer) {
      const r = offer.release;
      setText(title, releaseTitle(r));
      setText(kind, offer.state === 'push' || offer.isPush ? 'pushed' : 'offered');
      kind.dataset.state = offer.state;
      kind.dataset.tone = offer.isPush ? 'busy' : 'neutral';
      setText(meta, [r.id, r.version && `version ${r.version}`, r.size ? bytes(r.size) : null].filter(Boolean).join(' · '));
      setText(notes, r.releaseNotes ?? '');
      show(notes, Boolean(r.releaseNotes));
      const dependencies = offer.dependencies ?? [];
      show(depsBox, dependencies.length > 0);
      replaceChildren(deps, dependencies.map((d) => {
        const state = dependencyState(ctx.store, d);
        return h('li', { dataset: { dependency: d } }, h('code', {}, d), ' ', h('span', { class: 'state small', dataset: { state, tone: state === 'installed' ? 'ok' : 'neutral' } }, state));
      }));
      actions.update(offer);
    },
  };
}

export default {
  id: 'offering',
  title: 'App offering',
  badge: (store) => store.offering.length || null,
  create(ctx) {
    const rows = new Map();
    const list = h('div', { class: 'cards' });
    const empty = emptyState('Nothing is offered to this device right now. Sync asks the upstream again.');
    const loading = h('p', { class: 'empty' }, 'Loading…');
    const status = h('p', { class: 'sync-status', role: 'status' });
    const sync = h('button', { type: 'button', class: 'primary' }, 'Sync');
    sync.addEventListener('click', async () => {
      sync.disabled = true;
      setText(status, 'Asking the upstream…');
      try {
        await ctx.request('POST', 'api/v2/triggers/discover-component');
        setText(status, `Synced ${new Date().toLocaleTimeString()}.`);
      } catch (error) {
        setText(status, '');
        ctx.toast(`Sync: ${error.message}`, 'error');
      } finally {
        sync.disabled = false;
      }
    });
    const element = h('section', { class: 'view', 'aria-labelledby': 'offering-title' },
      h('div', { class: 'view-head' },
        h('div', {}, h('h1', { id: 'offering-title' }, 'App offering'), h('p', { class: 'lead' }, 'Releases the upstream offers or pushes to this device, not delivered yet.')),
        h('div', { class: 'view-tools' }, status, sync)),
      loading, empty, list);
    const render = () => {
      const known = ctx.store.has('offering');
      show(loading, !known);
      show(empty, known && ctx.store.offering.length === 0);
      const items = ctx.store.offering.filter((o) => o.release?.id).slice().sort((a, b) => a.release.id.localeCompare(b.release.id));
      syncRows(list, rows, items, (o) => o.release.id, (o) => createRow(ctx, o), (row, o) => row.update(o));
    };
    return {
      element,
      update(topics) {
        if (topics.has('offering') || topics.has('delivery')) render();
      },
    };
  },
};
