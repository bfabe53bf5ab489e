// What the page knows of the agent, kept up to date by the event streams. Views read it and subscribe to changes;
// several events arriving together (a snapshot, a burst of progress) make one change notification.
//
// A snapshot (after `event: reset`) is collected aside and takes the place of what was held only once it is whole
// (its last entry carries the event id): a snapshot arriving in several pieces never shows a half-empty page.

const notificationsKept = 50;

/** Stream name (in `reset`) -> the field of the store it fills. */
const fields = { agent: 'summary', offering: 'offering', delivery: 'releases', deploy: 'deploys', notifications: 'notifications', fleet: 'fleet' };

/** Event type -> [field, topic]. */
const events = {
  agent: ['summary', 'agent'],
  offering: ['offering', 'offering'],
  delivery: ['releases', 'delivery'],
  deploy: ['deploys', 'deploy'],
  notification: ['notifications', 'notification'],
  fleet: ['fleet', 'fleet'],
};

const topicOf = { summary: 'agent', offering: 'offering', releases: 'delivery', deploys: 'deploy', notifications: 'notification', fleet: 'fleet' };

function empty(field) {
  switch (field) {
    case 'summary':
      return null;
    case 'releases':
    case 'deploys':
    case 'fleet':
      return new Map();
    default:
      return [];
  }
}

export class Store {
  constructor() {
    /** The device summary (GET /api/v2/agent/summary), or null before the first. */
    this.summary = null;
    /** The offering (GET /api/v2/device/offering). */
    this.offering = [];
    /** Every release on the device (delivery or later): catalog id -> DeviceReleaseStatusDto. */
    this.releases = new Map();
    /** Deploy records: catalog id -> DeployDto. */
    this.deploys = new Map();
    /** Recent notifications, oldest first. */
    this.notifications = [];
    /** This agent's children (the fleet stream): device id -> FleetDeviceDto. */
    this.fleet = new Map();
    /** 'connecting' | 'live' | 'reconnecting' | 'auth' */
    this.connection = 'connecting';
    this.pending = null;
    this.listeners = new Set();
    this.changed = new Set();
    this.scheduled = false;
    this.loaded = new Set();
  }

  /** Calls `listener(topics)` after changes; returns the function that unsubscribes. */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True once the topic's first state arrived: before that, "nothing" means "not known yet". */
  has(topic) {
    return this.loaded.has(topic);
  }

  setConnection(state) {
    if (state === 'connecting' || state === 'live') this.pending = null; // a new connection: any unfinished snapshot is gone
    if (this.connection === state) return;
    this.connection = state;
    this.touch('connection');
  }

  /** Applies one event of the combined stream. */
  apply(event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return; // not ours to show
    }
    if (event.type === 'reset') {
      const field = fields[data?.stream];
      if (field) {
        this.pending ??= {};
        this.pending[field] = empty(field);
      }
    } else if (events[event.type]) {
      const [field, topic] = events[event.type];
      const target = this.pending && field in this.pending ? this.pending : this;
      if (this.put(target, field, data) && target === this) this.touch(topic);
    }
    if (event.id && this.pending) this.commit();
  }

  put(target, field, data) {
    switch (field) {
      case 'summary':
        target.summary = data;
        return true;
      case 'offering':
        target.offering = Array.isArray(data) ? data : [];
        return true;
      case 'releases':
        if (!data?.release?.id) return false;
        target.releases.set(data.release.id, data);
        return true;
      case 'deploys':
        if (!data?.catalogId) return false;
        target.deploys.set(data.catalogId, data);
        return true;
      case 'fleet':
        if (typeof data?.deviceId !== 'string') return false;
        // A forgotten child comes as `removed: true`.
        if (data.removed) return target.fleet.delete(data.deviceId);
        target.fleet.set(data.deviceId, data);
        return true;
      case 'notifications': {
        const list = target.notifications;
        if (!data?.id || list.some((n) => n.id === data.id)) return false;
        list.push(data);
        if (list.length > notificationsKept) list.shift();
        return true;
      }
      default:
        return false;
    }
  }

  commit() {
    for (const [field, value] of Object.entries(this.pending)) {
      this[field] = value;
      this.touch(topicOf[field]);
    }
    this.pending = null;
  }

  touch(topic) {
    this.loaded.add(topic);
    this.changed.add(topic);
    if (this.scheduled) return;
    this.scheduled = true;
    // After the events of this read are all applied: one render per burst.
    queueMicrotask(() => {
      this.scheduled = false;
      const topics = this.changed;
      this.changed = new Set();
      for (const listener of this.listeners) listener(topics);
    });
  }
}
