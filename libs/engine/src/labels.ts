/**
 * Labels Berth puts on what it creates on a container engine, so installs sharing one engine
 * (test runs, benchmarks, a developer's own) each touch only their own.
 */
export const ENGINE_LABELS = {
  /** BERTH_INSTALL_ID (config.installId) of the install that made it. */
  install: 'berth.install',
  /** What kind of network it is: `app` (one per app) or `build`. */
  network: 'berth.network',
} as const;
