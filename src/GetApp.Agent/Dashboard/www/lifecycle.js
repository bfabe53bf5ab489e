// What a person may do with a release right now: the rules of the agent's lifecycle table
// (src/GetApp.Agent.Core/Releases/ReleaseLifecycle.cs) for the seven actions the API offers, read from what the API
// shows of a release. The API does not list allowed actions, so the page mirrors the table; the browser test
// DashboardLifecycleTests checks every position against the C# table, so the two cannot drift apart.

/** The actions, in the order their buttons appear. */
export const actions = ['deliver', 'pause', 'resume', 'cancel', 'delete', 'deploy', 'uninstall'];

/** The API call of each action: [method, path of the catalog id]. */
export const routes = {
  deliver: ['POST', (id) => `api/v2/delivery/start/${id}`],
  pause: ['POST', (id) => `api/v2/delivery/pause/${id}`],
  resume: ['POST', (id) => `api/v2/delivery/resume/${id}`],
  cancel: ['POST', (id) => `api/v2/delivery/cancel/${id}`],
  delete: ['DELETE', (id) => `api/v2/delivery/${id}`],
  deploy: ['POST', (id) => `api/v2/deploy/start/${id}`],
  uninstall: ['POST', (id) => `api/v2/deploy/uninstall/${id}`],
};

/**
 * A release's lifecycle position from a DeviceReleaseStatusDto (or an offering item, which has only `state`):
 * `deviceReleaseStatus` is the delivery status up to `downloaded`, the deployment status from `deploy` on.
 */
export function positionOf(release) {
  const state = release.state;
  const status = release.deviceReleaseStatus ?? null;
  const delivering = state === 'delivery' || state === 'downloaded';
  return {
    state,
    deliveryState: release.deliveryState ?? null,
    deliveryStatus: delivering ? status : null,
    deployStatus: delivering ? null : status,
  };
}

const deployRunning = ['Start', 'Installing', 'Continue', 'Pause'];

const rules = {
  // StartDelivery: offering, push, deleted, or delivery with Error or Cancel
  deliver: (p) => ['offering', 'push', 'deleted'].includes(p.state) || (p.state === 'delivery' && ['Error', 'Cancel'].includes(p.deliveryStatus)),
  // PauseDelivery: delivery with Start or InProgress
  pause: (p) => p.state === 'delivery' && ['Start', 'InProgress'].includes(p.deliveryStatus),
  // ResumeDelivery: delivery with Pause
  resume: (p) => p.state === 'delivery' && p.deliveryStatus === 'Pause',
  // CancelDelivery: delivery with Start, InProgress, Pause or Error
  cancel: (p) => p.state === 'delivery' && p.deliveryStatus !== 'Cancel' && p.deliveryStatus !== 'Done',
  // DeleteDelivery: downloaded or uninstalled
  delete: (p) => p.state === 'downloaded' || p.state === 'uninstalled',
  // StartDeploy: downloaded, uninstalled, or deploy with Error or Cancelled
  deploy: (p) => p.state === 'downloaded' || p.state === 'uninstalled' || (p.state === 'deploy' && ['Error', 'Cancelled'].includes(p.deployStatus)),
  // Uninstall: installed
  uninstall: (p) => p.state === 'installed',
};

/** The actions the lifecycle allows for this release now, in button order. */
export function allowedActions(release) {
  const position = positionOf(release);
  return actions.filter((action) => rules[action](position));
}

/** True while something moves (a progress bar is worth showing). */
export function isRunning(release) {
  const p = positionOf(release);
  return (p.state === 'delivery' && ['Start', 'InProgress'].includes(p.deliveryStatus)) || (p.state === 'deploy' && deployRunning.includes(p.deployStatus));
}

/** Button labels. */
export const labels = {
  deliver: 'Deliver',
  pause: 'Pause',
  resume: 'Resume',
  cancel: 'Cancel',
  delete: 'Delete',
  deploy: 'Deploy',
  uninstall: 'Uninstall',
};

/** Actions that throw work away: the page asks first. */
export const confirmations = {
  cancel: (id) => `Cancel the delivery of ${id}? What was downloaded so far is deleted.`,
  delete: (id) => `Delete ${id} from this device? Its files are removed; it can be delivered again later.`,
  uninstall: (id) => `Uninstall ${id}? Its installer is run to remove it.`,
};
