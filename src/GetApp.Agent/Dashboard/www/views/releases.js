// Releases: every release on the device (delivery or later) with its state, progress, error and the actions the
// lifecycle allows now. GetApp's UI calls this view "Device status".

import { actionBar, emptyState, progressBlock, releaseTitle, stateBadge, syncRows } from '../components.js';
import { h, setText, show, uid } from '../dom.js';
import { bytes } from '../format.js';
import { isRunning } from '../lifecycle.js';

function createRow(ctx, status) {
  const id = status.release.id;
  const titleId = uid('release');
  const title = h('h3', { id: titleId });
  const meta = h('p', { class: 'meta' });
  const badge = stateBadge();
  const progress = progressBlock(`Progress of ${id}`);
  const error = h('pre', { class: 'errmsg', dataset: { field: 'errMsg' } });
  const errorBox = h('div', { class: 'errbox', hidden: true }, h('span', { class: 'errbox-label' }, 'Error'), error);
  const log = h('pre', { class: 'log' });
  const logBox = h('details', { class: 'deploy-log', hidden: true }, h('summary', {}, 'Installer output'), log);
  const actions = actionBar(ctx, id, id);
  const element = h('article', { class: 'card release', 'aria-labelledby': titleId, dataset: { releaseId: id } },
    h('div', { class: 'release-head' }, h('div', {}, title, meta), badge.element),
    progress.element, errorBox, logBox, actions.element);
  return {
    element,
    update(item) {
      const r = item.release;
      setText(title, releaseTitle(r));
      setText(meta, [r.id, r.version && `version ${r.version}`, r.size ? bytes(r.size) : null, r.dependencies?.length ? `needs ${r.dependencies.join(', ')}` : null].filter(Boolean).join(' · '));
      badge.update(item);
      const moving = item.state === 'delivery' || (item.state === 'deploy' && item.progress !== null && item.deviceReleaseStatus === 'Installing');
      show(progress.element, moving);
      if (moving) progress.update(item, ctx.store.summary?.transfers?.find((t) => t.catalogId === id));
      show(errorBox, Boolean(item.errMsg));
      setText(error, item.errMsg ?? '');
      const deploy = ctx.store.deploys.get(id);
      show(logBox, Boolean(deploy?.messageLog));
      setText(log, deploy?.messageLog ?? '');
      actions.update(item);
    },
  };
}

export default {
  id: 'releases',
  title: 'Releases',
  // How many are moving now (delivering or installing).
  badge: (store) => [...store.releases.values()].filter(isRunning).length || null,
  create(ctx) {
    const rows = new Map();
    const list = h('div', { class: 'cards', 'aria-live': 'off' });
    const empty = emptyState('No release is on this device yet. Deliver one from App offering.');
    const loading = h('p', { class: 'empty' }, 'Loading…');
    const filter = h('input', { type: 'search', placeholder: 'Filter by name or id', 'aria-label': 'Filter releases' });
    const element = h('section', { class: 'view', 'aria-labelledby': 'releases-title' },
      h('div', { class: 'view-head' },
        h('div', {}, h('h1', { id: 'releases-title' }, 'Releases'), h('p', { class: 'lead' }, 'Every release on this device: its state, its progress and what you can do with it now.')),
        filter),
      loading, empty, list);
    const render = () => {
      const known = ctx.store.has('delivery');
      show(loading, !known);
      const needle = filter.value.trim().toLowerCase();
      const items = [...ctx.store.releases.values()]
        .filter((s) => !needle || s.release.id.toLowerCase().includes(needle) || releaseTitle(s.release).toLowerCase().includes(needle))
        .sort((a, b) => a.release.id.localeCompare(b.release.id));
      show(empty, known && ctx.store.releases.size === 0);
      syncRows(list, rows, items, (s) => s.release.id, (s) => createRow(ctx, s), (row, s) => row.update(s));
    };
    filter.addEventListener('input', render);
    return {
      element,
      update(topics) {
        if (topics.has('delivery') || topics.has('deploy') || topics.has('agent')) render();
      },
    };
  },
};
