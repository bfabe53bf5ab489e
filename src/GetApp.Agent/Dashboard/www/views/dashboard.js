// Dashboard: the device at a glance (identity, upstream and its last error, storage, discovery, outbox), the
// deliveries running now with their progress, speed and time left, and the recent notifications.

import { emptyState, facts, progressBlock, releaseTitle, stateBadge, syncRows } from '../components.js';
import { h, replaceChildren, setText, show } from '../dom.js';
import { ago, bytes, dateTime } from '../format.js';

function card(title, ...content) {
  return h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...content);
}

function deliveryRow(item) {
  const id = item.release.id;
  const title = h('h3', {});
  const badge = stateBadge();
  const progress = progressBlock(`Progress of ${id}`);
  const element = h('li', { class: 'delivery', dataset: { releaseId: id } },
    h('div', { class: 'release-head' }, h('div', {}, title, h('p', { class: 'meta' }, id)), badge.element), progress.element);
  return {
    element,
    update(status, transfer) {
      setText(title, releaseTitle(status.release));
      badge.update(status);
      progress.update(status, transfer);
    },
  };
}

export default {
  id: 'dashboard',
  title: 'Dashboard',
  create(ctx) {
    const device = facts([
      ['deviceId', 'Device id'],
      ['deviceType', 'Device type'],
      ['platform', 'Platform'],
      ['agentVersion', 'Agent version'],
      ['startedAt', 'Running since'],
    ]);
    const upstreamState = h('span', { class: 'state', dataset: { field: 'upstreamState' } });
    const upstream = facts([
      ['upstream', 'Upstream'],
      ['activeUrl', 'Server in use'],
      ['lastSuccessAt', 'Last answer'],
      ['lastDiscovery', 'Last discovery'],
      ['outbox', 'Reports waiting'],
    ]);
    const lastError = h('pre', { class: 'errmsg', dataset: { field: 'upstreamError' } });
    const lastErrorWhen = h('p', { class: 'meta' });
    const lastErrorBox = h('div', { class: 'errbox', hidden: true }, h('span', { class: 'errbox-label' }, 'Last error'), lastErrorWhen, lastError);
    const diskBar = h('meter', { min: 0, max: 1, 'aria-label': 'Disk space used' });
    const disk = facts([
      ['freeBytes', 'Free'],
      ['totalBytes', 'Size'],
      ['bufferBytes', 'Kept free for deliveries'],
      ['path', 'Data dir'],
    ]);
    const diskLow = h('p', { class: 'warning', hidden: true }, 'Free space is low: deliveries may be refused.');
    const deliveries = h('ul', { class: 'deliveries' });
    const noDeliveries = emptyState('No delivery is running.');
    const notifications = h('ol', { class: 'notifications', 'aria-label': 'Recent notifications' });
    const noNotifications = emptyState('Nothing to report.');
    const rows = new Map();

    const element = h('section', { class: 'view', 'aria-labelledby': 'dashboard-title' },
      h('div', { class: 'view-head' }, h('div', {}, h('h1', { id: 'dashboard-title' }, 'Dashboard'), h('p', { class: 'lead' }, 'This device and its agent, live.'))),
      h('div', { class: 'grid' },
        card('Device', device.element),
        card('Upstream', h('p', {}, upstreamState), upstream.element, lastErrorBox),
        card('Storage', diskBar, disk.element, diskLow)),
      card('Deliveries', noDeliveries, deliveries),
      card('Recent notifications', noNotifications, notifications));

    const renderSummary = () => {
      const s = ctx.store.summary;
      if (!s) return;
      device.set('deviceId', s.deviceId);
      device.set('deviceType', (s.deviceType ?? []).join(', ') || '–');
      device.set('platform', s.platform || '–');
      device.set('agentVersion', s.agentVersion);
      device.set('startedAt', `${dateTime(s.startedAt)} (${ago(s.startedAt)})`);
      const u = s.upstream ?? {};
      setText(upstreamState, u.state ?? 'unknown');
      upstreamState.dataset.tone = u.state === 'reachable' ? 'ok' : u.state === 'unreachable' ? 'error' : 'neutral';
      upstream.set('upstream', u.description);
      upstream.set('activeUrl', u.activeUrl);
      upstream.set('lastSuccessAt', u.lastSuccessAt ? `${dateTime(u.lastSuccessAt)} (${ago(u.lastSuccessAt)})` : null);
      const d = s.lastDiscovery;
      upstream.set('lastDiscovery', d ? `${dateTime(d.at)}: ${d.error ? `failed: ${d.error}` : `${d.offered} offered`}` : 'not yet');
      upstream.set('outbox', s.outbox ? `${s.outbox.pending}${s.outbox.oldestCreatedAt ? ` (oldest ${ago(s.outbox.oldestCreatedAt)})` : ''}` : null);
      const e = u.lastError;
      show(lastErrorBox, Boolean(e));
      setText(lastError, e?.message ?? '');
      setText(lastErrorWhen, e ? [dateTime(e.at), e.operation, e.statusCode ? `HTTP ${e.statusCode}` : null, e.url].filter(Boolean).join(' · ') : '');
      const k = s.disk ?? {};
      disk.set('freeBytes', bytes(k.freeBytes));
      disk.set('totalBytes', bytes(k.totalBytes));
      disk.set('bufferBytes', bytes(k.bufferBytes));
      disk.set('path', k.path);
      if (k.totalBytes) {
        diskBar.value = 1 - (k.freeBytes ?? 0) / k.totalBytes;
        diskBar.low = 0;
        diskBar.high = 0.9;
        diskBar.optimum = 0;
      }
      show(diskLow, Boolean(k.low));
    };

    const renderDeliveries = () => {
      const running = [...ctx.store.releases.values()].filter((r) => r.state === 'delivery').sort((a, b) => a.release.id.localeCompare(b.release.id));
      show(noDeliveries, ctx.store.has('delivery') && running.length === 0);
      const transfers = ctx.store.summary?.transfers ?? [];
      syncRows(deliveries, rows, running, (r) => r.release.id, deliveryRow, (row, r) => row.update(r, transfers.find((t) => t.catalogId === r.release.id)));
    };

    const renderNotifications = () => {
      const recent = ctx.store.notifications.slice(-10).reverse();
      show(noNotifications, ctx.store.has('notification') && recent.length === 0);
      replaceChildren(notifications, recent.map((n) => h('li', { class: `notification severity-${n.severity}`, dataset: { kind: n.kind } },
        h('div', { class: 'notification-head' },
          h('span', { class: 'severity' }, n.severity),
          h('span', { class: 'meta' }, `${n.category} · ${dateTime(n.at)}`)),
        h('p', { class: 'notification-message' }, n.message))));
    };

    return {
      element,
      update(topics) {
        if (topics.has('agent')) renderSummary();
        if (topics.has('delivery') || topics.has('agent')) renderDeliveries();
        if (topics.has('notification')) renderNotifications();
      },
    };
  },
};
